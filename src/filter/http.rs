//! The per-request context: read the request, decide, and either act now or wait.

use super::apply::{apply, internal_error};
use super::fault::{injected, Point};
use super::host;
use super::metrics::Metrics;
use super::worker::{Waiter, Worker};
use crate::engine::Outcome;
use crate::extractor::Request;
use crate::headers::NameFilter;
use crate::recycle;
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action, MapType};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

pub struct HttpFilter {
    pub context_id: u32,
    pub worker: Rc<RefCell<Worker>>,
    pub metrics: Rc<Metrics>,
    pub read_headers: Option<Rc<NameFilter>>,
}

impl Context for HttpFilter {}

fn read_request(only: Option<&NameFilter>) -> Result<Request, proxy_wasm::types::Status> {
    let (headers, pseudo) = recycle::take();
    let headers = host::header_pairs_into(MapType::HttpRequestHeaders, only, headers)?;
    Ok(Request::with_buffer(headers, pseudo))
}

/// Envoy's digest of the client certificate; `None` without one (a bound token then fails).
fn peer_certificate_sha256() -> Option<String> {
    let bytes = host::property(&["connection", "sha256_peer_certificate_digest"])?;
    String::from_utf8(bytes).ok().filter(|s| !s.is_empty())
}

impl HttpContext for HttpFilter {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        // Without the headers or the time there is nothing to judge the request by.
        let mut req = match read_request(self.read_headers.as_deref()) {
            Ok(req) if !injected(&req, Point::ReadHeaders) => req,
            failed => {
                log::warn!("jwt_authn_wasm: could not read the request headers; answering 500");
                internal_error(&failed.unwrap_or_default(), &self.metrics);
                return Action::Pause;
            }
        };
        let Some(now_ms) = host::clock_ms().filter(|_| !injected(&req, Point::Clock)) else {
            log::warn!("jwt_authn_wasm: could not read the clock; answering 500");
            internal_error(&req, &self.metrics);
            return Action::Pause;
        };
        let busy = injected(&req, Point::Worker);
        let Some(mut worker) = self.worker.try_borrow_mut().ok().filter(|_| !busy) else {
            // Cannot happen while each VM runs one callback at a time; if it ever does, the
            // request is refused, never passed unchecked.
            log::warn!("jwt_authn_wasm: the worker is busy; answering 500");
            internal_error(&req, &self.metrics);
            return Action::Pause;
        };
        if worker.config.binds_tokens {
            req.client_cert_sha256 = peer_certificate_sha256();
        }
        trap_if_asked(&req);
        let mut decided = worker.decide(&req, now_ms, now_ms, &[]);
        let mut kick = decided.kick;
        if decided.decision.outcome == Outcome::Wait
            && worker.waiters.len() >= worker.config.max_held_requests
        {
            // Each held request keeps its headers: the cap bounds that memory during an
            // outage. This one is decided as though its hold had already ended.
            worker.metrics.held_requests_overflow();
            decided = worker.decide(&req, now_ms, 0, &[]);
            kick |= decided.kick;
            if decided.decision.outcome == Outcome::Wait {
                internal_error(&req, &self.metrics);
                return Action::Pause;
            }
        }
        if kick {
            // Wakes the root context almost at once to start the fetch.
            host::set_tick_period(Duration::from_millis(1));
        }
        if decided.decision.outcome == Outcome::Wait {
            worker.waiters.push(Waiter {
                context_id: self.context_id,
                request: req,
                arrived_ms: now_ms,
                held: decided.held,
            });
            return Action::Pause;
        }
        let proceed = apply(&decided.decision, &req, &worker.metrics);
        recycle::give_back(req);
        if proceed {
            Action::Continue
        } else {
            Action::Pause
        }
    }
}

/// Test-only (feature `simulate-host-failures`): `x-simulate-host-failure: trap` panics, as a
/// bug or an SDK call the host fails would, so that tests see Envoy's `failure_policy` at work.
fn trap_if_asked(req: &Request) {
    if injected(req, Point::Trap) {
        panic!("jwt_authn_wasm: simulated trap");
    }
}

impl Drop for HttpFilter {
    /// A client that gives up while waiting leaves no waiter behind.
    fn drop(&mut self) {
        if let Ok(mut worker) = self.worker.try_borrow_mut() {
            let id = self.context_id;
            worker.waiters.retain(|w| w.context_id != id);
        }
    }
}
