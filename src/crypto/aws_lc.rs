//! Verification inside the module, by `aws-lc-rs` (AWS-LC, BoringSSL-derived like Envoy's own
//! crypto): RSA PKCS#1 v1.5 and PSS, ECDSA P-256, P-384 and P-521, Ed25519. The native build's
//! backend with the `aws-lc` feature (the dynamic module); the same functions as the ring
//! backend (src/crypto/module.rs), which the wasm build keeps.
//!
//! Each key is parsed once per algorithm and kept with the key (`Prepared`), so a verification
//! neither decodes the key nor rebuilds RSA's Montgomery contexts: RS256 costs 14.6 µs instead
//! of ring's 20.4, ES384 168 µs instead of 548 (x86_64, see README).

use super::der::Curve;
pub use super::rsa_scheme::RsaScheme;
use aws_lc_rs::signature::{self, ParsedPublicKey, VerificationAlgorithm};
use std::fmt;
use std::sync::OnceLock;

/// For the start-up log line.
pub const IN_THE_MODULE: &str = "aws-lc-rs in the module";
/// Whether ES512 can be verified here.
pub const HAS_P521: bool = true;

/// One slot per algorithm a key can serve: RSA's six schemes; EC and Ed25519 keys serve one.
const SLOTS: usize = 6;

/// The key as aws-lc-rs parsed it, per algorithm (a `ParsedPublicKey` binds one). Parsed on
/// first use, not when the JWKS is: an RSA key can serve six algorithms where a provider uses
/// one, and a JWKS holds up to 100 keys of which most are idle (rotation), while the dynamic
/// module parses each JWKS version once per worker. The first token for a key and algorithm
/// pays one parse (about 3.5 µs for RSA-2048), every later one none, until the next JWKS version. A key
/// aws-lc refuses (an EC point off its curve) is kept as `None` and fails every signature
/// without being parsed again.
#[derive(Default)]
pub struct Prepared([OnceLock<Option<ParsedPublicKey>>; SLOTS]);

impl Prepared {
    pub fn new() -> Prepared {
        Prepared::default()
    }

    fn key(
        &self,
        slot: usize,
        alg: &'static dyn VerificationAlgorithm,
        bytes: &[u8],
    ) -> Option<&ParsedPublicKey> {
        self.0
            .get(slot)?
            .get_or_init(|| ParsedPublicKey::new(alg, bytes).ok())
            .as_ref()
    }

    /// How many algorithms the key has been parsed for.
    fn parsed(&self) -> usize {
        self.0.iter().filter(|s| s.get().is_some()).count()
    }
}

/// A cache of the key it sits beside: two keys are equal when their material is.
impl PartialEq for Prepared {
    fn eq(&self, _: &Prepared) -> bool {
        true
    }
}

impl Eq for Prepared {}

impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Prepared({} parsed)", self.parsed())
    }
}

/// RSA, the key as its SubjectPublicKeyInfo (`n` and `e` are for backends that take them).
/// aws-lc takes moduli of 2048 to 8192 bits; PSS with a salt as long as the digest, which is
/// what JWS PS256/384/512 use (RFC 7518 §3.5).
pub fn rsa(
    prepared: &Prepared,
    scheme: RsaScheme,
    _n: &[u8],
    _e: &[u8],
    spki: &[u8],
    msg: &[u8],
    sig: &[u8],
) -> bool {
    let (slot, alg): (usize, &'static dyn VerificationAlgorithm) = match scheme {
        RsaScheme::Pkcs1Sha256 => (0, &signature::RSA_PKCS1_2048_8192_SHA256),
        RsaScheme::Pkcs1Sha384 => (1, &signature::RSA_PKCS1_2048_8192_SHA384),
        RsaScheme::Pkcs1Sha512 => (2, &signature::RSA_PKCS1_2048_8192_SHA512),
        RsaScheme::PssSha256 => (3, &signature::RSA_PSS_2048_8192_SHA256),
        RsaScheme::PssSha384 => (4, &signature::RSA_PSS_2048_8192_SHA384),
        RsaScheme::PssSha512 => (5, &signature::RSA_PSS_2048_8192_SHA512),
    };
    verify(prepared.key(slot, alg, spki), msg, sig)
}

/// ECDSA over the uncompressed point `04‖x‖y`, signature `r‖s` (JWS). Always `Some`: every
/// JWS curve is here.
pub fn ecdsa(
    prepared: &Prepared,
    curve: Curve,
    point: &[u8],
    msg: &[u8],
    sig: &[u8],
) -> Option<bool> {
    let alg: &'static dyn VerificationAlgorithm = match curve {
        Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
        Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
        Curve::P521 => &signature::ECDSA_P521_SHA512_FIXED,
    };
    // A key has one curve, so one algorithm: the first slot.
    Some(verify(prepared.key(0, alg, point), msg, sig))
}

pub fn ed25519(prepared: &Prepared, key: &[u8; 32], msg: &[u8], sig: &[u8]) -> bool {
    verify(prepared.key(0, &signature::ED25519, key), msg, sig)
}

