//! The whole per-request decision in plain Rust: which requirement applies, which tokens
//! verify, what to forward and what to answer. The proxy-wasm glue only feeds it a request
//! and applies the decision, so all of this is unit-tested natively.

use crate::audience;
use crate::authenticator::{self, Budget};
use crate::config::{FilterConfig, Mode, Provider, ProviderId, Requirement, Rule};
use crate::crypto::{Crypto, Tally};
use crate::error::AuthError;
use crate::extractor::{self, Extracted, Location, Request};
use crate::jwks::KeySet;
use crate::jwt;
use crate::matcher;
use crate::resource;
use crate::token_cache::{TokenCache, VerifiedToken};
use crate::verifier::{self, ProviderResult, Verdict};
use serde_json::Value;
use smallvec::SmallVec;
use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

/// What a provider's keys look like to a request right now.
pub enum KeyState {
    Ready {
        keys: Rc<KeySet>,
        version: u64,
    },
    /// A fetch is under way (or about to start) and the request may wait for it.
    Wait,
    /// No keys, and none expected within this request's patience.
    Failed,
}

/// What a token whose `kid` no current key has is to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KidRefetch {
    /// A refetch is under way (or about to start): wait for it.
    Wait,
    /// No refetch for this token (the budget is spent): answer with the keys we have.
    NoKey,
    /// The token waited for a refetch that brought no keys before its hold ended.
    FetchFailed,
}

/// Access to providers' keys; the wasm glue backs it with shared data and fetches.
pub trait KeySource {
    fn state(&mut self, provider: ProviderId) -> KeyState;
    /// The token names a `kid` no current key has.
    fn refetch_for_unknown_kid(&mut self, provider: ProviderId) -> KidRefetch;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stat {
    Allowed,
    Denied,
    CorsPreflightBypassed,
    AuditWouldDeny,
    ProviderAllowed(ProviderId),
    ProviderDenied(ProviderId, &'static str),
    CacheHit(ProviderId),
    CacheMiss(ProviderId),
    /// Signature verifications by backend, host errors and backend disagreements.
    Crypto(Tally),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Continue,
    Deny {
        status: u32,
        body: String,
        www_authenticate: String,
    },
    /// Pause the request until keys arrive, then decide again.
    Wait,
    /// Answer from the filter with a document (RFC 9728 protected-resource metadata).
    Respond {
        status: u32,
        content_type: &'static str,
        body: String,
    },
}

/// What one decision counts; a cache hit counts two or three.
pub type Stats = SmallVec<[Stat; 4]>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub outcome: Outcome,
    /// Applied before anything is written, on every decision.
    pub remove_headers: SmallVec<[Arc<str>; 2]>,
    pub set_headers: Vec<(String, String)>,
    pub new_path: Option<String>,
    pub stats: Stats,
    /// For the debug log line of a denial.
    pub reason: Option<AuthError>,
    /// What this decision changes that Envoy's route may have been chosen on.
    pub route: RouteChange,
}

/// Envoy picks a request's route before this filter runs; headers written or removed here
/// make that choice stale unless the route cache is cleared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RouteChange {
    /// Claim or payload headers written, or the path changed: a route may match on them.
    pub rewritten: bool,
    /// A client sent a header this filter writes: the route may have been chosen on a forged
    /// value, so it must be chosen again, or the request refused.
    pub forged_removed: bool,
}

pub struct Engine<'a> {
    pub config: &'a FilterConfig,
    pub cache: &'a mut TokenCache,
    pub keys: &'a mut dyn KeySource,
    pub crypto: &'a Crypto,
    pub now_s: u64,
}

/// A provider asked about with some audiences (its own: `None`), and its answer.
type Asked<'c, 'r> = (ProviderId, Option<&'c [String]>, Checked<'r>);

