//! Envoy's dynamic-module C ABI (Envoy 1.40, `source/extensions/dynamic_modules/abi/abi.h`):
//! the hooks this library exports, the callbacks it calls, and safe handles over both. This is
//! the only module with `unsafe`; each block says what it relies on.
//!
//! Every hook catches panics: one must neither unwind into Envoy (undefined behaviour) nor
//! abort the proxy. A request whose hook panicked is answered 500, never passed on.

use crate::filter::{self, Config, HttpFilter};
use jwt_authn_wasm::headers::{Headers, HeadersBuilder, NameFilter};
use std::ffi::{c_char, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The ABI version Envoy 1.40 was built with; Envoy logs a mismatch at load.
const ABI_VERSION: &std::ffi::CStr = c"v0.2.0";

/// A buffer owned by whoever passes it, valid for the call (`envoy_buffer`/`module_buffer`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Buffer {
    ptr: *const u8,
    length: usize,
}

impl Buffer {
    fn of(bytes: &[u8]) -> Buffer {
        Buffer {
            ptr: bytes.as_ptr(),
            length: bytes.len(),
        }
    }

    const NULL: Buffer = Buffer {
        ptr: std::ptr::null(),
        length: 0,
    };

    /// The bytes, copied out of a buffer Envoy owns.
    ///
    /// # Safety
    /// `ptr` is null or points to `length` readable bytes for the duration of this call.
    unsafe fn to_vec(self) -> Vec<u8> {
        // SAFETY: as `as_slice`, whose borrow ends with the copy.
        unsafe { self.as_slice() }.to_vec()
    }

    /// The bytes, borrowed from a buffer Envoy owns.
    ///
    /// # Safety
    /// `ptr` is null or points to `length` readable bytes that stay unchanged for as long as
    /// the caller uses the slice (the caller picks the lifetime and must not let it outlive
    /// Envoy's buffer).
    unsafe fn as_slice<'a>(&self) -> &'a [u8] {
        if self.ptr.is_null() || self.length == 0 {
            return &[];
        }
        // SAFETY: the caller guarantees `length` readable bytes at a non-null `ptr`.
        unsafe { std::slice::from_raw_parts(self.ptr, self.length) }
    }
}

/// A header (`envoy_http_header`/`module_http_header`): key and value buffers.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Header {
    key: Buffer,
    value: Buffer,
}

// `envoy_dynamic_module_type_http_header_type_RequestHeader`.
const REQUEST_HEADER: u32 = 0;
// Hook results: `..._request_headers_status_Continue` and `_StopIteration`; body, trailers and
// response hooks share `Continue` = 0.
const CONTINUE: u32 = 0;
const STOP_ITERATION: u32 = 1;
// `..._request_body_status_StopIterationAndBuffer`.
const STOP_ITERATION_AND_BUFFER: u32 = 1;
const METRICS_SUCCESS: u32 = 0;
// `envoy_dynamic_module_type_http_callout_init_result_Success` and `_callout_result_Success`.
const CALLOUT_SUCCESS: u32 = 0;
// `envoy_dynamic_module_type_attribute_id_ConnectionSha256PeerCertificateDigest` (Envoy's
// `connection.sha256_peer_certificate_digest`), the 39th entry of 1.40's attribute enum. A wrong
// number reads another attribute or none, and a bound token then fails closed (401).
const ATTRIBUTE_SHA256_PEER_CERTIFICATE_DIGEST: u32 = 38;

