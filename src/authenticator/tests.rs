use super::*;
use crate::config;
use crate::crypto::test_host::RingHost;
use crate::crypto::CryptoMode;
use crate::jwks::MAX_RSA_BITS;
use crate::jwt::{self, Alg};
use crate::test_support::{b64, claims, rsa, tampered_at};
use jwt_simple::prelude::*;
use serde_json::{json, Map, Value};

const NOW: u64 = 1_700_000_000;
const ISS: &str = "https://issuer.example";
const SECRET: &[u8] = b"a shared secret of at least 64 bytes, so that HS512 may use it too";

fn provider(extra: Value) -> Provider {
    let mut p = json!({"issuer": ISS, "local_jwks": {"inline_string": json!({"keys": [oct_jwk()]}).to_string()}});
    for (k, v) in extra.as_object().unwrap() {
        p[k] = v.clone();
    }
    let cfg = config::parse(json!({"providers": {"p": p}}).to_string().as_bytes()).unwrap();
    cfg.providers.into_iter().next().unwrap()
}

fn check(provider: &Provider, payload: Value) -> Result<(), AuthError> {
    let token = format!(
        "{}.{}.{}",
        b64(r#"{"alg":"ES256"}"#),
        b64(payload.to_string()),
        b64("sig")
    );
    check_claims(
        provider,
        &provider.audiences,
        &jwt::parse(&token).unwrap(),
        NOW,
    )
}

fn good() -> JWTClaims<Map<String, Value>> {
    claims(json!({"iss": ISS, "sub": "alice", "iat": NOW, "exp": NOW + 600}))
}

fn rsa_jwk() -> Value {
    let c = rsa().public_key().to_components();
    json!({"kty": "RSA", "kid": "rsa", "n": b64(c.n), "e": b64(c.e)})
}

fn oct_jwk() -> Value {
    json!({"kty": "oct", "kid": "oct", "k": b64(SECRET)})
}

fn public_jwk(jwk: String) -> Value {
    serde_json::from_str(&jwk).unwrap()
}

fn keyset(keys: Vec<Value>) -> KeySet {
    let set = KeySet::parse(json!({ "keys": keys }).to_string().as_bytes()).unwrap();
    assert!(set.skipped.is_empty(), "{:?}", set.skipped);
    set
}

/// ring alone, the host (a ring-backed stand-in) first, and both cross-checked.
fn backends() -> [Crypto; 3] {
    [
        Crypto::module_only(),
        Crypto::new(CryptoMode::Auto, Some(Box::new(RingHost))),
        Crypto::new(CryptoMode::CrossCheck, Some(Box::new(RingHost))),
    ]
}

/// The verdict, which every backend must give alike.
fn verify_jwt(keys: &KeySet, jwt: &jwt::Jwt<'_>) -> Result<(), AuthError> {
    let verdicts: Vec<_> = backends()
        .iter()
        .map(|crypto| {
            let mut tally = Tally::default();
            let mut budget = Budget::per_request();
            let verdict =
                verify_signature(keys, jwt, MAX_RSA_BITS, crypto, &mut budget, &mut tally);
            assert_eq!(
                (tally.host_errors, tally.disagreements),
                (0, 0),
                "{crypto:?}"
            );
            verdict
        })
        .collect();
    assert!(verdicts.windows(2).all(|w| w[0] == w[1]), "{verdicts:?}");
    verdicts[0]
}

fn verify(keys: &KeySet, token: &str) -> Result<(), AuthError> {
    let jwt = jwt::parse(token)?;
    verify_jwt(keys, &jwt)
}

/// An HS256 token with exactly this header, for header shapes jwt-simple does not write.
fn hs256_by_hand(header: Value, payload: Value, secret: &[u8]) -> String {
    let input = format!("{}.{}", b64(header.to_string()), b64(payload.to_string()));
    let mac = hmac_sha256::HMAC::mac(input.as_bytes(), secret);
    format!("{input}.{}", b64(mac))
}

fn tampered(token: &str) -> String {
    tampered_at(token, 10)
}

#[test]
fn issuer_must_match_exactly() {
    let p = provider(json!({}));
    assert_eq!(check(&p, json!({"iss": ISS, "exp": NOW})), Ok(()));
    for iss in [
        json!("https://other.example"),
        json!(format!("{ISS}/")),
        json!("HTTPS://ISSUER.EXAMPLE"),
    ] {
        assert_eq!(
            check(&p, json!({"iss": iss, "exp": NOW})),
            Err(AuthError::UnknownIssuer),
            "{iss}"
        );
    }
    assert_eq!(
        check(&p, json!({"exp": NOW})),
        Err(AuthError::UnknownIssuer)
    );
    assert_eq!(
        AuthError::UnknownIssuer.to_string(),
        "Jwt issuer is not configured"
    );
}

#[test]
fn time_window_allows_the_clock_skew_and_no_more() {
    let p = provider(json!({}));
    let t = |nbf: u64, exp: u64| check(&p, json!({"iss": ISS, "nbf": nbf, "exp": exp}));
    assert_eq!(t(NOW + 60, NOW + 600), Ok(()));
    assert_eq!(t(NOW + 61, NOW + 600), Err(AuthError::NotYetValid));
    assert_eq!(t(NOW - 600, NOW - 60), Ok(()));
    assert_eq!(t(NOW - 600, NOW - 61), Err(AuthError::Expired));

    let strict = provider(json!({"clock_skew_seconds": 0}));
    let t = |nbf: u64, exp: u64| check(&strict, json!({"iss": ISS, "nbf": nbf, "exp": exp}));
    assert_eq!(t(NOW, NOW), Ok(()));
    assert_eq!(t(NOW + 1, NOW + 10), Err(AuthError::NotYetValid));
    assert_eq!(t(NOW - 10, NOW - 1), Err(AuthError::Expired));
    assert_eq!(AuthError::Expired.to_string(), "Jwt is expired");
    assert_eq!(AuthError::NotYetValid.to_string(), "Jwt not yet valid");
}

#[test]
fn expiration_is_required_unless_switched_off() {
    let p = provider(json!({}));
    assert_eq!(
        check(&p, json!({"iss": ISS})),
        Err(AuthError::ExpirationRequired)
    );
    assert_eq!(AuthError::ExpirationRequired.status_code(), 401);
    let lax = provider(json!({"require_expiration": false}));
    assert_eq!(check(&lax, json!({"iss": ISS})), Ok(()));
    assert_eq!(
        check(&lax, json!({"iss": ISS, "nbf": NOW + 61})),
        Err(AuthError::NotYetValid)
    );
}

#[test]
fn max_lifetime_bounds_the_time_left_until_exp() {
    let p = provider(json!({"max_lifetime_seconds": 3600, "require_expiration": false}));
    let t = |v: Value| check(&p, v);
    assert_eq!(t(json!({"iss": ISS, "exp": NOW + 3600})), Ok(()));
    assert_eq!(
        t(json!({"iss": ISS, "exp": NOW + 3601})),
        Err(AuthError::LifetimeTooLong)
    );
    // An old iat with a near exp is fine; a future iat does not buy a later exp.
    assert_eq!(
        t(json!({"iss": ISS, "iat": NOW - 7000, "exp": NOW + 300})),
        Ok(())
    );
    assert_eq!(
        t(json!({"iss": ISS, "iat": NOW + 100_000, "exp": NOW + 100_010})),
        Err(AuthError::LifetimeTooLong)
    );
    // A lifetime bound is meaningless without an end.
    assert_eq!(
        t(json!({"iss": ISS, "iat": NOW})),
        Err(AuthError::ExpirationRequired)
    );
    assert_eq!(AuthError::LifetimeTooLong.reason(), "lifetime");
}

#[test]
fn audiences_need_any_one_match() {
    let p = provider(json!({"audiences": ["api", "web"]}));
    let t = |aud: Value| {
        let mut c = json!({"iss": ISS, "exp": NOW});
        if !aud.is_null() {
            c["aud"] = aud;
        }
        check(&p, c)
    };
    assert_eq!(t(json!("web")), Ok(()));
    assert_eq!(t(json!(["other", "api"])), Ok(()));
    assert_eq!(t(json!("API")), Err(AuthError::AudienceNotAllowed));
    assert_eq!(t(json!(["other"])), Err(AuthError::AudienceNotAllowed));
    assert_eq!(t(json!([])), Err(AuthError::AudienceNotAllowed));
    assert_eq!(t(Value::Null), Err(AuthError::AudienceNotAllowed));
    assert_eq!(AuthError::AudienceNotAllowed.status_code(), 403);
    assert_eq!(
        AuthError::AudienceNotAllowed.to_string(),
        "Audiences in Jwt are not allowed"
    );

    let unchecked = provider(json!({}));
    assert_eq!(
        check(
            &unchecked,
            json!({"iss": ISS, "exp": NOW, "aud": "anything"})
        ),
        Ok(())
    );
    assert_eq!(check(&unchecked, json!({"iss": ISS, "exp": NOW})), Ok(()));
}

#[test]
fn checks_run_in_envoys_order() {
    let p = provider(json!({"audiences": ["api"]}));
    let expired_wrong_aud = json!({"iss": ISS, "exp": NOW - 100, "aud": "x"});
    assert_eq!(check(&p, expired_wrong_aud), Err(AuthError::Expired));
    let other_issuer_expired = json!({"iss": "https://other", "exp": NOW - 100});
    assert_eq!(
        check(&p, other_issuer_expired),
        Err(AuthError::UnknownIssuer)
    );
}

#[test]
fn every_rsa_algorithm_verifies_with_one_rsa_jwk() {
    let der = rsa().to_der().unwrap();
    let tokens = [
        (Alg::RS256, rsa().sign(good()).unwrap()),
        (
            Alg::RS384,
            RS384KeyPair::from_der(&der)
                .unwrap()
                .with_key_id("rsa")
                .sign(good())
                .unwrap(),
        ),
        (
            Alg::RS512,
            RS512KeyPair::from_der(&der)
                .unwrap()
                .with_key_id("rsa")
                .sign(good())
                .unwrap(),
        ),
        (
            Alg::PS256,
            PS256KeyPair::from_der(&der)
                .unwrap()
                .with_key_id("rsa")
                .sign(good())
                .unwrap(),
        ),
        (
            Alg::PS384,
            PS384KeyPair::from_der(&der)
                .unwrap()
                .with_key_id("rsa")
                .sign(good())
                .unwrap(),
        ),
        (
            Alg::PS512,
            PS512KeyPair::from_der(&der).unwrap().sign(good()).unwrap(),
        ),
    ];
    let keys = keyset(vec![rsa_jwk()]);
    for (alg, token) in &tokens {
        assert_eq!(jwt::parse(token).unwrap().alg, *alg);
        assert_eq!(verify(&keys, token), Ok(()), "{alg:?}");
        assert_eq!(
            verify(&keys, &tampered(token)),
            Err(AuthError::VerificationFailed),
            "{alg:?}"
        );
    }
    let mut pinned_jwk = rsa_jwk();
    pinned_jwk["alg"] = json!("RS256");
    let pinned = keyset(vec![pinned_jwk]);
    assert_eq!(verify(&pinned, &tokens[0].1), Ok(()));
    assert_eq!(
        verify(&pinned, &tokens[3].1),
        Err(AuthError::NoMatchingKey),
        "PS256 against a key pinned to RS256"
    );
}

#[test]
fn ec_and_eddsa_verify() {
    let es256 = ES256KeyPair::generate().with_key_id("es256");
    let es384 = ES384KeyPair::generate().with_key_id("es384");
    let ed = Ed25519KeyPair::generate().with_key_id("ed");
    let keys = keyset(vec![
        public_jwk(es256.public_key().to_jwk()),
        public_jwk(es384.public_key().to_jwk()),
        public_jwk(ed.public_key().to_jwk()),
    ]);
    for token in [
        es256.sign(good()).unwrap(),
        es384.sign(good()).unwrap(),
        ed.sign(good()).unwrap(),
    ] {
        assert_eq!(verify(&keys, &token), Ok(()), "{token}");
        assert_eq!(
            verify(&keys, &tampered(&token)),
            Err(AuthError::VerificationFailed),
            "{token}"
        );
    }
}

#[test]
fn hmac_verifies_only_with_inline_oct_keys() {
    let tokens = [
        HS256Key::from_bytes(SECRET).authenticate(good()).unwrap(),
        HS384Key::from_bytes(SECRET).authenticate(good()).unwrap(),
        HS512Key::from_bytes(SECRET).authenticate(good()).unwrap(),
    ];
    let local = keyset(vec![oct_jwk()]);
    let other = keyset(vec![
        json!({"kty": "oct", "k": b64("another shared secret, also long enough for HS512 and all the rest")}),
    ]);
    let remote = KeySet::parse_remote(json!({"keys": [oct_jwk()]}).to_string().as_bytes()).unwrap();
    for token in &tokens {
        assert_eq!(verify(&local, token), Ok(()));
        assert_eq!(verify(&other, token), Err(AuthError::VerificationFailed));
        assert_eq!(verify(&remote, token), Err(AuthError::NoMatchingKey));
    }
}

#[test]
fn kid_picks_the_key_and_no_kid_tries_every_fitting_key() {
    let k1 = ES256KeyPair::generate().with_key_id("k1");
    let k2 = ES256KeyPair::generate().with_key_id("k2");
    let keys = keyset(vec![
        public_jwk(k1.public_key().to_jwk()),
        public_jwk(k2.public_key().to_jwk()),
    ]);
    // k2's private key, signing under whatever kid the test names.
    let k2_as = |kid: Option<&str>| {
        let key = ES256KeyPair::from_bytes(&k2.to_bytes()).unwrap();
        let key = match kid {
            Some(kid) => key.with_key_id(kid),
            None => key,
        };
        key.sign(good()).unwrap()
    };
    assert_eq!(verify(&keys, &k2_as(Some("k2"))), Ok(()));
    assert_eq!(
        verify(&keys, &k2_as(Some("k1"))),
        Err(AuthError::VerificationFailed)
    );
    assert_eq!(
        verify(&keys, &k2_as(Some("k3"))),
        Err(AuthError::NoMatchingKey)
    );
    assert_eq!(verify(&keys, &k2_as(None)), Ok(()));
    let stranger = ES256KeyPair::generate();
    assert_eq!(
        verify(&keys, &stranger.sign(good()).unwrap()),
        Err(AuthError::VerificationFailed)
    );

    // A JWK without kid serves tokens whatever kid they name, as in Envoy.
    let mut anonymous = public_jwk(k1.public_key().to_jwk());
    anonymous.as_object_mut().unwrap().remove("kid");
    let keys = keyset(vec![anonymous]);
    assert_eq!(verify(&keys, &k1.sign(good()).unwrap()), Ok(()));
    assert_eq!(
        verify(&keys, &k2_as(Some("k3"))),
        Err(AuthError::VerificationFailed)
    );
}

#[test]
fn keys_sharing_a_kid_are_all_tried() {
    let old = ES256KeyPair::generate().with_key_id("k");
    let new = ES256KeyPair::generate().with_key_id("k");
    let keys = keyset(vec![
        public_jwk(old.public_key().to_jwk()),
        public_jwk(new.public_key().to_jwk()),
    ]);
    assert_eq!(verify(&keys, &new.sign(good()).unwrap()), Ok(()));
    assert_eq!(verify(&keys, &old.sign(good()).unwrap()), Ok(()));
}

#[test]
fn a_key_of_the_wrong_type_is_no_matching_key() {
    let p256 = ES256KeyPair::generate().with_key_id("k");
    let keys = keyset(vec![public_jwk(p256.public_key().to_jwk())]);
    let es384 = ES384KeyPair::generate()
        .with_key_id("k")
        .sign(good())
        .unwrap();
    assert_eq!(verify(&keys, &es384), Err(AuthError::NoMatchingKey));
    let ed = Ed25519KeyPair::generate().sign(good()).unwrap();
    assert_eq!(verify(&keys, &ed), Err(AuthError::NoMatchingKey));
    assert_eq!(
        verify(&keyset(vec![]), &p256.sign(good()).unwrap()),
        Err(AuthError::NoMatchingKey)
    );
    assert_eq!(
        AuthError::NoMatchingKey.to_string(),
        "Jwks doesn't have key to match kid or alg from Jwt"
    );
    assert_eq!(
        AuthError::VerificationFailed.to_string(),
        "Jwt verification fails"
    );
}

#[test]
fn hs256_signed_with_the_rsa_public_key_is_never_accepted() {
    let public = rsa().public_key();
    let pem = public.to_pem().unwrap();
    let secrets: Vec<Vec<u8>> = vec![
        pem.clone().into_bytes(),
        pem.trim_end().as_bytes().to_vec(),
        public.to_der().unwrap(),
        public.to_components().n,
        rsa_jwk().to_string().into_bytes(),
    ];
    let local = keyset(vec![rsa_jwk()]);
    let remote = KeySet::parse_remote(json!({"keys": [rsa_jwk()]}).to_string().as_bytes()).unwrap();
    for secret in &secrets {
        for kid in [Some("rsa"), None] {
            let mut key = HS256Key::from_bytes(secret);
            if let Some(kid) = kid {
                key = key.with_key_id(kid);
            }
            let token = key.authenticate(good()).unwrap();
            assert_eq!(
                verify(&local, &token),
                Err(AuthError::NoMatchingKey),
                "{kid:?}"
            );
            assert_eq!(
                verify(&remote, &token),
                Err(AuthError::NoMatchingKey),
                "{kid:?}"
            );
        }
    }
}

#[test]
fn alg_none_is_refused_at_parse() {
    let payload = b64(json!({"iss": ISS, "exp": NOW + 600}).to_string());
    for alg in ["none", "None", "NONE", ""] {
        let unsigned = format!("{}.{payload}.", b64(json!({"alg": alg}).to_string()));
        assert_eq!(
            jwt::parse(&unsigned).unwrap_err(),
            AuthError::AlgNotImplemented,
            "{alg}"
        );
    }
    // An empty signature under a real alg parses and then fails verification.
    let empty = format!("{}.{payload}.", b64(r#"{"alg":"HS256"}"#));
    assert_eq!(
        verify(&keyset(vec![oct_jwk()]), &empty),
        Err(AuthError::VerificationFailed)
    );
}

#[test]
fn signature_check_accepts_what_the_claim_check_accepted() {
    // Inside the skew on both ends, and iat in the future (Envoy does not check iat).
    let p = provider(json!({}));
    let edge = claims(json!({"iss": ISS, "iat": NOW + 3600, "nbf": NOW + 60, "exp": NOW - 60}));
    let token = HS256Key::from_bytes(SECRET).authenticate(edge).unwrap();
    let jwt = jwt::parse(&token).unwrap();
    assert_eq!(check_claims(&p, &p.audiences, &jwt, NOW), Ok(()));
    assert_eq!(verify_jwt(&keyset(vec![oct_jwk()]), &jwt), Ok(()));
}

#[test]
fn claims_envoy_does_not_read_do_not_break_verification() {
    // Envoy ignores `nonce` and application claims of any shape.
    let keys = keyset(vec![oct_jwk()]);
    let payload =
        json!({"iss": ISS, "exp": NOW + 600, "nonce": 12345, "cnf": {"jkt": "x"}, "scope": ["a"]});
    let token = HS256Key::from_bytes(SECRET)
        .authenticate(claims(payload))
        .unwrap();
    assert_eq!(verify(&keys, &token), Ok(()));
}

#[test]
fn header_parameters_envoy_does_not_read_do_not_break_verification() {
    let keys = keyset(vec![oct_jwk()]);
    let payload = json!({"iss": ISS, "exp": NOW + 600});
    let headers = [
        json!({"alg": "HS256", "typ": "at+jwt"}),
        json!({"alg": "HS256", "typ": "JOSE"}),
        json!({"alg": "HS256"}),
        json!({"alg": "HS256", "kid": "oct", "x5c": ["MIIB"], "cty": "JWT"}),
        // RFC 7515 §4.1.3: `jwk` is a JSON object.
        json!({"alg": "HS256", "jwk": {"kty": "oct", "k": "AA"}}),
        json!({"alg": "HS256", "typ": 1}),
    ];
    let refused: Vec<String> = headers
        .iter()
        .filter(|h| verify(&keys, &hs256_by_hand((*h).clone(), payload.clone(), SECRET)).is_err())
        .map(Value::to_string)
        .collect();
    assert!(refused.is_empty(), "valid tokens refused: {refused:?}");
}

#[test]
fn a_multi_tenant_issuer_takes_each_tenants_own_iss() {
    let template = "https://login.example/{tid}/v2.0";
    let p = |allowed: Value| {
        let mut extra = json!({"issuer": null, "issuer_template": template});
        if !allowed.is_null() {
            extra["allowed_tenants"] = allowed;
        }
        provider(extra)
    };
    let any = p(json!(["*"]));
    let token = |iss: &str, tid: Value| {
        let mut c = json!({"iss": iss, "exp": NOW + 60});
        if !tid.is_null() {
            c["tid"] = tid;
        }
        c
    };
    let a = "https://login.example/tenant-a/v2.0";
    assert_eq!(check(&any, token(a, json!("tenant-a"))), Ok(()));
    // Tenant A's issuer with tenant B's tid, and the other way round.
    assert_eq!(
        check(&any, token(a, json!("tenant-b"))),
        Err(AuthError::UnknownIssuer)
    );
    assert_eq!(
        check(
            &any,
            token("https://login.example/tenant-b/v2.0", json!("tenant-a"))
        ),
        Err(AuthError::UnknownIssuer)
    );
    assert_eq!(
        check(&any, token(a, Value::Null)),
        Err(AuthError::UnknownIssuer)
    );
    assert_eq!(
        check(&any, token(a, json!(7))),
        Err(AuthError::UnknownIssuer)
    );
    // A tid that would reach into the URL is no tenant id.
    let sneaky = "https://login.example/x/../tenant-a/v2.0";
    assert_eq!(
        check(&any, token(sneaky, json!("x/../tenant-a"))),
        Err(AuthError::UnknownIssuer)
    );
    assert_eq!(
        check(&any, token(template, json!("{tid}"))),
        Err(AuthError::UnknownIssuer)
    );

    let only_a = p(json!(["tenant-a"]));
    assert_eq!(check(&only_a, token(a, json!("tenant-a"))), Ok(()));
    assert_eq!(
        check(
            &only_a,
            token("https://login.example/tenant-b/v2.0", json!("tenant-b"))
        ),
        Err(AuthError::TenantNotAllowed)
    );
}
