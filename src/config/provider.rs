//! A provider built and validated from its raw form: issuer, JWKS source, token locations,
//! forwarded headers and their limits.

use super::raw::{RawHeaderLocation, RawProvider};
use super::rules::string_match;
use super::types::{
    is_tenant_id, ClaimToHeader, HeaderLocation, IssuerTemplate, JwksSource, Provider,
    RemoteEndpoint, RemoteSource,
};
use super::{
    jwks_hosts, resource, tenants, ConfigError, HttpTarget, SenderConstraint,
    DEFAULT_CACHE_DURATION_S, DEFAULT_CLOCK_SKEW_S, DEFAULT_HOLD_FOR_KEYS_MS,
    DEFAULT_KID_REFETCH_S, DEFAULT_TIMEOUT_MS, MAX_HOLD_FOR_KEYS_MS,
};

const TENANT_PLACEHOLDER: &str = "{tid}";

fn issuer(raw: &RawProvider, field: &str) -> Result<(String, Option<IssuerTemplate>), ConfigError> {
    match (&raw.issuer, &raw.issuer_template) {
        (Some(issuer), None) => {
            if issuer.is_empty() {
                return Err(ConfigError::new(
                    format!("{field}.issuer"),
                    "must not be empty",
                ));
            }
            if raw.allowed_tenants.is_some() {
                return Err(ConfigError::new(
                    format!("{field}.allowed_tenants"),
                    "only with issuer_template",
                ));
            }
            Ok((issuer.clone(), None))
        }
        (None, Some(template)) => {
            let at = format!("{field}.issuer_template");
            let (before, after) = template
                .split_once(TENANT_PLACEHOLDER)
                .filter(|(_, after)| !after.contains(TENANT_PLACEHOLDER))
                .filter(|(before, _)| !before.is_empty())
                .ok_or_else(|| {
                    ConfigError::new(&at, "must hold {tid} exactly once, after a prefix")
                })?;
            let allowed_tenants = tenants::allowed(raw.allowed_tenants.as_deref(), field)?;
            if let Some(bad) = allowed_tenants.iter().find(|t| !is_tenant_id(t)) {
                return Err(ConfigError::new(
                    format!("{field}.allowed_tenants"),
                    format!("{bad:?} is not a tenant id (letters, digits, '-', '_', '.')"),
                ));
            }
            let template = IssuerTemplate {
                before: before.to_string(),
                after: after.to_string(),
                allowed_tenants,
            };
            Ok((
                format!("{before}{TENANT_PLACEHOLDER}{after}"),
                Some(template),
            ))
        }
        _ => Err(ConfigError::new(
            field,
            "exactly one of issuer or issuer_template is required",
        )),
    }
}

pub(super) fn provider(name: &str, raw: RawProvider, field: &str) -> Result<Provider, ConfigError> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
    {
        return Err(ConfigError::new(
            field,
            "provider names may use only letters, digits, '-' and '_' (they appear in metric names)",
        ));
    }
    let (issuer, issuer_template) = issuer(&raw, field)?;
    if raw.audiences.iter().any(String::is_empty) {
        return Err(ConfigError::new(
            format!("{field}.audiences"),
            "must not contain an empty audience",
        ));
    }
    let source = jwks_source(&raw, field)?;
    let algorithms = resource::algorithms(&raw, field)?;
    let token_types = resource::token_types(&raw, field)?;
    let sender_constraint = resource::sender_constraint(&raw, field)?;
    // Envoy's defaults (Authorization: Bearer, ?access_token=) apply only when no location
    // is configured at all; naming any location means "only there".
    let no_locations =
        raw.from_headers.is_none() && raw.from_params.is_none() && raw.from_cookies.is_none();
    let from_headers = match raw.from_headers {
        // RFC 9449 §7.1: DPoP-bound tokens come as `Authorization: DPoP <token>`.
        None if no_locations && sender_constraint != SenderConstraint::None => vec![
            HeaderLocation {
                name: "authorization".into(),
                value_prefix: "Bearer ".into(),
            },
            HeaderLocation {
                name: "authorization".into(),
                value_prefix: "DPoP ".into(),
            },
        ],
        None if no_locations => vec![HeaderLocation {
            name: "authorization".into(),
            value_prefix: "Bearer ".into(),
        }],
        None => Vec::new(),
        Some(list) => list
            .into_iter()
            .enumerate()
            .map(|(i, h)| header_location(h, &format!("{field}.from_headers[{i}]")))
            .collect::<Result<_, _>>()?,
    };
    let from_params = match raw.from_params {
        None if no_locations => vec!["access_token".into()],
        None => Vec::new(),
        Some(list) => non_empty_names(list, &format!("{field}.from_params"))?,
    };
    let from_cookies = non_empty_names(
        raw.from_cookies.unwrap_or_default(),
        &format!("{field}.from_cookies"),
    )?;
    if from_headers.is_empty() && from_params.is_empty() && from_cookies.is_empty() {
        return Err(ConfigError::new(
            field,
            "no token location: from_headers, from_params and from_cookies are all empty",
        ));
    }
    let forward_payload_header = raw
        .forward_payload_header
        .map(|h| header_name(&h, &format!("{field}.forward_payload_header")))
        .transpose()?;
    let claim_to_headers = raw
        .claim_to_headers
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let at = format!("{field}.claim_to_headers[{i}]");
            let header_name = header_name(&c.header_name, &format!("{at}.header_name"))?;
            let claim_path =
                resource::claim_path(c.claim_name.as_deref(), c.claim_path.as_deref(), &at)?;
            Ok(ClaimToHeader {
                header_name,
                claim_path,
            })
        })
        .collect::<Result<_, _>>()?;
    let subjects = raw
        .subjects
        .map(|m| string_match(m, &format!("{field}.subjects")))
        .transpose()?;
    Ok(Provider {
        name: name.to_string(),
        issuer,
        issuer_template,
        audiences: sanitized_audiences(raw.audiences),
        require_expiration: raw.require_expiration.unwrap_or(true),
        max_lifetime_seconds: raw.max_lifetime_seconds,
        clock_skew_seconds: raw.clock_skew_seconds.unwrap_or(DEFAULT_CLOCK_SKEW_S),
        source,
        from_headers,
        from_params,
        from_cookies,
        forward: raw.forward.unwrap_or(false),
        forward_payload_header,
        pad_forward_payload_header: raw.pad_forward_payload_header.unwrap_or(false),
        subjects,
        claim_to_headers,
        kid_refetch_interval_ms: kid_refetch_interval(raw.kid_refetch_interval_seconds, field)?,
        hold_for_keys_ms: hold_for_keys(raw.hold_for_keys_ms, field)?,
        max_rsa_key_bits: max_rsa_key_bits(raw.max_rsa_key_bits, field)?,
        algorithms,
        token_types,
        sender_constraint,
    })
}

