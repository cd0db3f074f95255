//! The host calls the filter makes, wrapped so that no host error can panic.
//!
//! The SDK's `hostcalls` panic on any status they do not expect (a failed header read, clock,
//! header write, local response, resume...), and a panic traps the VM: every later request on
//! that worker then meets Envoy's `failure_policy` instead of the filter's own fail-closed
//! answer. So the calls on the request path and in the root's loop go to the proxy-wasm ABI
//! directly, here, and every status comes back as a `Result`. All the `unsafe` of the glue is in
//! this file.

use crate::header_map;
use crate::headers::{Headers, HeadersBuilder, NameFilter};
use crate::jwks_cache::{SharedStore, StoreError};
use proxy_wasm::types::{BufferType, LogLevel, MapType, Status};
use std::ptr::{null, null_mut};
use std::time::Duration;

/// The ABI's imports (proxy-wasm 0.2.1, as Envoy implements it). Statuses are read as plain
/// integers so that a code the SDK's enum lacks is an error here, not undefined behaviour.
mod abi {
    #[link(wasm_import_module = "env")]
    extern "C" {
        pub fn proxy_get_log_level(level: *mut u32) -> u32;
        pub fn proxy_get_current_time_nanoseconds(time: *mut u64) -> u32;
        pub fn proxy_set_tick_period_milliseconds(period: u32) -> u32;
        pub fn proxy_get_header_map_pairs(map: u32, data: *mut *mut u8, size: *mut usize) -> u32;
        pub fn proxy_replace_header_map_value(
            map: u32,
            key: *const u8,
            key_size: usize,
            value: *const u8,
            value_size: usize,
        ) -> u32;
        pub fn proxy_remove_header_map_value(map: u32, key: *const u8, key_size: usize) -> u32;
        pub fn proxy_send_local_response(
            status: u32,
            details: *const u8,
            details_size: usize,
            body: *const u8,
            body_size: usize,
            headers: *const u8,
            headers_size: usize,
            grpc_status: i32,
        ) -> u32;
        pub fn proxy_continue_stream(stream: u32) -> u32;
        pub fn proxy_set_effective_context(context_id: u32) -> u32;
        pub fn proxy_get_shared_data(
            key: *const u8,
            key_size: usize,
            value: *mut *mut u8,
            value_size: *mut usize,
            cas: *mut u32,
        ) -> u32;
        pub fn proxy_set_shared_data(
            key: *const u8,
            key_size: usize,
            value: *const u8,
            value_size: usize,
            cas: u32,
        ) -> u32;
        pub fn proxy_call_foreign_function(
            name: *const u8,
            name_size: usize,
            args: *const u8,
            args_size: usize,
            results: *mut *mut u8,
            results_size: *mut usize,
        ) -> u32;
        pub fn proxy_increment_metric(metric_id: u32, offset: i64) -> u32;
        pub fn proxy_get_property(
            path: *const u8,
            path_size: usize,
            data: *mut *mut u8,
            size: *mut usize,
        ) -> u32;
        pub fn proxy_define_metric(
            kind: u32,
            name: *const u8,
            name_size: usize,
            id: *mut u32,
        ) -> u32;
        pub fn proxy_get_buffer_bytes(
            buffer: u32,
            start: usize,
            max_size: usize,
            data: *mut *mut u8,
            size: *mut usize,
        ) -> u32;
    }
}

/// `proxy_continue_stream`'s stream type for the request.
const STREAM_HTTP_REQUEST: u32 = 0;

fn status(code: u32) -> Result<(), Status> {
    match code {
        0 => Ok(()),
        1 => Err(Status::NotFound),
        2 => Err(Status::BadArgument),
        3 => Err(Status::SerializationFailure),
        4 => Err(Status::ParseFailure),
        7 => Err(Status::Empty),
        8 => Err(Status::CasMismatch),
        _ => Err(Status::InternalFailure),
    }
}

/// Takes ownership of a buffer the host returned.
///
/// # Safety
/// `data` is null, or was returned by the host for this call with `size`: the host allocates
/// it through the module's `proxy_on_memory_allocate` (the SDK's `Vec::<u8>::with_capacity(size)`,
/// forgotten), so it is a live, initialised allocation of exactly `size` bytes that nothing
/// else owns.
unsafe fn host_buffer(data: *mut u8, size: usize) -> Vec<u8> {
    if data.is_null() || size == 0 {
        // A zero-sized allocation is dangling and owns nothing.
        return Vec::new();
    }
    // SAFETY: the caller's contract above.
    unsafe { Vec::from_raw_parts(data, size, size) }
}

