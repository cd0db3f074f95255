//! The root context's JWKS fetches through proxy-wasm HTTP calls; the fetch logic is the
//! engine's (`crate::fetch`).

use super::host;
use super::metrics::Metrics;
use super::worker::Worker;
use crate::fetch::{self, FetchHost, FetchStats};
use crate::jwks_cache::response::{self, FetchError};
use proxy_wasm::hostcalls;
use proxy_wasm::types::MapType;
use std::time::Duration;

struct HttpCalls;

impl FetchHost for HttpCalls {
    fn dispatch(
        &mut self,
        cluster: &str,
        headers: &[(&str, &str)],
        timeout_ms: u64,
    ) -> Result<u32, String> {
        hostcalls::dispatch_http_call(
            cluster,
            headers.to_vec(),
            None,
            vec![],
            Duration::from_millis(timeout_ms),
        )
        .map_err(|status| format!("{status:?}"))
    }
}

impl FetchStats for Metrics {
    fn fetch(&self, provider: usize, success: bool) {
        Metrics::fetch(self, provider, success);
    }

    fn keys_ignored(&self, provider: usize, count: usize) {
        Metrics::keys_ignored(self, provider, count);
    }
}

/// One pass of the fetch loop; providers this worker holds requests for are retried soon.
pub fn poll(worker: &mut Worker, now_ms: u64) {
    let held = worker.held_providers();
    fetch::poll(worker, &mut HttpCalls, &held, now_ms);
}

pub fn on_response(worker: &mut Worker, token: u32, body_size: usize, now_ms: u64) {
    // Unreadable headers are a failed fetch, which keeps the last good keys; a reset arrives
    // as a response without headers, so without a status.
    let status = match host::header_pairs(MapType::HttpCallResponseHeaders) {
        Ok(headers) => Ok(headers
            .iter()
            .find(|(name, _)| *name == ":status")
            .and_then(|(_, v)| response::parse_status(v))),
        Err(e) => Err(FetchError::Internal(format!(
            "the host did not hand over its headers ({e:?})"
        ))),
    };
    let body = || host::call_response_body(body_size);
    fetch::on_response(
        worker,
        &mut HttpCalls,
        token,
        status,
        body_size,
        body,
        now_ms,
    );
}
