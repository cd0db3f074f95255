//! Validated plugin configuration. Everything that can be checked or precomputed is done
//! here, once per `on_configure`, so the request path only reads ready-made values.

pub mod jwks_hosts;
pub mod path_de;
mod raw;
mod tenants;
mod uri;

pub use uri::HttpTarget;

use crate::crypto::CryptoMode;
use raw::{RawConfig, RawHeaderLocation, RawMatch, RawProvider, RawRule};
use serde::de::DeserializeOwned;
use std::fmt;

pub type ProviderId = usize;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Enforce,
    Audit,
}

#[derive(Debug, Clone)]
pub struct FilterConfig {
    pub providers: Vec<Provider>,
    pub rules: Vec<Rule>,
    /// Applies when `rules` is absent: a valid token for any provider.
    pub default_requirement: Option<Requirement>,
    pub bypass_cors_preflight: bool,
    pub mode: Mode,
    pub token_cache_size: usize,
    /// Requests one worker holds for keys at most; beyond it a request is answered at once.
    pub max_held_requests: usize,
    pub max_token_bytes: usize,
    /// Which code verifies signatures (`auto`, `module`, `cross_check`).
    pub crypto: CryptoMode,
    /// Lower-case names of every header the filter may write; they are always removed from
    /// incoming requests so a client cannot forge them.
    pub written_headers: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Provider {
    pub name: String,
    /// The `iss` tokens must carry, or the template (`issuer_template`) when there is one.
    pub issuer: String,
    /// Multi-tenant issuers: `iss` must be the template with `{tid}` replaced by the token's
    /// own `tid` claim.
    pub issuer_template: Option<IssuerTemplate>,
    pub audiences: Vec<String>,
    pub require_expiration: bool,
    pub max_lifetime_seconds: Option<u64>,
    pub clock_skew_seconds: u64,
    pub source: KeySource,
    pub from_headers: Vec<HeaderLocation>,
    pub from_params: Vec<String>,
    pub from_cookies: Vec<String>,
    pub forward: bool,
    pub forward_payload_header: Option<String>,
    /// The forwarded payload keeps base64url's `=` padding (Envoy's `pad_forward_payload_header`).
    pub pad_forward_payload_header: bool,
    /// `sub` must match, when set (Envoy's `subjects`).
    pub subjects: Option<StringMatch>,
    pub claim_to_headers: Vec<ClaimToHeader>,
    pub kid_refetch_interval_ms: u64,
    /// How long a request may be held for keys (none yet, or an unknown `kid` being
    /// refetched); 0 = never held.
    pub hold_for_keys_ms: u64,
}

#[derive(Debug, Clone)]
pub enum KeySource {
    /// The JWKS text, parsed when the worker starts.
    Local(String),
    Remote(RemoteSource),
}

#[derive(Debug, Clone)]
pub struct RemoteSource {
    pub endpoint: RemoteEndpoint,
    pub timeout_ms: u64,
    pub cache_duration_ms: u64,
}

#[derive(Debug, Clone)]
pub enum RemoteEndpoint {
    Jwks(HttpTarget),
    /// Discovery document first, then the `jwks_uri` it names.
    Discovery {
        discovery: HttpTarget,
        jwks_cluster: Option<String>,
        /// Lower-case hosts the document's `jwks_uri` may name (see `jwks_hosts`).
        jwks_hosts: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderLocation {
    pub name: String,
    pub value_prefix: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimToHeader {
    pub header_name: String,
    /// The claim path split at dots, e.g. `org.team` -> ["org", "team"].
    pub claim_path: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    Provider(ProviderId),
    /// `provider_and_audiences`: the provider, with these (sanitized) audiences instead of its own.
    ProviderAudiences(ProviderId, Vec<String>),
    Any(Vec<Requirement>),
    All(Vec<Requirement>),
    AllowMissing,
    AllowMissingOrFailed,
}

/// `issuer_template` split at its `{tid}`, and the tenants allowed (empty: any, which only an
/// explicit `["*"]` asks for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerTemplate {
    pub before: String,
    pub after: String,
    pub allowed_tenants: Vec<String>,
}

/// What a tenant id may hold: GUIDs and domain-like names, never `/`, `?` or `#`, so that a
/// `tid` cannot reach into another part of the issuer URL.
pub fn is_tenant_id(tid: &str) -> bool {
    !tid.is_empty()
        && tid.len() <= 128
        && tid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

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

/// A string matcher as Envoy's `StringMatcher` (case-sensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StringMatch {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
}

impl StringMatch {
    pub fn matches(&self, value: &str) -> bool {
        match self {
            StringMatch::Exact(s) => value == s,
            StringMatch::Prefix(s) => value.starts_with(s.as_str()),
            StringMatch::Suffix(s) => value.ends_with(s.as_str()),
            StringMatch::Contains(s) => value.contains(s.as_str()),
        }
    }
}

fn string_match(raw: raw::RawStringMatcher, field: &str) -> Result<StringMatch, ConfigError> {
    let options = [
        raw.exact.map(StringMatch::Exact),
        raw.prefix.map(StringMatch::Prefix),
        raw.suffix.map(StringMatch::Suffix),
        raw.contains.map(StringMatch::Contains),
    ];
    let mut set = options.into_iter().flatten();
    match (set.next(), set.next()) {
        (Some(m), None) => {
            let empty = match &m {
                StringMatch::Exact(_) => false,
                StringMatch::Prefix(s) | StringMatch::Suffix(s) | StringMatch::Contains(s) => {
                    s.is_empty()
                }
            };
            if empty {
                return Err(ConfigError::new(
                    field,
                    "prefix, suffix and contains must not be empty",
                ));
            }
            Ok(m)
        }
        _ => Err(ConfigError::new(
            field,
            "exactly one of exact, prefix, suffix or contains is required",
        )),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathMatch {
    Prefix(String),
    Exact(String),
}

/// A rule's header condition, with Envoy's semantics (`HeaderUtility::matchHeaders`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMatch {
    /// Lower case.
    pub name: String,
    pub kind: HeaderMatchKind,
    pub invert: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderMatchKind {
    Present(bool),
    Value(StringMatch),
}

impl HeaderMatch {
    /// `value`: every value of the header joined with commas, `None` when it is absent. An
    /// absent header matches only a `present_match` that asks for absence.
    pub fn matches(&self, value: Option<&str>) -> bool {
        let Some(value) = value else {
            return matches!(self.kind, HeaderMatchKind::Present(want) if want == self.invert);
        };
        let hit = match &self.kind {
            HeaderMatchKind::Present(want) => *want,
            HeaderMatchKind::Value(m) => m.matches(value),
        };
        hit != self.invert
    }
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub path: PathMatch,
    pub headers: Vec<HeaderMatch>,
    /// Upper-case; empty matches every method.
    pub methods: Vec<String>,
    /// `None`: the rule matches and no JWT is required.
    pub requirement: Option<Requirement>,
}

impl FilterConfig {
    pub fn provider_id(&self, name: &str) -> Option<ProviderId> {
        self.providers.iter().position(|p| p.name == name)
    }
}

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

/// Errors name the full path of the offending field (`providers.p.remote_jwks.timeout_ms`),
/// which is what a user needs to find it in a large WasmPlugin. Duplicate keys anywhere are
/// refused: "the last one wins" would silently drop half of what the user wrote.
fn from_json<T: DeserializeOwned>(bytes: &[u8], field: &str) -> Result<T, ConfigError> {
    let value =
        crate::strict_json::parse(bytes).map_err(|e| ConfigError::new(field, e.to_string()))?;
    from_value(&value, field)
}

fn from_value<T: DeserializeOwned>(
    value: &serde_json::Value,
    field: &str,
) -> Result<T, ConfigError> {
    path_de::from_value(value).map_err(|(path, e)| {
        let at = match (field, path.as_str()) {
            (f, "") => f.to_string(),
            ("config", p) => p.to_string(),
            (f, p) => format!("{f}.{p}"),
        };
        ConfigError::new(at, e.to_string())
    })
}

fn provider(name: &str, raw: RawProvider, field: &str) -> Result<Provider, ConfigError> {
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
    let source = key_source(&raw, field)?;
    // Envoy's defaults (Authorization: Bearer, ?access_token=) apply only when no location
    // is configured at all; naming any location means "only there".
    let no_locations =
        raw.from_headers.is_none() && raw.from_params.is_none() && raw.from_cookies.is_none();
    let from_headers = match raw.from_headers {
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
            let claim_path: Vec<String> = c.claim_name.split('.').map(str::to_string).collect();
            if claim_path.iter().any(String::is_empty) {
                return Err(ConfigError::new(
                    format!("{at}.claim_name"),
                    "must be a dotted path of non-empty names",
                ));
            }
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
    })
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

fn key_source(raw: &RawProvider, field: &str) -> Result<KeySource, ConfigError> {
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
        return Ok(KeySource::Local(local.inline_string.clone()));
    }
    if let Some(remote) = &raw.remote_jwks {
        let at = format!("{field}.remote_jwks");
        non_empty_cluster(&remote.cluster, &format!("{at}.cluster"))?;
        let target = HttpTarget::parse(&remote.uri, remote.cluster.as_deref())
            .map_err(|reason| ConfigError::new(format!("{at}.uri"), reason))?;
        return Ok(KeySource::Remote(RemoteSource {
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
    Ok(KeySource::Remote(RemoteSource {
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
        name: header_name(&raw.name, &format!("{field}.name"))?,
        value_prefix: raw.value_prefix.unwrap_or_default(),
    })
}

fn header_name(name: &str, field: &str) -> Result<String, ConfigError> {
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

/// A rule may match a pseudo-header such as `:authority`, as Envoy's route matchers can (one host
/// of a shared gateway); headers the filter writes never take that form.
fn matcher_header_name(name: &str, field: &str) -> Result<String, ConfigError> {
    header_name(name.strip_prefix(':').unwrap_or(name), field)?;
    Ok(name.to_ascii_lowercase())
}

fn header_match(value: &serde_json::Value, field: &str) -> Result<HeaderMatch, ConfigError> {
    use serde_json::Value;
    let Some(object) = value.as_object() else {
        return Err(ConfigError::new(field, "must be an object"));
    };
    let (mut name, mut kind, mut invert) = (None, None, false);
    for (key, v) in object {
        let at = format!("{field}.{key}");
        match (key.as_str(), v) {
            ("name", Value::String(n)) => name = Some(matcher_header_name(n, &at)?),
            ("string_match", m) if kind.is_none() => {
                let m = string_match(from_value(m, &at)?, &at)?;
                if !matches!(m, StringMatch::Exact(_) | StringMatch::Prefix(_)) {
                    return Err(ConfigError::new(
                        at,
                        "rules match headers with exact or prefix",
                    ));
                }
                kind = Some(HeaderMatchKind::Value(m));
            }
            ("present_match", Value::Bool(b)) if kind.is_none() => {
                kind = Some(HeaderMatchKind::Present(*b))
            }
            ("invert_match", Value::Bool(b)) => invert = *b,
            ("string_match" | "present_match", _) => {
                return Err(ConfigError::new(
                    field,
                    "exactly one of string_match or present_match is required",
                ))
            }
            ("name" | "invert_match", _) => return Err(ConfigError::new(at, "wrong type")),
            _ => return Err(ConfigError::new(at, "unknown field")),
        }
    }
    match (name, kind) {
        (Some(name), Some(kind)) => Ok(HeaderMatch { name, kind, invert }),
        (None, _) => Err(ConfigError::new(field, "name is required")),
        (_, None) => Err(ConfigError::new(
            field,
            "exactly one of string_match or present_match is required",
        )),
    }
}

fn non_empty_names(list: Vec<String>, field: &str) -> Result<Vec<String>, ConfigError> {
    if list.iter().any(String::is_empty) {
        return Err(ConfigError::new(field, "names must not be empty"));
    }
    Ok(list)
}

fn rule(
    value: &serde_json::Value,
    providers: &[Provider],
    field: &str,
) -> Result<Rule, ConfigError> {
    let raw: RawRule = from_value(value, field)?;
    let path = path_match(&raw.matcher, &format!("{field}.match"))?;
    let methods = raw
        .matcher
        .methods
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            if m.is_empty() || !m.bytes().all(|b| b.is_ascii_alphabetic()) {
                Err(ConfigError::new(
                    format!("{field}.match.methods"),
                    format!("{m:?} is not an HTTP method"),
                ))
            } else {
                Ok(m.to_ascii_uppercase())
            }
        })
        .collect::<Result<_, _>>()?;
    let headers = (raw.matcher.headers.iter().enumerate())
        .map(|(i, h)| header_match(h, &format!("{field}.match.headers[{i}]")))
        .collect::<Result<_, _>>()?;
    let requirement = raw
        .requires
        .as_ref()
        .map(|r| requirement(r, providers, &format!("{field}.requires"), 0))
        .transpose()?;
    Ok(Rule {
        headers,
        path,
        methods,
        requirement,
    })
}

fn path_match(raw: &RawMatch, field: &str) -> Result<PathMatch, ConfigError> {
    match (&raw.prefix, &raw.path) {
        (Some(p), None) if p.starts_with('/') => Ok(PathMatch::Prefix(p.clone())),
        (None, Some(p)) if p.starts_with('/') => Ok(PathMatch::Exact(p.clone())),
        (Some(_), None) | (None, Some(_)) => {
            Err(ConfigError::new(field, "paths must start with '/'"))
        }
        _ => Err(ConfigError::new(
            field,
            "exactly one of prefix or path is required",
        )),
    }
}

const MAX_REQUIREMENT_DEPTH: usize = 8;

fn requirement(
    value: &serde_json::Value,
    providers: &[Provider],
    field: &str,
    depth: usize,
) -> Result<Requirement, ConfigError> {
    if depth > MAX_REQUIREMENT_DEPTH {
        return Err(ConfigError::new(
            field,
            "requirements are nested too deeply",
        ));
    }
    let Some(object) = value.as_object() else {
        return Err(ConfigError::new(field, "must be an object"));
    };
    let mut entries = object.iter();
    let (Some((key, inner)), None) = (entries.next(), entries.next()) else {
        return Err(ConfigError::new(
            field,
            "must have exactly one of provider_name, provider_and_audiences, requires_any, requires_all, allow_missing, allow_missing_or_failed",
        ));
    };
    let at = format!("{field}.{key}");
    match key.as_str() {
        "provider_name" => provider_id(inner, providers, &at).map(Requirement::Provider),
        "provider_and_audiences" => provider_and_audiences(inner, providers, &at),
        "requires_any" | "requires_all" => {
            // Envoy's proto wraps the list as {"requirements": [...]}; accept both spellings.
            let list = match inner {
                serde_json::Value::Array(list) => list,
                serde_json::Value::Object(o) if o.len() == 1 => match o.get("requirements") {
                    Some(serde_json::Value::Array(list)) => list,
                    _ => return Err(ConfigError::new(at, "must be a list of requirements")),
                },
                _ => return Err(ConfigError::new(at, "must be a list of requirements")),
            };
            if list.len() < 2 {
                return Err(ConfigError::new(at, "needs at least two requirements"));
            }
            let children = list
                .iter()
                .enumerate()
                .map(|(i, v)| requirement(v, providers, &format!("{at}[{i}]"), depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if key == "requires_any" {
                Requirement::Any(children)
            } else {
                Requirement::All(children)
            })
        }
        "allow_missing" | "allow_missing_or_failed" => {
            if !inner.as_object().is_some_and(|o| o.is_empty()) {
                return Err(ConfigError::new(at, "must be an empty object {}"));
            }
            Ok(if key == "allow_missing" {
                Requirement::AllowMissing
            } else {
                Requirement::AllowMissingOrFailed
            })
        }
        other => Err(ConfigError::new(
            field,
            format!("unknown requirement {other:?}"),
        )),
    }
}

fn provider_id(
    name: &serde_json::Value,
    providers: &[Provider],
    at: &str,
) -> Result<ProviderId, ConfigError> {
    let name = name
        .as_str()
        .ok_or_else(|| ConfigError::new(at, "must be a string"))?;
    providers
        .iter()
        .position(|p| p.name == name)
        .ok_or_else(|| ConfigError::new(at, format!("unknown provider {name:?}")))
}

/// `{"provider_name": ..., "audiences": [...]}`: the provider's checks with other audiences.
fn provider_and_audiences(
    value: &serde_json::Value,
    providers: &[Provider],
    at: &str,
) -> Result<Requirement, ConfigError> {
    let Some(object) = value.as_object() else {
        return Err(ConfigError::new(at, "must be an object"));
    };
    if let Some(other) = object
        .keys()
        .find(|k| *k != "provider_name" && *k != "audiences")
    {
        return Err(ConfigError::new(
            format!("{at}.{other}"),
            "unknown field (expected provider_name, audiences)",
        ));
    }
    let id = match object.get("provider_name") {
        Some(name) => provider_id(name, providers, &format!("{at}.provider_name"))?,
        None => return Err(ConfigError::new(at, "provider_name is required")),
    };
    let field = format!("{at}.audiences");
    // An empty list would silently turn the audience check off for this rule.
    let audiences: Vec<String> = match object.get("audiences").and_then(|v| v.as_array()) {
        Some(list) if !list.is_empty() => list
            .iter()
            .map(|v| match v.as_str() {
                Some(a) if !a.is_empty() => Ok(a.to_string()),
                _ => Err(ConfigError::new(&field, "must hold non-empty strings")),
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(ConfigError::new(
                field,
                "must be a non-empty list of audiences",
            ))
        }
    };
    Ok(Requirement::ProviderAudiences(
        id,
        sanitized_audiences(audiences),
    ))
}

fn sanitized_audiences(audiences: Vec<String>) -> Vec<String> {
    audiences
        .iter()
        .map(|a| crate::audience::sanitize(a).to_string())
        .collect()
}

#[cfg(test)]
mod tests;
