//! Carrying out a decision on the current (effective) HTTP stream through proxy-wasm host
//! calls. The same code serves a request decided at once and one resumed after waiting for
//! keys; the order and the fail-closed rules are the engine's (`crate::stream`).

use super::fault::{injected, Point};
use super::metrics::Metrics;
use crate::engine::Decision;
use crate::extractor::Request;
use crate::stream::{self, Stream};
use proxy_wasm::types::Status;

use super::host;

/// The effective context's request; `req` only decides which test-only failures apply.
struct HostStream<'a> {
    req: &'a Request,
}

impl HostStream<'_> {
    fn fail_if(&self, point: Point) -> Result<(), Status> {
        if injected(self.req, point) {
            Err(Status::InternalFailure)
        } else {
            Ok(())
        }
    }
}

impl Stream for HostStream<'_> {
    type Error = Status;

    fn remove_header(&mut self, name: &str) -> Result<(), Status> {
        self.fail_if(Point::RemoveHeader)?;
        host::remove_header(name)
    }

    fn set_header(&mut self, name: &str, value: &str) -> Result<(), Status> {
        self.fail_if(Point::SetHeader)?;
        host::set_header(name, value)
    }

    /// A host without `clear_route_cache` answers `NotFound`.
    fn clear_route_cache(&mut self) -> Result<bool, Status> {
        self.fail_if(Point::ClearRouteCache)?;
        match host::call_foreign_function("clear_route_cache", &[]) {
            Ok(_) => Ok(true),
            Err(Status::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn send(&mut self, status: u32, headers: &[(&str, &str)], body: &str) -> Result<(), Status> {
        self.fail_if(Point::SendResponse)?;
        host::send_response(status, headers, body.as_bytes())
    }
}

/// Denies a request the filter could not decide or could not carry out its decision on.
pub fn internal_error(req: &Request, metrics: &Metrics) {
    stream::internal_error(&mut HostStream { req }, metrics);
}

/// Returns true when the request may continue upstream.
pub fn apply(decision: &Decision, req: &Request, metrics: &Metrics) -> bool {
    stream::carry_out(decision, req, &mut HostStream { req }, metrics)
}
