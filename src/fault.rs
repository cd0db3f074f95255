//! Test-only host failures (feature `simulate-host-failures`): a request carrying
//! `x-simulate-host-failure: <point>[,<point>...]` makes those host calls fail for it, so that
//! the integration tests can show that every such path fails closed, in either build. Without
//! the feature, `injected` is `false` and the header means nothing.

use crate::extractor::Request;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Point {
    ReadHeaders,
    Clock,
    Worker,
    RemoveHeader,
    SetHeader,
    ClearRouteCache,
    SendResponse,
    Trap,
}

#[cfg(feature = "simulate-host-failures")]
pub fn injected(req: &Request, point: Point) -> bool {
    let name = match point {
        Point::ReadHeaders => "read_headers",
        Point::Clock => "clock",
        Point::Worker => "worker",
        Point::RemoveHeader => "remove_header",
        Point::SetHeader => "set_header",
        Point::ClearRouteCache => "clear_route_cache",
        Point::SendResponse => "send_response",
        Point::Trap => "trap",
    };
    req.joined_header("x-simulate-host-failure")
        .is_some_and(|v| v.split(',').any(|p| p.trim() == name))
}

#[cfg(not(feature = "simulate-host-failures"))]
#[inline(always)]
pub fn injected(_req: &Request, _point: Point) -> bool {
    false
}
