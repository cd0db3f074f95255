//! Carrying out a decision on an HTTP stream, written once for every host: what is removed
//! before anything is written, when the route is chosen again, which counters move, and
//! that anything the host fails to do ends in a 500, never in a request passed upstream.

use crate::engine::{Decision, Outcome, Stat};
use crate::extractor::Request;
use std::fmt::Debug;

pub const INTERNAL_ERROR: &str = "Jwt authentication could not be completed";

/// The few things the filter does to a request, as the host offers them.
pub trait Stream {
    type Error: Debug;
    fn remove_header(&mut self, name: &str) -> Result<(), Self::Error>;
    fn set_header(&mut self, name: &str, value: &str) -> Result<(), Self::Error>;
    /// Has the host choose the route again. `Ok(false)`: the host cannot.
    fn clear_route_cache(&mut self) -> Result<bool, Self::Error>;
    fn send(
        &mut self,
        status: u32,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Result<(), Self::Error>;
}

/// Where the counters of a decision go.
pub trait StatSink {
    fn record(&self, stat: &Stat);
    /// A request denied because the filter could not decide or carry out its decision.
    fn internal_error(&self);
}

#[derive(Debug)]
enum Failed<E> {
    Host(E),
    /// A forged header may have chosen the route and the host cannot choose it again.
    StaleRoute,
}

/// Removes what must not go upstream (written headers clients could forge, tokens with
/// `forward: false`), then writes claims and the new path.
fn rewrite<S: Stream>(decision: &Decision, stream: &mut S) -> Result<(), S::Error> {
    for name in &decision.remove_headers {
        stream.remove_header(name)?;
    }
    for (name, value) in &decision.set_headers {
        stream.set_header(name, value)?;
    }
    if let Some(path) = &decision.new_path {
        stream.set_header(":path", path)?;
    }
    Ok(())
}

/// Has the host choose the route again after the headers it may have been chosen on changed.
/// A host that cannot keeps the old route, which is only acceptable when no forged header
/// could have chosen it.
fn reroute<S: Stream>(decision: &Decision, stream: &mut S) -> Result<(), Failed<S::Error>> {
    let change = decision.route;
    if decision.outcome != Outcome::Continue || !(change.rewritten || change.forged_removed) {
        return Ok(());
    }
    match stream.clear_route_cache() {
        Ok(true) => Ok(()),
        Ok(false) if !change.forged_removed => Ok(()),
        Ok(false) => Err(Failed::StaleRoute),
        Err(e) => Err(Failed::Host(e)),
    }
}

/// Denies a request the filter could not decide or could not carry out its decision on.
/// If even the 500 cannot be sent, the request stays paused: it never goes upstream.
pub fn internal_error<S: Stream>(stream: &mut S, stats: &dyn StatSink) {
    stats.internal_error();
    let headers = [("content-type", "text/plain")];
    if let Err(e) = stream.send(500, &headers, INTERNAL_ERROR) {
        log::warn!(
            "jwt_authn_wasm: could not send the 500 response ({e:?}); the request stays paused"
        );
    }
}

/// Returns true when the request may continue upstream.
pub fn carry_out<S: Stream>(
    decision: &Decision,
    req: &Request,
    stream: &mut S,
    stats: &dyn StatSink,
) -> bool {
    if let Some(reason) = decision.reason {
        let provider = decision.stats.iter().find_map(|s| match s {
            Stat::ProviderDenied(id, _) => Some(*id),
            _ => None,
        });
        log::debug!(
            "jwt_authn_wasm: {} {} denied: {} (provider #{})",
            req.method(),
            req.path().split('?').next().unwrap_or(""),
            reason,
            provider.unwrap_or(0)
        );
    }
    let record = |skip_allowed: bool| {
        for stat in &decision.stats {
            if !(skip_allowed && *stat == Stat::Allowed) {
                stats.record(stat);
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
            if let Err(e) = stream.send(*status, &headers, body) {
                log::warn!("jwt_authn_wasm: could not send the {status} response ({e:?}); the request stays paused");
            }
            false
        }
        // A document the filter serves itself (RFC 9728 protected-resource metadata).
        Outcome::Respond {
            status,
            content_type,
            body,
        } => {
            record(false);
            let headers = [
                ("content-type", *content_type),
                ("cache-control", "max-age=300"),
            ];
            if let Err(e) = stream.send(*status, &headers, body) {
                log::warn!("jwt_authn_wasm: could not send the {status} response ({e:?}); the request stays paused");
            }
            false
        }
        Outcome::Continue | Outcome::Wait => {
            let done = rewrite(decision, stream)
                .map_err(Failed::Host)
                .and_then(|()| reroute(decision, stream));
            match done {
                Ok(()) => {
                    record(false);
                    true
                }
                Err(e) => {
                    record(true);
                    // A token or a forged claim header could go upstream: fail closed.
                    log::warn!(
                        "jwt_authn_wasm: could not rewrite the request ({e:?}); answering 500"
                    );
                    internal_error(stream, stats);
                    false
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RouteChange;
    use std::cell::RefCell;

    /// Records what the filter did; `fail` names the call that fails.
    #[derive(Default)]
    struct Fake {
        fail: &'static str,
        can_reroute: bool,
        done: Vec<String>,
    }

    impl Fake {
        fn call(&mut self, what: &str, detail: String) -> Result<(), ()> {
            if self.fail == what {
                return Err(());
            }
            self.done.push(format!("{what} {detail}"));
            Ok(())
        }
    }

    impl Stream for Fake {
        type Error = ();
        fn remove_header(&mut self, name: &str) -> Result<(), ()> {
            self.call("remove", name.to_string())
        }
        fn set_header(&mut self, name: &str, value: &str) -> Result<(), ()> {
            self.call("set", format!("{name}={value}"))
        }
        fn clear_route_cache(&mut self) -> Result<bool, ()> {
            self.call("reroute", String::new())?;
            Ok(self.can_reroute)
        }
        fn send(&mut self, status: u32, _: &[(&str, &str)], _: &str) -> Result<(), ()> {
            self.call("send", status.to_string())
        }
    }

    #[derive(Default)]
    struct Stats(RefCell<Vec<String>>);

    impl StatSink for Stats {
        fn record(&self, stat: &Stat) {
            self.0.borrow_mut().push(format!("{stat:?}"));
        }
        fn internal_error(&self) {
            self.0.borrow_mut().push("internal_error".into());
        }
    }

    fn allowed(forged_removed: bool) -> Decision {
        Decision {
            outcome: Outcome::Continue,
            remove_headers: vec!["authorization".into(), "x-sub".into()].into(),
            set_headers: vec![("x-sub".into(), "alice".into())],
            new_path: None,
            stats: vec![Stat::Allowed, Stat::ProviderAllowed(0)].into(),
            reason: None,
            route: RouteChange {
                rewritten: true,
                forged_removed,
            },
        }
    }

    #[test]
    fn removes_then_writes_then_reroutes_and_counts() {
        let (mut s, stats) = (
            Fake {
                can_reroute: true,
                ..Fake::default()
            },
            Stats::default(),
        );
        assert!(carry_out(
            &allowed(true),
            &Request::default(),
            &mut s,
            &stats
        ));
        assert_eq!(
            s.done,
            [
                "remove authorization",
                "remove x-sub",
                "set x-sub=alice",
                "reroute "
            ]
        );
        assert_eq!(*stats.0.borrow(), ["Allowed", "ProviderAllowed(0)"]);
    }

    #[test]
    fn a_failed_write_is_a_500_and_not_counted_as_allowed() {
        let (mut s, stats) = (
            Fake {
                fail: "set",
                ..Fake::default()
            },
            Stats::default(),
        );
        assert!(!carry_out(
            &allowed(false),
            &Request::default(),
            &mut s,
            &stats
        ));
        assert_eq!(s.done.last().map(String::as_str), Some("send 500"));
        assert_eq!(*stats.0.borrow(), ["ProviderAllowed(0)", "internal_error"]);
    }

    #[test]
    fn a_forged_header_needs_a_new_route_or_the_request_is_refused() {
        let (mut s, stats) = (Fake::default(), Stats::default());
        assert!(!carry_out(
            &allowed(true),
            &Request::default(),
            &mut s,
            &stats
        ));
        assert_eq!(s.done.last().map(String::as_str), Some("send 500"));
        // Without a forged header, a host that cannot reroute keeps the old route.
        let mut s = Fake::default();
        assert!(carry_out(
            &allowed(false),
            &Request::default(),
            &mut s,
            &stats
        ));
    }
}