extern "C" {
    fn envoy_dynamic_module_callback_log(level: u32, message: Buffer);
    fn envoy_dynamic_module_callback_log_enabled(level: u32) -> bool;
    fn envoy_dynamic_module_callback_http_filter_config_define_counter(
        config: *mut c_void,
        name: Buffer,
        label_names: *mut Buffer,
        label_names_length: usize,
        counter_id: *mut usize,
    ) -> u32;
    fn envoy_dynamic_module_callback_http_filter_increment_counter(
        filter: *mut c_void,
        id: usize,
        label_values: *mut Buffer,
        label_values_length: usize,
        value: u64,
    ) -> u32;
    fn envoy_dynamic_module_callback_http_filter_config_increment_counter(
        config: *mut c_void,
        id: usize,
        label_values: *mut Buffer,
        label_values_length: usize,
        value: u64,
    ) -> u32;
    fn envoy_dynamic_module_callback_http_get_headers_size(
        filter: *mut c_void,
        header_type: u32,
    ) -> usize;
    fn envoy_dynamic_module_callback_http_get_headers(
        filter: *mut c_void,
        header_type: u32,
        result: *mut Header,
    ) -> bool;
    fn envoy_dynamic_module_callback_http_set_header(
        filter: *mut c_void,
        header_type: u32,
        key: Buffer,
        value: Buffer,
    ) -> bool;
    fn envoy_dynamic_module_callback_http_send_response(
        filter: *mut c_void,
        status_code: u32,
        headers: *mut Header,
        headers_length: usize,
        body: Buffer,
        details: Buffer,
    );
    fn envoy_dynamic_module_callback_http_clear_route_cache(filter: *mut c_void);
    fn envoy_dynamic_module_callback_http_filter_get_attribute_string(
        filter: *mut c_void,
        attribute_id: u32,
        result: *mut Buffer,
    ) -> bool;
    fn envoy_dynamic_module_callback_http_filter_continue_decoding(filter: *mut c_void);
    fn envoy_dynamic_module_callback_http_filter_scheduler_new(filter: *mut c_void) -> *mut c_void;
    fn envoy_dynamic_module_callback_http_filter_scheduler_commit(
        scheduler: *mut c_void,
        event_id: u64,
    );
    fn envoy_dynamic_module_callback_http_filter_scheduler_delete(scheduler: *mut c_void);
    fn envoy_dynamic_module_callback_http_filter_config_scheduler_new(
        config: *mut c_void,
    ) -> *mut c_void;
    fn envoy_dynamic_module_callback_http_filter_config_scheduler_commit(
        scheduler: *mut c_void,
        event_id: u64,
    );
    fn envoy_dynamic_module_callback_http_filter_config_scheduler_delete(scheduler: *mut c_void);
    fn envoy_dynamic_module_callback_http_filter_config_http_callout(
        config: *mut c_void,
        callout_id: *mut u64,
        cluster_name: Buffer,
        headers: *mut Header,
        headers_length: usize,
        body: Buffer,
        timeout_milliseconds: u64,
    ) -> u32;
}

/// Envoy's log levels, as `envoy_dynamic_module_type_log_level` numbers them.
pub fn log_enabled(level: log::Level) -> bool {
    // SAFETY: takes a plain integer; callable from any thread once the module is loaded.
    unsafe { envoy_dynamic_module_callback_log_enabled(log_level(level)) }
}

pub fn log(level: log::Level, message: &str) {
    // SAFETY: the buffer points to `message`, alive for the call; Envoy copies it.
    unsafe { envoy_dynamic_module_callback_log(log_level(level), Buffer::of(message.as_bytes())) }
}

fn log_level(level: log::Level) -> u32 {
    match level {
        log::Level::Trace => 0,
        log::Level::Debug => 1,
        log::Level::Info => 2,
        log::Level::Warn => 3,
        log::Level::Error => 4,
    }
}

/// Envoy's filter configuration object. Valid from `config_new` until `config_destroy`, and
/// used on Envoy's main thread only (a raw pointer keeps it `!Send`): counters are defined in
/// `config_new`, callouts are sent from main-thread hooks.
#[derive(Clone, Copy)]
pub struct ConfigHandle(*mut c_void);

