//! Arithmetic in GF(2^255 - 19), shaped for wasm32 in V8.
//!
//! wasm multiplies 64×64→64 natively but has no 64×64→128 product, so the 51-bit limbs
//! of 64-bit implementations turn every product into an emulated `__multi3` call. Here an
//! element is ten signed limbs of alternately 26 and 25 bits (radix 2^25.5, as in the
//! ref10 code): a limb product fits an i64 with room for a whole column of them, and the
//! reduction by 2^255 ≡ 19 folds the high half of a product into the low half with small
//! multipliers. Limb i sits at bit ⌈25.5·i⌉.
//!
//! Additions and subtractions do not carry. A value produced by [`mul`], [`sqr`] or
//! [`carry`] is *tight* (each limb below 2^26, resp. 2^25, plus under 0.5%); a sum or
//! difference of k tight values is *k-loose*. [`mul`] and [`sqr`] take a k-loose and an
//! m-loose factor with k·m <= 16: every column then stays below 2^63 (the largest one,
//! h0, sums to less than 124.5·2^52·k·m). The point formulas (point.rs) keep to this.
//!
//! All values are public (keys, signatures, messages): the code is variable-time.

/// A field element: ten limbs, value Σ limb_i·2^⌈25.5·i⌉, not necessarily reduced.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fe(pub(crate) [i32; 10]);

const MASK25: i64 = (1 << 25) - 1;
const MASK26: i64 = (1 << 26) - 1;

