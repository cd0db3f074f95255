//! DPoP (RFC 9449): a token bound to a key (`cnf.jkt`) is accepted only with a `DPoP` proof
//! signed by that key for this request (`htm`, `htu`), made moments ago (`iat`), for this token
//! (`ath`), and never seen before on this worker (`jti`).

use crate::authenticator;
use crate::crypto::{Crypto, Tally};
use crate::error::AuthError;
use crate::extractor::Request;
use crate::jwks::KeySet;
use crate::jwt::{self, Alg};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};

/// How old a proof may be; a proof up to `MAX_FUTURE_S` ahead is clock skew.
pub const MAX_AGE_S: u64 = 300;
pub const MAX_FUTURE_S: u64 = 60;
/// Proofs remembered per worker; beyond that the oldest is forgotten early (it can then be
/// replayed within its window, on this worker only).
const MAX_REMEMBERED: usize = 100_000;
const MAX_JTI_BYTES: usize = 256;

/// A proof that checked out: its `jti` is remembered once the request is allowed, so that a
/// request decided twice (held for keys) does not trip over its own proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub jti: String,
    pub iat: u64,
}

/// Checks the request's proof for `token`, bound to the key thumbprint `jkt`.
pub fn check(
    jkt: &str,
    token: &str,
    req: &Request,
    now_s: u64,
    crypto: &Crypto,
    tally: &mut Tally,
) -> Result<Proof, AuthError> {
    let invalid = AuthError::InvalidDpopProof;
    let mut proofs = req.headers.iter().filter(|(n, _)| *n == "dpop");
    let (Some((_, proof)), None) = (proofs.next(), proofs.next()) else {
        return Err(invalid);
    };
    let proof = std::str::from_utf8(proof).map_err(|_| invalid)?;
    let parsed = jwt::parse(proof).map_err(|_| invalid)?;
    // The proof's own header: `typ`, and the public key it carries.
    let header_b64 = proof.split('.').next().unwrap_or("");
    let header = URL_SAFE_NO_PAD
        .decode(header_b64)
        .ok()
        .and_then(|b| crate::strict_json::parse(&b).ok())
        .ok_or(invalid)?;
    let typ_ok = (header.get("typ").and_then(Value::as_str))
        .is_some_and(|t| t.eq_ignore_ascii_case("dpop+jwt"));
    let symmetric = matches!(parsed.alg, Alg::HS256 | Alg::HS384 | Alg::HS512);
    let Some(Value::Object(jwk)) = header.get("jwk") else {
        return Err(invalid);
    };
    if !typ_ok || symmetric || jwk.contains_key("d") {
        return Err(invalid);
    }
    if thumbprint(jwk).as_deref() != Some(jkt) {
        return Err(invalid);
    }
    let set = serde_json::json!({ "keys": [jwk] }).to_string();
    let keys = KeySet::parse_remote(set.as_bytes()).map_err(|_| invalid)?;
    // One key, the client's own, at most the default RSA size: a proof costs at most one
    // verification, within a request's budget.
    let max_rsa_bits = crate::jwks::DEFAULT_MAX_RSA_KEY_BITS;
    let mut budget = authenticator::Budget::per_request();
    authenticator::verify_signature(&keys, &parsed, max_rsa_bits, crypto, &mut budget, tally)
        .map_err(|_| invalid)?;
    let claims = &parsed.claims;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if text("htm") != Some(req.method()) || !same_target(text("htu"), req) {
        return Err(invalid);
    }
    let iat = parsed.iat.ok_or(invalid)?;
    if iat.saturating_add(MAX_AGE_S) < now_s || iat > now_s.saturating_add(MAX_FUTURE_S) {
        return Err(invalid);
    }
    let ath = URL_SAFE_NO_PAD.encode(hmac_sha256::Hash::hash(token.as_bytes()));
    if text("ath") != Some(ath.as_str()) {
        return Err(invalid);
    }
    let jti = text("jti")
        .filter(|j| !j.is_empty() && j.len() <= MAX_JTI_BYTES)
        .ok_or(invalid)?;
    if seen(jti, now_s) {
        return Err(invalid);
    }
    Ok(Proof {
        jti: jti.to_string(),
        iat,
    })
}

