//! Scalars modulo the group order L = 2^252 + 27742317777372353535851937790883648493:
//! the range check on a signature's S, the reduction of the 512-bit challenge hash, and
//! the width-w NAF recoding that drives the table lookups.

/// L, little-endian.
pub(crate) const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
];

/// Bits per limb in the reduction: 2^252 = 2^(12·21) falls on a limb boundary.
const BITS: u32 = 21;
const MASK: i64 = (1 << BITS) - 1;

/// L - 2^252 in 21-bit limbs: 2^252 ≡ -C (mod L).
const C: [i64; 6] = [1430509, 1626855, 1442968, 997804, 1960495, 683900];

/// True when the little-endian s is below L (RFC 8032 §5.1.7; what stops S + L from
/// being a second valid signature).
pub(crate) fn is_canonical(s: &[u8; 32]) -> bool {
    for (a, l) in s.iter().rev().zip(L.iter().rev()) {
        if a != l {
            return a < l;
        }
    }
    false
}

/// The little-endian 512-bit h reduced mod L (canonical, little-endian).
pub(crate) fn reduce_wide(h: &[u8; 64]) -> [u8; 32] {
    // 24 limbs of 21 bits, the last taking the remaining 29; one spare on top.
    let mut s = [0i64; 25];
    for (i, limb) in s.iter_mut().take(24).enumerate() {
        let bit = BITS as usize * i;
        *limb = (read_u64(h, bit / 8) >> (bit % 8)) as i64;
        if i < 23 {
            *limb &= MASK;
        }
    }
    // Fold from the top: limb i >= 12 is worth s_i·2^(21(i-12))·2^252, i.e. it adds
    // -s_i·C at limb i - 12. The limbs in between are then carried, so the next one
    // down (which receives the carries) stays near 21 bits: C·s_i is far below
    // 2^(21·11), so the carries it causes there are tiny.
    for i in (12..24).rev() {
        let t = s[i];
        s[i] = 0;
        for (j, c) in C.iter().enumerate() {
            s[i - 12 + j] -= t * c;
        }
        for k in i - 12..i - 1 {
            carry(&mut s, k);
        }
    }
    // Limbs 0..=10 are in range; carry limb 11 into 12, fold limb 12 once more, carry
    // all: the value is now Σ s_k·2^(21k) with s_0..s_11 in range and s_12 in -1..=1.
    carry(&mut s, 11);
    let t = s[12];
    s[12] = 0;
    for (j, c) in C.iter().enumerate() {
        s[j] -= t * c;
    }
    for k in 0..12 {
        carry(&mut s, k);
    }
    // That value lies in (-2^252, 2^253) and L > 2^252: at most two corrections.
    let l = limbs_of_l();
    for _ in 0..2 {
        if s[12] < 0 {
            add_limbs(&mut s, &l, 1);
        } else if !below(&s, &l) {
            add_limbs(&mut s, &l, -1);
        }
    }
    let mut out = [0u8; 32];
    let (mut acc, mut bits, mut pos) = (0u64, 0u32, 0usize);
    for &limb in s.iter().take(13) {
        acc |= (limb as u64) << bits;
        bits += BITS;
        while bits >= 8 {
            if let Some(byte) = out.get_mut(pos) {
                *byte = acc as u8;
            }
            acc >>= 8;
            bits -= 8;
            pos += 1;
        }
    }
    out
}

/// Eight bytes of b from `byte` on, little-endian, zero past the end.
fn read_u64(b: &[u8], byte: usize) -> u64 {
    let mut word = 0u64;
    for k in 0..8 {
        if let Some(&x) = b.get(byte + k) {
            word |= u64::from(x) << (8 * k);
        }
    }
    word
}

/// Moves the excess of limb k into limb k + 1 (floor division).
#[inline(always)]
fn carry(s: &mut [i64; 25], k: usize) {
    if let Some(&v) = s.get(k) {
        s[k] = v & MASK;
        if let Some(next) = s.get_mut(k + 1) {
            *next += v >> BITS;
        }
    }
}

/// L in 13 limbs of 21 bits.
fn limbs_of_l() -> [i64; 25] {
    let mut l = [0i64; 25];
    l[..6].copy_from_slice(&C);
    l[12] = 1;
    l
}

/// s += sign·l over limbs 0..=12, carried (s_12 takes the final carry).
fn add_limbs(s: &mut [i64; 25], l: &[i64; 25], sign: i64) {
    for k in 0..13 {
        s[k] += sign * l[k];
    }
    for k in 0..12 {
        carry(s, k);
    }
}

/// s < l for carried limbs (0..=11 in range), compared from limb 12 down.
fn below(s: &[i64; 25], l: &[i64; 25]) -> bool {
    for k in (0..13).rev() {
        if s[k] != l[k] {
            return s[k] < l[k];
        }
    }
    false
}

/// Digit positions: scalars below 2^253 have at most 254 wNAF digits; the chunked
/// tables read 256.
pub(crate) const DIGITS: usize = 256;

/// The width-w NAF of the little-endian k (below 2^253, w in 2..=8): odd digits d with
/// |d| < 2^(w-1), at most one non-zero in any w consecutive positions, Σ d_i·2^i = k.
pub(crate) fn wnaf(k: &[u8; 32], w: u32) -> [i8; DIGITS] {
    let mut digits = [0i8; DIGITS];
    let full = 1i32 << w;
    let half = 1i32 << (w - 1);
    let window = (1u64 << w) - 1;
    let mut carry = 0i32;
    let mut i = 0;
    while i < DIGITS {
        let bits = read_u64(k, i / 8) >> (i % 8);
        if (bits & 1) as i32 == carry {
            // The position holds 0, with the carry (if any) moving on.
            i += 1;
            continue;
        }
        // Odd: take w bits (plus the carry) as one signed digit.
        let mut d = (bits & window) as i32 + carry;
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
