//! The work one request may cause: keys tried within the request's budget and the provider's
//! `max_rsa_key_bits`, whatever the JWKS holds.

use super::*;
use crate::crypto::test_host::RingHost;
use crate::crypto::CryptoMode;
use crate::jwks::cost;
use crate::jwt;
use crate::test_support::b64;
use serde_json::{json, Value};

/// An RSA key of `bits` bits with exponent `e`: the signatures below never verify with it,
/// so each try is a full check that fails.
fn rsa_jwk(bits: usize, e: &[u8], i: u8, kid: Option<&str>) -> Value {
    let mut n = vec![0x5au8; bits / 8];
    n[0] = 0x80;
    n[bits / 8 - 2] = i;
    n[bits / 8 - 1] = 1;
    let mut jwk = json!({"kty": "RSA", "n": b64(n), "e": b64(e)});
    if let Some(kid) = kid {
        jwk["kid"] = json!(kid);
    }
    jwk
}

fn keys(jwks: Vec<Value>) -> KeySet {
    let set = KeySet::parse(json!({ "keys": jwks }).to_string().as_bytes()).unwrap();
    assert!(set.skipped.is_empty(), "{:?}", set.skipped);
    set
}

/// A PS512 token whose signature is as long as a `bits`-bit modulus and below it.
fn token(bits: usize, kid: Option<&str>) -> String {
    let header = match kid {
        Some(kid) => json!({"alg": "PS512", "kid": kid}),
        None => json!({"alg": "PS512"}),
    };
    let mut sig = vec![0x11u8; bits / 8];
    sig[0] = 0x40;
    format!(
        "{}.{}.{}",
        b64(header.to_string()),
        b64(r#"{"iss":"i"}"#),
        b64(sig)
    )
}

const E17: &[u8] = &[1, 0xff, 0xff];

/// Signature checks run for `token` against `set`, with every backend, from a fresh budget.
fn checks(set: &KeySet, token: &str, max_rsa_bits: usize) -> (Result<(), AuthError>, u32) {
    let jwt = jwt::parse(token).unwrap();
    let mut seen = None;
    for crypto in [
        Crypto::module_only(),
        Crypto::new(CryptoMode::Auto, Some(Box::new(RingHost))),
    ] {
        let mut tally = Tally::default();
        let mut budget = Budget::per_request();
        let verdict = verify_signature(set, &jwt, max_rsa_bits, &crypto, &mut budget, &mut tally);
        let got = (verdict, tally.host + tally.module);
        assert!(seen.is_none_or(|s| s == got), "{got:?} vs {seen:?}");
        seen = Some(got);
    }
    seen.unwrap()
}

#[test]
fn a_kidless_token_is_tried_only_while_the_budget_lasts() {
    let set = keys((0..10).map(|i| rsa_jwk(4096, E17, i, None)).collect());
    // 18 units each: 4 of 80.
    assert_eq!(set.keys[0].cost, 18);
    assert_eq!(
        checks(&set, &token(4096, None), 4096),
        (Err(AuthError::VerificationFailed), 4)
    );
    // The six keys left untried are counted (`verify_budget_skipped`).
    let kidless = token(4096, None);
    let jwt = jwt::parse(&kidless).unwrap();
    let mut tally = Tally::default();
    let mut budget = Budget::per_request();
    let crypto = Crypto::module_only();
    let _ = verify_signature(&set, &jwt, 4096, &crypto, &mut budget, &mut tally);
    assert_eq!((tally.module, tally.budget_skipped), (4, 6));
    // Keys sharing the token's kid are bounded alike.
    let set = keys((0..10).map(|i| rsa_jwk(4096, E17, i, Some("k"))).collect());
    assert_eq!(
        checks(&set, &token(4096, Some("k")), 4096),
        (Err(AuthError::VerificationFailed), 4)
    );
}

#[test]
fn cheap_keys_are_bounded_by_the_number_of_tries() {
    let set = keys(
        (0..20)
            .map(|i| rsa_jwk(2048, &[1, 0, 1], i, None))
            .collect(),
    );
    assert_eq!(
        checks(&set, &token(2048, None), 4096),
        (Err(AuthError::VerificationFailed), MAX_KEYS_TRIED as u32)
    );
}

#[test]
fn rsa_keys_above_the_providers_maximum_are_never_tried() {
    let set = keys((0..3).map(|i| rsa_jwk(8192, E17, i, None)).collect());
    assert_eq!(
        checks(&set, &token(8192, None), 4096),
        (Err(AuthError::NoMatchingKey), 0)
    );
    // Allowed: the costliest admitted key still gets one try, and only one.
    assert_eq!(
        checks(&set, &token(8192, None), 8192),
        (Err(AuthError::VerificationFailed), 1)
    );
}

#[test]
fn the_budget_is_shared_by_every_token_of_a_request() {
    let set = keys((0..10).map(|i| rsa_jwk(4096, E17, i, None)).collect());
    let text = token(4096, None);
    let jwt = jwt::parse(&text).unwrap();
    let crypto = Crypto::module_only();
    let mut budget = Budget::per_request();
    let mut tally = Tally::default();
    for _ in 0..3 {
        let verdict = verify_signature(&set, &jwt, 4096, &crypto, &mut budget, &mut tally);
        assert_eq!(verdict, Err(AuthError::VerificationFailed));
    }
    assert_eq!(tally.module, 4);
    assert_eq!(budget.left(), cost::REQUEST_BUDGET - 4 * 18);
}

#[test]
fn a_costly_key_is_passed_over_for_a_cheaper_one_that_fits() {
    // The budget left after the 8192-bit try (8) still covers the P-256 key after it.
    let ec = jwt_simple::prelude::ES256KeyPair::generate();
    let mut ec_jwk: Value = serde_json::from_str(&ec.public_key().to_jwk()).unwrap();
    ec_jwk.as_object_mut().unwrap().remove("kid");
    let set = keys(vec![rsa_jwk(8192, E17, 0, None), ec_jwk]);
    assert_eq!(set.keys[1].cost, 5);
    let mut budget = Budget::per_request();
    let mut tally = Tally::default();
    let crypto = Crypto::module_only();
    let text = token(8192, None);
    let rsa = jwt::parse(&text).unwrap();
    let _ = verify_signature(&set, &rsa, 8192, &crypto, &mut budget, &mut tally);
    assert_eq!(budget.left(), cost::REQUEST_BUDGET - 72);
    let claims = jwt_simple::prelude::Claims::create(jwt_simple::prelude::Duration::from_mins(5));
    let signed = jwt_simple::prelude::ECDSAP256KeyPairLike::sign(&ec, claims).unwrap();
    let good = jwt::parse(&signed).unwrap();
    assert_eq!(
        verify_signature(&set, &good, 8192, &crypto, &mut budget, &mut tally),
        Ok(())
    );
    assert_eq!(budget.left(), cost::REQUEST_BUDGET - 72 - 5);
}
