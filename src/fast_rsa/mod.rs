//! RSA public-key signature verification (RS256/384/512, PS256/384/512) tuned for
//! 32-bit wasm: 32-bit limbs with 64-bit products, Montgomery multiplication, and the
//! Montgomery constants computed once when the key is parsed, not per verification.
//!
//! Only public data is involved, so the arithmetic is variable-time. Every input is
//! untrusted: nothing here panics on any key or signature bytes.

mod digest;
mod montgomery;
mod padding;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod wycheproof_tests;

use digest::HashAlg;
use montgomery::Modulus;
use padding::SaltLen;

/// Largest modulus accepted, as BoringSSL (OPENSSL_RSA_MAX_MODULUS_BITS).
const MAX_MODULUS_BITS: usize = 16384;
/// Largest public exponent accepted, as BoringSSL (kMaxExponentBits).
const MAX_EXPONENT_BITS: usize = 33;

/// JWS RSA signature schemes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// RS256
    Pkcs1Sha256,
    /// RS384
    Pkcs1Sha384,
    /// RS512
    Pkcs1Sha512,
    /// PS256
    PssSha256,
    /// PS384
    PssSha384,
    /// PS512
    PssSha512,
}

impl Scheme {
    /// The scheme of a JWS `alg` value, if it is an RSA one.
    pub fn from_jws_alg(alg: &str) -> Option<Self> {
        Some(match alg {
            "RS256" => Scheme::Pkcs1Sha256,
            "RS384" => Scheme::Pkcs1Sha384,
            "RS512" => Scheme::Pkcs1Sha512,
            "PS256" => Scheme::PssSha256,
            "PS384" => Scheme::PssSha384,
            "PS512" => Scheme::PssSha512,
            _ => return None,
        })
    }

    fn hash(self) -> HashAlg {
        match self {
            Scheme::Pkcs1Sha256 | Scheme::PssSha256 => HashAlg::Sha256,
            Scheme::Pkcs1Sha384 | Scheme::PssSha384 => HashAlg::Sha384,
            Scheme::Pkcs1Sha512 | Scheme::PssSha512 => HashAlg::Sha512,
        }
    }
}

/// Why a public key was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyError {
    /// The modulus is zero, even, or larger than 16384 bits.
    BadModulus,
    /// The exponent is even, below 3, over 33 bits, or not below the modulus.
    BadExponent,
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyError::BadModulus => "invalid RSA modulus",
            KeyError::BadExponent => "invalid RSA public exponent",
        })
    }
}

impl std::error::Error for KeyError {}

/// A parsed RSA public key, ready to verify many signatures.
#[derive(Clone, Debug)]
pub struct RsaPublicKey {
    modulus: Modulus,
    /// Public exponent, big-endian without leading zeros.
    e: Vec<u8>,
    bits: usize,
    /// Modulus length in bytes: the only signature length accepted.
    len: usize,
}

impl RsaPublicKey {
    /// Key from the big-endian modulus and exponent (JWK `n` and `e` after base64url
    /// decoding). Leading zero bytes are ignored. Small moduli are accepted: check
    /// [`RsaPublicKey::bits`] to apply a size policy.
    pub fn from_components(n: &[u8], e: &[u8]) -> Result<Self, KeyError> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let bits = bit_len(n);
        if bits == 0 || bits > MAX_MODULUS_BITS || n.last().is_some_and(|b| b & 1 == 0) {
            return Err(KeyError::BadModulus);
        }
        let e_bits = bit_len(e);
        let e_is_odd = e.last().is_some_and(|b| b & 1 == 1);
        if !(2..=MAX_EXPONENT_BITS).contains(&e_bits) || !e_is_odd || e_bits >= bits {
            return Err(KeyError::BadExponent);
        }
        Ok(RsaPublicKey {
            modulus: Modulus::from_be_bytes(n).ok_or(KeyError::BadModulus)?,
            e: e.to_vec(),
            bits,
            len: n.len(),
        })
    }

    /// Modulus size in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// True when `signature` is a valid `scheme` signature of `signing_input` (for a JWS,
    /// the ASCII `header.payload`). PSS uses MGF1 with the scheme's hash and accepts any
    /// salt length, as BoringSSL does under Envoy's jwt_authn.
    pub fn verify(&self, scheme: Scheme, signing_input: &[u8], signature: &[u8]) -> bool {
        self.verify_with_salt(scheme, signing_input, signature, SaltLen::Any)
    }

    fn verify_with_salt(
        &self,
        scheme: Scheme,
        message: &[u8],
        signature: &[u8],
        salt: SaltLen,
    ) -> bool {
        let Some(em) = self.public_op(signature) else {
            return false;
        };
        let hash = scheme.hash();
        match scheme {
            Scheme::Pkcs1Sha256 | Scheme::Pkcs1Sha384 | Scheme::Pkcs1Sha512 => {
                padding::pkcs1_v15_matches(&em, hash, message)
            }
            Scheme::PssSha256 | Scheme::PssSha384 | Scheme::PssSha512 => {
                padding::pss_matches(&em, self.bits, hash, salt, message)
            }
        }
    }

    /// signature^e mod n as modulus-length bytes; `None` unless the signature has
    /// exactly the modulus length and is below the modulus (RFC 8017 §5.2.2).
    fn public_op(&self, signature: &[u8]) -> Option<Vec<u8>> {
        if signature.len() != self.len {
            return None;
        }
        let s = self.modulus.element(signature)?;
        Some(self.modulus.pow_to_bytes(&s, &self.e, self.len))
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or(&[])
}

/// Bit length of a big-endian number without leading zero bytes.
fn bit_len(bytes: &[u8]) -> usize {
    match bytes.first() {
        Some(&top) => (bytes.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        None => 0,
    }
}