fn verify(key: Option<&ParsedPublicKey>, msg: &[u8], sig: &[u8]) -> bool {
    key.is_some_and(|k| k.verify_sig(msg, sig).is_ok())
}

#[cfg(test)]
mod tests {
    use crate::jwt::Alg;
    use crate::signature::PublicKey;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P521_SHA512_FIXED_SIGNING};

    #[test]
    fn a_key_is_parsed_once_per_algorithm_and_kept() {
        let rng = SystemRandom::new();
        let Ok(pkcs8) = EcdsaKeyPair::generate_pkcs8(&ECDSA_P521_SHA512_FIXED_SIGNING, &rng) else {
            panic!("P-521 key generation");
        };
        let Ok(pair) = EcdsaKeyPair::from_pkcs8(&ECDSA_P521_SHA512_FIXED_SIGNING, pkcs8.as_ref())
        else {
            panic!("P-521 key import");
        };
        let point = pair.public_key().as_ref();
        assert_eq!(point.len(), 133);
        let key = PublicKey::ec("P-521", &point[1..67], &point[67..]).map_err(|e| e.to_string());
        let Ok(key) = key else {
            panic!("{key:?}");
        };
        assert_eq!(format!("{key:?}").matches("Prepared(0 parsed)").count(), 1);
        let crypto = crate::crypto::Crypto::module_only();
        let mut tally = crate::crypto::Tally::default();
        for text in [&b"a.b"[..], b"a.c", b"a.d"] {
            let Ok(sig) = pair.sign(&rng, text) else {
                panic!("signing");
            };
            let ok = crate::signature::verify_raw(
                &key,
                Alg::ES512,
                text,
                sig.as_ref(),
                &crypto,
                &mut tally,
            );
            assert!(ok);
            // And not over other text.
            assert!(!crate::signature::verify_raw(
                &key,
                Alg::ES512,
                b"x",
                sig.as_ref(),
                &crypto,
                &mut tally
            ));
        }
        assert_eq!(tally.module, 6);
        assert_eq!(format!("{key:?}").matches("Prepared(1 parsed)").count(), 1);
    }

    /// One RSA key serves several algorithms, each with its own parsed key, and each parsed
    /// once: a slot shared by two schemes would verify one with the other's padding.
    #[test]
    fn an_rsa_key_keeps_one_parsed_key_per_algorithm() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        use jwt_simple::prelude::*;
        let Ok(rs) = RS256KeyPair::generate(2048) else {
            panic!("RSA key generation");
        };
        let Ok(der) = rs.to_der() else {
            panic!("RSA key export");
        };
        let (Ok(ps), Ok(rs512)) = (PS256KeyPair::from_der(&der), RS512KeyPair::from_der(&der))
        else {
            panic!("RSA key import");
        };
        let parts = rs.public_key().to_components();
        let key = PublicKey::rsa(&parts.n, &parts.e).map_err(|e| e.to_string());
        let Ok(key) = key else {
            panic!("{key:?}");
        };
        let claims = || Claims::create(Duration::from_hours(1));
        let tokens = [
            (Alg::RS256, rs.sign(claims())),
            (Alg::PS256, ps.sign(claims())),
            (Alg::RS512, rs512.sign(claims())),
            (Alg::RS256, rs.sign(claims())),
        ];
        let crypto = crate::crypto::Crypto::module_only();
        let mut tally = crate::crypto::Tally::default();
        let verify = |alg, input: &str, sig: &[u8], tally: &mut crate::crypto::Tally| {
            crate::signature::verify_raw(&key, alg, input.as_bytes(), sig, &crypto, tally)
        };
        for (alg, token) in tokens {
            let Ok(token) = token else {
                panic!("signing");
            };
            let Some((input, sig)) = token.rsplit_once('.') else {
                panic!("{token}");
            };
            let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else {
                panic!("{token}");
            };
            assert!(verify(alg, input, &sig, &mut tally), "{alg:?}");
            // The same signature under another padding or hash never verifies.
            for other in [Alg::RS256, Alg::PS256, Alg::RS512] {
                assert_eq!(verify(other, input, &sig, &mut tally), other == alg);
            }
        }
        assert_eq!(format!("{key:?}").matches("Prepared(3 parsed)").count(), 1);
    }

    #[test]
    fn a_point_off_the_curve_fails_every_signature() {
        let key = PublicKey::ec("P-521", &[1; 66], &[2; 66]).map_err(|e| e.to_string());
        let Ok(key) = key else {
            panic!("{key:?}");
        };
        let crypto = crate::crypto::Crypto::module_only();
        let mut tally = crate::crypto::Tally::default();
        for _ in 0..2 {
            assert!(!crate::signature::verify_raw(
                &key,
                Alg::ES512,
                b"a.b",
                &[1; 132],
                &crypto,
                &mut tally
            ));
        }
        // Refused once, and the refusal kept.
        assert_eq!(format!("{key:?}").matches("Prepared(1 parsed)").count(), 1);
    }
}
