//! Public keys as the backends take them, built once per JWKS version, and the signature
//! check for each `alg`. A token's `alg` must fit the key's type, so an RSA public key can
//! never be used as an HMAC secret. Claims are the authenticator's business: nothing here
//! reads them, so a claim or header parameter we do not use cannot make a valid signature
//! fail.

use crate::crypto::der::{self, Curve};
use crate::crypto::module::{self, Prepared, RsaScheme};
use crate::crypto::{small_order, Check, Crypto, HostCheck, Tally};
use crate::jwt::{Alg, Jwt};
use std::borrow::Cow;

/// RSA moduli of 2048 to 8192 bits: smaller ones are weak, larger ones cost a request
/// more than it is worth and ring refuses them.
pub const MIN_RSA_BITS: usize = 2048;
pub const MAX_RSA_BITS: usize = 8192;
/// As BoringSSL and ring.
const MAX_RSA_EXPONENT_BITS: usize = 33;

/// `prepared`: what the module's backend keeps of the key between verifications (aws-lc-rs:
/// the key parsed on its first use; ring: nothing). It lives as long as the key, one JWKS
/// version.
#[derive(Debug, PartialEq, Eq)]
pub struct RsaKey {
    /// Big-endian, no leading zeros.
    n: Vec<u8>,
    e: Vec<u8>,
    spki: Vec<u8>,
    bits: usize,
    prepared: Prepared,
}

