//! Helpers the unit tests of several modules share: tokens built and broken by hand, claims
//! signed exactly as written, and one RSA key for the whole test binary.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jwt_simple::prelude::*;
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// Base64url without padding, as JWTs and JWKs write bytes.
pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Claims taken verbatim from `v` (an object), so tests control every field: jwt-simple's
/// own claim fields stay empty and add nothing.
pub fn claims(v: Value) -> JWTClaims<Map<String, Value>> {
    JWTClaims {
        issued_at: None,
        expires_at: None,
        invalid_before: None,
        issuer: None,
        subject: None,
        audiences: None,
        jwt_id: None,
        nonce: None,
        custom: v.as_object().cloned().unwrap_or_default(),
    }
}

/// The token with one bit of its signature flipped at byte `at`.
pub fn tampered_at(token: &str, at: usize) -> String {
    let (rest, sig) = token.rsplit_once('.').expect("a token has a signature");
    let mut bytes = URL_SAFE_NO_PAD
        .decode(sig)
        .expect("the signature is base64url");
    bytes[at] ^= 1;
    format!("{rest}.{}", b64(bytes))
}

/// The token with one bit of its signature flipped.
pub fn tampered(token: &str) -> String {
    tampered_at(token, 5)
}

/// RSA key generation takes seconds in debug builds: one 2048-bit key (kid `rsa`) for the
/// whole test binary.
pub fn rsa() -> &'static RS256KeyPair {
    static KEY: OnceLock<RS256KeyPair> = OnceLock::new();
    KEY.get_or_init(|| {
        RS256KeyPair::generate(2048)
            .expect("an RSA key")
            .with_key_id("rsa")
    })
}
