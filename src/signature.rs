//! Signature verification for each key type, over exactly the bytes the signature covers.
//! Keys are built once per JWKS version; a token's `alg` must fit the key's type, so an RSA
//! public key can never be used as an HMAC secret. Claims are the authenticator's business:
//! nothing here reads them, so a claim or header parameter we do not use cannot make a
//! valid signature fail.

use crate::fast_ec::{P256PublicKey, P384PublicKey, P521PublicKey};
use crate::fast_ed25519::Ed25519PublicKey;
use crate::fast_rsa::{RsaPublicKey, Scheme};
use crate::jwt::{Alg, Jwt};

pub enum PublicKey {
    Rsa(Box<RsaPublicKey>),
    P256(Box<P256PublicKey>),
    P384(Box<P384PublicKey>),
    P521(Box<P521PublicKey>),
    Ed25519(Box<Ed25519PublicKey>),
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
            "P-521" => 66,
            other => return Err(format!("unsupported EC curve {other:?}")),
        };
        if x.len() != size || y.len() != size {
            return Err(format!("{crv} coordinates must be {size} bytes"));
        }
        // Coordinates not below p, or a point off the curve. The key's table of
        // multiples is built here, once per JWKS version.
        let bad = |_| format!("the {crv} point is not on the curve");
        Ok(match size {
            32 => PublicKey::P256(Box::new(P256PublicKey::p256(x, y).map_err(bad)?)),
            48 => PublicKey::P384(Box::new(P384PublicKey::p384(x, y).map_err(bad)?)),
            _ => PublicKey::P521(Box::new(P521PublicKey::p521(x, y).map_err(bad)?)),
        })
    }

    pub fn okp(crv: &str, x: &[u8]) -> Result<PublicKey, String> {
        if crv != "Ed25519" {
            return Err(format!("unsupported OKP curve {crv:?}"));
        }
        // Only the length is checked, as by Envoy: 32 bytes that are not a point make a
        // key that fails every signature (BoringSSL decodes the key when verifying).
        // The key's table of multiples is built here, once per JWKS version.
        Ed25519PublicKey::from_bytes(x)
            .map(|key| PublicKey::Ed25519(Box::new(key)))
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
                | (PublicKey::P521(_), ES512)
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
        // JWS carries r||s, never DER (RFC 7518 §3.4); SHA-256 with P-256, SHA-384 with
        // P-384, SHA-512 with P-521 (r and s 66 bytes each). High-S signatures verify, as
        // with BoringSSL.
        (PublicKey::P256(k), ES256) => k.verify(msg, sig),
        (PublicKey::P384(k), ES384) => k.verify(msg, sig),
        (PublicKey::P521(k), ES512) => k.verify(msg, sig),
        // R‖S, 64 bytes; S below the group order; cofactorless, as BoringSSL.
        (PublicKey::Ed25519(k), EdDSA) => k.verify(msg, sig),
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
