//! Signature verification for each key type, over exactly the bytes the signature covers.
//! Keys are built once per JWKS version; a token's `alg` must fit the key's type, so an RSA
//! public key can never be used as an HMAC secret. Claims are the authenticator's business:
//! nothing here reads them, so a claim or header parameter we do not use cannot make a
//! valid signature fail.

use crate::fast_rsa::{RsaPublicKey, Scheme};
use crate::jwt::{Alg, Jwt};
use p256::ecdsa::signature::DigestVerifier as _;

pub enum PublicKey {
    Rsa(Box<RsaPublicKey>),
    P256(Box<p256::ecdsa::VerifyingKey>),
    P384(Box<p384::ecdsa::VerifyingKey>),
    Ed25519(ed25519_compact::PublicKey),
    Oct(Vec<u8>),
}

impl PublicKey {
    pub fn rsa(n: &[u8], e: &[u8]) -> Result<PublicKey, String> {
        let key =
            RsaPublicKey::from_components(n, e).map_err(|e| format!("invalid RSA key: {e:?}"))?;
        if key.bits() < crate::jwks::MIN_RSA_BITS {
            return Err(format!(
                "RSA key of {} bits is below the {}-bit minimum",
                key.bits(),
                crate::jwks::MIN_RSA_BITS
            ));
        }
        Ok(PublicKey::Rsa(Box::new(key)))
    }

    pub fn ec(crv: &str, x: &[u8], y: &[u8]) -> Result<PublicKey, String> {
        let size = match crv {
            "P-256" => 32,
            "P-384" => 48,
            other => return Err(format!("unsupported EC curve {other:?}")),
        };
        if x.len() != size || y.len() != size {
            return Err(format!("{crv} coordinates must be {size} bytes"));
        }
        let mut point = Vec::with_capacity(1 + 2 * size);
        point.push(4u8);
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        let bad = || format!("the {crv} point is not on the curve");
        Ok(if size == 32 {
            PublicKey::P256(Box::new(
                p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).map_err(|_| bad())?,
            ))
        } else {
            PublicKey::P384(Box::new(
                p384::ecdsa::VerifyingKey::from_sec1_bytes(&point).map_err(|_| bad())?,
            ))
        })
    }

    pub fn okp(crv: &str, x: &[u8]) -> Result<PublicKey, String> {
        if crv != "Ed25519" {
            return Err(format!("unsupported OKP curve {crv:?}"));
        }
        ed25519_compact::PublicKey::from_slice(x)
            .map(PublicKey::Ed25519)
            .map_err(|_| "Ed25519 keys are 32 bytes".into())
    }

    pub fn oct(k: &[u8]) -> Result<PublicKey, String> {
        if k.is_empty() {
            return Err("empty symmetric key".into());
        }
        Ok(PublicKey::Oct(k.to_vec()))
    }

    pub fn rsa_bits(&self) -> usize {
        match self {
            PublicKey::Rsa(key) => key.bits(),
            _ => 0,
        }
    }

    pub fn supports(&self, alg: Alg) -> bool {
        use Alg::*;
        matches!(
            (self, alg),
            (
                PublicKey::Rsa(_),
                RS256 | RS384 | RS512 | PS256 | PS384 | PS512
            ) | (PublicKey::P256(_), ES256)
                | (PublicKey::P384(_), ES384)
                | (PublicKey::Ed25519(_), EdDSA)
                | (PublicKey::Oct(_), HS256 | HS384 | HS512)
        )
    }

    /// Checks the token's signature with this key.
    pub fn verify(&self, jwt: &Jwt<'_>) -> bool {
        verify_raw(self, jwt.alg, jwt.signing_input.as_bytes(), &jwt.signature)
    }
}

pub fn verify_raw(key: &PublicKey, alg: Alg, msg: &[u8], sig: &[u8]) -> bool {
    use Alg::*;
    match (key, alg) {
        (PublicKey::Rsa(k), RS256) => k.verify(Scheme::Pkcs1Sha256, msg, sig),
        (PublicKey::Rsa(k), RS384) => k.verify(Scheme::Pkcs1Sha384, msg, sig),
        (PublicKey::Rsa(k), RS512) => k.verify(Scheme::Pkcs1Sha512, msg, sig),
        (PublicKey::Rsa(k), PS256) => k.verify(Scheme::PssSha256, msg, sig),
        (PublicKey::Rsa(k), PS384) => k.verify(Scheme::PssSha384, msg, sig),
        (PublicKey::Rsa(k), PS512) => k.verify(Scheme::PssSha512, msg, sig),
        (PublicKey::P256(k), ES256) => {
            // JWS carries r||s, never DER (RFC 7518 §3.4).
            let Ok(sig) = p256::ecdsa::Signature::from_slice(sig) else {
                return false;
            };
            k.verify_digest(
                |d: &mut hmac_sha256::Hash| {
                    d.update(msg);
                    Ok(())
                },
                &sig,
            )
            .is_ok()
        }
        (PublicKey::P384(k), ES384) => {
            let Ok(sig) = p384::ecdsa::Signature::from_slice(sig) else {
                return false;
            };
            k.verify_digest(
                |d: &mut hmac_sha512::sha384::Hash| {
                    d.update(msg);
                    Ok(())
                },
                &sig,
            )
            .is_ok()
        }
        (PublicKey::Ed25519(k), EdDSA) => {
            ed25519_compact::Signature::from_slice(sig).is_ok_and(|s| k.verify(msg, &s).is_ok())
        }
        // Tags are compared in constant time: a timing leak would let a client forge one
        // byte at a time.
        (PublicKey::Oct(k), HS256) => ct_codecs::verify(&hmac_sha256::HMAC::mac(msg, k), sig),
        (PublicKey::Oct(k), HS384) => {
            ct_codecs::verify(&hmac_sha512::sha384::HMAC::mac(msg, k), sig)
        }
        (PublicKey::Oct(k), HS512) => ct_codecs::verify(&hmac_sha512::HMAC::mac(msg, k), sig),
        _ => false,
    }
}
