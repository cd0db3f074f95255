//! Carrying out a decision on the current (effective) HTTP stream. The same code serves
//! a request decided at once and one resumed after waiting for keys.

use super::metrics::Metrics;
use crate::engine::{Decision, Outcome};
use crate::extractor::Request;
use proxy_wasm::hostcalls;
use proxy_wasm::types::MapType;

/// Returns true when the request may continue upstream.
pub fn apply(decision: &Decision, req: &Request, metrics: &Metrics) -> bool {
    for stat in &decision.stats {
        metrics.record(stat);
    }
    if let Some(reason) = decision.reason {
        let provider = decision.stats.iter().find_map(|s| match s {
            crate::engine::Stat::ProviderDenied(id, _) => Some(*id),
            _ => None,
        });
        log::debug!(
            "jwt_authn_wasm: {} {} denied: {} (provider #{})",
            req.method,
            req.path.split('?').next().unwrap_or(""),
            reason,
            provider.unwrap_or(0)
        );
    }
    match &decision.outcome {
        Outcome::Deny {
            status,
            body,
            www_authenticate,
        } => {
            let headers = vec![
                ("www-authenticate", www_authenticate.as_str()),
                ("content-type", "text/plain"),
            ];
            if let Err(e) = hostcalls::send_http_response(*status, headers, Some(body.as_bytes())) {
                log::warn!("jwt_authn_wasm: could not send the {status} response: {e:?}");
            }
            false
        }
        Outcome::Continue | Outcome::Wait => {
            for name in &decision.remove_headers {
                let _ = hostcalls::remove_map_value(MapType::HttpRequestHeaders, name);
            }
            for (name, value) in &decision.set_headers {
                let _ = hostcalls::set_map_value(MapType::HttpRequestHeaders, name, Some(value));
            }
            if let Some(path) = &decision.new_path {
                let _ = hostcalls::set_map_value(MapType::HttpRequestHeaders, ":path", Some(path));
            }
            true
        }
    }
}