/// Moduli above 4096 bits cost a verification 4 to 16 times a 4096-bit one: only for
/// issuers that publish them, and never beyond what the backends take.
fn max_rsa_key_bits(value: Option<u64>, field: &str) -> Result<usize, ConfigError> {
    use crate::jwks::{DEFAULT_MAX_RSA_KEY_BITS, MAX_RSA_BITS, MIN_RSA_BITS};
    match value.map(usize::try_from) {
        None => Ok(DEFAULT_MAX_RSA_KEY_BITS),
        Some(Ok(bits)) if (MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) => Ok(bits),
        Some(_) => Err(ConfigError::new(
            format!("{field}.max_rsa_key_bits"),
            format!("must be from {MIN_RSA_BITS} to {MAX_RSA_BITS}"),
        )),
    }
}

/// Bounded because every held request keeps a stream, its headers and a client connection
/// open: a minute is already longer than most clients and gateways wait.
fn hold_for_keys(value: Option<u64>, field: &str) -> Result<u64, ConfigError> {
    match value.unwrap_or(DEFAULT_HOLD_FOR_KEYS_MS) {
        v if v > MAX_HOLD_FOR_KEYS_MS => Err(ConfigError::new(
            format!("{field}.hold_for_keys_ms"),
            format!("must be at most {MAX_HOLD_FOR_KEYS_MS}"),
        )),
        v => Ok(v),
    }
}

/// Zero would let made-up `kid`s drive back-to-back JWKS fetches: the storm this limit
/// exists to prevent.
fn kid_refetch_interval(value: Option<u64>, field: &str) -> Result<u64, ConfigError> {
    match value.unwrap_or(DEFAULT_KID_REFETCH_S) {
        0 => Err(ConfigError::new(
            format!("{field}.kid_refetch_interval_seconds"),
            "must be at least 1",
        )),
        v => Ok(v.saturating_mul(1000)),
    }
}

fn non_empty_cluster(cluster: &Option<String>, field: &str) -> Result<(), ConfigError> {
    match cluster {
        Some(c) if c.is_empty() => Err(ConfigError::new(field, "must not be empty")),
        _ => Ok(()),
    }
}

