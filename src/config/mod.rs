//! Validated plugin configuration. Everything that can be checked or precomputed is done
//! here, once per `on_configure`, so the request path only reads ready-made values.

pub mod jwks_hosts;
mod metadata;
pub mod path_de;
mod provider;
mod raw;
mod read;
mod reads;
mod resource;
mod rules;
mod tenants;
mod types;
mod uri;

pub use metadata::ResourceMetadata;
pub use reads::headers_read;
pub use resource::{token_type, ClaimCheck, ClaimMatch, SenderConstraint};
pub use types::{
    is_tenant_id, ClaimToHeader, FilterConfig, HeaderLocation, HeaderMatch, HeaderMatchKind,
    IssuerTemplate, JwksSource, Mode, PathMatch, Provider, ProviderId, RemoteEndpoint,
    RemoteSource, Requirement, Rule, StringMatch,
};
pub use uri::HttpTarget;

use crate::crypto::CryptoMode;
use provider::provider;
use raw::{RawConfig, RawProvider};
use read::{from_json, from_value};
use rules::rule;
use std::fmt;

pub const DEFAULT_TIMEOUT_MS: u64 = 5_000;
pub const DEFAULT_CACHE_DURATION_S: u64 = 600;
pub const DEFAULT_CLOCK_SKEW_S: u64 = 60;
pub const DEFAULT_KID_REFETCH_S: u64 = 30;
pub const DEFAULT_HOLD_FOR_KEYS_MS: u64 = 5_000;
pub const MAX_HOLD_FOR_KEYS_MS: u64 = 60_000;
pub const DEFAULT_TOKEN_CACHE_SIZE: usize = 1000;
pub const DEFAULT_MAX_HELD_REQUESTS: usize = 1000;
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8192;

/// A refused configuration: the dotted path of the offending field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub field: String,
    pub reason: String,
}

impl ConfigError {
    fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for ConfigError {}

/// Parses and validates the plugin configuration.
pub fn parse(bytes: &[u8]) -> Result<FilterConfig, ConfigError> {
    let raw: RawConfig = from_json(bytes, "config")?;
    let mut providers = Vec::with_capacity(raw.providers.len());
    if raw.providers.is_empty() {
        return Err(ConfigError::new(
            "providers",
            "at least one provider is required",
        ));
    }
    for (name, value) in &raw.providers {
        let field = format!("providers.{name}");
        let raw_provider: RawProvider = from_value(value, &field)?;
        providers.push(provider(name, raw_provider, &field)?);
    }
    let rules = match &raw.rules {
        None => Vec::new(),
        Some(list) => list
            .iter()
            .enumerate()
            .map(|(i, value)| rule(value, &providers, &format!("rules[{i}]")))
            .collect::<Result<_, _>>()?,
    };
    let default_requirement = if raw.rules.is_none() {
        Some(Requirement::Any(
            (0..providers.len()).map(Requirement::Provider).collect(),
        ))
    } else {
        None
    };
    let mode = match raw.mode.as_deref() {
        None | Some("enforce") => Mode::Enforce,
        Some("audit") => Mode::Audit,
        Some(other) => {
            return Err(ConfigError::new(
                "mode",
                format!("must be \"enforce\" or \"audit\", got {other:?}"),
            ))
        }
    };
    let token_cache_size = bounded(
        raw.token_cache_size,
        DEFAULT_TOKEN_CACHE_SIZE,
        1_000_000,
        "token_cache_size",
    )?;
    let max_held_requests = bounded(
        raw.max_held_requests,
        DEFAULT_MAX_HELD_REQUESTS,
        100_000,
        "max_held_requests",
    )?;
    let max_token_bytes = bounded(
        raw.max_token_bytes,
        DEFAULT_MAX_TOKEN_BYTES,
        1 << 20,
        "max_token_bytes",
    )?;
    if max_token_bytes < 16 {
        return Err(ConfigError::new("max_token_bytes", "must be at least 16"));
    }
    let crypto = match raw.crypto.as_deref() {
        None => CryptoMode::default(),
        Some(name) => CryptoMode::from_name(name).ok_or_else(|| {
            ConfigError::new(
                "crypto",
                format!("must be \"auto\", \"module\" or \"cross_check\", got {name:?}"),
            )
        })?,
    };
    let mut written_headers: Vec<String> = Vec::new();
    for p in &providers {
        written_headers.extend(p.forward_payload_header.iter().cloned());
        written_headers.extend(p.claim_to_headers.iter().map(|c| c.header_name.clone()));
    }
    written_headers.sort();
    written_headers.dedup();
    let resource_metadata = (raw.resource_metadata.as_ref())
        .map(|m| metadata::resource_metadata(m, "resource_metadata"))
        .transpose()?;
    let binds_tokens = (providers.iter()).any(|p| p.sender_constraint != SenderConstraint::None);
    Ok(FilterConfig {
        providers,
        rules,
        default_requirement,
        bypass_cors_preflight: raw.bypass_cors_preflight.unwrap_or(false),
        mode,
        token_cache_size,
        max_held_requests,
        max_token_bytes,
        crypto,
        written_headers,
        resource_metadata,
        ignore_unknown_issuers: raw.ignore_unknown_issuers.unwrap_or(false),
        binds_tokens,
    })
}

fn bounded(
    value: Option<u64>,
    default: usize,
    max: u64,
    field: &str,
) -> Result<usize, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) if v > max => Err(ConfigError::new(field, format!("must be at most {max}"))),
        Some(v) => usize::try_from(v).map_err(|_| ConfigError::new(field, "out of range")),
    }
}

#[cfg(test)]
mod tests;