pub struct HostStore;

impl SharedStore for HostStore {
    /// A failed read is an absent value: keys then wait or fail, never pass.
    fn get(&self, key: &str) -> (Option<Vec<u8>>, Option<u32>) {
        let (mut data, mut size, mut cas) = (null_mut(), 0usize, 0u32);
        // SAFETY: the key is a live slice for the call; the host writes only the three locals
        // through their pointers.
        let code = unsafe {
            abi::proxy_get_shared_data(key.as_ptr(), key.len(), &mut data, &mut size, &mut cas)
        };
        // SAFETY: whatever the status, a non-null `data` is the host's allocation of `size`
        // bytes for this call (freed here if the status is an error).
        let value = unsafe { host_buffer(data, size) };
        if status(code).is_err() {
            return (None, None);
        }
        let cas = (cas != 0).then_some(cas);
        ((!data.is_null()).then_some(value), cas)
    }

    fn set(&self, key: &str, value: &[u8], cas: Option<u32>) -> Result<(), StoreError> {
        // SAFETY: key and value are live slices for the call; the host only reads them.
        let code = unsafe {
            abi::proxy_set_shared_data(
                key.as_ptr(),
                key.len(),
                value.as_ptr(),
                value.len(),
                cas.unwrap_or(0),
            )
        };
        status(code).map_err(|status| match status {
            Status::CasMismatch => StoreError::CasMismatch,
            _ => StoreError::Other,
        })
    }
}

/// Wall-clock milliseconds; `None` when the host cannot say (a request then cannot be judged).
pub fn clock_ms() -> Option<u64> {
    let mut nanos = 0u64;
    // SAFETY: the host writes one u64 through a pointer to a live local.
    let code = unsafe { abi::proxy_get_current_time_nanoseconds(&mut nanos) };
    status(code).ok().map(|()| nanos / 1_000_000)
}

/// For schedules (fetches, back-off, ticks), where a missing clock only delays work.
pub fn now_ms() -> u64 {
    clock_ms().unwrap_or(0)
}

/// Asks for the root's next tick; a host that refuses keeps the previous period.
pub fn set_tick_period(period: Duration) {
    let ms = u32::try_from(period.as_millis()).unwrap_or(u32::MAX);
    // SAFETY: plain integers.
    let _ = status(unsafe { abi::proxy_set_tick_period_milliseconds(ms) });
}

/// Up to `max_size` bytes of a host buffer; empty when the host has none or fails.
fn buffer(which: BufferType, max_size: usize) -> Vec<u8> {
    let (mut data, mut size) = (null_mut(), 0usize);
    // SAFETY: the host writes a pointer and a size through pointers to live locals.
    let code =
        unsafe { abi::proxy_get_buffer_bytes(which as u32, 0, max_size, &mut data, &mut size) };
    // SAFETY: a non-null `data` is the host's allocation of `size` bytes for this call.
    let bytes = unsafe { host_buffer(data, size) };
    if status(code).is_ok() {
        bytes
    } else {
        Vec::new()
    }
}

pub fn plugin_configuration() -> Vec<u8> {
    buffer(BufferType::PluginConfiguration, usize::MAX)
}

/// Header values may hold bytes that are not UTF-8, so they are read as bytes. A map the host
/// cannot give, or gives malformed, is an error.
pub fn header_pairs(map: MapType) -> Result<Headers, Status> {
    header_pairs_into(map, None, HeadersBuilder::default())
}

/// As `header_pairs`, read into buffers of an earlier request (`recycle`).
pub fn header_pairs_into(
    map: MapType,
    only: Option<&NameFilter>,
    into: HeadersBuilder,
) -> Result<Headers, Status> {
    let (mut data, mut size) = (null_mut(), 0usize);
    // SAFETY: the host writes a pointer and a size through pointers to live locals.
    let code = unsafe { abi::proxy_get_header_map_pairs(map as u32, &mut data, &mut size) };
    // SAFETY: a non-null `data` is the host's allocation of `size` bytes for this call.
    let bytes = unsafe { host_buffer(data, size) };
    status(code)?;
    header_map::parse_into(&bytes, only, into).ok_or(Status::ParseFailure)
}

/// Removes a request header on the current (effective) stream.
pub fn remove_header(name: &str) -> Result<(), Status> {
    let map = MapType::HttpRequestHeaders as u32;
    // SAFETY: the name is a live slice for the call; the host only reads it.
    status(unsafe { abi::proxy_remove_header_map_value(map, name.as_ptr(), name.len()) })
}