impl ConfigHandle {
    /// `id` comes from `define_counter` on this config.
    pub fn increment_counter(&self, id: usize, value: u64) -> bool {
        // SAFETY: live config, on the main thread; no labels (null, 0), as the counter was
        // defined without.
        let result = unsafe {
            envoy_dynamic_module_callback_http_filter_config_increment_counter(
                self.0,
                id,
                std::ptr::null_mut(),
                0,
                value,
            )
        };
        result == METRICS_SUCCESS
    }

    /// A way to run `on_config_scheduled` on the main thread, from any thread.
    pub fn scheduler(&self) -> Option<Scheduler> {
        // SAFETY: live config; the scheduler Envoy returns is ours to delete (in `Drop`).
        let ptr = unsafe { envoy_dynamic_module_callback_http_filter_config_scheduler_new(self.0) };
        (!ptr.is_null()).then_some(Scheduler {
            ptr,
            kind: SchedulerKind::Config,
        })
    }

    /// Sends a GET on the main thread; the reply comes to `config_http_callout_done` with the
    /// returned id.
    pub fn http_callout(
        &self,
        cluster: &str,
        headers: &[(&str, &str)],
        timeout_ms: u64,
    ) -> Result<u64, u32> {
        let mut headers: Vec<Header> = headers
            .iter()
            .map(|(k, v)| Header {
                key: Buffer::of(k.as_bytes()),
                value: Buffer::of(v.as_bytes()),
            })
            .collect();
        let mut id = 0u64;
        // SAFETY: live config, on the main thread; `headers`, its buffers and `cluster` are
        // alive for the call (Envoy copies them into the request); `id` is a live local.
        let result = unsafe {
            envoy_dynamic_module_callback_http_filter_config_http_callout(
                self.0,
                &mut id,
                Buffer::of(cluster.as_bytes()),
                headers.as_mut_ptr(),
                headers.len(),
                Buffer::NULL,
                timeout_ms,
            )
        };
        if result == CALLOUT_SUCCESS {
            Ok(id)
        } else {
            Err(result)
        }
    }

    pub fn define_counter(&self, name: &str) -> Option<usize> {
        let mut id = 0usize;
        // SAFETY: `self.0` is the config pointer of the `config_new` call this handle lives in;
        // no labels (null, 0); `id` is a live local Envoy writes one usize to.
        let result = unsafe {
            envoy_dynamic_module_callback_http_filter_config_define_counter(
                self.0,
                Buffer::of(name.as_bytes()),
                std::ptr::null_mut(),
                0,
                &mut id,
            )
        };
        (result == METRICS_SUCCESS).then_some(id)
    }
}

/// Envoy's per-stream filter object. Valid from `http_filter_new` until
/// `http_filter_destroy`, on the worker thread that runs the stream (a raw pointer keeps it
/// `!Send`); whoever keeps one must drop it by then (the glue keeps it only in its
/// `HttpFilter`, which `destroy` drops, and in held requests, which that drop removes).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FilterHandle(*mut c_void);

impl FilterHandle {
    /// The request headers, values as bytes (not always UTF-8), copied into `headers` (the
    /// buffers of an earlier request, or new ones): this runs on every request.
    pub fn request_headers(
        &self,
        only: Option<&NameFilter>,
        mut headers: HeadersBuilder,
    ) -> Option<Headers> {
        // SAFETY: `self.0` is a live filter (see the type's invariant).
        let count =
            unsafe { envoy_dynamic_module_callback_http_get_headers_size(self.0, REQUEST_HEADER) };
        let empty = Header {
            key: Buffer::NULL,
            value: Buffer::NULL,
        };
        // A usual request's entries fit on the stack.
        let mut stack = [empty; 32];
        let mut heap = Vec::new();
        let entries = match stack.get_mut(..count) {
            Some(entries) => entries,
            None => {
                heap.resize(count, empty);
                heap.as_mut_slice()
            }
        };
        // SAFETY: `entries` has room for the `count` entries Envoy just reported, and nothing
        // changes the header map between the two calls (same thread, same hook).
        let ok = unsafe {
            envoy_dynamic_module_callback_http_get_headers(
                self.0,
                REQUEST_HEADER,
                entries.as_mut_ptr(),
            )
        };
        if !ok {
            return None;
        }
        // With a filter the few headers kept grow the buffers instead: large cookies must not
        // size them.
        if only.is_none() {
            let bytes = entries.iter().fold(0usize, |n, h| {
                n.saturating_add(h.key.length)
                    .saturating_add(h.value.length)
            });
            headers.reserve(count, bytes);
        }
        for h in entries.iter() {
            // SAFETY: Envoy filled each entry with buffers into its header map, valid until
            // the map changes; they are copied into `headers` before anything changes it, and
            // the borrowed slices do not outlive this loop body.
            let (key, value) = unsafe { (h.key.as_slice(), h.value.as_slice()) };
            if only.is_none_or(|names| names.wants(key)) {
                headers.push(key, value);
            }
        }
        Some(headers.finish())
    }

