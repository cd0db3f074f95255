//! ECDSA signature verification on P-256 (ES256), P-384 (ES384) and P-521 (ES512), tuned
//! for 32-bit wasm: 29-bit limbs with 64-bit products and Montgomery multiplication
//! (field.rs; unrolled for P-256 and P-384, compact loops for the rare P-521), Jacobian
//! point arithmetic (point.rs), and multiple-of-a-point tables (table.rs) built once per
//! public key when the key is parsed, and once per curve for the generator, so a
//! verification is about `bits / 8` doublings and one addition per non-zero wNAF digit.
//! A key's table takes 18 KB (P-256), 28 KB (P-384) or 39 KB (P-521); the generator's,
//! with wider windows, 36 KB, 57 KB or 78 KB, once per curve in use.
//!
//! Only public data is involved (keys, signatures, messages), so the arithmetic is
//! variable-time. Every input is untrusted: nothing here panics on any key or signature.

mod curve;
mod field;
mod point;
mod scalar;
mod table;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod wycheproof_tests;

use curve::{
    Curve, P256Field, P384Field, P521Field, P256, P256_LIMBS, P384, P384_LIMBS, P521, P521_LIMBS,
};
use field::{is_zero, try_limbs_from_be, Field};
use point::{is_on_curve, Affine};
use table::{mul2, x_matches, Table};

/// Why a public key was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyError {
    /// A coordinate is not exactly the curve's field size in bytes.
    Length,
    /// A coordinate is not below p, or (x, y) does not satisfy the curve equation.
    NotOnCurve,
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyError::Length => "EC coordinates have the wrong length",
            KeyError::NotOnCurve => "the EC point is not on the curve",
        })
    }
}

impl std::error::Error for KeyError {}

/// A P-256 public key for ES256 (ECDSA with SHA-256), with its table of multiples:
/// parse once, verify many signatures.
#[derive(Debug)]
pub struct P256PublicKey(EcKey<P256Field, P256_LIMBS>);

/// A P-384 public key for ES384 (ECDSA with SHA-384), with its table of multiples.
#[derive(Debug)]
pub struct P384PublicKey(EcKey<P384Field, P384_LIMBS>);

impl P256PublicKey {
    /// Key from the big-endian affine coordinates (JWK `x` and `y`), 32 bytes each.
    pub fn p256(x: &[u8], y: &[u8]) -> Result<Self, KeyError> {
        EcKey::new(&P256, x, y).map(Self)
    }

    /// True when `signature` (r‖s, 32 bytes each: JWS form, RFC 7518 §3.4) is a valid
    /// ECDSA signature of SHA-256(`message`). Like BoringSSL, both s and n - s verify.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.0.verify(message, signature)
    }
}

impl P384PublicKey {
    /// Key from the big-endian affine coordinates (JWK `x` and `y`), 48 bytes each.
    pub fn p384(x: &[u8], y: &[u8]) -> Result<Self, KeyError> {
        EcKey::new(&P384, x, y).map(Self)
    }

    /// True when `signature` (r‖s, 48 bytes each) is a valid ECDSA signature of
    /// SHA-384(`message`). Like BoringSSL, both s and n - s verify.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.0.verify(message, signature)
    }
}

/// A P-521 public key for ES512 (ECDSA with SHA-512), with its table of multiples.
#[derive(Debug)]
pub struct P521PublicKey(EcKey<P521Field, P521_LIMBS>);

impl P521PublicKey {
    /// Key from the big-endian affine coordinates, 66 bytes each (the top 7 bits zero,
    /// as the value is below p = 2^521 - 1).
    pub fn p521(x: &[u8], y: &[u8]) -> Result<Self, KeyError> {
        EcKey::new(&P521, x, y).map(Self)
    }

    /// True when `signature` (r‖s, 66 bytes each) is a valid ECDSA signature of
    /// SHA-512(`message`), the whole 512-bit digest being the integer e (it is shorter
    /// than n). Like BoringSSL, both s and n - s verify.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.0.verify(message, signature)
    }
}