/// Sets a request header on the current stream, replacing any value it had.
pub fn set_header(name: &str, value: &str) -> Result<(), Status> {
    let map = MapType::HttpRequestHeaders as u32;
    // SAFETY: name and value are live slices for the call; the host only reads them.
    status(unsafe {
        abi::proxy_replace_header_map_value(
            map,
            name.as_ptr(),
            name.len(),
            value.as_ptr(),
            value.len(),
        )
    })
}

/// Answers the current stream locally.
pub fn send_response(code: u32, headers: &[(&str, &str)], body: &[u8]) -> Result<(), Status> {
    let headers = header_map::serialize(headers);
    // SAFETY: body and headers are live slices for the call; the host only reads them. No
    // details (null, 0) and no gRPC status (-1), as the SDK sends.
    status(unsafe {
        abi::proxy_send_local_response(
            code,
            null(),
            0,
            body.as_ptr(),
            body.len(),
            headers.as_ptr(),
            headers.len(),
            -1,
        )
    })
}

/// Lets the current stream's paused request go on.
pub fn resume_request() -> Result<(), Status> {
    // SAFETY: a plain integer.
    status(unsafe { abi::proxy_continue_stream(STREAM_HTTP_REQUEST) })
}

/// Makes the following calls act on `context_id`'s stream.
pub fn set_effective_context(context_id: u32) -> Result<(), Status> {
    // SAFETY: a plain integer.
    status(unsafe { abi::proxy_set_effective_context(context_id) })
}

/// Calls a host's foreign function; `NotFound` when the host has none of that name.
pub fn call_foreign_function(name: &str, args: &[u8]) -> Result<Vec<u8>, Status> {
    let (mut data, mut size) = (null_mut(), 0usize);
    // SAFETY: name and args are live slices for the call; the host writes a pointer and a size
    // through pointers to live locals.
    let code = unsafe {
        abi::proxy_call_foreign_function(
            name.as_ptr(),
            name.len(),
            args.as_ptr(),
            args.len(),
            &mut data,
            &mut size,
        )
    };
    // SAFETY: a non-null `data` is the host's allocation of `size` bytes for this call.
    let result = unsafe { host_buffer(data, size) };
    status(code).map(|()| result)
}

/// A host property (`["connection", "sha256_peer_certificate_digest"]`); `None` when the host
/// has none or cannot say.
pub fn property(path: &[&str]) -> Option<Vec<u8>> {
    // The ABI's path: each segment followed by a NUL.
    let mut serialized = Vec::new();
    for segment in path {
        serialized.extend_from_slice(segment.as_bytes());
        serialized.push(0);
    }
    let (mut data, mut size) = (null_mut(), 0usize);
    // SAFETY: the path is a live slice for the call; the host writes a pointer and a size
    // through pointers to live locals.
    let code = unsafe {
        abi::proxy_get_property(serialized.as_ptr(), serialized.len(), &mut data, &mut size)
    };
    // SAFETY: a non-null `data` is the host's allocation of `size` bytes for this call.
    let value = unsafe { host_buffer(data, size) };
    (status(code).is_ok() && !data.is_null()).then_some(value)
}

/// A counter's id; `None` when the host refuses it (its increments are then dropped).
pub fn define_counter(name: &str) -> Option<u32> {
    let mut id = 0u32;
    // SAFETY: the name is a live slice for the call; the host writes one u32 through a
    // pointer to a live local. Metric type 0 is a counter.
    let code = unsafe { abi::proxy_define_metric(0, name.as_ptr(), name.len(), &mut id) };
    status(code).ok().map(|()| id)
}

/// A counter Envoy refuses to increment is lost, as it would be on any other failure.
pub fn increment_metric(id: u32, by: i64) {
    // SAFETY: plain integers.
    let _ = status(unsafe { abi::proxy_increment_metric(id, by) });
}

pub fn call_response_body(size: usize) -> Vec<u8> {
    buffer(BufferType::HttpCallResponseBody, size)
}

/// Envoy's log level for wasm, so that a message it would drop (a debug line per denied
/// request) is never formatted. `None` when the host cannot say.
pub fn log_level() -> Option<LogLevel> {
    let mut level = u32::MAX;
    // SAFETY: the host writes one u32 through a pointer to a live local.
    let code = unsafe { abi::proxy_get_log_level(&mut level) };
    status(code).ok()?;
    Some(match level {
        0 => LogLevel::Trace,
        1 => LogLevel::Debug,
        2 => LogLevel::Info,
        3 => LogLevel::Warn,
        4 => LogLevel::Error,
        _ => LogLevel::Critical,
    })
}