    /// Sets a request header, replacing its values; `None` removes it.
    pub fn set_request_header(&self, name: &str, value: Option<&[u8]>) -> bool {
        let value = value.map_or(Buffer::NULL, Buffer::of);
        // SAFETY: live filter; both buffers point to memory alive for the call (or null with
        // length 0, which the ABI defines as removal); Envoy copies them.
        unsafe {
            envoy_dynamic_module_callback_http_set_header(
                self.0,
                REQUEST_HEADER,
                Buffer::of(name.as_bytes()),
                value,
            )
        }
    }

    pub fn send_response(&self, status: u32, headers: &[(&str, &str)], body: &[u8]) {
        let mut headers: Vec<Header> = headers
            .iter()
            .map(|(k, v)| Header {
                key: Buffer::of(k.as_bytes()),
                value: Buffer::of(v.as_bytes()),
            })
            .collect();
        // SAFETY: live filter; `headers` and every buffer in it borrow memory alive for the
        // call; Envoy copies the response before returning.
        unsafe {
            envoy_dynamic_module_callback_http_send_response(
                self.0,
                status,
                headers.as_mut_ptr(),
                headers.len(),
                Buffer::of(body),
                Buffer::NULL,
            )
        }
    }

    /// Envoy's SHA-256 digest of the certificate the client presented on this stream's
    /// connection, lower-case hex, as proxy-wasm's `connection.sha256_peer_certificate_digest`
    /// gives it; `None` without TLS or a client certificate.
    pub fn peer_certificate_sha256(&self) -> Option<String> {
        let mut digest = Buffer::NULL;
        // SAFETY: live filter; `digest` is a live local Envoy writes one buffer to (the
        // attribute id is a C enum, passed as an int). The buffer points into the connection's
        // TLS info, which outlives the stream's hook; it is copied at once.
        let found = unsafe {
            envoy_dynamic_module_callback_http_filter_get_attribute_string(
                self.0,
                ATTRIBUTE_SHA256_PEER_CERTIFICATE_DIGEST,
                &mut digest,
            )
        };
        if !found {
            return None;
        }
        // SAFETY: as above; `to_vec` reads nothing from a null buffer.
        let bytes = unsafe { digest.to_vec() };
        String::from_utf8(bytes).ok().filter(|s| !s.is_empty())
    }

    pub fn clear_route_cache(&self) {
        // SAFETY: live filter.
        unsafe { envoy_dynamic_module_callback_http_clear_route_cache(self.0) }
    }

    /// Resumes a request this filter paused.
    pub fn continue_decoding(&self) {
        // SAFETY: live filter.
        unsafe { envoy_dynamic_module_callback_http_filter_continue_decoding(self.0) }
    }

    /// A way to run `on_scheduled` for this filter on its own thread, from any thread.
    pub fn scheduler(&self) -> Option<Scheduler> {
        // SAFETY: live filter; the scheduler Envoy returns is ours to delete (in `Drop`).
        let ptr = unsafe { envoy_dynamic_module_callback_http_filter_scheduler_new(self.0) };
        (!ptr.is_null()).then_some(Scheduler {
            ptr,
            kind: SchedulerKind::Filter,
        })
    }