/// RFC 7638: SHA-256 over the key's required members, in order, without whitespace.
pub fn thumbprint(jwk: &Map<String, Value>) -> Option<String> {
    let members: &[&str] = match jwk.get("kty")?.as_str()? {
        "EC" => &["crv", "kty", "x", "y"],
        "RSA" => &["e", "kty", "n"],
        "OKP" => &["crv", "kty", "x"],
        _ => return None,
    };
    let mut canonical = String::from("{");
    for (i, name) in members.iter().enumerate() {
        let value = jwk.get(*name)?.as_str()?;
        if i > 0 {
            canonical.push(',');
        }
        canonical.push_str(&format!("\"{name}\":{}", Value::from(value)));
    }
    canonical.push('}');
    Some(URL_SAFE_NO_PAD.encode(hmac_sha256::Hash::hash(canonical.as_bytes())))
}

/// RFC 9449 §4.3: `htu` is the request's URI without query and fragment; scheme and host
/// compare case-insensitively.
fn same_target(htu: Option<&str>, req: &Request) -> bool {
    let Some(htu) = htu else {
        return false;
    };
    let htu = htu.split(['?', '#']).next().unwrap_or("");
    let path = req.path().split(['?', '#']).next().unwrap_or("");
    let scheme = if req.scheme().is_empty() {
        "http"
    } else {
        req.scheme()
    };
    let Some((htu_scheme, rest)) = htu.split_once("://") else {
        return false;
    };
    let (htu_host, htu_path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let htu_path = if htu_path.is_empty() { "/" } else { htu_path };
    htu_scheme.eq_ignore_ascii_case(scheme)
        && htu_host.eq_ignore_ascii_case(req.host())
        && htu_path == path
}

thread_local! {
    /// Per worker: each proxy-wasm VM runs on one thread.
    static SEEN: RefCell<Seen> = RefCell::new(Seen::default());
}

#[derive(Default)]
struct Seen {
    /// jti → when it may be forgotten.
    until_s: HashMap<String, u64>,
    order: VecDeque<(u64, String)>,
}

impl Seen {
    fn expire(&mut self, now_s: u64) {
        while let Some((until_s, _)) = self.order.front() {
            if *until_s > now_s && self.order.len() < MAX_REMEMBERED {
                break;
            }
            if let Some((_, jti)) = self.order.pop_front() {
                self.until_s.remove(&jti);
            }
        }
    }
}

fn seen(jti: &str, now_s: u64) -> bool {
    SEEN.with(|s| {
        s.try_borrow_mut().map_or(true, |mut s| {
            s.expire(now_s);
            s.until_s.contains_key(jti)
        })
    })
}

/// Remembers the proofs of an allowed request until they are too old to be accepted anyway.
pub fn remember(proofs: &[Proof], now_s: u64) {
    SEEN.with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            for p in proofs {
                let until_s = p.iat.max(now_s).saturating_add(MAX_AGE_S + MAX_FUTURE_S);
                if s.until_s.insert(p.jti.clone(), until_s).is_none() {
                    s.order.push_back((until_s, p.jti.clone()));
                }
            }
            s.expire(now_s);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn thumbprint_of_the_rfc_7638_example() {
        let jwk = json!({"kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"});
        let Value::Object(jwk) = jwk else {
            unreachable!()
        };
        assert_eq!(
            thumbprint(&jwk).as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }

    #[test]
    fn a_proof_is_remembered_until_it_is_too_old_anyway() {
        let p = Proof {
            jti: "unique-test-jti".into(),
            iat: 1000,
        };
        assert!(!seen(&p.jti, 1000));
        remember(std::slice::from_ref(&p), 1000);
        assert!(seen(&p.jti, 1000 + MAX_AGE_S));
        assert!(!seen(&p.jti, 1001 + MAX_AGE_S + MAX_FUTURE_S));
    }
}
