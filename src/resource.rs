//! A resource server's checks beyond "the token is valid": the provider's `algorithms` and
//! `token_types` (RFC 8725 §3.1, RFC 9068 §2.1), and a rule's `scopes` and `claims`, answered
//! with RFC 6750's `insufficient_scope`.

use crate::config::{token_type, ClaimCheck, FilterConfig, Provider, ProviderId, Rule};
use crate::crypto::{Crypto, Tally};
use crate::engine::Outcome;
use crate::error::AuthError;
use crate::extractor::Request;
use crate::jwt::Jwt;
use serde_json::{Map, Value};

/// The header checks of a provider's allow-lists. Run after the issuer check, so a token of
/// another provider is still told apart by its `iss`.
pub fn check_header(provider: &Provider, jwt: &Jwt<'_>) -> Result<(), AuthError> {
    if let Some(algs) = &provider.algorithms {
        if !algs.contains(&jwt.alg) {
            return Err(AuthError::AlgNotAllowed);
        }
    }
    if let Some(types) = &provider.token_types {
        let typ = jwt.typ.as_deref().map(token_type).unwrap_or_default();
        if !types.contains(&typ) {
            return Err(AuthError::TypNotAllowed);
        }
    }
    Ok(())
}

/// RFC 8705 §3: a token bound to a certificate (`cnf["x5t#S256"]`, base64url SHA-256) is
/// accepted only over a connection whose client certificate has that digest. Checked on every
/// request, cached tokens too: the binding is to the connection, not the token. A token bound
/// bound to a key (`cnf.jkt`) needs a DPoP proof (`crate::dpop`), returned for the replay check.
pub fn check_sender(
    provider: &Provider,
    token: &str,
    claims: &Map<String, Value>,
    req: &Request,
    (now_s, crypto, tally): (u64, &Crypto, &mut Tally),
) -> Result<Option<crate::dpop::Proof>, AuthError> {
    use crate::config::SenderConstraint;
    use base64::Engine as _;
    if provider.sender_constraint == SenderConstraint::None {
        return Ok(None);
    }
    // RFC 9449 §7.1: the DPoP scheme promises a DPoP-bound token; an unbound one sent that
    // way is refused rather than treated as a bearer token.
    let dpop_scheme = (req.header_str("authorization"))
        .and_then(|v| v.strip_prefix("DPoP "))
        .is_some_and(|t| t.trim() == token);
    let dpop_bound = claims.get("cnf").is_some_and(|c| c.get("jkt").is_some());
    if dpop_scheme && !dpop_bound {
        return Err(AuthError::InvalidDpopProof);
    }
    let Some(cnf) = claims.get("cnf") else {
        return match provider.sender_constraint {
            SenderConstraint::Required => Err(AuthError::SenderNotBound),
            _ => Ok(None),
        };
    };
    if let Some(jkt) = cnf.get("jkt") {
        let jkt = jkt.as_str().ok_or(AuthError::SenderNotBound)?;
        return crate::dpop::check(jkt, token, req, now_s, crypto, tally).map(Some);
    }
    let thumbprint = cnf
        .get("x5t#S256")
        .and_then(Value::as_str)
        .and_then(|t| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(t)
                .ok()
        })
        .filter(|digest| digest.len() == 32)
        .ok_or(AuthError::SenderNotBound)?;
    let seen = req.client_cert_sha256.as_deref().unwrap_or("");
    let hex: String = thumbprint.iter().map(|b| format!("{b:02x}")).collect();
    if seen.eq_ignore_ascii_case(&hex) {
        Ok(None)
    } else {
        Err(AuthError::SenderNotBound)
    }
}

/// The claim at `path`, each name one level down into objects.
pub fn claim_at<'c>(claims: &'c Map<String, Value>, path: &[String]) -> Option<&'c Value> {
    let (first, rest) = path.split_first()?;
    let mut value = claims.get(first)?;
    for name in rest {
        value = value.as_object()?.get(name)?;
    }
    Some(value)
}

