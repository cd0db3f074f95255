//! The measured cases.

use crate::fast_ec::{P256PublicKey, P384PublicKey, P521PublicKey};
use crate::fast_ed25519::Ed25519PublicKey;
use crate::fast_rsa::{RsaPublicKey, Scheme};
use crate::jws::{claims, es512_key, split, ES512_TOKEN};
use jwt_simple::prelude::*;
use std::time::{Duration as StdDuration, Instant};

/// Runs `f` repeatedly for about `budget` and prints verifications per second, when `name`
/// contains the optional filter (the second argument), so a profile can isolate one case.
fn measure(name: &str, budget: StdDuration, mut f: impl FnMut() -> bool) {
    if let Some(filter) = std::env::args().nth(2) {
        if !name.contains(&filter) {
            return;
        }
    }
    assert!(f(), "{name}: the benchmark token must verify");
    // Warm up so V8 has tiered the hot code up from its baseline compiler.
    let warm = Instant::now();
    while warm.elapsed() < budget / 4 {
        f();
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..10 {
            assert!(f());
        }
        n += 10;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{name:<32} {:>9.0} verifies/s {:>8.1} us/verify",
        n as f64 / secs,
        1e6 * secs / n as f64
    );
}

pub fn run() {
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let budget = StdDuration::from_secs_f64(secs);

    // A fixed key keeps start-up short: RSA key generation inside wasm takes seconds.
    let rs = RS256KeyPair::from_pem(include_str!("rsa2048.pem")).expect("RSA key");
    let ps = PS256KeyPair::from_pem(include_str!("rsa2048.pem")).expect("RSA key");
    let (rs_token, ps_token) = (rs.sign(claims()).unwrap(), ps.sign(claims()).unwrap());
    let (rs_pk, ps_pk) = (rs.public_key(), ps.public_key());
    let comp = rs_pk.to_components();
    let started = Instant::now();
    let fast = RsaPublicKey::from_components(&comp.n, &comp.e).expect("key");
    println!(
        "{:<32} {:>9.1} us (once per JWKS version)",
        "fast_rsa key parse",
        started.elapsed().as_secs_f64() * 1e6
    );
    let (rs_input, rs_sig) = split(&rs_token);
    let (ps_input, ps_sig) = split(&ps_token);

    measure("RS256 fast_rsa", budget, || {
        fast.verify(Scheme::Pkcs1Sha256, rs_input.as_bytes(), &rs_sig)
    });
    measure("PS256 fast_rsa", budget, || {
        fast.verify(Scheme::PssSha256, ps_input.as_bytes(), &ps_sig)
    });
    measure("RS256 jwt-simple", budget, || {
        rs_pk
            .verify_token::<NoCustomClaims>(&rs_token, None)
            .is_ok()
    });
    measure("PS256 jwt-simple", budget, || {
        ps_pk
            .verify_token::<NoCustomClaims>(&ps_token, None)
            .is_ok()
    });

    let es256 = ES256KeyPair::generate();
    let es384 = ES384KeyPair::generate();
    let ed = Ed25519KeyPair::generate();
    let (t256, t384, ted) = (
        es256.sign(claims()).unwrap(),
        es384.sign(claims()).unwrap(),
        ed.sign(claims()).unwrap(),
    );
    let (p256, p384, ped) = (es256.public_key(), es384.public_key(), ed.public_key());
    let (input256, sig256) = split(&t256);
    let (input384, sig384) = split(&t384);
    let point256 = p256.public_key().to_bytes_uncompressed();
    let point384 = p384.public_key().to_bytes_uncompressed();
    // The first key of a curve also builds the curve's generator table (once per VM).
    let timed = |name: &str, f: &mut dyn FnMut()| {
        let started = Instant::now();
        f();
        println!(
            "{name:<32} {:>9.1} us (once per JWKS version)",
            started.elapsed().as_secs_f64() * 1e6
        );
    };
    let mut fast256 = None;
    timed("fast_ec P-256 first key parse", &mut || {
        fast256 = P256PublicKey::p256(&point256[1..33], &point256[33..]).ok()
    });
    timed("fast_ec P-256 key parse", &mut || {
        fast256 = P256PublicKey::p256(&point256[1..33], &point256[33..]).ok()
    });
    let mut fast384 = None;
    timed("fast_ec P-384 first key parse", &mut || {
        fast384 = P384PublicKey::p384(&point384[1..49], &point384[49..]).ok()
    });
    timed("fast_ec P-384 key parse", &mut || {
        fast384 = P384PublicKey::p384(&point384[1..49], &point384[49..]).ok()
    });
    let (x521, y521) = es512_key();
    let mut fast521 = None;
    timed("fast_ec P-521 first key parse", &mut || {
        fast521 = P521PublicKey::p521(&x521, &y521).ok()
    });
    timed("fast_ec P-521 key parse", &mut || {
        fast521 = P521PublicKey::p521(&x521, &y521).ok()
    });
    let (input521, sig521) = split(ES512_TOKEN);
    let (fast256, fast384) = (fast256.expect("P-256 key"), fast384.expect("P-384 key"));
    let fast521 = fast521.expect("P-521 key");
    measure("ES256 fast_ec", budget, || {
        fast256.verify(input256.as_bytes(), &sig256)
    });
    measure("ES384 fast_ec", budget, || {
        fast384.verify(input384.as_bytes(), &sig384)
    });
    measure("ES512 fast_ec", budget, || {
        fast521.verify(input521.as_bytes(), &sig521)
    });
    let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(&p256.public_key().to_bytes_uncompressed())
        .unwrap();
    let sig = p256::ecdsa::Signature::from_slice(&sig256).unwrap();
    measure("ES256 p256 raw", budget, || {
        use p256::ecdsa::signature::Verifier;
        vk.verify(input256.as_bytes(), &sig).is_ok()
    });
    let (input_ed, sig_ed) = split(&ted);
    let ed_bytes = ped.to_bytes();
    let mut fast_ed = None;
    // The first key also builds the base point's table (once per VM).
    timed("fast_ed25519 first key parse", &mut || {
        fast_ed = Ed25519PublicKey::from_bytes(&ed_bytes).ok()
    });
    timed("fast_ed25519 key parse", &mut || {
        fast_ed = Ed25519PublicKey::from_bytes(&ed_bytes).ok()
    });
    let fast_ed = fast_ed.expect("Ed25519 key");
    measure("EdDSA fast_ed25519", budget, || {
        fast_ed.verify(input_ed.as_bytes(), &sig_ed)
    });
    let ed_raw = ed25519_compact::PublicKey::from_slice(&ped.to_bytes()).unwrap();
    let ed_sig = ed25519_compact::Signature::from_slice(&sig_ed).unwrap();
    measure("EdDSA ed25519-compact raw", budget, || {
        ed_raw.verify(input_ed.as_bytes(), &ed_sig).is_ok()
    });
    measure("ES256 jwt-simple", budget, || {
        p256.verify_token::<NoCustomClaims>(&t256, None).is_ok()
    });
    measure("ES384 jwt-simple", budget, || {
        p384.verify_token::<NoCustomClaims>(&t384, None).is_ok()
    });
    measure("EdDSA jwt-simple", budget, || {
        ped.verify_token::<NoCustomClaims>(&ted, None).is_ok()
    });
}
