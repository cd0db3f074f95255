//! Scalar recoding: the width-w non-adjacent form that drives the table lookups.

use super::field::bits_at;

/// Digit positions a recoding can fill: scalars below 2^521 have at most 522 wNAF digits,
/// and the chunked layout of the tables rounds that up to a multiple of the chunk count
/// (8 runs of 66).
pub(crate) const MAX_DIGITS: usize = 528;

/// The width-w NAF of k (below 2^bits, w in 2..=8): odd digits d with |d| < 2^(w-1),
/// at most one non-zero in any w consecutive positions, Σ d_i·2^i = k. Positions
/// 0..=bits are used; the rest stay zero. `k` is limbs of any count: one copy of the
/// code serves every curve.
pub(crate) fn wnaf(k: &[u32], bits: usize, w: u32) -> [i8; MAX_DIGITS] {
    let mut digits = [0i8; MAX_DIGITS];
    let full = 1i32 << w;
    let half = 1i32 << (w - 1);
    let mut carry = 0i32;
    let mut i = 0;
    while i <= bits {
        let bit = bits_at(k, i, 1) as i32;
        if bit == carry {
            // The position holds 0, with the carry (if any) moving on.
            i += 1;
            continue;
        }
        // Odd: take w bits (plus the carry) as one signed digit.
        let mut d = bits_at(k, i, w) as i32 + carry;
        carry = 0;
        if d >= half {
            d -= full;
            carry = 1;
        }
        if let Some(slot) = digits.get_mut(i) {
            *slot = d as i8;
        }
        i += w as usize;
    }
    digits
}