/// Does `rule` need more than a valid token?
pub fn has_conditions(rule: &Rule) -> bool {
    !rule.scopes.is_empty() || !rule.claims.is_empty()
}

/// Passes when one token that satisfied the requirement grants every scope and meets every
/// claim condition: conditions are not pieced together from several tokens. With no such
/// token, the answer says how far the best one got.
pub fn authorize<'t>(
    rule: &Rule,
    tokens: impl Iterator<Item = (ProviderId, &'t Map<String, Value>)>,
) -> Result<(), (AuthError, ProviderId)> {
    let mut failure = None;
    for (id, claims) in tokens {
        if !rule.scopes.iter().all(|s| grants(claims, s)) {
            failure.get_or_insert((AuthError::InsufficientScope, id));
        } else if !rule.claims.iter().all(|c| meets(claims, c)) {
            if !matches!(failure, Some((AuthError::ClaimNotAllowed, _))) {
                failure = Some((AuthError::ClaimNotAllowed, id));
            }
        } else {
            return Ok(());
        }
    }
    // No token at all (an `allow_missing` requirement): the scopes cannot be granted.
    Err(failure.unwrap_or((AuthError::Missing, 0)))
}

/// `scope` is space-delimited (RFC 8693 §4.2, RFC 9068 §2.2.3); `scp` is a list or a
/// space-delimited string, as Entra ID and Okta write it.
fn grants(claims: &Map<String, Value>, scope: &str) -> bool {
    let in_text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .is_some_and(|text| text.split(' ').any(|s| s == scope))
    };
    let in_list = |v: Option<&Value>| {
        v.and_then(Value::as_array)
            .is_some_and(|list| list.iter().any(|s| s.as_str() == Some(scope)))
    };
    in_text(claims.get("scope")) || in_text(claims.get("scp")) || in_list(claims.get("scp"))
}

/// On a list claim, one element matching is enough. Numbers and booleans match by their JSON
/// text; objects and `null` never match.
fn meets(claims: &Map<String, Value>, check: &ClaimCheck) -> bool {
    let one = |v: &Value| match v {
        Value::String(s) => check.matcher.matches(s),
        Value::Number(_) | Value::Bool(_) => check.matcher.matches(&v.to_string()),
        _ => false,
    };
    match claim_at(claims, &check.path) {
        Some(Value::Array(items)) => items.iter().any(one),
        Some(v) => one(v),
        None => false,
    }
}

/// RFC 9728 §3: the protected-resource metadata, for a GET (or HEAD) of its path. Served
/// whatever the rules say: a client reads it before it has a token.
pub fn metadata_response(config: &FilterConfig, req: &Request) -> Option<Outcome> {
    let metadata = config.resource_metadata.as_ref()?;
    let path = req.path().split(['?', '#']).next().unwrap_or("");
    if path != metadata.path || !matches!(req.method(), "GET" | "HEAD") {
        return None;
    }
    Some(Outcome::Respond {
        status: 200,
        content_type: "application/json",
        body: metadata.document.clone(),
    })
}

