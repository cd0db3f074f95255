//! Ed25519 signature verification (JWS `EdDSA`, RFC 8037) tuned for 32-bit wasm: field
//! elements in ten 25.5-bit limbs with 64-bit products (field.rs; 64-bit limbs would need
//! 128-bit products, which wasm32 emulates), complete twisted Edwards formulas
//! (point.rs), and tables of multiples (table.rs) built once per public key when the key
//! is parsed and once per process for the base point, so a verification is 32 doublings
//! and one mixed addition per non-zero wNAF digit of S and k, plus one inversion.
//! A key's table takes 15 KB, the base point's 61 KB.
//!
//! The acceptance rule is BoringSSL's `ED25519_verify`, which Envoy's native jwt_authn
//! calls, so that both filters accept exactly the same tokens:
//! - the signature is 64 bytes R‖S, and S must be below the group order L;
//! - the public key is decoded as `x25519_ge_frombytes_vartime` does: y is taken modulo
//!   p (a non-canonical y, from p to 2^255 - 1, is accepted), x = 0 with the sign bit
//!   set decodes to x = 0, and only a y without a matching x fails, which fails every
//!   signature (BoringSSL decodes the key at each verification; the JWKS keeps the key);
//! - small-order and mixed-order keys are not refused (no subgroup check);
//! - k = SHA-512(R ‖ A ‖ M) mod L over the key's bytes as given, and the signature is
//!   valid iff the canonical encoding of [S]B - [k]A equals the 32 bytes of R
//!   (cofactorless; an R that is not a canonical encoding never matches).
//!
//! Only public data is involved, so the arithmetic is variable-time. Every input is
//! untrusted: nothing here panics on any key or signature.

mod field;
mod point;
mod scalar;
mod table;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod wycheproof_tests;

use point::Extended;
use std::sync::OnceLock;
use table::{mul2, Table};

/// wNAF width of a key's table: 16 entries per run, 15 KB.
const KEY_WIDTH: u32 = 6;
/// wNAF width of the base point's table: 64 entries per run, 61 KB, once per process.
const BASE_WIDTH: u32 = 8;

/// The base point B's encoding (y = 4/5, x even).
const BASE: [u8; 32] = [
    0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
    0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
];

/// The base point's table, built by the first key.
fn base_table() -> Option<&'static Table> {
    static TABLE: OnceLock<Option<Table>> = OnceLock::new();
    TABLE
        .get_or_init(|| Extended::decode(&BASE).map(|b| Table::new(&b, BASE_WIDTH)))
        .as_ref()
}

/// Why a public key was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyError {
    /// Not 32 bytes.
    Length,
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyError::Length => "Ed25519 keys are 32 bytes",
        })
    }
}

impl std::error::Error for KeyError {}

/// An Ed25519 public key with the table of multiples of -A: parse once, verify many
/// signatures.
pub struct Ed25519PublicKey {
    bytes: [u8; 32],
    /// `None` when the bytes are not a point encoding: such a key verifies nothing.
    table: Option<Table>,
}

impl std::fmt::Debug for Ed25519PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ed25519PublicKey(valid point: {})", self.table.is_some())
    }
}

impl Ed25519PublicKey {
    /// Key from its 32-byte encoding (JWK `x`, RFC 8037 §2). Only the length is checked
    /// here, as by Envoy; bytes that are not a point give a key that fails every
    /// signature, as in BoringSSL.
    pub fn from_bytes(x: &[u8]) -> Result<Self, KeyError> {
        let bytes: [u8; 32] = x.try_into().map_err(|_| KeyError::Length)?;
        let table = Extended::decode(&bytes).map(|a| Table::new(&a.neg(), KEY_WIDTH));
        // The base point's table is built with the first key, so no request pays for it.
        base_table();
        Ok(Ed25519PublicKey { bytes, table })
    }

    /// True when the key's bytes decode to a curve point (else nothing verifies).
    pub fn is_point(&self) -> bool {
        self.table.is_some()
    }

    /// True when `signature` (R‖S, 64 bytes) is a valid Ed25519 signature of `message`
    /// under this key, by BoringSSL's rules (see the module docs).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let (Some(neg_a), Some(base)) = (self.table.as_ref(), base_table()) else {
            return false;
        };
        let Ok(signature) = <&[u8; 64]>::try_from(signature) else {
            return false;
        };
        let (r, s) = signature.split_at(32);
        let (Ok(r), Ok(s)) = (<&[u8; 32]>::try_from(r), <&[u8; 32]>::try_from(s)) else {
            return false;
        };
        if !scalar::is_canonical(s) {
            return false;
        }
        let mut hash = hmac_sha512::Hash::new();
        hash.update(r);
        hash.update(self.bytes);
        hash.update(message);
        let k = scalar::reduce_wide(&hash.finalize());
        let s_digits = scalar::wnaf(s, base.width());
        let k_digits = scalar::wnaf(&k, neg_a.width());
        // [S]B + [k](-A)
        match mul2(base, &s_digits, neg_a, &k_digits) {
            Some(point) => point.encode() == *r,
            None => false,
        }
    }
}
