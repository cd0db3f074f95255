//! The measured cases.

use crate::jws::{claims, split};
use jwt_authn_wasm::crypto::{Crypto, Tally};
use jwt_authn_wasm::jwks::{KeyPolicy, KeySet};
use jwt_authn_wasm::jwt::Alg;
use jwt_authn_wasm::signature::{verify_raw, PublicKey};
use jwt_simple::prelude::*;
use serde_json::{json, Value};
use std::time::{Duration as StdDuration, Instant};

/// Runs `f` repeatedly for about `budget` and prints operations per second, when `name`
/// contains the optional filter (the second argument), so a profile can isolate one case.
pub fn measure(name: &str, budget: StdDuration, mut f: impl FnMut() -> bool) {
    if let Some(filter) = std::env::args().nth(2) {
        if !name.contains(&filter) {
            return;
        }
    }
    assert!(f(), "{name}: the benchmark case must succeed");
    // Warm up so V8 has tiered the hot code up from its baseline compiler.
    let warm = Instant::now();
    while warm.elapsed() < budget / 4 {
        f();
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        assert!(f());
        n += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{name:<32} {:>9.0} /s {:>10.1} us each",
        n as f64 / secs,
        1e6 * secs / n as f64
    );
}

/// An ES512 token and its key, made once with Python's `cryptography` (jwt-simple has no ES512).
const P521_JWK: &str = r#"{"kty": "EC", "crv": "P-521", "kid": "es512", "x": "Adti5tKL7-ONPUo8Yi1AAdDrgUs5D_eYXlL2t3BoB4145fUyKoSdxcZ1c4IBgehagqxuC71FH-fjDCVooL6tv7_h", "y": "AdDjB5mizDmkGPkASVtfeCX7TIA1ZiKmeGtWmtLR8fpVW0LEAWM64dAJWVB9PIoK9c0oM6CMKVkVBMOpLSDsZM57"}"#;
const ES512_TOKEN: &str = "eyJhbGciOiJFUzUxMiIsImtpZCI6ImVzNTEyIiwidHlwIjoiSldUIn0.eyJzdWIiOiJiZW5jaCIsImV4cCI6NDEwMjQ0NDgwMH0.AazCmkkeF_NHu5QS9HXNJOT4IkCA7FdEARQ86O9TToWPGyKlVkdRd2pupQwDRolT119GzMoydNI43V_BAkRysXLJARUMlVHnAyQEAT3BPA7TzlU0xlkH2YjYS34M-pIu1-GKu5Kuo9gJ6E86JxCd2EkemQBKW1sLJlFhX4xE9bxVtpZ5";

fn jwk(public: String, kid: &str) -> Value {
    let mut jwk: Value = serde_json::from_str(&public).expect("JWK");
    jwk["kid"] = json!(kid);
    jwk
}

pub fn run() {
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let budget = StdDuration::from_secs_f64(secs);
    let crypto = Crypto::module_only();

    // A fixed key keeps start-up short: RSA key generation inside wasm takes seconds.
    let rs = RS256KeyPair::from_pem(include_str!("rsa2048.pem")).expect("RSA key");
    let ps = PS256KeyPair::from_pem(include_str!("rsa2048.pem")).expect("RSA key");
    let es256 = ES256KeyPair::generate();
    let es384 = ES384KeyPair::generate();
    let ed = Ed25519KeyPair::generate();
    let comp = rs.public_key().to_components();
    let b64 = |b: &[u8]| Base64UrlSafeNoPadding::encode_to_string(b).expect("base64");
    let rsa_jwk =
        |kid: &str| json!({"kty": "RSA", "kid": kid, "n": b64(&comp.n), "e": b64(&comp.e)});
    let p256_jwk = |kid: &str| jwk(es256.public_key().to_jwk(), kid);
    let mut keys = vec![
        rsa_jwk("rsa"),
        p256_jwk("es256"),
        jwk(es384.public_key().to_jwk(), "es384"),
        jwk(ed.public_key().to_jwk(), "ed"),
    ];
    // The module's backend: ring (wasm32, and natively by default) or aws-lc-rs (natively with
    // `--features jwt-authn-wasm/aws-lc`, as in the dynamic module), which also has P-521.
    let backend = jwt_authn_wasm::crypto::module::IN_THE_MODULE
        .split(' ')
        .next()
        .unwrap_or_default();
    let p521 = jwt_authn_wasm::crypto::module::HAS_P521;
    if p521 {
        keys.push(serde_json::from_str(P521_JWK).expect("JWK"));
    }
    let text = json!({ "keys": keys }).to_string();
    let set = KeySet::parse_remote(text.as_bytes()).expect("JWKS");
    assert_eq!(set.len(), 4 + usize::from(p521), "{:?}", set.skipped);
    let key = |kid: &str| {
        &set.keys
            .iter()
            .find(|k| k.kid.as_deref() == Some(kid))
            .expect("key")
            .key
    };
    let case = |alg: Alg, kid: &str, token: String| {
        let (input, sig) = split(&token);
        let k = key(kid);
        let crypto = &crypto;
        move || {
            verify_raw(
                k,
                alg,
                input.as_bytes(),
                &sig,
                crypto,
                &mut Tally::default(),
            )
        }
    };
    measure(
        &format!("RS256 {backend}"),
        budget,
        case(Alg::RS256, "rsa", rs.sign(claims()).unwrap()),
    );
    measure(
        &format!("PS256 {backend}"),
        budget,
        case(Alg::PS256, "rsa", ps.sign(claims()).unwrap()),
    );
    measure(
        &format!("ES256 {backend}"),
        budget,
        case(Alg::ES256, "es256", es256.sign(claims()).unwrap()),
    );
    measure(
        &format!("ES384 {backend}"),
        budget,
        case(Alg::ES384, "es384", es384.sign(claims()).unwrap()),
    );
    if p521 {
        measure(
            &format!("ES512 {backend}"),
            budget,
            case(Alg::ES512, "es512", ES512_TOKEN.to_string()),
        );
    }
    measure(
        &format!("EdDSA {backend}"),
        budget,
        case(Alg::EdDSA, "ed", ed.sign(claims()).unwrap()),
    );
    // A key's first token, the key built as a JWKS version builds it: with aws-lc-rs this
    // includes the one parse the key keeps for later tokens.
    let (input, sig) = split(&rs.sign(claims()).unwrap());
    measure(&format!("RS256 {backend}, new key"), budget, || {
        PublicKey::rsa(&comp.n, &comp.e).is_ok_and(|k| {
            verify_raw(
                &k,
                Alg::RS256,
                input.as_bytes(),
                &sig,
                &crypto,
                &mut Tally::default(),
            )
        })
    });

    // A JWKS of 100 keys (half RSA-2048, half P-256), parsed as a worker parses each new
    // version. With the host backend each RSA and EC key also costs one host call.
    let hundred: Vec<Value> = (0..100)
        .map(|i| {
            if i % 2 == 0 {
                rsa_jwk(&format!("r{i}"))
            } else {
                p256_jwk(&format!("e{i}"))
            }
        })
        .collect();
    let doc = json!({ "keys": hundred }).to_string();
    let policy = KeyPolicy {
        symmetric: false,
        crypto: Some(&crypto),
    };
    measure("100-key JWKS parse", budget, || {
        KeySet::parse_with(doc.as_bytes(), policy).is_ok_and(|s| s.len() == 100)
    });
    crate::hit::run(budget, &crypto);
}
