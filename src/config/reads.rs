//! Which request headers a decision can read under a configuration. A host that can look
//! headers up one by one (Envoy's dynamic-module ABI: the usual ones are indexed in Envoy's
//! header map) then copies those few instead of every header of every request.
//!
//! Every reader of a header in the engine is listed here; `engine::tests` decides its whole
//! corpus twice, from every header and from only these, and requires the same answers.

use super::{FilterConfig, SenderConstraint};
use crate::headers::PSEUDO;

/// The names, lower case and each once, or `None` when a decision needs every header: the
/// other spellings of a header the filter writes (`x_sub` for `x-sub`) are found only by
/// looking at every name the request carries.
pub fn headers_read(config: &FilterConfig) -> Option<Vec<String>> {
    if !config.written_headers.is_empty() {
        return None;
    }
    // The pseudo-headers `Request` reads: every request's.
    let mut names: Vec<String> = PSEUDO.iter().map(|n| n.to_string()).collect();
    // A token sent with the DPoP scheme is refused when it is not DPoP-bound
    // (`resource::check_sender`), whatever the provider's own locations.
    names.push("authorization".into());
    for p in &config.providers {
        names.extend(p.from_headers.iter().map(|h| h.name.to_string()));
        if !p.from_cookies.is_empty() {
            names.push("cookie".into());
        }
        if p.sender_constraint != SenderConstraint::None {
            names.push("dpop".into());
        }
    }
    for rule in &config.rules {
        names.extend(rule.headers.iter().map(|h| h.name.clone()));
    }
    if config.bypass_cors_preflight {
        names.extend(["origin".into(), "access-control-request-method".into()]);
    }
    if cfg!(feature = "simulate-host-failures") {
        names.push("x-simulate-host-failure".into());
    }
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
    Some(names)
}
