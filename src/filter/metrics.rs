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
}

fn counter(name: &str) -> Option<u32> {
    hostcalls::define_metric(MetricType::Counter, name).ok()
}

fn bump(id: Option<u32>) {
    if let Some(id) = id {
        let _ = hostcalls::increment_metric(id, 1);
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
                }
            })
            .collect();
        Metrics {
            allowed: counter(&format!("{PREFIX}.allowed")),
            denied: counter(&format!("{PREFIX}.denied")),
            cors_preflight_bypassed: counter(&format!("{PREFIX}.cors_preflight_bypassed")),
            audit_would_deny: counter(&format!("{PREFIX}.audit_would_deny")),
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
        }
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
