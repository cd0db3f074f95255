//! Counters in Envoy's stats (`wasmcustom.jwt_authn_wasm.*`), defined once per worker.

use crate::config::FilterConfig;
use crate::engine::Stat;
use crate::error::AuthError;
use proxy_wasm::hostcalls;
use proxy_wasm::types::MetricType;

const PREFIX: &str = "jwt_authn_wasm";

#[derive(Default)]
pub struct Metrics {
    allowed: Option<u32>,
    denied: Option<u32>,
    cors_preflight_bypassed: Option<u32>,
    audit_would_deny: Option<u32>,
    verify_host: Option<u32>,
    verify_module: Option<u32>,
    verify_host_error: Option<u32>,
    verify_backend_disagreement: Option<u32>,
    providers: Vec<ProviderMetrics>,
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
    hostcalls::define_metric(MetricType::Counter, name).ok()
}

fn bump(id: Option<u32>) {
    add(id, 1);
}

fn add(id: Option<u32>, n: u32) {
    if let (Some(id), true) = (id, n > 0) {
        let _ = hostcalls::increment_metric(id, i64::from(n));
    }
}

impl Metrics {
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
            verify_host: counter(&format!("{PREFIX}.verify_host")),
            verify_module: counter(&format!("{PREFIX}.verify_module")),
            verify_host_error: counter(&format!("{PREFIX}.verify_host_error")),
            verify_backend_disagreement: counter(&format!("{PREFIX}.verify_backend_disagreement")),
            providers,
        }
    }

    pub fn record(&self, stat: &Stat) {
        let provider = |id: usize| self.providers.get(id);
        match stat {
            Stat::Allowed => bump(self.allowed),
            Stat::Denied => bump(self.denied),
            Stat::CorsPreflightBypassed => bump(self.cors_preflight_bypassed),
            Stat::AuditWouldDeny => bump(self.audit_would_deny),
            Stat::ProviderAllowed(id) => bump(provider(*id).and_then(|p| p.allowed)),
            Stat::ProviderDenied(id, reason) => bump(
                provider(*id)
                    .and_then(|p| p.denied.iter().find(|(r, _)| r == reason))
                    .and_then(|(_, m)| *m),
            ),
            Stat::CacheHit(id) => bump(provider(*id).and_then(|p| p.token_cache_hit)),
            Stat::CacheMiss(id) => bump(provider(*id).and_then(|p| p.token_cache_miss)),
            Stat::Crypto(t) => {
                add(self.verify_host, t.host);
                add(self.verify_module, t.module);
                add(self.verify_host_error, t.host_errors);
                add(self.verify_backend_disagreement, t.disagreements);
            }
        }
    }

    /// Keys a fetched JWKS held that are not used (counted by the worker that fetched it).
    pub fn keys_ignored(&self, provider: usize, count: usize) {
        let id = self
            .providers
            .get(provider)
            .and_then(|p| p.jwks_keys_ignored);
        add(id, u32::try_from(count).unwrap_or(u32::MAX));
    }

    pub fn fetch(&self, provider: usize, success: bool) {
        let p = self.providers.get(provider);
        bump(p.and_then(|p| {
            if success {
                p.jwks_fetch_success
            } else {
                p.jwks_fetch_failed
            }
        }));
    }
}
