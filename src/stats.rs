//! The filter's counters: their names, and which counters a statistic of the engine bumps.
//! Both glues define the same names (`jwt_authn_wasm.*`) through their own host, each counter
//! becoming an id of the host's kind (`Id`).

use crate::config::FilterConfig;
use crate::engine::Stat;
use crate::error::AuthError;

pub const PREFIX: &str = "jwt_authn_wasm";

/// Each counter's id on the host; `None` where the host refused to define it.
pub struct Counters<Id> {
    allowed: Option<Id>,
    denied: Option<Id>,
    cors_preflight_bypassed: Option<Id>,
    audit_would_deny: Option<Id>,
    internal_error: Option<Id>,
    held_requests_overflow: Option<Id>,
    verify_single_backend: Option<Id>,
    verify_host: Option<Id>,
    verify_module: Option<Id>,
    verify_host_error: Option<Id>,
    verify_backend_disagreement: Option<Id>,
    verify_budget_skipped: Option<Id>,
    providers: Vec<ProviderCounters<Id>>,
}

struct ProviderCounters<Id> {
    allowed: Option<Id>,
    denied: Vec<(&'static str, Option<Id>)>,
    jwks_fetch_success: Option<Id>,
    jwks_fetch_failed: Option<Id>,
    token_cache_hit: Option<Id>,
    token_cache_miss: Option<Id>,
    jwks_keys_ignored: Option<Id>,
}

impl<Id: Copy> Counters<Id> {
    /// Defines every counter of `config` through `define`, which takes the full name.
    pub fn define(config: &FilterConfig, mut define: impl FnMut(&str) -> Option<Id>) -> Self {
        let providers = config
            .providers
            .iter()
            .map(|p| {
                let base = format!("{PREFIX}.provider.{}", p.name);
                ProviderCounters {
                    allowed: define(&format!("{base}.allowed")),
                    denied: AuthError::REASONS
                        .iter()
                        .map(|r| (*r, define(&format!("{base}.denied.{r}"))))
                        .collect(),
                    jwks_fetch_success: define(&format!("{base}.jwks_fetch_success")),
                    jwks_fetch_failed: define(&format!("{base}.jwks_fetch_failed")),
                    token_cache_hit: define(&format!("{base}.token_cache_hit")),
                    token_cache_miss: define(&format!("{base}.token_cache_miss")),
                    jwks_keys_ignored: define(&format!("{base}.jwks_keys_ignored")),
                }
            })
            .collect();
        Counters {
            allowed: define(&format!("{PREFIX}.allowed")),
            denied: define(&format!("{PREFIX}.denied")),
            cors_preflight_bypassed: define(&format!("{PREFIX}.cors_preflight_bypassed")),
            audit_would_deny: define(&format!("{PREFIX}.audit_would_deny")),
            internal_error: define(&format!("{PREFIX}.internal_error")),
            held_requests_overflow: define(&format!("{PREFIX}.held_requests_overflow")),
            verify_single_backend: define(&format!("{PREFIX}.verify_single_backend")),
            verify_host: define(&format!("{PREFIX}.verify_host")),
            verify_module: define(&format!("{PREFIX}.verify_module")),
            verify_host_error: define(&format!("{PREFIX}.verify_host_error")),
            verify_backend_disagreement: define(&format!("{PREFIX}.verify_backend_disagreement")),
            verify_budget_skipped: define(&format!("{PREFIX}.verify_budget_skipped")),
            providers,
        }
    }

    /// Calls `add(id, n)` for each counter `stat` increments (by `n` > 0).
    pub fn record(&self, stat: &Stat, mut add: impl FnMut(Id, u32)) {
        let mut bump = |id: Option<Id>, n: u32| {
            if let (Some(id), true) = (id, n > 0) {
                add(id, n);
            }
        };
        let provider = |id: usize| self.providers.get(id);
        match stat {
            Stat::Allowed => bump(self.allowed, 1),
            Stat::Denied => bump(self.denied, 1),
            Stat::CorsPreflightBypassed => bump(self.cors_preflight_bypassed, 1),
            Stat::AuditWouldDeny => bump(self.audit_would_deny, 1),
            Stat::ProviderAllowed(id) => bump(provider(*id).and_then(|p| p.allowed), 1),
            Stat::ProviderDenied(id, reason) => bump(
                provider(*id)
                    .and_then(|p| p.denied.iter().find(|(r, _)| r == reason))
                    .and_then(|(_, m)| *m),
                1,
            ),
            Stat::CacheHit(id) => bump(provider(*id).and_then(|p| p.token_cache_hit), 1),
            Stat::CacheMiss(id) => bump(provider(*id).and_then(|p| p.token_cache_miss), 1),
            Stat::Crypto(t) => {
                bump(self.verify_host, t.host);
                bump(self.verify_module, t.module);
                bump(self.verify_host_error, t.host_errors);
                bump(self.verify_backend_disagreement, t.disagreements);
                bump(self.verify_single_backend, t.single_backend);
                bump(self.verify_budget_skipped, t.budget_skipped);
            }
        }
    }

    /// A request denied because the filter could not decide or carry out its decision.
    pub fn internal_error(&self, mut add: impl FnMut(Id, u32)) {
        for id in [self.internal_error, self.denied].into_iter().flatten() {
            add(id, 1);
        }
    }

    /// A request that would have been held for keys while the worker held its cap.
    pub fn held_requests_overflow(&self, mut add: impl FnMut(Id, u32)) {
        if let Some(id) = self.held_requests_overflow {
            add(id, 1);
        }
    }

    /// Keys a fetched JWKS held that are not used (counted by the worker that fetched it).
    pub fn keys_ignored(&self, provider: usize, count: usize, mut add: impl FnMut(Id, u32)) {
        let id = self
            .providers
            .get(provider)
            .and_then(|p| p.jwks_keys_ignored);
        if let (Some(id), true) = (id, count > 0) {
            add(id, u32::try_from(count).unwrap_or(u32::MAX));
        }
    }

    pub fn fetch(&self, provider: usize, success: bool, mut add: impl FnMut(Id, u32)) {
        let p = self.providers.get(provider);
        let id = p.and_then(|p| {
            if success {
                p.jwks_fetch_success
            } else {
                p.jwks_fetch_failed
            }
        });
        if let Some(id) = id {
            add(id, 1);
        }
    }
}
