//! One JWTRule as one provider of the filter's configuration, field by field as Istio hands
//! it to Envoy's jwt_authn (pilot's `convertToEnvoyJwtConfig`).

use super::duration;
use super::istio::JwtRule;
use super::{error, ConvertError, Notes};
use serde_json::{json, Map, Value};

/// The bound `config::parse` puts on `timeout_ms`.
const MAX_TIMEOUT_MS: u64 = 60_000;

/// How long istiod has Envoy keep fetched keys (`CacheDuration` 5 minutes in pilot's
/// `convertToEnvoyJwtConfig`); the filter's own default is 600 s.
const ISTIO_CACHE_SECONDS: u64 = 300;

pub struct Converted {
    pub provider: Value,
    /// The URL whose host the filter calls for keys (the JWKS, or the issuer's discovery
    /// document); `None` for inline keys.
    pub fetches: Option<String>,
}

pub fn convert(rule: &JwtRule, at: &str, notes: &mut Notes) -> Result<Converted, ConvertError> {
    let issuer = match rule.issuer.as_deref() {
        Some(issuer) if !issuer.is_empty() => issuer,
        _ => return Err(error(format!("{at}.issuer"), "is required")),
    };
    let mut p = Map::new();
    p.insert("issuer".into(), json!(issuer));
    if let Some(audiences) = rule.audiences.as_ref().filter(|a| !a.is_empty()) {
        p.insert("audiences".into(), json!(audiences));
    }
    let fetches = key_source(rule, issuer, at, &mut p, notes)?;
    // Proto3 lists and strings have no presence: Istio passes an empty one as unset, and
    // Envoy's default locations apply only when all three lists are empty.
    if let Some(headers) = rule.from_headers.as_ref().filter(|h| !h.is_empty()) {
        let headers: Vec<Value> = headers
            .iter()
            .map(|h| match h.prefix.as_deref().filter(|p| !p.is_empty()) {
                Some(prefix) => json!({"name": h.name, "value_prefix": prefix}),
                None => json!({"name": h.name}),
            })
            .collect();
        p.insert("from_headers".into(), Value::Array(headers));
    }
    if let Some(params) = rule.from_params.as_ref().filter(|l| !l.is_empty()) {
        p.insert("from_params".into(), json!(params));
    }
    if let Some(cookies) = rule.from_cookies.as_ref().filter(|l| !l.is_empty()) {
        p.insert("from_cookies".into(), json!(cookies));
    }
    if rule.forward_original_token == Some(true) {
        p.insert("forward".into(), json!(true));
    }
    if let Some(header) = rule
        .output_payload_to_header
        .as_deref()
        .filter(|h| !h.is_empty())
    {
        p.insert("forward_payload_header".into(), json!(header));
    }
    if let Some(claims) = rule
        .output_claim_to_headers
        .as_ref()
        .filter(|c| !c.is_empty())
    {
        let claims: Vec<Value> = claims
            .iter()
            .map(|c| json!({"header_name": c.header, "claim_name": c.claim}))
            .collect();
        p.insert("claim_to_headers".into(), Value::Array(claims));
    }
    if rule
        .space_delimited_claims
        .as_ref()
        .is_some_and(|c| !c.is_empty())
    {
        notes.push(format!(
            "{at}.spaceDelimitedClaims is dropped: it shapes the claims AuthorizationPolicy reads \
             from jwt_authn's metadata, which the filter does not write. Check such claims in the \
             filter's rules instead: `scopes` reads `scope` and `scp` space-delimited, and \
             `claims` matches one element of a list claim (claim_to_headers writes a list as \
             base64 of its JSON)"
        ));
    }
    Ok(Converted {
        provider: Value::Object(p),
        fetches,
    })
}

/// `jwks` inline, `jwksUri` fetched, or neither: OpenID discovery from the issuer, as istiod
/// resolves it.
fn key_source(
    rule: &JwtRule,
    issuer: &str,
    at: &str,
    p: &mut Map<String, Value>,
    notes: &mut Notes,
) -> Result<Option<String>, ConvertError> {
    let inline = rule.jwks.as_deref().filter(|j| !j.is_empty());
    let uri = match (rule.jwks_uri.as_deref(), rule.jwks_uri_snake.as_deref()) {
        (Some(_), Some(_)) => return Err(error(at, "only one of jwksUri and jwks_uri may be set")),
        (a, b) => a.or(b).filter(|u| !u.is_empty()),
    };
    let timeout_ms = rule
        .timeout
        .as_deref()
        .map(|t| timeout_ms(t, &format!("{at}.timeout"), notes))
        .transpose()?;
    let with_timeout = |mut source: Map<String, Value>| {
        source.insert("cache_duration_seconds".into(), json!(ISTIO_CACHE_SECONDS));
        if let Some(ms) = timeout_ms {
            source.insert("timeout_ms".into(), json!(ms));
        }
        Value::Object(source)
    };
    match (inline, uri) {
        (Some(_), Some(_)) => Err(error(at, "only one of jwks and jwksUri may be set")),
        (Some(jwks), None) => {
            if timeout_ms.is_some() {
                notes.push(format!(
                    "{at}.timeout is ignored: the keys are inline, nothing is fetched"
                ));
            }
            p.insert("local_jwks".into(), json!({"inline_string": jwks}));
            Ok(None)
        }
        (None, Some(uri)) => {
            let mut source = Map::new();
            source.insert("uri".into(), json!(uri));
            // No cluster: the filter's default is the one Istio names for the URI's host
            // and port, `outbound|<port>||<host>`.
            p.insert("remote_jwks".into(), with_timeout(source));
            Ok(Some(uri.to_string()))
        }
        (None, None) => {
            if !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
                return Err(error(
                    format!("{at}.issuer"),
                    format!(
                        "{issuer:?} is not an http(s) URL, so its keys cannot be discovered: \
                         set jwksUri or jwks"
                    ),
                ));
            }
            p.insert("oidc_discovery".into(), with_timeout(Map::new()));
            notes.push(format!(
                "{at}: keys are found through {}/.well-known/openid-configuration; if the \
                 document's jwks_uri is on another host, list it in oidc_discovery.jwks_hosts \
                 and give it a ServiceEntry too",
                issuer.trim_end_matches('/')
            ));
            Ok(Some(issuer.to_string()))
        }
    }
}

fn timeout_ms(text: &str, at: &str, notes: &mut Notes) -> Result<u64, ConvertError> {
    let ms = duration::to_millis(text).map_err(|reason| error(at, reason))?;
    if ms == 0 {
        return Err(error(at, "must be at least 1ms"));
    }
    if ms > MAX_TIMEOUT_MS {
        notes.push(format!(
            "{at}: {text} is longer than the filter allows; {MAX_TIMEOUT_MS} ms is used"
        ));
        return Ok(MAX_TIMEOUT_MS);
    }
    Ok(ms)
}