/// A public key on the curve over the base field F (limbs N), with its table.
pub(crate) struct EcKey<F: 'static, const N: usize> {
    curve: &'static Curve<F, N>,
    table: Table<N>,
}

impl<F, const N: usize> std::fmt::Debug for EcKey<F, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EcPublicKey({})", self.curve.name)
    }
}

impl<F: Field<N>, const N: usize> EcKey<F, N> {
    /// Key from the big-endian affine coordinates, each exactly the curve's size.
    pub(crate) fn new(curve: &'static Curve<F, N>, x: &[u8], y: &[u8]) -> Result<Self, KeyError> {
        if x.len() != curve.bytes || y.len() != curve.bytes {
            return Err(KeyError::Length);
        }
        let f = &curve.p;
        let (Some(x), Some(y)) = (f.element(x), f.element(y)) else {
            return Err(KeyError::NotOnCurve);
        };
        let q = Affine {
            x: f.to_mont(&x),
            y: f.to_mont(&y),
        };
        // An affine pair is never the identity; on a curve of prime order every other
        // point generates the whole group, so the table entries are never infinity.
        if !is_on_curve(f, &curve.b, &q) {
            return Err(KeyError::NotOnCurve);
        }
        let table = Table::new(f, &q, curve.bits(), curve.key_width).ok_or(KeyError::NotOnCurve)?;
        // The generator's table is built with the curve's first key, so no request pays
        // for it. (It cannot fail: G is a fixed valid point.)
        curve.g_table().ok_or(KeyError::NotOnCurve)?;
        Ok(EcKey { curve, table })
    }

    /// True when `signature` (r‖s, big-endian, each the curve's size: JWS form, RFC 7518
    /// §3.4) is a valid ECDSA signature of `message` hashed with the curve's JWS hash.
    /// Like BoringSSL, both s and n - s are accepted.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let (digest, len) = self.curve.digest(message);
        match digest.get(..len) {
            Some(digest) => self.verify_prehashed(digest, signature),
            None => false,
        }
    }

    /// Verification against a digest no longer than the curve's size (SEC 1 §4.1.4):
    /// the curve's own hash always is, so e is the whole digest, never truncated.
    fn verify_prehashed(&self, digest: &[u8], signature: &[u8]) -> bool {
        let c = self.curve;
        let (n, bits) = (&c.n, c.bits());
        if signature.len() != 2 * c.bytes || digest.len() > c.bytes {
            return false;
        }
        let (r, s) = signature.split_at(c.bytes);
        // r and s in [1, n-1].
        let (Some(r), Some(s)) = (n.element(r), n.element(s)) else {
            return false;
        };
        if is_zero(&r) || is_zero(&s) {
            return false;
        }
        // e: the digest as an integer below 2^bits < 2n (P-256, P-384) or below
        // 2^512 < n (P-521), reduced mod n.
        let Some(e) = try_limbs_from_be::<N>(digest) else {
            return false;
        };
        let e = n.canonical(&e);
        let Some(w) = n.invert(&s) else {
            return false;
        };
        // u1 = e·w, u2 = r·w: Montgomery products with w·R leave the domain. The
        // recoding reads their bits, so they are made canonical.
        let w = n.to_mont(&w);
        let (u1, u2) = (n.canonical(&n.mul(&e, &w)), n.canonical(&n.mul(&r, &w)));
        let Some(g) = c.g_table() else {
            return false;
        };
        let d1 = scalar::wnaf(&u1, bits, g.width());
        let d2 = scalar::wnaf(&u2, bits, self.table.width());
        match mul2(&c.p, bits, g, &d1, &self.table, &d2) {
            Some(point) if !point.is_infinity(&c.p) => x_matches(&c.p, n, &point, &r),
            _ => false,
        }
    }
}