#[derive(Clone)]
struct Checked<'r> {
    result: ProviderResult,
    /// Every token the provider's locations held, once all of them verified.
    verified: SmallVec<[(Extracted<'r>, Rc<VerifiedToken>); 1]>,
    /// DPoP proofs that checked out, remembered once the request is allowed.
    proofs: Vec<crate::dpop::Proof>,
}

impl<'c> Engine<'c> {
    pub fn decide(&mut self, req: &Request) -> Decision {
        let mut decision = self.decide_without_route(req);
        // The token header's removal is left out: routes matching on it would be odd, and
        // clearing the cache on every request costs a route lookup.
        decision.route = RouteChange {
            rewritten: !decision.set_headers.is_empty() || decision.new_path.is_some(),
            forged_removed: forged::any_forged(&self.config.written_headers, req),
        };
        decision
    }

    fn decide_without_route(&mut self, req: &Request) -> Decision {
        let mut decision = Decision {
            outcome: Outcome::Continue,
            remove_headers: (forged::headers_to_remove(&self.config.written_headers, req))
                .into_iter()
                .map(Arc::from)
                .collect(),
            set_headers: Vec::new(),
            new_path: None,
            stats: Stats::new(),
            reason: None,
            route: RouteChange::default(),
        };
        if let Some(document) = resource::metadata_response(self.config, req) {
            decision.outcome = document;
            return decision;
        }
        if self.config.bypass_cors_preflight && is_cors_preflight(req) {
            decision.stats.push(Stat::CorsPreflightBypassed);
            return decision;
        }
        let requirement = match matcher::requirement_for(self.config, req) {
            Ok(Some(requirement)) => requirement,
            Ok(None) => return decision,
            Err(ambiguous) => return self.refuse_path(req, ambiguous, decision),
        };
        let config = self.config;
        let providers = config.providers.len();
        // One entry per provider and audience list asked about (`provider_and_audiences` may
        // ask about one provider with other audiences), so each is checked once per request.
        let mut checked: SmallVec<[Asked; 2]> = SmallVec::new();
        let mut budget = Budget::per_request();
        let verdict = verifier::evaluate(requirement, providers, &mut |id, audiences| {
            if let Some((_, _, done)) = checked.iter().find(|(i, a, _)| *i == id && *a == audiences)
            {
                return done.result;
            }
            let mut done = self.check(id, audiences, req, &mut budget, &mut decision.stats);
            if config.ignore_unknown_issuers
                && done.result == ProviderResult::Failed(AuthError::UnknownIssuer)
            {
                // A token no provider claims is no token at all, so `allow_missing` passes it
                // as Envoy passes a request without one.
                done.result = ProviderResult::Failed(AuthError::Missing);
            }
            let result = done.result;
            checked.push((id, audiences, done));
            result
        });
        let rule = conditions_of(config, requirement);
        let verdict = match (verdict, rule) {
            (Verdict::Allow, Some(rule)) => {
                let tokens = (checked.iter())
                    .filter(|(_, _, c)| c.result == ProviderResult::Verified)
                    .flat_map(|(id, _, c)| c.verified.iter().map(move |(_, v)| (*id, &v.claims)));
                match resource::authorize(rule, tokens) {
                    Ok(()) => Verdict::Allow,
                    Err((err, id)) => Verdict::Deny(err, id),
                }
            }
            // Every provider asked said "not my issuer": with `ignore_unknown_issuers` that is
            // no token at all, for tokens minted for other services (istio#40718).
            (Verdict::Deny(AuthError::UnknownIssuer, id), _) if config.ignore_unknown_issuers => {
                Verdict::Deny(AuthError::Missing, id)
            }
            (verdict, _) => verdict,
        };
        match verdict {
            Verdict::Pending => {
                decision.outcome = Outcome::Wait;
                // Counted when the request is decided again; verifications happened now.
                decision.stats.retain(|s| matches!(s, Stat::Crypto(_)));
            }
            Verdict::Allow => {
                decision.stats.push(Stat::Allowed);
                let proofs: Vec<_> = (checked.iter())
                    .filter(|(_, _, c)| c.result == ProviderResult::Verified)
                    .flat_map(|(_, _, c)| c.proofs.iter().cloned())
                    .collect();
                if !proofs.is_empty() {
                    crate::dpop::remember(&proofs, self.now_s);
                }
                self.forward(req, &checked, &mut decision);
            }
            Verdict::Deny(err, provider) => {
                decision.reason = Some(err);
                let why = Stat::ProviderDenied(provider, err.reason());
                if self.config.mode == Mode::Audit {
                    decision.stats.extend([why, Stat::AuditWouldDeny]);
                    self.forward(req, &checked, &mut decision);
                } else {
                    decision.stats.extend([Stat::Denied, why]);
                    decision.outcome = deny(req, err, rule);
                    if let (
                        Some(m),
                        Outcome::Deny {
                            www_authenticate, ..
                        },
                    ) = (&config.resource_metadata, &mut decision.outcome)
                    {
                        // RFC 9728 §5.1: where a client finds what this resource accepts.
                        www_authenticate.push_str(&format!(", resource_metadata=\"{}\"", m.url));
                    }
                }
            }
        }
        decision
    }

    /// Every token found in the provider's locations must verify, as in Envoy: a good token
    /// next to a bad one would otherwise carry the bad one to an upstream that may trust it.
    fn check<'r>(
        &mut self,
        id: ProviderId,
        audiences: Option<&[String]>,
        req: &'r Request,
        budget: &mut Budget,
        stats: &mut Stats,
    ) -> Checked<'r>
    where
        'c: 'r,
    {
        let failed = |e: AuthError| Checked {
            result: ProviderResult::Failed(e),
            verified: SmallVec::new(),
            proofs: Vec::new(),
        };
        let config: &'c FilterConfig = self.config;
        let Some(provider) = config.providers.get(id) else {
            return failed(AuthError::Missing);
        };
        let audiences = audiences.unwrap_or(&provider.audiences);
        let tokens = extractor::extract_all(provider, req);
        if tokens.is_empty() {
            return failed(AuthError::Missing);
        }
        let mut verified: SmallVec<[(Extracted<'r>, Rc<VerifiedToken>); 1]> = SmallVec::new();
        let mut pending = false;
        let mut proofs = Vec::new();
        for extracted in tokens {
            let seen = verified
                .iter()
                .find(|(e, _)| e.token == extracted.token)
                .map(|(_, v)| v.clone());
            let result = match seen {
                Some(v) => Ok(Some(v)),
                None => self.check_token(id, provider, audiences, &extracted.token, budget, stats),
            };
            let result = result.and_then(|v| match v {
                Some(v) => {
                    let mut tally = Tally::default();
                    let context = (self.now_s, self.crypto, &mut tally);
                    let proof =
                        resource::check_sender(provider, &extracted.token, &v.claims, req, context);
                    if !tally.is_empty() {
                        stats.push(Stat::Crypto(tally));
                    }
                    proofs.extend(proof?);
                    Ok(Some(v))
                }
                None => Ok(None),
            });
            match result {
                Ok(Some(v)) => verified.push((extracted, v)),
                Ok(None) => pending = true,
                Err(e) => return failed(e),
            }
        }
        if pending {
            return Checked {
                result: ProviderResult::Pending,
                verified: SmallVec::new(),
                proofs: Vec::new(),
            };
        }
        stats.push(Stat::ProviderAllowed(id));
        Checked {
            result: ProviderResult::Verified,
            verified,
            proofs,
        }
    }

    /// One token, from the cache or verified now. `Ok(None)`: wait for keys.
    fn check_token(
        &mut self,
        id: ProviderId,
        provider: &Provider,
        audiences: &[String],
        token: &str,
        budget: &mut Budget,
        stats: &mut Stats,
    ) -> Result<Option<Rc<VerifiedToken>>, AuthError> {
        if token.len() > self.config.max_token_bytes {
            return Err(AuthError::TooLarge);
        }
        let state = self.keys.state(id);
        if let KeyState::Ready { version, .. } = &state {
            if let Some(hit) = self.cache.get(id, token, *version, self.now_s) {
                stats.push(Stat::CacheHit(id));
                // The cache holds tokens valid but for the audience, which depends on the
                // requirement asking (as in Envoy).
                if !audience::allowed(audiences, &hit.audiences) {
                    return Err(AuthError::AudienceNotAllowed);
                }
                return Ok(Some(hit));
            }
        }
        let verified = self.verify(id, provider, audiences, token, state, budget, stats)?;
        if verified.is_some() {
            stats.push(Stat::CacheMiss(id));
        }
        Ok(verified)
    }

    /// `Ok(None)`: wait for keys. `budget` is the request's, shared with its other tokens.
    #[allow(clippy::too_many_arguments)]
    fn verify(
        &mut self,
        id: ProviderId,
        provider: &Provider,
        audiences: &[String],
        token: &str,
        state: KeyState,
        budget: &mut Budget,
        stats: &mut Stats,
    ) -> Result<Option<Rc<VerifiedToken>>, AuthError> {
        let jwt = jwt::parse(token)?;
        authenticator::check_claims(provider, audiences, &jwt, self.now_s)?;
        let (keys, version) = match state {
            KeyState::Ready { keys, version } => (keys, version),
            KeyState::Wait => return Ok(None),
            KeyState::Failed => return Err(AuthError::JwksFetchFailed),
        };
        let mut tally = Tally::default();
        let checked = authenticator::verify_signature(
            &keys,
            &jwt,
            provider.max_rsa_key_bits,
            self.crypto,
            budget,
            &mut tally,
        );
        if !tally.is_empty() {
            stats.push(Stat::Crypto(tally));
        }
        match checked {
            Ok(()) => {}
            Err(AuthError::NoMatchingKey)
                if jwt.kid.as_deref().is_some_and(|kid| !keys.has_kid(kid)) =>
            {
                return match self.keys.refetch_for_unknown_kid(id) {
                    KidRefetch::Wait => Ok(None),
                    KidRefetch::NoKey => Err(AuthError::NoMatchingKey),
                    KidRefetch::FetchFailed => Err(AuthError::JwksFetchFailed),
                };
            }
            Err(e) => return Err(e),
        }
        let verified = Rc::new(VerifiedToken {
            payload_b64: jwt.payload_b64.to_string(),
            audiences: jwt.audiences,
            claims: jwt.claims,
        });
        let valid_until_s = jwt.exp.map_or(u64::MAX, |exp| {
            exp.saturating_add(provider.clock_skew_seconds)
        });
        self.cache
            .insert(id, token, version, valid_until_s, verified.clone());
        Ok(Some(verified))
    }

    /// Headers and path changes for every token that verified.
    fn forward(
        &self,
        req: &Request,
        checked: &[(ProviderId, Option<&[String]>, Checked)],
        decision: &mut Decision,
    ) {
        // Copied only when a token parameter is taken out of it.
        let mut path = Cow::Borrowed(req.path());
        // In provider order, each provider once, whatever audiences it was asked about.
        for (id, provider) in self.config.providers.iter().enumerate() {
            let Some(tokens) = checked
                .iter()
                .find(|(i, _, c)| *i == id && c.result == ProviderResult::Verified)
                .map(|(_, _, c)| c.verified.as_slice())
            else {
                continue;
            };
            if !provider.forward {
                for (extracted, _) in tokens {
                    match &extracted.location {
                        Location::Header(name) => {
                            push_unique(&mut decision.remove_headers, Arc::clone(name))
                        }
                        Location::Param(name) => {
                            path = Cow::Owned(extractor::path_without_param(&path, name))
                        }
                        // Rewriting the cookie header risks breaking the application's own
                        // cookies; Envoy leaves it in place too.
                        Location::Cookie(_) => {}
                    }
                }
            }
            // Payload and claim headers come from the first token found, so that a request
            // carrying several never gets two values for one header.
            let Some((_, verified)) = tokens.first() else {
                continue;
            };
            if let Some(header) = &provider.forward_payload_header {
                let mut payload = verified.payload_b64.clone();
                if provider.pad_forward_payload_header {
                    // Base64url with `=` padding to a multiple of four, as Envoy writes it.
                    let pad = (4 - payload.len() % 4) % 4;
                    payload.extend(std::iter::repeat_n('=', pad));
                }
                decision.set_headers.push((header.clone(), payload));
            }
            for c in &provider.claim_to_headers {
                if let Some(value) = claim_header_value(&verified.claims, &c.claim_path) {
                    decision.set_headers.push((c.header_name.clone(), value));
                }
            }
        }
        if path != req.path() {
            decision.new_path = Some(path.into_owned());
        }
    }
}

/// The rule whose requirement this is, when it has `scopes` or `claims`. The matcher hands out
/// the requirement, which lives in its rule, so identity finds the rule.
fn conditions_of<'c>(config: &'c FilterConfig, requirement: &Requirement) -> Option<&'c Rule> {
    (config.rules.iter())
        .filter(|r| resource::has_conditions(r))
        .find(|r| (r.requirement.as_ref()).is_some_and(|q| std::ptr::eq(q, requirement)))
}

