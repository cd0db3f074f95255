//! The validated runtime configuration: what `parse` yields and the request path reads.

use super::{ClaimCheck, HttpTarget, ResourceMetadata, SenderConstraint};
use crate::crypto::CryptoMode;

pub type ProviderId = usize;

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
    /// RFC 9728: served on its path, named in every 401 challenge.
    pub resource_metadata: Option<ResourceMetadata>,
    /// A token whose `iss` no provider of the requirement knows counts as no token.
    pub ignore_unknown_issuers: bool,
    /// Some provider checks `cnf` bindings: the host glue reads the client certificate.
    pub binds_tokens: bool,
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
    pub source: JwksSource,
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
    /// RSA keys with larger moduli are never tried (`jwks::DEFAULT_MAX_RSA_KEY_BITS` unless set).
    pub max_rsa_key_bits: usize,
    /// The `alg` values accepted; `None`: any the filter implements.
    pub algorithms: Option<Vec<crate::jwt::Alg>>,
    /// The `typ` values accepted, normalized by `token_type` (`""`: no `typ`); `None`: any.
    pub token_types: Option<Vec<String>>,
    /// Certificate-bound tokens (RFC 8705).
    pub sender_constraint: SenderConstraint,
}

#[derive(Debug, Clone)]
pub enum JwksSource {
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
    /// Shared rather than copied: a decision names the header to remove on every request
    /// whose token it takes out (`forward: false`), cache hits included.
    pub name: std::sync::Arc<str>,
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
    /// Scopes a token that satisfied `requirement` must all grant.
    pub scopes: Vec<String>,
    /// Conditions on the claims of a token that satisfied `requirement`.
    pub claims: Vec<ClaimCheck>,
}
