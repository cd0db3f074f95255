//! The plugin configuration as users write it (Envoy `jwt_authn` / Istio vocabulary).
//! Unknown fields are refused here so that a typo never silently weakens authentication.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub providers: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub rules: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    pub bypass_cors_preflight: Option<bool>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub token_cache_size: Option<u64>,
    #[serde(default)]
    pub max_held_requests: Option<u64>,
    #[serde(default)]
    pub max_token_bytes: Option<u64>,
    #[serde(default)]
    pub crypto: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProvider {
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub issuer_template: Option<String>,
    #[serde(default)]
    pub allowed_tenants: Option<Vec<String>>,
    #[serde(default)]
    pub audiences: Vec<String>,
    #[serde(default)]
    pub require_expiration: Option<bool>,
    #[serde(default)]
    pub max_lifetime_seconds: Option<u64>,
    #[serde(default)]
    pub clock_skew_seconds: Option<u64>,
    #[serde(default)]
    pub remote_jwks: Option<RawRemoteJwks>,
    #[serde(default)]
    pub local_jwks: Option<RawLocalJwks>,
    #[serde(default)]
    pub oidc_discovery: Option<RawOidcDiscovery>,
    #[serde(default)]
    pub from_headers: Option<Vec<RawHeaderLocation>>,
    #[serde(default)]
    pub from_params: Option<Vec<String>>,
    #[serde(default)]
    pub from_cookies: Option<Vec<String>>,
    #[serde(default)]
    pub forward: Option<bool>,
    #[serde(default)]
    pub forward_payload_header: Option<String>,
    #[serde(default)]
    pub pad_forward_payload_header: Option<bool>,
    #[serde(default)]
    pub subjects: Option<RawStringMatcher>,
    #[serde(default)]
    pub claim_to_headers: Vec<RawClaimToHeader>,
    #[serde(default)]
    pub kid_refetch_interval_seconds: Option<u64>,
    #[serde(default)]
    pub hold_for_keys_ms: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRemoteJwks {
    pub uri: String,
    #[serde(default)]
    pub cluster: Option<String>,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    #[serde(default)]
    pub cache_duration_seconds: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLocalJwks {
    pub inline_string: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOidcDiscovery {
    #[serde(default)]
    pub uri: Option<String>,
    #[serde(default)]
    pub cluster: Option<String>,
    #[serde(default)]
    pub jwks_cluster: Option<String>,
    #[serde(default)]
    pub jwks_hosts: Option<Vec<String>>,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    #[serde(default)]
    pub cache_duration_seconds: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHeaderLocation {
    pub name: String,
    #[serde(default)]
    pub value_prefix: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClaimToHeader {
    pub header_name: String,
    pub claim_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    #[serde(rename = "match")]
    pub matcher: RawMatch,
    #[serde(default)]
    pub requires: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMatch {
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub methods: Option<Vec<String>>,
    /// Envoy's route `HeaderMatcher`s, read by hand (`config::header_match`): a derived
    /// reader for them cost the module 8 KB.
    #[serde(default)]
    pub headers: Vec<serde_json::Value>,
}

/// Envoy's `StringMatcher`, the parts `subjects` takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStringMatcher {
    #[serde(default)]
    pub exact: Option<String>,
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub suffix: Option<String>,
    #[serde(default)]
    pub contains: Option<String>,
}