    /// `id` comes from `ConfigHandle::define_counter` on the config that made this filter.
    pub fn increment_counter(&self, id: usize, value: u64) -> bool {
        // SAFETY: live filter; no labels (null, 0), as the counter was defined without.
        let result = unsafe {
            envoy_dynamic_module_callback_http_filter_increment_counter(
                self.0,
                id,
                std::ptr::null_mut(),
                0,
                value,
            )
        };
        result == METRICS_SUCCESS
    }
}

#[derive(Clone, Copy)]
enum SchedulerKind {
    Filter,
    Config,
}

/// An Envoy scheduler: posts an event to its filter's worker thread or to the main thread.
/// Envoy owns what it points to until we delete it; an event for a filter or config that is
/// gone is dropped by Envoy.
pub struct Scheduler {
    ptr: *mut c_void,
    kind: SchedulerKind,
}

// SAFETY: Envoy's schedulers exist to be committed "from any thread" (abi.h); each is deleted
// once, in `Drop`, and Envoy guards the posting with its dispatcher's own lock.
unsafe impl Send for Scheduler {}
// SAFETY: as above; `commit` takes `&self` and only posts.
unsafe impl Sync for Scheduler {}

impl Scheduler {
    pub fn commit(&self, event_id: u64) {
        // SAFETY: `ptr` came from the matching `scheduler_new` and is deleted only in `Drop`.
        unsafe {
            match self.kind {
                SchedulerKind::Filter => {
                    envoy_dynamic_module_callback_http_filter_scheduler_commit(self.ptr, event_id)
                }
                SchedulerKind::Config => {
                    envoy_dynamic_module_callback_http_filter_config_scheduler_commit(
                        self.ptr, event_id,
                    )
                }
            }
        }
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        // SAFETY: deleted exactly once, here, with the call matching its kind.
        unsafe {
            match self.kind {
                SchedulerKind::Filter => {
                    envoy_dynamic_module_callback_http_filter_scheduler_delete(self.ptr)
                }
                SchedulerKind::Config => {
                    envoy_dynamic_module_callback_http_filter_config_scheduler_delete(self.ptr)
                }
            }
        }
    }
}

/// Runs a hook body; a panic becomes `fallback`.
fn guard<R>(fallback: R, body: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

// ---------------------------------------------------------------- hooks Envoy calls

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_on_program_init() -> *const c_char {
    guard(std::ptr::null(), || {
        crate::logger::install();
        ABI_VERSION.as_ptr()
    })
}

/// # Safety
/// Envoy passes its config object and two buffers valid for the call.
#[no_mangle]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_config_new(
    config_envoy: *mut c_void,
    name: Buffer,
    config: Buffer,
) -> *const c_void {
    guard(std::ptr::null(), || {
        // SAFETY: Envoy's buffers are valid for this call; they are copied at once.
        let (name, config) = unsafe { (name.to_vec(), config.to_vec()) };
        match filter::config_new(&ConfigHandle(config_envoy), &name, &config) {
            Some(config) => Box::into_raw(Box::new(config)) as *const c_void,
            None => std::ptr::null(),
        }
    })
}

/// # Safety
/// `config` is a pointer `config_new` returned, destroyed once.
#[no_mangle]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_config_destroy(config: *const c_void) {
    guard((), || {
        // SAFETY: made by `Box::into_raw` in `config_new`; Envoy destroys it once, after
        // every filter it created is gone.
        drop(unsafe { Box::from_raw(config as *mut Config) });
    })
}

/// The config behind a module pointer.
///
/// # Safety
/// `config` came from `config_new` and is not yet destroyed.
unsafe fn config_ref<'a>(config: *const c_void) -> &'a Config {
    // SAFETY: as documented above; `Config` is only read through `&`.
    unsafe { &*(config as *const Config) }
}

