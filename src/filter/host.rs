//! The few host calls the filter needs, wrapped so that no host error can panic.

use crate::jwks_cache::{SharedStore, StoreError};
use proxy_wasm::hostcalls;
use proxy_wasm::types::{BufferType, LogLevel, MapType, Status};
use std::time::UNIX_EPOCH;

pub struct HostStore;

impl SharedStore for HostStore {
    fn get(&self, key: &str) -> (Option<Vec<u8>>, Option<u32>) {
        hostcalls::get_shared_data(key).unwrap_or((None, None))
    }

    fn set(&self, key: &str, value: &[u8], cas: Option<u32>) -> Result<(), StoreError> {
        hostcalls::set_shared_data(key, Some(value), cas).map_err(|status| match status {
            Status::CasMismatch => StoreError::CasMismatch,
            _ => StoreError::Other,
        })
    }
}

/// Wall-clock milliseconds; `None` when the host cannot say (a request then cannot be judged).
pub fn clock_ms() -> Option<u64> {
    hostcalls::get_current_time()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// For schedules (fetches, back-off, ticks), where a missing clock only delays work.
pub fn now_ms() -> u64 {
    clock_ms().unwrap_or(0)
}

pub fn plugin_configuration() -> Vec<u8> {
    hostcalls::get_buffer(BufferType::PluginConfiguration, 0, usize::MAX)
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Header values may hold bytes that are not UTF-8, so they are read as bytes.
pub fn header_pairs(map: MapType) -> Result<Vec<(String, Vec<u8>)>, Status> {
    hostcalls::get_map_bytes(map)
}

pub fn call_response_body(size: usize) -> Vec<u8> {
    hostcalls::get_buffer(BufferType::HttpCallResponseBody, 0, size)
        .ok()
        .flatten()
        .unwrap_or_default()
}

#[link(wasm_import_module = "env")]
extern "C" {
    fn proxy_get_log_level(level: *mut u32) -> u32;
}

/// Envoy's log level for wasm, so that a message it would drop (a debug line per denied
/// request) is never formatted. `None` when the host cannot say.
pub fn log_level() -> Option<LogLevel> {
    let mut level = u32::MAX;
    // SAFETY: the host writes one u32 through a pointer to a live local.
    let status = unsafe { proxy_get_log_level(&mut level) };
    if status != 0 {
        return None;
    }
    Some(match level {
        0 => LogLevel::Trace,
        1 => LogLevel::Debug,
        2 => LogLevel::Info,
        3 => LogLevel::Warn,
        4 => LogLevel::Error,
        _ => LogLevel::Critical,
    })
}
