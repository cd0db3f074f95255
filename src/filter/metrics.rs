//! Counters in Envoy's stats (`wasmcustom.jwt_authn_wasm.*`), defined once per worker.
//! Increments are gathered in the module and handed to Envoy on the root context's tick
//! (every 100 ms): each `increment_metric` is a call out of V8 that cost about as much as
//! the rest of a cached request, and a request bumps three counters.

use crate::config::FilterConfig;
use crate::engine::Stat;
use crate::error::AuthError;
use std::cell::RefCell;

const PREFIX: &str = "jwt_authn_wasm";

#[derive(Default)]
pub struct Metrics {
    allowed: Option<u32>,
    denied: Option<u32>,
    cors_preflight_bypassed: Option<u32>,
    audit_would_deny: Option<u32>,
    internal_error: Option<u32>,
    held_requests_overflow: Option<u32>,
    verify_single_backend: Option<u32>,
    verify_host: Option<u32>,
    verify_module: Option<u32>,
    verify_host_error: Option<u32>,
    verify_backend_disagreement: Option<u32>,
    providers: Vec<ProviderMetrics>,
    /// (metric id, increments not yet handed to Envoy).
    pending: RefCell<Vec<(u32, u32)>>,
}

#[derive(Default)]
struct ProviderMetrics {
    allowed: Option<u32>,
    denied: Vec<(&'static str, Option<u32>)>,
    jwks_fetch_success: Option<u32>,
    jwks_fetch_failed: Option<u32>,
    token_cache_hit: Option<u32>,
    token_cache_miss: Option<u32>,
    jwks_keys_ignored: Option<u32>,
}

fn counter(name: &str) -> Option<u32> {
    super::host::define_counter(name)
}

impl Metrics {
    fn bump(&self, id: Option<u32>) {
        self.add(id, 1);
    }

    fn add(&self, id: Option<u32>, n: u32) {
        let (Some(id), true) = (id, n > 0) else {
            return;
        };
        let Ok(mut pending) = self.pending.try_borrow_mut() else {
            return;
        };
        match pending.iter_mut().find(|(i, _)| *i == id) {
            Some((_, count)) => *count = count.saturating_add(n),
            None => pending.push((id, n)),
        }
    }

    /// Hands the gathered increments to Envoy. A counter Envoy refuses to increment is
    /// lost, as it would have been when incremented directly.
    pub fn flush(&self) {
        let Ok(mut pending) = self.pending.try_borrow_mut() else {
            return;
        };
        for (id, n) in pending.drain(..) {
            super::host::increment_metric(id, i64::from(n));
        }
    }

    pub fn define(config: &FilterConfig) -> Metrics {
        let providers = config
            .providers
            .iter()
            .map(|p| {
                let base = format!("{PREFIX}.provider.{}", p.name);
                ProviderMetrics {
                    allowed: counter(&format!("{base}.allowed")),
                    denied: AuthError::REASONS
                        .iter()
                        .map(|r| (*r, counter(&format!("{base}.denied.{r}"))))
                        .collect(),
                    jwks_fetch_success: counter(&format!("{base}.jwks_fetch_success")),
                    jwks_fetch_failed: counter(&format!("{base}.jwks_fetch_failed")),
                    token_cache_hit: counter(&format!("{base}.token_cache_hit")),
                    token_cache_miss: counter(&format!("{base}.token_cache_miss")),
                    jwks_keys_ignored: counter(&format!("{base}.jwks_keys_ignored")),
                }
            })
            .collect();
        Metrics {
            allowed: counter(&format!("{PREFIX}.allowed")),
            denied: counter(&format!("{PREFIX}.denied")),
            cors_preflight_bypassed: counter(&format!("{PREFIX}.cors_preflight_bypassed")),
            audit_would_deny: counter(&format!("{PREFIX}.audit_would_deny")),
            internal_error: counter(&format!("{PREFIX}.internal_error")),
            held_requests_overflow: counter(&format!("{PREFIX}.held_requests_overflow")),
            verify_single_backend: counter(&format!("{PREFIX}.verify_single_backend")),
            verify_host: counter(&format!("{PREFIX}.verify_host")),
            verify_module: counter(&format!("{PREFIX}.verify_module")),
            verify_host_error: counter(&format!("{PREFIX}.verify_host_error")),
            verify_backend_disagreement: counter(&format!("{PREFIX}.verify_backend_disagreement")),
            providers,
            pending: RefCell::new(Vec::new()),
        }
    }

    pub fn record(&self, stat: &Stat) {
        let provider = |id: usize| self.providers.get(id);
        match stat {
            Stat::Allowed => self.bump(self.allowed),
            Stat::Denied => self.bump(self.denied),
            Stat::CorsPreflightBypassed => self.bump(self.cors_preflight_bypassed),
            Stat::AuditWouldDeny => self.bump(self.audit_would_deny),
            Stat::ProviderAllowed(id) => self.bump(provider(*id).and_then(|p| p.allowed)),
            Stat::ProviderDenied(id, reason) => self.bump(
                provider(*id)
                    .and_then(|p| p.denied.iter().find(|(r, _)| r == reason))
                    .and_then(|(_, m)| *m),
            ),
            Stat::CacheHit(id) => self.bump(provider(*id).and_then(|p| p.token_cache_hit)),
            Stat::CacheMiss(id) => self.bump(provider(*id).and_then(|p| p.token_cache_miss)),
            Stat::Crypto(t) => {
                self.add(self.verify_host, t.host);
                self.add(self.verify_module, t.module);
                self.add(self.verify_host_error, t.host_errors);
                self.add(self.verify_backend_disagreement, t.disagreements);
                self.add(self.verify_single_backend, t.single_backend);
            }
        }
    }

    /// A request denied because the filter could not decide or carry out its decision.
    pub fn internal_error(&self) {
        self.bump(self.internal_error);
        self.bump(self.denied);
    }

    /// A request that would have been held for keys while the worker held its cap.
    pub fn held_requests_overflow(&self) {
        self.bump(self.held_requests_overflow);
    }

    /// Keys a fetched JWKS held that are not used (counted by the worker that fetched it).
    pub fn keys_ignored(&self, provider: usize, count: usize) {
        let id = self
            .providers
            .get(provider)
            .and_then(|p| p.jwks_keys_ignored);
        self.add(id, u32::try_from(count).unwrap_or(u32::MAX));
    }

    pub fn fetch(&self, provider: usize, success: bool) {
        let p = self.providers.get(provider);
        self.bump(p.and_then(|p| {
            if success {
                p.jwks_fetch_success
            } else {
                p.jwks_fetch_failed
            }
        }));
    }
}
