//! Signature verification for each key type. Keys are built once per JWKS version; a
//! token's `alg` must fit the key's type, so an RSA public key can never be used as an
//! HMAC secret.

use crate::jwt::{Alg, Jwt};
use jwt_simple::prelude::*;

pub enum PublicKey {
    Rsa(Box<RsaKeys>),
    P256(ES256PublicKey),
    P384(ES384PublicKey),
    Ed25519(Ed25519PublicKey),
    Oct(Box<HmacKeys>),
}

pub struct RsaKeys {
    bits: usize,
    rs256: RS256PublicKey,
    rs384: RS384PublicKey,
    rs512: RS512PublicKey,
    ps256: PS256PublicKey,
    ps384: PS384PublicKey,
    ps512: PS512PublicKey,
}

pub struct HmacKeys {
    hs256: HS256Key,
    hs384: HS384Key,
    hs512: HS512Key,
}

impl PublicKey {
    pub fn rsa(n: &[u8], e: &[u8]) -> Result<PublicKey, String> {
        let bad = |_| "invalid RSA modulus or exponent".to_string();
        let n_trimmed = trim_leading_zeros(n);
        let bits =
            n_trimmed.len() * 8 - n_trimmed.first().map_or(8, |b| b.leading_zeros() as usize);
        if bits < crate::jwks::MIN_RSA_BITS {
            return Err(format!(
                "RSA key of {bits} bits is below the {}-bit minimum",
                crate::jwks::MIN_RSA_BITS
            ));
        }
        Ok(PublicKey::Rsa(Box::new(RsaKeys {
            bits,
            rs256: RS256PublicKey::from_components(n, e).map_err(bad)?,
            rs384: RS384PublicKey::from_components(n, e).map_err(bad)?,
            rs512: RS512PublicKey::from_components(n, e).map_err(bad)?,
            ps256: PS256PublicKey::from_components(n, e).map_err(bad)?,
            ps384: PS384PublicKey::from_components(n, e).map_err(bad)?,
            ps512: PS512PublicKey::from_components(n, e).map_err(bad)?,
        })))
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
        let bad = |_| format!("the {crv} point is not on the curve");
        Ok(match crv {
            "P-256" => PublicKey::P256(ES256PublicKey::from_bytes(&point).map_err(bad)?),
            _ => PublicKey::P384(ES384PublicKey::from_bytes(&point).map_err(bad)?),
        })
    }

    pub fn okp(crv: &str, x: &[u8]) -> Result<PublicKey, String> {
        if crv != "Ed25519" {
            return Err(format!("unsupported OKP curve {crv:?}"));
        }
        if x.len() != 32 {
            return Err("Ed25519 keys are 32 bytes".into());
        }
        Ed25519PublicKey::from_bytes(x)
            .map(PublicKey::Ed25519)
            .map_err(|_| "invalid Ed25519 key".into())
    }

    pub fn oct(k: &[u8]) -> Result<PublicKey, String> {
        if k.is_empty() {
            return Err("empty symmetric key".into());
        }
        Ok(PublicKey::Oct(Box::new(HmacKeys {
            hs256: HS256Key::from_bytes(k),
            hs384: HS384Key::from_bytes(k),
            hs512: HS512Key::from_bytes(k),
        })))
    }

    pub fn rsa_bits(&self) -> usize {
        match self {
            PublicKey::Rsa(keys) => keys.bits,
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

    /// Checks the token's signature with this key. Claims were already checked by the
    /// authenticator; the library re-checks times against the same clock and skew.
    pub fn verify(&self, jwt: &Jwt<'_>, now: u64, skew: u64) -> bool {
        let options = VerificationOptions {
            accept_future: true,
            artificial_time: Some(UnixTimeStamp::from_secs(now)),
            time_tolerance: Some(Duration::from_secs(skew)),
            max_token_length: None,
            max_header_length: Some(jwt.token.len()),
            // The library refuses unusual `typ` values; Envoy does not look at `typ`.
            required_signature_type: jwt.typ.clone(),
            ..Default::default()
        };
        let token = jwt.token;
        let o = Some(options);
        use Alg::*;
        match (self, jwt.alg) {
            (PublicKey::Rsa(k), RS256) => k.rs256.verify_token::<NoCustomClaims>(token, o).is_ok(),
            (PublicKey::Rsa(k), RS384) => k.rs384.verify_token::<NoCustomClaims>(token, o).is_ok(),
            (PublicKey::Rsa(k), RS512) => k.rs512.verify_token::<NoCustomClaims>(token, o).is_ok(),
            (PublicKey::Rsa(k), PS256) => k.ps256.verify_token::<NoCustomClaims>(token, o).is_ok(),
            (PublicKey::Rsa(k), PS384) => k.ps384.verify_token::<NoCustomClaims>(token, o).is_ok(),
            (PublicKey::Rsa(k), PS512) => k.ps512.verify_token::<NoCustomClaims>(token, o).is_ok(),
            (PublicKey::P256(k), ES256) => k.verify_token::<NoCustomClaims>(token, o).is_ok(),
            (PublicKey::P384(k), ES384) => k.verify_token::<NoCustomClaims>(token, o).is_ok(),
            (PublicKey::Ed25519(k), EdDSA) => k.verify_token::<NoCustomClaims>(token, o).is_ok(),
            (PublicKey::Oct(k), HS256) => k.hs256.verify_token::<NoCustomClaims>(token, o).is_ok(),
            (PublicKey::Oct(k), HS384) => k.hs384.verify_token::<NoCustomClaims>(token, o).is_ok(),
            (PublicKey::Oct(k), HS512) => k.hs512.verify_token::<NoCustomClaims>(token, o).is_ok(),
            _ => false,
        }
    }
}

fn trim_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or(&[])
}