fn push_unique(list: &mut SmallVec<[Arc<str>; 2]>, name: Arc<str>) {
    if !list.contains(&name) {
        list.push(name);
    }
}

fn is_cors_preflight(req: &Request) -> bool {
    req.method() == "OPTIONS"
        && req.header("origin").is_some()
        && req.header("access-control-request-method").is_some()
}

/// Envoy caps the realm's path at 256 bytes; the query is left out so that a token sent as a
/// parameter is never echoed back.
const MAX_REALM_PATH_BYTES: usize = 256;

fn deny(req: &Request, err: AuthError, rule: Option<&Rule>) -> Outcome {
    let path = req.path().split('?').next().unwrap_or("");
    let scheme = if req.scheme().is_empty() {
        "http"
    } else {
        req.scheme()
    };
    let mut path = path.to_string();
    if path.len() > MAX_REALM_PATH_BYTES {
        let mut end = MAX_REALM_PATH_BYTES;
        while !path.is_char_boundary(end) {
            end -= 1;
        }
        path.truncate(end);
    }
    let realm = format!("{scheme}://{}{path}", req.host());
    // A quote would end the parameter early.
    let realm = realm.replace('"', "%22");
    let challenge = format!("Bearer realm=\"{realm}\"");
    let www_authenticate = match (err, rule) {
        (AuthError::Missing, _) => challenge,
        // RFC 9449 §7.1: the DPoP scheme's own challenge.
        (AuthError::InvalidDpopProof, _) => "DPoP error=\"invalid_dpop_proof\"".to_string(),
        (AuthError::InsufficientScope | AuthError::ClaimNotAllowed, Some(rule)) => {
            resource::insufficient_scope_challenge(&challenge, rule)
        }
        _ => format!("{challenge}, error=\"invalid_token\""),
    };
    Outcome::Deny {
        status: err.status_code(),
        body: err.to_string(),
        www_authenticate,
    }
}

/// As Envoy writes claims: strings as they are, numbers and booleans as JSON writes them
/// (Envoy prints a fraction with six digits, `2.500000`; JSON's `2.5` is kept), lists and
/// objects as base64 of their JSON, so `["a","b"]` and `"a,b"` stay apart. Values with
/// control characters are dropped: they cannot be header values (Envoy answers 503); so are
/// strings with a comma, which cannot be one.
fn claim_header_value(claims: &serde_json::Map<String, Value>, path: &[String]) -> Option<String> {
    use base64::Engine as _;
    let text = match resource::claim_at(claims, path)? {
        // A comma makes one header line read as a list: RBAC matches the whole line, an
        // upstream that splits it sees each part, so "alice,admin" would pass a policy that
        // denies "admin" and still read as admin behind it (CVE-2026-26308's class).
        Value::String(s) if s.contains(',') => return None,
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        value @ (Value::Array(_) | Value::Object(_)) => {
            let json = serde_json::to_string(value).ok()?;
            base64::engine::general_purpose::STANDARD.encode(json)
        }
        Value::Null => return None,
    };
    if text.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
        return None;
    }
    Some(text)
}

mod forged;
mod refuse;

#[cfg(test)]
mod tests;