/// # Safety
/// On the main thread, with a live config of this module.
#[no_mangle]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_config_scheduled(
    config_envoy: *mut c_void,
    config: *const c_void,
    _event_id: u64,
) {
    guard((), || {
        // SAFETY: see `config_ref`.
        unsafe { config_ref(config) }.on_main_thread_tick(ConfigHandle(config_envoy))
    })
}

/// # Safety
/// On the main thread, with a live config of this module; `headers` and `body` hold the
/// given numbers of entries, valid for the call (or are null).
#[no_mangle]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_config_http_callout_done(
    config_envoy: *mut c_void,
    config: *const c_void,
    callout_id: u64,
    result: u32,
    headers: *mut Header,
    headers_length: usize,
    body: *mut Buffer,
    body_length: usize,
) {
    guard((), || {
        let status = if result != CALLOUT_SUCCESS || headers.is_null() {
            None
        } else {
            // SAFETY: Envoy passes `headers_length` entries at a non-null `headers`, and
            // buffers inside them, all valid until this hook returns; they are copied here.
            let headers = unsafe { std::slice::from_raw_parts(headers, headers_length) };
            headers.iter().find_map(|h| {
                // SAFETY: as above.
                let (key, value) = unsafe { (h.key.to_vec(), h.value.to_vec()) };
                (key == b":status").then_some(value)
            })
        };
        let mut bytes = Vec::new();
        if result == CALLOUT_SUCCESS && !body.is_null() {
            // SAFETY: `body_length` chunks at a non-null `body`, valid until we return.
            let chunks = unsafe { std::slice::from_raw_parts(body, body_length) };
            for chunk in chunks {
                // SAFETY: each chunk points to its `length` bytes, valid until we return.
                bytes.extend_from_slice(&unsafe { chunk.to_vec() });
            }
        }
        // SAFETY: see `config_ref`.
        unsafe { config_ref(config) }.on_callout_done(
            ConfigHandle(config_envoy),
            callout_id,
            status,
            bytes,
        )
    })
}

/// Per-route configuration is not offered: Envoy is told it failed.
#[no_mangle]
pub extern "C" fn envoy_dynamic_module_on_http_filter_per_route_config_new(
    _name: Buffer,
    _config: Buffer,
) -> *const c_void {
    guard((), || {
        log::error!("jwt_authn_wasm: per-route configuration is not supported");
    });
    std::ptr::null()
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_on_http_filter_per_route_config_destroy(
    _config: *const c_void,
) {
}

/// # Safety
/// `config` is a live pointer from `config_new`; `filter_envoy` Envoy's new filter.
#[no_mangle]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_new(
    config: *const c_void,
    filter_envoy: *mut c_void,
) -> *const c_void {
    guard(std::ptr::null(), || {
        // SAFETY: `config` outlives every filter made from it (Envoy's ownership rules), and
        // `Config` is `Sync`: worker threads share it read-only.
        let config = unsafe { &*(config as *const Config) };
        let filter = config.new_filter(FilterHandle(filter_envoy));
        Box::into_raw(Box::new(filter)) as *const c_void
    })
}

/// The filter behind a module pointer.
///
/// # Safety
/// `filter` came from `http_filter_new` and is not yet destroyed; Envoy calls one hook of a
/// stream at a time, on its thread, so the `&mut` is unique.
unsafe fn filter_mut<'a>(filter: *const c_void) -> &'a mut HttpFilter {
    // SAFETY: as documented above.
    unsafe { &mut *(filter as *mut HttpFilter) }
}

/// # Safety
/// A live filter of this module.
#[no_mangle]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_request_headers(
    filter_envoy: *mut c_void,
    filter: *const c_void,
    _end_of_stream: bool,
) -> u32 {
    let handle = FilterHandle(filter_envoy);
    let verdict = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: see `filter_mut`.
        unsafe { filter_mut(filter) }.on_request_headers()
    }));
    match verdict {
        Ok(true) => CONTINUE,
        Ok(false) => STOP_ITERATION,
        Err(_) => {
            // Fail closed: the request is answered, never passed on unchecked.
            guard((), || filter::panicked(handle));
            STOP_ITERATION
        }
    }
}

