//! Carrying out a decision on the current (effective) HTTP stream. The same code serves
//! a request decided at once and one resumed after waiting for keys.

use super::fault::{injected, Point};
use super::host;
use super::metrics::Metrics;
use crate::engine::{Decision, Outcome, Stat};
use crate::extractor::Request;
use proxy_wasm::types::Status;

pub const INTERNAL_ERROR: &str = "Jwt authentication could not be completed";

/// Removes what must not go upstream (written headers clients could forge, tokens with
/// `forward: false`), then writes claims and the new path.
fn rewrite(decision: &Decision, req: &Request) -> Result<(), Status> {
    for name in &decision.remove_headers {
        fail_if(req, Point::RemoveHeader)?;
        host::remove_header(name)?;
    }
    for (name, value) in &decision.set_headers {
        fail_if(req, Point::SetHeader)?;
        host::set_header(name, value)?;
    }
    if let Some(path) = &decision.new_path {
        fail_if(req, Point::SetHeader)?;
        host::set_header(":path", path)?;
    }
    Ok(())
}

fn fail_if(req: &Request, point: Point) -> Result<(), Status> {
    if injected(req, point) {
        Err(Status::InternalFailure)
    } else {
        Ok(())
    }
}

fn send(req: &Request, status: u32, headers: Vec<(&str, &str)>, body: &str) -> Result<(), Status> {
    fail_if(req, Point::SendResponse)?;
    host::send_response(status, &headers, body.as_bytes())
}

/// Has Envoy choose the route again after the headers it may have been chosen on changed.
/// A host without `clear_route_cache` keeps the old route, which is only acceptable when no
/// forged header could have chosen it.
fn reroute(decision: &Decision, req: &Request) -> Result<(), Status> {
    let change = decision.route;
    if decision.outcome != Outcome::Continue || !(change.rewritten || change.forged_removed) {
        return Ok(());
    }
    let cleared = fail_if(req, Point::ClearRouteCache)
        .and_then(|()| host::call_foreign_function("clear_route_cache", &[]));
    match cleared {
        Ok(_) => Ok(()),
        Err(Status::NotFound) if !change.forged_removed => Ok(()),
        Err(e) => Err(e),
    }
}

/// Denies a request the filter could not decide or could not carry out its decision on.
/// If even the 500 cannot be sent, the request stays paused: it never goes upstream.
pub fn internal_error(req: &Request, metrics: &Metrics) {
    metrics.internal_error();
    let headers = vec![("content-type", "text/plain")];
    if let Err(e) = send(req, 500, headers, INTERNAL_ERROR) {
        log::warn!(
            "jwt_authn_wasm: could not send the 500 response ({e:?}); the request stays paused"
        );
    }
}

/// Returns true when the request may continue upstream.
pub fn apply(decision: &Decision, req: &Request, metrics: &Metrics) -> bool {
    if let Some(reason) = decision.reason {
        let provider = decision.stats.iter().find_map(|s| match s {
            Stat::ProviderDenied(id, _) => Some(*id),
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
    let record = |skip_allowed: bool| {
        for stat in &decision.stats {
            if !(skip_allowed && *stat == Stat::Allowed) {
                metrics.record(stat);
            }
        }
    };
    match &decision.outcome {
        Outcome::Deny {
            status,
            body,
            www_authenticate,
        } => {
            let mut headers = vec![("content-type", "text/plain")];
            // A refusal that no token would change (an ambiguous path) has no challenge.
            if !www_authenticate.is_empty() {
                headers.push(("www-authenticate", www_authenticate.as_str()));
            }
            record(false);
            if let Err(e) = send(req, *status, headers, body) {
                log::warn!("jwt_authn_wasm: could not send the {status} response ({e:?}); the request stays paused");
            }
            false
        }
        Outcome::Respond {
            status,
            content_type,
            body,
        } => {
            record(false);
            let headers = vec![
                ("content-type", *content_type),
                ("cache-control", "max-age=300"),
            ];
            if let Err(e) = send(req, *status, headers, body) {
                log::warn!("jwt_authn_wasm: could not send the {status} response ({e:?}); the request stays paused");
            }
            false
        }
        Outcome::Continue | Outcome::Wait => match rewrite(decision, req)
            .and_then(|()| reroute(decision, req))
        {
            Ok(()) => {
                record(false);
                true
            }
            Err(e) => {
                record(true);
                // A token or a forged claim header could go upstream: fail closed.
                log::warn!("jwt_authn_wasm: could not rewrite the request ({e:?}); answering 500");
                internal_error(req, metrics);
                false
            }
        },
    }
}
