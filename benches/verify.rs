//! Native cost of one signature verification per algorithm: fast_rsa against
//! jwt-simple for RSA, fast_ec against jwt-simple (RustCrypto p256/p384) for ES256 and
//! ES384 (and alone for ES512, which jwt-simple lacks), and fast_ed25519 against
//! jwt-simple (ed25519-compact) for EdDSA.

use criterion::{criterion_group, criterion_main, Criterion};
#[path = "../tests/bench/wasm-verify/src/jws.rs"]
mod jws;
use jws::{claims, es512_key, split, ES512_TOKEN};
use jwt_authn_wasm::fast_ec::{P256PublicKey, P384PublicKey, P521PublicKey};
use jwt_authn_wasm::fast_ed25519::Ed25519PublicKey;
use jwt_authn_wasm::fast_rsa::{RsaPublicKey, Scheme};
use jwt_simple::prelude::*;
use std::hint::black_box;

fn rsa(c: &mut Criterion) {
    let rs = RS256KeyPair::generate(2048).expect("keygen");
    let ps = PS256KeyPair::generate(2048).expect("keygen");
    let rs_token = rs.sign(claims()).expect("sign");
    let ps_token = ps.sign(claims()).expect("sign");
    let rs_pk = rs.public_key();
    let ps_pk = ps.public_key();
    let comp = rs_pk.to_components();
    let fast_rs = RsaPublicKey::from_components(&comp.n, &comp.e).expect("key");
    let comp = ps_pk.to_components();
    let fast_ps = RsaPublicKey::from_components(&comp.n, &comp.e).expect("key");
    let (rs_input, rs_sig) = split(&rs_token);
    let (ps_input, ps_sig) = split(&ps_token);
    assert!(fast_rs.verify(Scheme::Pkcs1Sha256, rs_input.as_bytes(), &rs_sig));
    assert!(fast_ps.verify(Scheme::PssSha256, ps_input.as_bytes(), &ps_sig));

    c.bench_function("RS256 fast_rsa verify", |b| {
        b.iter(|| fast_rs.verify(Scheme::Pkcs1Sha256, black_box(rs_input.as_bytes()), &rs_sig))
    });
    c.bench_function("PS256 fast_rsa verify", |b| {
        b.iter(|| fast_ps.verify(Scheme::PssSha256, black_box(ps_input.as_bytes()), &ps_sig))
    });
    c.bench_function("RS256 jwt-simple verify_token", |b| {
        b.iter(|| {
            rs_pk
                .verify_token::<NoCustomClaims>(black_box(&rs_token), None)
                .is_ok()
        })
    });
    c.bench_function("PS256 jwt-simple verify_token", |b| {
        b.iter(|| {
            ps_pk
                .verify_token::<NoCustomClaims>(black_box(&ps_token), None)
                .is_ok()
        })
    });
    c.bench_function("RSA-2048 fast_rsa key parse", |b| {
        b.iter(|| RsaPublicKey::from_components(black_box(&comp.n), &comp.e).is_ok())
    });
}

fn ec_and_eddsa(c: &mut Criterion) {
    let es256 = ES256KeyPair::generate();
    let es384 = ES384KeyPair::generate();
    let ed = Ed25519KeyPair::generate();
    let t256 = es256.sign(claims()).expect("sign");
    let t384 = es384.sign(claims()).expect("sign");
    let ted = ed.sign(claims()).expect("sign");
    let (p256, p384, ped) = (es256.public_key(), es384.public_key(), ed.public_key());
    let point256 = p256.public_key().to_bytes_uncompressed();
    let point384 = p384.public_key().to_bytes_uncompressed();
    let fast256 = P256PublicKey::p256(&point256[1..33], &point256[33..]).expect("key");
    let fast384 = P384PublicKey::p384(&point384[1..49], &point384[49..]).expect("key");
    let (input256, sig256) = split(&t256);
    let (input384, sig384) = split(&t384);
    let ed_bytes = ped.to_bytes();
    let fast_ed = Ed25519PublicKey::from_bytes(&ed_bytes).expect("key");
    let (input_ed, sig_ed) = split(&ted);
    assert!(fast_ed.verify(input_ed.as_bytes(), &sig_ed));
    assert!(fast256.verify(input256.as_bytes(), &sig256));
    assert!(fast384.verify(input384.as_bytes(), &sig384));
    let (x521, y521) = es512_key();
    let fast521 = P521PublicKey::p521(&x521, &y521).expect("key");
    let (input521, sig521) = split(ES512_TOKEN);
    assert!(fast521.verify(input521.as_bytes(), &sig521));
    c.bench_function("ES256 fast_ec verify", |b| {
        b.iter(|| fast256.verify(black_box(input256.as_bytes()), &sig256))
    });
    c.bench_function("ES384 fast_ec verify", |b| {
        b.iter(|| fast384.verify(black_box(input384.as_bytes()), &sig384))
    });
    c.bench_function("ES512 fast_ec verify", |b| {
        b.iter(|| fast521.verify(black_box(input521.as_bytes()), &sig521))
    });
    c.bench_function("P-256 fast_ec key parse", |b| {
        b.iter(|| P256PublicKey::p256(black_box(&point256[1..33]), &point256[33..]).is_ok())
    });
    c.bench_function("P-384 fast_ec key parse", |b| {
        b.iter(|| P384PublicKey::p384(black_box(&point384[1..49]), &point384[49..]).is_ok())
    });
    c.bench_function("P-521 fast_ec key parse", |b| {
        b.iter(|| P521PublicKey::p521(black_box(&x521), &y521).is_ok())
    });
    c.bench_function("EdDSA fast_ed25519 verify", |b| {
        b.iter(|| fast_ed.verify(black_box(input_ed.as_bytes()), &sig_ed))
    });
    c.bench_function("Ed25519 fast_ed25519 key parse", |b| {
        b.iter(|| Ed25519PublicKey::from_bytes(black_box(&ed_bytes)).is_ok())
    });
    c.bench_function("ES256 jwt-simple verify_token", |b| {
        b.iter(|| {
            p256.verify_token::<NoCustomClaims>(black_box(&t256), None)
                .is_ok()
        })
    });
    c.bench_function("ES384 jwt-simple verify_token", |b| {
        b.iter(|| {
            p384.verify_token::<NoCustomClaims>(black_box(&t384), None)
                .is_ok()
        })
    });
    c.bench_function("EdDSA jwt-simple verify_token", |b| {
        b.iter(|| {
            ped.verify_token::<NoCustomClaims>(black_box(&ted), None)
                .is_ok()
        })
    });
}

criterion_group!(benches, rsa, ec_and_eddsa);
criterion_main!(benches);