/// # Safety
/// A live filter of this module.
#[no_mangle]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_scheduled(
    _filter_envoy: *mut c_void,
    filter: *const c_void,
    event_id: u64,
) {
    guard((), || {
        // SAFETY: see `filter_mut`.
        unsafe { filter_mut(filter) }.on_scheduled(event_id)
    })
}

/// # Safety
/// `filter` came from `http_filter_new`; Envoy destroys it once.
#[no_mangle]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_destroy(filter: *const c_void) {
    guard((), || {
        // SAFETY: made by `Box::into_raw` in `http_filter_new`, destroyed once.
        drop(unsafe { Box::from_raw(filter as *mut HttpFilter) });
    })
}

// The hooks below must exist for Envoy to load the module; the filter only acts on requests,
// so they let responses and callout streams through.

/// A body that arrives while the request is held for keys is buffered, not let through:
/// `Continue` here would send the request upstream undecided.
///
/// # Safety
/// A live filter of this module.
#[no_mangle]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_request_body(
    _filter_envoy: *mut c_void,
    filter: *const c_void,
    _end_of_stream: bool,
) -> u32 {
    // SAFETY: see `filter_mut`.
    let held = guard(true, || unsafe { filter_mut(filter) }.holds_request());
    if held {
        STOP_ITERATION_AND_BUFFER
    } else {
        CONTINUE
    }
}

/// As the body: trailers of a held request wait with it.
///
/// # Safety
/// A live filter of this module.
#[no_mangle]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_request_trailers(
    _filter_envoy: *mut c_void,
    filter: *const c_void,
) -> u32 {
    // SAFETY: see `filter_mut`.
    let held = guard(true, || unsafe { filter_mut(filter) }.holds_request());
    if held {
        STOP_ITERATION
    } else {
        CONTINUE
    }
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_on_http_filter_response_headers(
    _: *mut c_void,
    _: *const c_void,
    _: bool,
) -> u32 {
    CONTINUE
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_on_http_filter_response_body(
    _: *mut c_void,
    _: *const c_void,
    _: bool,
) -> u32 {
    CONTINUE
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_on_http_filter_response_trailers(
    _: *mut c_void,
    _: *const c_void,
) -> u32 {
    CONTINUE
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_on_http_filter_stream_complete(
    _: *mut c_void,
    _: *const c_void,
) {
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_on_http_filter_http_callout_done(
    _: *mut c_void,
    _: *const c_void,
    _: u64,
    _: u32,
    _: *mut Header,
    _: usize,
    _: *mut Buffer,
    _: usize,
) {
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_on_http_filter_http_stream_headers(
    _: *mut c_void,
    _: *const c_void,
    _: u64,
    _: *mut Header,
    _: usize,
    _: bool,
) {
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_on_http_filter_http_stream_data(
    _: *mut c_void,
    _: *const c_void,
    _: u64,
    _: *const Buffer,
    _: usize,
    _: bool,
) {
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_on_http_filter_http_stream_trailers(
    _: *mut c_void,
    _: *const c_void,
    _: u64,
    _: *mut Header,
    _: usize,
) {
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_on_http_filter_http_stream_complete(
    _: *mut c_void,
    _: *const c_void,
    _: u64,
) {
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_on_http_filter_http_stream_reset(
    _: *mut c_void,
    _: *const c_void,
    _: u64,
    _: u32,
) {
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_on_http_filter_downstream_above_write_buffer_high_watermark(
    _: *mut c_void,
    _: *const c_void,
) {
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_on_http_filter_downstream_below_write_buffer_low_watermark(
    _: *mut c_void,
    _: *const c_void,
) {
}
