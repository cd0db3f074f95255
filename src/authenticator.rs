//! One provider's verdict on one token: issuer, time window, audience, then key and
//! signature, in Envoy's order so that a token gets the same reason from both.

use crate::audience;
use crate::config::{is_tenant_id, IssuerTemplate, Provider};
use crate::crypto::{Crypto, Tally};
use crate::error::AuthError;
use crate::jwks::cost::REQUEST_BUDGET;
use crate::jwks::{KeySet, MAX_KEYS_TRIED};
use crate::jwt::Jwt;

/// The claim checks that need no key. `audiences` (sanitized) are the provider's, or those of
/// the `provider_and_audiences` requirement asking.
pub fn check_claims(
    provider: &Provider,
    audiences: &[String],
    jwt: &Jwt<'_>,
    now_s: u64,
) -> Result<(), AuthError> {
    match &provider.issuer_template {
        None if jwt.iss.as_deref() != Some(provider.issuer.as_str()) => {
            return Err(AuthError::UnknownIssuer)
        }
        None => {}
        Some(template) => check_tenant(template, jwt)?,
    }
    crate::resource::check_header(provider, jwt)?;
    let skew = provider.clock_skew_seconds;
    if let Some(nbf) = jwt.nbf {
        if nbf > now_s.saturating_add(skew) {
            return Err(AuthError::NotYetValid);
        }
    }
    match jwt.exp {
        Some(exp) if now_s > exp.saturating_add(skew) => return Err(AuthError::Expired),
        None if provider.require_expiration || provider.max_lifetime_seconds.is_some() => {
            return Err(AuthError::ExpirationRequired)
        }
        _ => {}
    }
    // As Envoy: the time left until `exp` is bounded, whatever `iat` claims, so a token
    // minted with a future `iat` cannot outlive the bound either.
    if let (Some(max), Some(exp)) = (provider.max_lifetime_seconds, jwt.exp) {
        if exp.saturating_sub(now_s) > max {
            return Err(AuthError::LifetimeTooLong);
        }
    }
    if !audience::allowed(audiences, &jwt.audiences) {
        return Err(AuthError::AudienceNotAllowed);
    }
    // As Envoy: a token without `sub` is checked as an empty subject.
    if let Some(subjects) = &provider.subjects {
        if !subjects.matches(jwt.sub.as_deref().unwrap_or("")) {
            return Err(AuthError::SubjectNotAllowed);
        }
    }
    Ok(())
}

/// A multi-tenant issuer: `iss` must be the template filled with the token's own `tid`, so a
/// token of tenant A cannot pass as tenant B's; then `tid` must be an allowed tenant.
fn check_tenant(template: &IssuerTemplate, jwt: &Jwt<'_>) -> Result<(), AuthError> {
    let tid = jwt.claims.get("tid").and_then(|v| v.as_str());
    let (Some(tid), Some(iss)) = (tid.filter(|t| is_tenant_id(t)), jwt.iss.as_deref()) else {
        return Err(AuthError::UnknownIssuer);
    };
    let filled = iss
        .strip_prefix(template.before.as_str())
        .and_then(|rest| rest.strip_suffix(template.after.as_str()));
    if filled != Some(tid) {
        return Err(AuthError::UnknownIssuer);
    }
    if !template.allowed_tenants.is_empty() && !template.allowed_tenants.iter().any(|t| t == tid) {
        log::debug!("jwt_authn_wasm: tenant {tid} is not allowed");
        return Err(AuthError::TenantNotAllowed);
    }
    Ok(())
}

/// The signature work left to one request (`jwks::cost` units), shared by all its tokens
/// and providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    left: u32,
}

impl Budget {
    pub fn per_request() -> Budget {
        Budget {
            left: REQUEST_BUDGET,
        }
    }

    pub fn left(&self) -> u32 {
        self.left
    }
}

/// Tries the keys that fit the token: a matching `kid` when both name one, a key type (and
/// pinned `alg`) that fits the token's `alg`, and an RSA modulus within the provider's
/// `max_rsa_key_bits`. At most `MAX_KEYS_TRIED` of them, and only while the request's
/// budget lasts, so that neither a token without `kid` nor a JWKS of costly keys sharing
/// one `kid` can make a request verify against a whole JWKS.
pub fn verify_signature(
    keys: &KeySet,
    jwt: &Jwt<'_>,
    max_rsa_bits: usize,
    crypto: &Crypto,
    budget: &mut Budget,
    tally: &mut Tally,
) -> Result<(), AuthError> {
    let candidates = keys.keys.iter().filter(|k| {
        k.fits(jwt.alg)
            && k.key.rsa_bits() <= max_rsa_bits
            && match (&jwt.kid, &k.kid) {
                (Some(want), Some(have)) => want == have,
                _ => true,
            }
    });
    let mut found = false;
    for key in candidates.take(MAX_KEYS_TRIED) {
        found = true;
        let Some(left) = budget.left.checked_sub(key.cost) else {
            log::debug!(
                "jwt_authn_wasm: a key is skipped: the request's verification budget is spent"
            );
            tally.budget_skipped += 1;
            continue;
        };
        budget.left = left;
        if key.key.verify(jwt, crypto, tally) {
            return Ok(());
        }
    }
    if found {
        Err(AuthError::VerificationFailed)
    } else {
        Err(AuthError::NoMatchingKey)
    }
}

#[cfg(test)]
mod budget_tests;
#[cfg(test)]
mod tests;
