//! Requests refused before any token is looked at.

use super::{Decision, Engine, Outcome, Stat};
use crate::config::Mode;
use crate::extractor::Request;
use crate::matcher::AmbiguousPath;

/// Envoy's own answer to a path it will not normalise (`REJECT_REQUEST`).
pub const AMBIGUOUS_PATH_STATUS: u32 = 400;

impl Engine<'_> {
    /// No token can make an ambiguous path safe: the rule it was checked against may not be
    /// the one the upstream serves. Audit mode only counts it, as it does every denial.
    pub(super) fn refuse_path(
        &self,
        req: &Request,
        why: AmbiguousPath,
        mut decision: Decision,
    ) -> Decision {
        log::debug!("jwt_authn_wasm: {} refused: {why}", req.method());
        if self.config.mode == Mode::Audit {
            decision.stats.push(Stat::AuditWouldDeny);
            return decision;
        }
        decision.stats.push(Stat::Denied);
        decision.outcome = Outcome::Deny {
            status: AMBIGUOUS_PATH_STATUS,
            body: format!("Bad Request: {why}"),
            www_authenticate: String::new(),
        };
        decision
    }
}