impl Fe {
    pub(crate) const ZERO: Fe = Fe([0; 10]);
    pub(crate) const ONE: Fe = Fe([1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    /// d = -121665/121666, the curve constant of -x² + y² = 1 + d·x²·y².
    pub(crate) const D: Fe =
        Fe::from_hex_le("a3785913ca4deb75abd841414d0a700098e879777940c78c73fe6f2bee6c0352");
    /// 2·d, as the point additions use it.
    pub(crate) const D2: Fe =
        Fe::from_hex_le("59f1b226949bd6eb56b183829a14e00030d1f3eef2808e19e7fcdf56dcd90624");
    /// A square root of -1: 2^((p-1)/4).
    pub(crate) const SQRT_M1: Fe =
        Fe::from_hex_le("b0a00e4a271beec478e42fad0618432fa7d7fb3d99004d2b0bdfc14f8024832b");

    /// The element from 32 little-endian bytes, ignoring the top bit (bit 255): the
    /// value is below 2^255 but may be p or more (it is then used as the value mod p).
    pub(crate) const fn from_bytes(b: &[u8; 32]) -> Fe {
        let mut limbs = [0i32; 10];
        let mut i = 0;
        while i < 10 {
            let start = start_bit(i);
            let width = if i % 2 == 0 { 26 } else { 25 };
            // A limb spans at most 7 + 26 = 33 bits from its first byte: read up to five
            // bytes (four for the last limb, which ends at bit 254).
            let byte = start / 8;
            let mut word: u64 = 0;
            let mut k = 0;
            while k < 5 && byte + k < 32 {
                word |= (b[byte + k] as u64) << (8 * k);
                k += 1;
            }
            limbs[i] = ((word >> (start % 8)) & ((1u64 << width) - 1)) as i32;
            i += 1;
        }
        Fe(limbs)
    }

    /// A constant from the hex of its 32 little-endian bytes.
    const fn from_hex_le(hex: &str) -> Fe {
        let h = hex.as_bytes();
        assert!(h.len() == 64);
        let mut b = [0u8; 32];
        let mut i = 0;
        while i < 32 {
            b[i] = (nibble(h[2 * i]) << 4) | nibble(h[2 * i + 1]);
            i += 1;
        }
        Fe::from_bytes(&b)
    }

    /// The canonical 32-byte little-endian encoding (the value reduced below p; bit 255
    /// clear). Takes loose values.
    pub(crate) fn to_bytes(self) -> [u8; 32] {
        let mut h = wide(&self);
        // Three carry passes bring any loose value to 0 <= v < 2^255 with every limb in
        // range: the first leaves limbs 1..=9 in range and a fold of under 2^11 on limb 0
        // (the limbs are 32-bit), the second a fold of at most ±19, the third absorbs it.
        for _ in 0..3 {
            let top = carry_chain(&mut h);
            // 2^255 ≡ 19.
            h[0] += 19 * top;
        }
        // v >= p only if v is within 19 of 2^255: then subtract p, i.e. add 19 and drop
        // bit 255.
        let at_top = h[1..]
            .iter()
            .enumerate()
            .all(|(i, &l)| l == if i % 2 == 0 { MASK25 } else { MASK26 });
        if at_top && h[0] >= MASK26 - 18 {
            h[0] += 19;
            carry_chain(&mut h);
        }
        let mut out = [0u8; 32];
        let (mut acc, mut bits, mut pos) = (0u64, 0u32, 0usize);
        for (i, &limb) in h.iter().enumerate() {
            acc |= (limb as u64) << bits;
            bits += if i % 2 == 0 { 26 } else { 25 };
            while bits >= 8 {
                if let Some(byte) = out.get_mut(pos) {
                    *byte = acc as u8;
                }
                acc >>= 8;
                bits -= 8;
                pos += 1;
            }
        }
        if let Some(byte) = out.get_mut(pos) {
            *byte = acc as u8;
        }
        out
    }

    /// True when the canonical value is 0.
    pub(crate) fn is_zero(&self) -> bool {
        self.to_bytes() == [0; 32]
    }

    /// True when the canonical value is odd: the "negative" x that RFC 8032 encodes
    /// with the top bit.
    pub(crate) fn is_negative(&self) -> bool {
        self.to_bytes()[0] & 1 == 1
    }

    /// The value as tight limbs.
    pub(crate) fn carry(&self) -> Fe {
        carry_wide(wide(self))
    }
}

/// The first bit of limb i: ⌈25.5·i⌉.
const fn start_bit(i: usize) -> usize {
    (51 * i).div_ceil(2)
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("not a lowercase hex digit"),
    }
}

/// Moves each limb's excess up into the next (floor division, so limbs end up
/// non-negative) and returns the excess of limb 9, worth 2^255 each.
#[inline(always)]
fn carry_chain(h: &mut [i64; 10]) -> i64 {
    for i in 0..9 {
        let (shift, mask) = if i % 2 == 0 {
            (26, MASK26)
        } else {
            (25, MASK25)
        };
        let c = h[i] >> shift;
        h[i] &= mask;
        h[i + 1] += c;
    }
    let c = h[9] >> 25;
    h[9] &= MASK25;
    c
}

/// Tight limbs from columns below 2^63 in absolute value. Two interleaved chains (from
/// limbs 0 and 4) shorten the dependency path, as in ref10; limb 1 ends up at most 2^25
/// plus 2^17, limb 5 at most 2^25 plus 2^13, every other limb in range.
#[inline(always)]
fn carry_wide(h: [i64; 10]) -> Fe {
    let [mut h0, mut h1, mut h2, mut h3, mut h4, mut h5, mut h6, mut h7, mut h8, mut h9] = h;
    let c = h0 >> 26;
    h1 += c;
    h0 &= MASK26;
    let c = h4 >> 26;
    h5 += c;
    h4 &= MASK26;
    let c = h1 >> 25;
    h2 += c;
    h1 &= MASK25;
    let c = h5 >> 25;
    h6 += c;
    h5 &= MASK25;
    let c = h2 >> 26;
    h3 += c;
    h2 &= MASK26;
    let c = h6 >> 26;
    h7 += c;
    h6 &= MASK26;
    let c = h3 >> 25;
    h4 += c;
    h3 &= MASK25;
    let c = h7 >> 25;
    h8 += c;
    h7 &= MASK25;
    let c = h4 >> 26;
    h5 += c;
    h4 &= MASK26;
    let c = h8 >> 26;
    h9 += c;
    h8 &= MASK26;
    let c = h9 >> 25;
    h0 += 19 * c;
    h9 &= MASK25;
    let c = h0 >> 26;
    h1 += c;
    h0 &= MASK26;
    Fe([
        h0 as i32, h1 as i32, h2 as i32, h3 as i32, h4 as i32, h5 as i32, h6 as i32, h7 as i32,
        h8 as i32, h9 as i32,
    ])
}

/// Applies `$op` limb by limb, written out: opt-level "s" keeps loops rolled, and these
/// run between every two products.
macro_rules! limbwise {
    ($a:ident, $b:ident, $op:tt) => {{
        let (a, b) = (&$a.0, &$b.0);
        Fe([
            a[0] $op b[0],
            a[1] $op b[1],
            a[2] $op b[2],
            a[3] $op b[3],
            a[4] $op b[4],
            a[5] $op b[5],
            a[6] $op b[6],
            a[7] $op b[7],
            a[8] $op b[8],
            a[9] $op b[9],
        ])
    }};
}

/// The limbs as i64, written out (`map` would go through a loop over stack memory).
#[inline(always)]
fn wide(a: &Fe) -> [i64; 10] {
    let [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9] = a.0;
    [
        i64::from(a0),
        i64::from(a1),
        i64::from(a2),
        i64::from(a3),
        i64::from(a4),
        i64::from(a5),
        i64::from(a6),
        i64::from(a7),
        i64::from(a8),
        i64::from(a9),
    ]
}

/// a + b, limb by limb (no carry).
#[inline(always)]
pub(crate) fn add(a: &Fe, b: &Fe) -> Fe {
    limbwise!(a, b, +)
}

/// a - b, limb by limb (no carry; limbs may be negative).
#[inline(always)]
pub(crate) fn sub(a: &Fe, b: &Fe) -> Fe {
    limbwise!(a, b, -)
}

/// -a, limb by limb.
#[inline(always)]
pub(crate) fn neg(a: &Fe) -> Fe {
    limbwise!(ZERO_, a, -)
}

const ZERO_: Fe = Fe::ZERO;

/// a·b, tight. Schoolbook over the ten limbs; a product of limbs i and j lands on limb
/// i + j, doubled when both are odd (their positions are 25.5·(i + j) + 1), and times 19
/// when i + j >= 10 (2^255 ≡ 19).
pub(crate) fn mul(a: &Fe, b: &Fe) -> Fe {
    let [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9] = wide(a);
    let [g0, g1, g2, g3, g4, g5, g6, g7, g8, g9] = wide(b);
    let (f1_2, f3_2, f5_2, f7_2, f9_2) = (2 * f1, 2 * f3, 2 * f5, 2 * f7, 2 * f9);
    let (g1_19, g2_19, g3_19, g4_19, g5_19) = (19 * g1, 19 * g2, 19 * g3, 19 * g4, 19 * g5);
    let (g6_19, g7_19, g8_19, g9_19) = (19 * g6, 19 * g7, 19 * g8, 19 * g9);
    let h0 = f0 * g0
        + f1_2 * g9_19
        + f2 * g8_19
        + f3_2 * g7_19
        + f4 * g6_19
        + f5_2 * g5_19
        + f6 * g4_19
        + f7_2 * g3_19
        + f8 * g2_19
        + f9_2 * g1_19;
    let h1 = f0 * g1
        + f1 * g0
        + f2 * g9_19
        + f3 * g8_19
        + f4 * g7_19
        + f5 * g6_19
        + f6 * g5_19
        + f7 * g4_19
        + f8 * g3_19
        + f9 * g2_19;
    let h2 = f0 * g2
        + f1_2 * g1
        + f2 * g0
        + f3_2 * g9_19
        + f4 * g8_19
        + f5_2 * g7_19
        + f6 * g6_19
        + f7_2 * g5_19
        + f8 * g4_19
        + f9_2 * g3_19;
    let h3 = f0 * g3
        + f1 * g2
        + f2 * g1
        + f3 * g0
        + f4 * g9_19
        + f5 * g8_19
        + f6 * g7_19
        + f7 * g6_19
        + f8 * g5_19
        + f9 * g4_19;
    let h4 = f0 * g4
        + f1_2 * g3
        + f2 * g2
        + f3_2 * g1
        + f4 * g0
        + f5_2 * g9_19
        + f6 * g8_19
        + f7_2 * g7_19
        + f8 * g6_19
        + f9_2 * g5_19;
    let h5 = f0 * g5
        + f1 * g4
        + f2 * g3
        + f3 * g2
        + f4 * g1
        + f5 * g0
        + f6 * g9_19
        + f7 * g8_19
        + f8 * g7_19
        + f9 * g6_19;
    let h6 = f0 * g6
        + f1_2 * g5
        + f2 * g4
        + f3_2 * g3
        + f4 * g2
        + f5_2 * g1
        + f6 * g0
        + f7_2 * g9_19
        + f8 * g8_19
        + f9_2 * g7_19;
    let h7 = f0 * g7
        + f1 * g6
        + f2 * g5
        + f3 * g4
        + f4 * g3
        + f5 * g2
        + f6 * g1
        + f7 * g0
        + f8 * g9_19
        + f9 * g8_19;
    let h8 = f0 * g8
        + f1_2 * g7
        + f2 * g6
        + f3_2 * g5
        + f4 * g4
        + f5_2 * g3
        + f6 * g2
        + f7_2 * g1
        + f8 * g0
        + f9_2 * g9_19;
    let h9 = f0 * g9
        + f1 * g8
        + f2 * g7
        + f3 * g6
        + f4 * g5
        + f5 * g4
        + f6 * g3
        + f7 * g2
        + f8 * g1
        + f9 * g0;
    carry_wide([h0, h1, h2, h3, h4, h5, h6, h7, h8, h9])
}

/// The columns of a², each cross product once with its factor (2 for the pair, 2 more
/// when both limbs are odd, 19 past limb 9) folded into one operand.
#[inline(always)]
fn sqr_columns(a: &Fe) -> [i64; 10] {
    let [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9] = wide(a);
    let (f0_2, f1_2, f2_2, f3_2, f4_2) = (2 * f0, 2 * f1, 2 * f2, 2 * f3, 2 * f4);
    let (f5_2, f6_2, f7_2, f8_2, f9_2) = (2 * f5, 2 * f6, 2 * f7, 2 * f8, 2 * f9);
    let (f1_4, f3_4, f5_4, f7_4) = (4 * f1, 4 * f3, 4 * f5, 4 * f7);
    let (f5_19, f6_19, f7_19, f8_19, f9_19) = (19 * f5, 19 * f6, 19 * f7, 19 * f8, 19 * f9);
    [
        f0 * f0 + f1_4 * f9_19 + f2_2 * f8_19 + f3_4 * f7_19 + f4_2 * f6_19 + f5_2 * f5_19,
        f0_2 * f1 + f2_2 * f9_19 + f3_2 * f8_19 + f4_2 * f7_19 + f5_2 * f6_19,
        f0_2 * f2 + f1_2 * f1 + f3_4 * f9_19 + f4_2 * f8_19 + f5_4 * f7_19 + f6 * f6_19,
        f0_2 * f3 + f1_2 * f2 + f4_2 * f9_19 + f5_2 * f8_19 + f6_2 * f7_19,
        f0_2 * f4 + f1_4 * f3 + f2 * f2 + f5_4 * f9_19 + f6_2 * f8_19 + f7_2 * f7_19,
        f0_2 * f5 + f1_2 * f4 + f2_2 * f3 + f6_2 * f9_19 + f7_2 * f8_19,
        f0_2 * f6 + f1_4 * f5 + f2_2 * f4 + f3_2 * f3 + f7_4 * f9_19 + f8 * f8_19,
        f0_2 * f7 + f1_2 * f6 + f2_2 * f5 + f3_2 * f4 + f8_2 * f9_19,
        f0_2 * f8 + f1_4 * f7 + f2_2 * f6 + f3_4 * f5 + f4 * f4 + f9_2 * f9_19,
        f0_2 * f9 + f1_2 * f8 + f2_2 * f7 + f3_2 * f6 + f4_2 * f5,
    ]
}

/// a², tight (a at most 4-loose).
pub(crate) fn sqr(a: &Fe) -> Fe {
    carry_wide(sqr_columns(a))
}

/// 2·a², tight (a at most 2-loose, so the doubled columns stay below 2^63).
pub(crate) fn sqr2(a: &Fe) -> Fe {
    let [h0, h1, h2, h3, h4, h5, h6, h7, h8, h9] = sqr_columns(a);
    carry_wide([
        2 * h0,
        2 * h1,
        2 * h2,
        2 * h3,
        2 * h4,
        2 * h5,
        2 * h6,
        2 * h7,
        2 * h8,
        2 * h9,
    ])
}

/// a^(2^k), tight.
pub(crate) fn sqr_n(a: &Fe, k: u32) -> Fe {
    let mut x = sqr(a);
    for _ in 1..k {
        x = sqr(&x);
    }
    x
}

/// (a^11, a^(2^250 - 1)): the common part of the addition chains for a^(p-2) and
/// a^((p-5)/8), as in ref10 (250 squarings, 11 products).
fn pow_2_250_1(a: &Fe) -> (Fe, Fe) {
    let a2 = sqr(a);
    let a9 = mul(a, &sqr_n(&a2, 2));
    let a11 = mul(&a2, &a9);
    let e5 = mul(&a9, &sqr(&a11)); // 2^5 - 1
    let e10 = mul(&e5, &sqr_n(&e5, 5));
    let e20 = mul(&e10, &sqr_n(&e10, 10));
    let e40 = mul(&e20, &sqr_n(&e20, 20));
    let e50 = mul(&e10, &sqr_n(&e40, 10));
    let e100 = mul(&e50, &sqr_n(&e50, 50));
    let e200 = mul(&e100, &sqr_n(&e100, 100));
    let e250 = mul(&e50, &sqr_n(&e200, 50));
    (a11, e250)
}

/// 1/a = a^(p-2) (0 for 0).
pub(crate) fn invert(a: &Fe) -> Fe {
    let (a11, e250) = pow_2_250_1(a);
    // (2^250 - 1)·2^5 + 11 = 2^255 - 21 = p - 2.
    mul(&sqr_n(&e250, 5), &a11)
}

/// a^((p-5)/8) = a^(2^252 - 3), the exponent of the square roots in point decoding.
pub(crate) fn pow_p58(a: &Fe) -> Fe {
    let (_, e250) = pow_2_250_1(a);
    mul(&sqr_n(&e250, 2), a)
}

/// a == b as field elements.
pub(crate) fn eq(a: &Fe, b: &Fe) -> bool {
    sub(a, b).is_zero()
}