/// RFC 6750 §3: the challenge of a token that lacks what the rule asks, naming the scopes.
pub fn insufficient_scope_challenge(realm_challenge: &str, rule: &Rule) -> String {
    let mut text = format!("{realm_challenge}, error=\"insufficient_scope\"");
    if !rule.scopes.is_empty() {
        text.push_str(&format!(", scope=\"{}\"", rule.scopes.join(" ")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClaimMatch;
    use serde_json::json;

    fn rule(scopes: &[&str], claims: Vec<ClaimCheck>) -> Rule {
        Rule {
            path: crate::config::PathMatch::Prefix("/".into()),
            headers: Vec::new(),
            methods: Vec::new(),
            requirement: Some(crate::config::Requirement::Provider(0)),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            claims,
        }
    }

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    fn check(path: &[&str], matcher: ClaimMatch) -> ClaimCheck {
        ClaimCheck {
            path: path.iter().map(|s| s.to_string()).collect(),
            matcher,
        }
    }

    #[test]
    fn every_scope_must_be_granted_by_scope_or_scp() {
        let r = rule(&["orders:write", "orders:read"], Vec::new());
        let ok = [
            json!({"scope": "orders:read orders:write"}),
            json!({"scp": ["orders:write", "orders:read"]}),
            json!({"scp": "orders:read orders:write x"}),
            json!({"scope": "orders:read", "scp": ["orders:write"]}),
        ];
        for claims in ok {
            let m = map(claims.clone());
            assert_eq!(authorize(&r, [(0, &m)].into_iter()), Ok(()), "{claims}");
        }
        let short = [
            json!({"scope": "orders:read"}),
            json!({"scope": "orders:read orders:writer"}),
            json!({"scope": ["orders:read", "orders:write"]}),
            json!({"scp": {"orders:write": true}}),
            json!({}),
        ];
        for claims in short {
            let m = map(claims.clone());
            assert_eq!(
                authorize(&r, [(0, &m)].into_iter()),
                Err((AuthError::InsufficientScope, 0)),
                "{claims}"
            );
        }
    }

    #[test]
    fn claims_match_strings_and_any_element_of_a_list() {
        let r = rule(
            &[],
            vec![
                check(
                    &["https://example.com/claims", "roles"],
                    ClaimMatch::Exact("admin".into()),
                ),
                check(
                    &["tier"],
                    ClaimMatch::AnyOf(vec!["gold".into(), "silver".into()]),
                ),
            ],
        );
        let good = map(
            json!({"https://example.com/claims": {"roles": ["user", "admin"]}, "tier": "gold"}),
        );
        assert_eq!(authorize(&r, [(1, &good)].into_iter()), Ok(()));
        let bad = map(json!({"https://example.com/claims": {"roles": "user"}, "tier": "gold"}));
        assert_eq!(
            authorize(&r, [(1, &bad)].into_iter()),
            Err((AuthError::ClaimNotAllowed, 1))
        );
        let number = rule(&[], vec![check(&["level"], ClaimMatch::Prefix("4".into()))]);
        let m = map(json!({"level": 42}));
        assert_eq!(authorize(&number, [(0, &m)].into_iter()), Ok(()));
        let object = map(json!({"level": {"4": 1}}));
        assert!(authorize(&number, [(0, &object)].into_iter()).is_err());
    }

    #[test]
    fn one_token_must_meet_everything_and_the_best_failure_is_told() {
        let r = rule(
            &["a"],
            vec![check(&["team"], ClaimMatch::Contains("ops".into()))],
        );
        let scoped = map(json!({"scope": "a", "team": "dev"}));
        let teamed = map(json!({"scope": "b", "team": "devops"}));
        assert_eq!(
            authorize(&r, [(0, &teamed), (1, &scoped)].into_iter()),
            Err((AuthError::ClaimNotAllowed, 1))
        );
        assert_eq!(
            authorize(&r, std::iter::empty()),
            Err((AuthError::Missing, 0))
        );
    }

    #[test]
    fn the_challenge_names_the_rule_scopes() {
        let r = rule(&["a", "b:c"], Vec::new());
        assert_eq!(
            insufficient_scope_challenge("Bearer realm=\"http://h/p\"", &r),
            "Bearer realm=\"http://h/p\", error=\"insufficient_scope\", scope=\"a b:c\""
        );
        let claims_only = rule(&[], vec![check(&["x"], ClaimMatch::Exact("y".into()))]);
        assert_eq!(
            insufficient_scope_challenge("Bearer realm=\"r\"", &claims_only),
            "Bearer realm=\"r\", error=\"insufficient_scope\""
        );
    }
}