fn jwks_source(raw: &RawProvider, field: &str) -> Result<JwksSource, ConfigError> {
    let count = [
        raw.remote_jwks.is_some(),
        raw.local_jwks.is_some(),
        raw.oidc_discovery.is_some(),
    ]
    .iter()
    .filter(|set| **set)
    .count();
    if count != 1 {
        return Err(ConfigError::new(
            field,
            "exactly one of remote_jwks, local_jwks, oidc_discovery is required",
        ));
    }
    if let Some(local) = &raw.local_jwks {
        let at = format!("{field}.local_jwks.inline_string");
        let keys = crate::jwks::KeySet::parse(local.inline_string.as_bytes())
            .map_err(|e| ConfigError::new(&at, e.to_string()))?;
        if keys.is_empty() {
            return Err(ConfigError::new(at, "the JWKS has no usable key"));
        }
        let max = max_rsa_key_bits(raw.max_rsa_key_bits, field)?;
        if keys.keys.iter().all(|k| k.key.rsa_bits() > max) {
            return Err(ConfigError::new(
                at,
                format!("every key is an RSA key above max_rsa_key_bits ({max})"),
            ));
        }
        return Ok(JwksSource::Local(local.inline_string.clone()));
    }
    if let Some(remote) = &raw.remote_jwks {
        let at = format!("{field}.remote_jwks");
        non_empty_cluster(&remote.cluster, &format!("{at}.cluster"))?;
        let target = HttpTarget::parse(&remote.uri, remote.cluster.as_deref())
            .map_err(|reason| ConfigError::new(format!("{at}.uri"), reason))?;
        return Ok(JwksSource::Remote(RemoteSource {
            endpoint: RemoteEndpoint::Jwks(target),
            timeout_ms: timeout(remote.timeout_ms, &format!("{at}.timeout_ms"))?,
            cache_duration_ms: cache_duration(
                remote.cache_duration_seconds,
                &format!("{at}.cache_duration_seconds"),
            )?,
        }));
    }
    let Some(discovery) = &raw.oidc_discovery else {
        return Err(ConfigError::new(field, "no key source"));
    };
    let at = format!("{field}.oidc_discovery");
    non_empty_cluster(&discovery.cluster, &format!("{at}.cluster"))?;
    non_empty_cluster(&discovery.jwks_cluster, &format!("{at}.jwks_cluster"))?;
    // A multi-tenant issuer has no discovery document of its own: it is named (Entra ID's
    // `…/common/v2.0/.well-known/openid-configuration`, for one).
    let (url, url_field) = match (&discovery.uri, &raw.issuer, &raw.issuer_template) {
        (Some(uri), _, _) => (uri.clone(), format!("{at}.uri")),
        (None, Some(issuer), _) => (
            format!(
                "{}/.well-known/openid-configuration",
                issuer.trim_end_matches('/')
            ),
            format!("{field}.issuer"),
        ),
        (None, None, _) => {
            return Err(ConfigError::new(
                format!("{at}.uri"),
                "is required with issuer_template",
            ))
        }
    };
    let target = HttpTarget::parse(&url, discovery.cluster.as_deref()).map_err(|reason| {
        ConfigError::new(url_field, format!("not usable for discovery: {reason}"))
    })?;
    let issuer_uri = match (&raw.issuer, &raw.issuer_template) {
        (Some(issuer), _) => issuer.as_str(),
        (None, Some(template)) => template.as_str(),
        (None, None) => "",
    };
    let jwks_hosts = jwks_hosts::allowed(
        issuer_uri,
        &target,
        discovery.jwks_hosts.as_deref(),
        &format!("{at}.jwks_hosts"),
    )?;
    Ok(JwksSource::Remote(RemoteSource {
        endpoint: RemoteEndpoint::Discovery {
            discovery: target,
            jwks_cluster: discovery.jwks_cluster.clone(),
            jwks_hosts,
        },
        timeout_ms: timeout(discovery.timeout_ms, &format!("{at}.timeout_ms"))?,
        cache_duration_ms: cache_duration(
            discovery.cache_duration_seconds,
            &format!("{at}.cache_duration_seconds"),
        )?,
    }))
}

fn timeout(value: Option<u64>, field: &str) -> Result<u64, ConfigError> {
    match value.unwrap_or(DEFAULT_TIMEOUT_MS) {
        0 => Err(ConfigError::new(field, "must be greater than 0")),
        v if v > 60_000 => Err(ConfigError::new(field, "must be at most 60000")),
        v => Ok(v),
    }
}

fn cache_duration(value: Option<u64>, field: &str) -> Result<u64, ConfigError> {
    match value.unwrap_or(DEFAULT_CACHE_DURATION_S) {
        0 => Err(ConfigError::new(field, "must be greater than 0")),
        v if v > 30 * 24 * 3600 => Err(ConfigError::new(field, "must be at most 30 days")),
        v => Ok(v * 1000),
    }
}

fn header_location(raw: RawHeaderLocation, field: &str) -> Result<HeaderLocation, ConfigError> {
    Ok(HeaderLocation {
        name: header_name(&raw.name, &format!("{field}.name"))?.into(),
        value_prefix: raw.value_prefix.unwrap_or_default(),
    })
}

pub(super) fn header_name(name: &str, field: &str) -> Result<String, ConfigError> {
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !valid {
        return Err(ConfigError::new(
            field,
            format!("{name:?} is not a valid HTTP header name"),
        ));
    }
    Ok(name.to_ascii_lowercase())
}

fn non_empty_names(list: Vec<String>, field: &str) -> Result<Vec<String>, ConfigError> {
    if list.iter().any(String::is_empty) {
        return Err(ConfigError::new(field, "names must not be empty"));
    }
    Ok(list)
}

pub(super) fn sanitized_audiences(audiences: Vec<String>) -> Vec<String> {
    audiences
        .iter()
        .map(|a| crate::audience::sanitize(a).to_string())
        .collect()
}
