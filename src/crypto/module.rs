//! Verification inside the module, by `ring` (BoringSSL-derived): RSA PKCS#1 v1.5 and PSS,
//! ECDSA P-256 and P-384, Ed25519. ring has no P-521; ES512 needs the host. The wasm build's
//! backend, and the native one without the `aws-lc` feature (src/crypto/aws_lc.rs has the
//! same functions).

use super::der::Curve;
pub use super::rsa_scheme::RsaScheme;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};

/// For the start-up log line.
pub const IN_THE_MODULE: &str = "ring in the module";
/// Whether ES512 can be verified here.
pub const HAS_P521: bool = false;

/// What a key keeps for this backend: nothing. ring has no parsed public key to keep, so it
/// reads the key on every verification.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Prepared;

impl Prepared {
    pub const fn new() -> Prepared {
        Prepared
    }
}

/// RSA with modulus `n` and exponent `e` (big-endian, as in the JWK; `spki` is the same key,
/// for backends that parse it). ring takes moduli of 2048 to 8192 bits and exponents of at
/// most 33 bits; PSS with a salt as long as the digest, which is what JWS PS256/384/512 use
/// (RFC 7518 §3.5).
pub fn rsa(
    _: &Prepared,
    scheme: RsaScheme,
    n: &[u8],
    e: &[u8],
    _spki: &[u8],
    msg: &[u8],
    sig: &[u8],
) -> bool {
    let params = match scheme {
        RsaScheme::Pkcs1Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        RsaScheme::Pkcs1Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        RsaScheme::Pkcs1Sha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        RsaScheme::PssSha256 => &signature::RSA_PSS_2048_8192_SHA256,
        RsaScheme::PssSha384 => &signature::RSA_PSS_2048_8192_SHA384,
        RsaScheme::PssSha512 => &signature::RSA_PSS_2048_8192_SHA512,
    };
    RsaPublicKeyComponents { n, e }
        .verify(params, msg, sig)
        .is_ok()
}

/// ECDSA over the uncompressed point `04‖x‖y`, signature `r‖s` (JWS). `None`: ring has no
/// such curve.
pub fn ecdsa(_: &Prepared, curve: Curve, point: &[u8], msg: &[u8], sig: &[u8]) -> Option<bool> {
    let alg = match curve {
        Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
        Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
        Curve::P521 => return None,
    };
    Some(UnparsedPublicKey::new(alg, point).verify(msg, sig).is_ok())
}

pub fn ed25519(_: &Prepared, key: &[u8; 32], msg: &[u8], sig: &[u8]) -> bool {
    UnparsedPublicKey::new(&signature::ED25519, key)
        .verify(msg, sig)
        .is_ok()
}