#[derive(Debug, PartialEq, Eq)]
pub struct EcKey {
    curve: Curve,
    spki: Vec<u8>,
    prepared: Prepared,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Ed25519Key {
    key: [u8; 32],
    prepared: Prepared,
}

impl EcKey {
    /// `04‖x‖y`, the tail of the SubjectPublicKeyInfo.
    fn point(&self) -> &[u8] {
        let len = 1 + 2 * self.curve.size();
        self.spki
            .get(self.spki.len().saturating_sub(len)..)
            .unwrap_or(&[])
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum PublicKey {
    Rsa(RsaKey),
    Ec(EcKey),
    Ed25519(Ed25519Key),
    Oct(Vec<u8>),
}

/// The shortest HMAC key RFC 7518 §3.2 allows (HS256: the 256 bits of SHA-256).
pub const MIN_HMAC_KEY_BYTES: usize = 32;

fn bit_len(magnitude: &[u8]) -> usize {
    match magnitude.first() {
        None => 0,
        Some(top) => magnitude.len() * 8 - top.leading_zeros() as usize,
    }
}

impl PublicKey {
    pub fn rsa(n: &[u8], e: &[u8]) -> Result<PublicKey, String> {
        let n = der::strip_leading_zeros(n);
        let e = der::strip_leading_zeros(e);
        let bits = bit_len(n);
        if bits < MIN_RSA_BITS {
            return Err(format!(
                "RSA key of {bits} bits is below the {MIN_RSA_BITS}-bit minimum"
            ));
        }
        if bits > MAX_RSA_BITS {
            return Err(format!(
                "RSA key of {bits} bits is above the {MAX_RSA_BITS}-bit maximum"
            ));
        }
        if n.last().is_none_or(|b| b & 1 == 0) {
            return Err("invalid RSA key: the modulus is even".into());
        }
        let e_odd = e.last().is_some_and(|b| b & 1 == 1);
        if !e_odd || bit_len(e) < 2 || bit_len(e) > MAX_RSA_EXPONENT_BITS {
            return Err(
                "invalid RSA key: the exponent must be odd, at least 3 and at most 33 bits".into(),
            );
        }
        Ok(PublicKey::Rsa(RsaKey {
            spki: der::rsa_spki(n, e),
            n: n.to_vec(),
            e: e.to_vec(),
            bits,
            prepared: Prepared::new(),
        }))
    }

    /// Coordinates of exactly the curve's size. Whether the point is on the curve is
    /// checked by BoringSSL (at parse, through the host), aws-lc-rs (at its parse) or ring (at
    /// every verification).
    pub fn ec(crv: &str, x: &[u8], y: &[u8]) -> Result<PublicKey, String> {
        let curve = Curve::from_jwk(crv).ok_or_else(|| format!("unsupported EC curve {crv:?}"))?;
        let size = curve.size();
        if x.len() != size || y.len() != size {
            return Err(format!("{crv} coordinates must be {size} bytes"));
        }
        Ok(PublicKey::Ec(EcKey {
            curve,
            spki: der::ec_spki(curve, x, y),
            prepared: Prepared::new(),
        }))
    }

    /// Only the length and the small-order points are checked: 32 bytes that are not a
    /// point make a key that fails every signature, as with Envoy.
    pub fn okp(crv: &str, x: &[u8]) -> Result<PublicKey, String> {
        if crv != "Ed25519" {
            return Err(format!("unsupported OKP curve {crv:?}"));
        }
        let key: [u8; 32] = x.try_into().map_err(|_| "Ed25519 keys are 32 bytes")?;
        if small_order::is_small_order(&key) {
            return Err("Ed25519 key of small order (signatures with it prove nothing)".into());
        }
        Ok(PublicKey::Ed25519(Ed25519Key {
            key,
            prepared: Prepared::new(),
        }))
    }

    pub fn oct(k: &[u8]) -> Result<PublicKey, String> {
        // RFC 7518 §3.2: a key at least as long as the hash; the shortest hash is SHA-256's.
        if k.len() < MIN_HMAC_KEY_BYTES {
            return Err(format!(
                "a symmetric key of {} bits is shorter than HS256's 256 (RFC 7518 §3.2)",
                k.len() * 8
            ));
        }
        Ok(PublicKey::Oct(k.to_vec()))
    }

    pub fn rsa_bits(&self) -> usize {
        match self {
            PublicKey::Rsa(key) => key.bits,
            _ => 0,
        }
    }

    pub fn curve(&self) -> Option<Curve> {
        match self {
            PublicKey::Ec(key) => Some(key.curve),
            _ => None,
        }
    }

    /// The key as BoringSSL imports it, with a hash that fits it, for RSA and EC keys.
    pub fn spki(&self) -> Option<(&'static str, &[u8])> {
        match self {
            PublicKey::Rsa(k) => Some(("sha256", &k.spki)),
            PublicKey::Ec(k) => Some((ec_hash(k.curve), &k.spki)),
            _ => None,
        }
    }

    pub fn supports(&self, alg: Alg) -> bool {
        use Alg::*;
        match self {
            PublicKey::Rsa(_) => matches!(alg, RS256 | RS384 | RS512 | PS256 | PS384 | PS512),
            PublicKey::Ec(k) => matches!(
                (k.curve, alg),
                (Curve::P256, ES256) | (Curve::P384, ES384) | (Curve::P521, ES512)
            ),
            PublicKey::Ed25519(_) => alg == EdDSA,
            // RFC 7518 §3.2: HS384 and HS512 need keys as long as their hashes.
            PublicKey::Oct(k) => match alg {
                HS256 => k.len() >= MIN_HMAC_KEY_BYTES,
                HS384 => k.len() >= 48,
                HS512 => k.len() >= 64,
                _ => false,
            },
        }
    }

    /// Checks the token's signature with this key.
    pub fn verify(&self, jwt: &Jwt<'_>, crypto: &Crypto, tally: &mut Tally) -> bool {
        verify_raw(
            self,
            jwt.alg,
            jwt.signing_input.as_bytes(),
            &jwt.signature,
            crypto,
            tally,
        )
    }
}

fn ec_hash(curve: Curve) -> &'static str {
    match curve {
        Curve::P256 => "sha256",
        Curve::P384 => "sha384",
        Curve::P521 => "sha512",
    }
}

type ModuleCheck<'a> = Box<dyn FnOnce() -> bool + 'a>;

fn checks<'a>(
    key: &'a PublicKey,
    alg: Alg,
    msg: &'a [u8],
    sig: &'a [u8],
    with_host: bool,
) -> Option<(Option<HostCheck<'a>>, Option<ModuleCheck<'a>>)> {
    use Alg::*;
    let rsa = |k: &'a RsaKey, scheme: RsaScheme| -> ModuleCheck<'a> {
        Box::new(move || module::rsa(&k.prepared, scheme, &k.n, &k.e, &k.spki, msg, sig))
    };
    let host = |spki: &'a [u8], hash: &'static str, signature: Cow<'a, [u8]>| HostCheck {
        hash,
        spki,
        signature,
        text: msg,
    };
    Some(match (key, alg) {
        (PublicKey::Rsa(k), RS256) => (
            Some(host(&k.spki, "sha256", Cow::Borrowed(sig))),
            Some(rsa(k, RsaScheme::Pkcs1Sha256)),
        ),
        (PublicKey::Rsa(k), RS384) => (
            Some(host(&k.spki, "sha384", Cow::Borrowed(sig))),
            Some(rsa(k, RsaScheme::Pkcs1Sha384)),
        ),
        (PublicKey::Rsa(k), RS512) => (
            Some(host(&k.spki, "sha512", Cow::Borrowed(sig))),
            Some(rsa(k, RsaScheme::Pkcs1Sha512)),
        ),
        // The host's verify_signature has no padding argument: PSS is the module's alone.
        (PublicKey::Rsa(k), PS256) => (None, Some(rsa(k, RsaScheme::PssSha256))),
        (PublicKey::Rsa(k), PS384) => (None, Some(rsa(k, RsaScheme::PssSha384))),
        (PublicKey::Rsa(k), PS512) => (None, Some(rsa(k, RsaScheme::PssSha512))),
        // JWS carries r‖s (RFC 7518 §3.4); BoringSSL takes DER. High-S signatures verify
        // with both, as with native jwt_authn.
        (PublicKey::Ec(k), ES256 | ES384 | ES512) if key.supports(alg) => {
            // A JWS signature of the wrong length is no signature (RFC 7518 §3.4); the DER
            // form is built only when a host will take it.
            if sig.len() != 2 * k.curve.size() {
                return None;
            }
            let host_check = with_host
                .then(|| der::ecdsa_signature(k.curve, sig))
                .flatten()
                .map(|der_sig| host(&k.spki, ec_hash(k.curve), Cow::Owned(der_sig)));
            // ring has no P-521; aws-lc-rs has.
            let module_has_curve = k.curve != Curve::P521 || module::HAS_P521;
            let module: Option<ModuleCheck<'a>> = module_has_curve.then(|| {
                Box::new(move || {
                    module::ecdsa(&k.prepared, k.curve, k.point(), msg, sig).unwrap_or(false)
                }) as ModuleCheck<'a>
            });
            (host_check, module)
        }
        // The host hashes before it verifies and Ed25519 signs the message itself.
        (PublicKey::Ed25519(k), EdDSA) => (
            None,
            Some(Box::new(move || {
                module::ed25519(&k.prepared, &k.key, msg, sig)
            })),
        ),
        // Tags are compared in constant time: a timing leak would let a client forge one
        // byte at a time.
        (PublicKey::Oct(k), HS256) => (
            None,
            Some(Box::new(move || {
                ct_codecs::verify(&hmac_sha256::HMAC::mac(msg, k), sig)
            })),
        ),
        (PublicKey::Oct(k), HS384) => (
            None,
            Some(Box::new(move || {
                ct_codecs::verify(&hmac_sha512::sha384::HMAC::mac(msg, k), sig)
            })),
        ),
        (PublicKey::Oct(k), HS512) => (
            None,
            Some(Box::new(move || {
                ct_codecs::verify(&hmac_sha512::HMAC::mac(msg, k), sig)
            })),
        ),
        _ => return None,
    })
}

/// Verifies `sig` over `msg` with the backends `crypto` picks for this key and `alg`.
pub fn verify_raw(
    key: &PublicKey,
    alg: Alg,
    msg: &[u8],
    sig: &[u8],
    crypto: &Crypto,
    tally: &mut Tally,
) -> bool {
    let Some((host, module)) = checks(key, alg, msg, sig, crypto.has_host()) else {
        return false;
    };
    crypto.verify(Check { host, module }, tally)
}
