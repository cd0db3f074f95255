//! Modular exponentiation for the RSA public operation, shaped for wasm32 in V8.
//!
//! wasm has a native 64-bit multiply but no 64×64→128 one, so limbs are 28 bits held
//! in u64 (26 bits for moduli over 3556 bits): a product is under 2^56 and a whole
//! column of products sums into one u64 without carry handling in the inner loops
//! (product-scanning Montgomery multiplication, Koç's FIPS method). Inner loops are
//! then a multiply and an add. All values are public (modulus, exponent, signature),
//! so the code is variable-time.

/// Little-endian limbs of `Modulus::bits` bits each.
pub(crate) type Limbs = Vec<u64>;

/// Limb count at which 28-bit limbs could overflow a column sum: 2k products under
/// 2^56 plus the carry must stay under 2^64.
const MAX_LIMBS_28: usize = 127;

/// A modulus with the constants Montgomery multiplication needs, computed once.
#[derive(Clone, Debug)]
pub(crate) struct Modulus {
    n: Limbs,
    /// Bits per limb.
    w: u32,
    mask: u64,
    /// -n^-1 mod 2^w.
    n0inv: u64,
    /// R^2 mod n with R = 2^(w·k), to enter the Montgomery domain with one product.
    r2: Limbs,
    /// n's limbs as u32 in reverse order, for the SIMD column dot products.
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    n_rev32: Vec<u32>,
}

impl Modulus {
    /// Modulus from big-endian bytes without leading zeros; `None` unless it is odd
    /// and above 1.
    pub(crate) fn from_be_bytes(bytes: &[u8]) -> Option<Self> {
        let bits = bytes.len() * 8 - bytes.first()?.leading_zeros() as usize;
        let w = if bits.div_ceil(28) <= MAX_LIMBS_28 {
            28
        } else {
            26
        };
        let k = bits.div_ceil(w as usize);
        let n = limbs_from_be_bytes(bytes, w, k)?;
        if n.first()? & 1 == 0 || bits < 2 {
            return None;
        }
        let mut m = Modulus {
            n0inv: neg_inverse(n[0]) & ((1 << w) - 1),
            n,
            w,
            mask: (1 << w) - 1,
            r2: Vec::new(),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            n_rev32: Vec::new(),
        };
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        {
            m.n_rev32 = m.n.iter().rev().map(|&l| l as u32).collect();
        }
        m.r2 = m.r_squared(bits);
        Some(m)
    }

    /// `bytes` (big-endian) as limbs when the value is below the modulus.
    pub(crate) fn element(&self, bytes: &[u8]) -> Option<Limbs> {
        let x = limbs_from_be_bytes(bytes, self.w, self.n.len())?;
        less_than(&x, &self.n).then_some(x)
    }

    /// base^exp mod n for base < n, as `len` big-endian bytes; `exp` is big-endian
    /// and not zero.
    pub(crate) fn pow_to_bytes(&self, base: &[u64], exp: &[u8], len: usize) -> Vec<u8> {
        let k = self.n.len();
        let mut scratch = vec![0u64; k];
        let mut base_m = vec![0u64; k];
        self.mul(base, &self.r2, &mut base_m, &mut scratch);
        let mut acc = base_m.clone();
        let mut tmp = vec![0u64; k];
        let mut started = false;
        for &byte in exp {
            for bit in (0..8).rev() {
                let set = (byte >> bit) & 1 == 1;
                if !started {
                    // The top set bit seeds the accumulator with base·R.
                    started = set;
                    continue;
                }
                self.sqr(&acc, &mut tmp, &mut scratch);
                if set {
                    self.mul(&tmp, &base_m, &mut acc, &mut scratch);
                } else {
                    std::mem::swap(&mut acc, &mut tmp);
                }
            }
        }
        // Leaving the Montgomery domain is a product with 1.
        let mut one = vec![0u64; k];
        one[0] = 1;
        self.mul(&acc, &one, &mut tmp, &mut scratch);
        self.to_be_bytes(&tmp, len)
    }

    /// out = a·b·R^-1 mod n for a, b < n; `m` is scratch of k limbs.
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    fn mul(&self, a: &[u64], b: &[u64], out: &mut [u64], m: &mut [u64]) {
        simd::mont_mul(self, a, b, out, m);
    }

    /// out = a·a·R^-1 mod n for a < n.
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    fn sqr(&self, a: &[u64], out: &mut [u64], m: &mut [u64]) {
        simd::mont_sqr(self, a, out, m);
    }

    /// out = a·b·R^-1 mod n for a, b < n; `m` is scratch of k limbs.
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    fn mul(&self, a: &[u64], b: &[u64], out: &mut [u64], m: &mut [u64]) {
        let k = self.n.len();
        let (a, b, n, m, out) = (&a[..k], &b[..k], &self.n[..k], &mut m[..k], &mut out[..k]);
        let mut acc = 0u64;
        for i in 0..k {
            for ((&aj, &mj), (&bj, &nj)) in a[..i]
                .iter()
                .zip(&m[..i])
                .zip(b[1..=i].iter().rev().zip(n[1..=i].iter().rev()))
            {
                acc += aj * bj + mj * nj;
            }
            acc = self.reduce_column(acc + a[i] * b[0], i, m);
        }
        for i in k..2 * k {
            let lo = i + 1 - k;
            for ((&aj, &mj), (&bj, &nj)) in a[lo..]
                .iter()
                .zip(&m[lo..])
                .zip(b[lo..].iter().rev().zip(n[lo..].iter().rev()))
            {
                acc += aj * bj + mj * nj;
            }
            out[i - k] = acc & self.mask;
            acc >>= self.w;
        }
        self.final_subtract(acc, out);
    }

    /// out = a·a·R^-1 mod n for a < n: each cross product is computed once and doubled.
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    fn sqr(&self, a: &[u64], out: &mut [u64], m: &mut [u64]) {
        let k = self.n.len();
        let (a, n, m, out) = (&a[..k], &self.n[..k], &mut m[..k], &mut out[..k]);
        let mut acc = 0u64;
        for i in 0..2 * k - 1 {
            // Column i: pairs (j, i-j) with lo <= j < i-j <= hi, then the diagonal.
            let lo = (i + 1).saturating_sub(k);
            let half = i.div_ceil(2);
            let mut cross = 0u64;
            for (&x, &y) in a[lo..half]
                .iter()
                .zip(a[i + 1 - half..=i - lo].iter().rev())
            {
                cross += x * y;
            }
            acc += 2 * cross;
            if i.is_multiple_of(2) {
                acc += a[i / 2] * a[i / 2];
            }
            if i < k {
                for (&mj, &nj) in m[..i].iter().zip(n[1..=i].iter().rev()) {
                    acc += mj * nj;
                }
                acc = self.reduce_column(acc, i, m);
            } else {
                for (&mj, &nj) in m[lo..].iter().zip(n[lo..].iter().rev()) {
                    acc += mj * nj;
                }
                out[i - k] = acc & self.mask;
                acc >>= self.w;
            }
        }
        // Column 2k-1 holds only the carry.
        out[k - 1] = acc & self.mask;
        self.final_subtract(acc >> self.w, out);
    }

    /// Chooses m_i so the column's low w bits vanish, adds m_i·n_0 and carries out.
    #[inline(always)]
    fn reduce_column(&self, acc: u64, i: usize, m: &mut [u64]) -> u64 {
        let mi = acc.wrapping_mul(self.n0inv) & self.mask;
        m[i] = mi;
        (acc + mi * self.n[0]) >> self.w
    }

    /// The result is below 2n: one conditional subtraction brings it below n.
    fn final_subtract(&self, carry: u64, out: &mut [u64]) {
        if carry != 0 || !less_than(out, &self.n) {
            sub_in_place(out, &self.n, self.mask);
        }
    }

    /// R^2 mod n: 2^(w·k + s) mod n by doubling from 2^(bits-1) (below n), then j
    /// Montgomery squarings, each doubling the exponent above R, where s·2^j = w·k.
    fn r_squared(&self, bits: usize) -> Limbs {
        let k = self.n.len();
        let total = self.w as usize * k;
        let j = total.trailing_zeros().min(8);
        let s = total >> j;
        let top = bits - 1;
        let mut x = vec![0u64; k];
        x[top / self.w as usize] = 1 << (top % self.w as usize);
        for _ in 0..total + s - top {
            let mut carry = 0u64;
            for limb in x.iter_mut() {
                let v = (*limb << 1) | carry;
                carry = v >> self.w;
                *limb = v & self.mask;
            }
            self.final_subtract(carry, &mut x);
        }
        let (mut tmp, mut scratch) = (vec![0u64; k], vec![0u64; k]);
        for _ in 0..j {
            self.sqr(&x, &mut tmp, &mut scratch);
            std::mem::swap(&mut x, &mut tmp);
        }
        x
    }

    /// Limbs (below n) to exactly `len` big-endian bytes.
    fn to_be_bytes(&self, limbs: &[u64], len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        let (mut bit_buf, mut buf_bits, mut pos) = (0u64, 0u32, len);
        for &limb in limbs {
            bit_buf |= limb << buf_bits;
            buf_bits += self.w;
            while buf_bits >= 8 && pos > 0 {
                pos -= 1;
                out[pos] = bit_buf as u8;
                bit_buf >>= 8;
                buf_bits -= 8;
            }
        }
        if pos > 0 {
            out[pos - 1] = bit_buf as u8;
        }
        out
    }
}

/// Big-endian bytes to `k` little-endian `w`-bit limbs; `None` if it needs more.
fn limbs_from_be_bytes(bytes: &[u8], w: u32, k: usize) -> Option<Limbs> {
    let mask = (1u64 << w) - 1;
    let mut limbs = vec![0u64; k];
    let (mut buf, mut buf_bits, mut i) = (0u64, 0u32, 0usize);
    for &byte in bytes.iter().rev() {
        buf |= u64::from(byte) << buf_bits;
        buf_bits += 8;
        if buf_bits >= w {
            store(&mut limbs, i, buf & mask)?;
            buf >>= w;
            buf_bits -= w;
            i += 1;
        }
    }
    store(&mut limbs, i, buf)?;
    Some(limbs)
}

/// Sets limb `i`; a non-zero value beyond the limb count does not fit.
fn store(limbs: &mut [u64], i: usize, v: u64) -> Option<()> {
    match limbs.get_mut(i) {
        Some(slot) => *slot = v,
        None if v != 0 => return None,
        None => {}
    }
    Some(())
}

/// a < b for equal-length little-endian numbers.
fn less_than(a: &[u64], b: &[u64]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

/// a -= b (mod 2^(w·len)) on normalized limbs.
fn sub_in_place(a: &mut [u64], b: &[u64], mask: u64) {
    let mut borrow = 0u64;
    for (x, &y) in a.iter_mut().zip(b) {
        let d = x.wrapping_sub(y).wrapping_sub(borrow);
        *x = d & mask;
        borrow = d >> 63;
    }
}

/// -x^-1 mod 2^64 for odd x, by Newton iteration (each step doubles the correct bits).
fn neg_inverse(x: u64) -> u64 {
    let mut inv: u64 = 1;
    for _ in 0..6 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(x.wrapping_mul(inv)));
    }
    inv.wrapping_neg()
}

/// Montgomery products with wasm SIMD: each column sum is a dot product of two
/// contiguous u32 runs (one operand stored reversed), four 32×32→64 products per
/// `u64x2.extmul` pair. Only built when the module is compiled with simd128.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd {
    use super::Modulus;
    use core::arch::wasm32::*;

    /// Σ x[t]·y[t] over the common length; values are below 2^28.
    #[inline(always)]
    fn dot(x: &[u32], y: &[u32]) -> u64 {
        let len = x.len().min(y.len());
        let quads = len / 4;
        let mut acc = u64x2_splat(0);
        for q in 0..quads {
            // SAFETY: 4q+3 < len, within both slices; v128.load allows unaligned addresses.
            let (vx, vy) = unsafe {
                (
                    v128_load(x.as_ptr().add(4 * q) as *const v128),
                    v128_load(y.as_ptr().add(4 * q) as *const v128),
                )
            };
            acc = u64x2_add(acc, u64x2_extmul_low_u32x4(vx, vy));
            acc = u64x2_add(acc, u64x2_extmul_high_u32x4(vx, vy));
        }
        let mut sum = u64x2_extract_lane::<0>(acc) + u64x2_extract_lane::<1>(acc);
        for (&p, &q) in x[4 * quads..len].iter().zip(&y[4 * quads..len]) {
            sum += u64::from(p) * u64::from(q);
        }
        sum
    }

    pub(super) fn mont_mul(md: &Modulus, a: &[u64], b: &[u64], out: &mut [u64], m64: &mut [u64]) {
        // Σ_{j<=i} a_j·b_(i-j), with b_(i-j) = b_rev[k-1-i+j].
        let column = |a32: &[u32], b_rev: &[u32], i: usize, lo: usize, hi: usize| {
            let k = a32.len();
            dot(&a32[lo..=hi], &b_rev[k - 1 - i + lo..])
        };
        montgomery(md, a, b, out, m64, column);
    }

    /// Each cross product once, doubled, plus the diagonal term.
    pub(super) fn mont_sqr(md: &Modulus, a: &[u64], out: &mut [u64], m64: &mut [u64]) {
        let column = |a32: &[u32], a_rev: &[u32], i: usize, lo: usize, _hi: usize| {
            let k = a32.len();
            let half = i.div_ceil(2);
            let cross = if half > lo {
                dot(&a32[lo..half], &a_rev[k - 1 - i + lo..])
            } else {
                0
            };
            let diag = if i.is_multiple_of(2) {
                u64::from(a32[i / 2]) * u64::from(a32[i / 2])
            } else {
                0
            };
            2 * cross + diag
        };
        montgomery(md, a, a, out, m64, column);
    }

    /// Product-scanning Montgomery multiplication; `column(a, b_rev, i, lo, hi)` sums
    /// a_j·b_(i-j) for j in lo..=hi.
    #[inline(always)]
    fn montgomery(
        md: &Modulus,
        a: &[u64],
        b: &[u64],
        out: &mut [u64],
        m64: &mut [u64],
        column: impl Fn(&[u32], &[u32], usize, usize, usize) -> u64,
    ) {
        let k = md.n.len();
        // One allocation for a, b reversed and m as u32 runs.
        let mut runs = vec![0u32; 3 * k];
        let (a32, rest) = runs.split_at_mut(k);
        let (b_rev, m) = rest.split_at_mut(k);
        for (dst, &src) in a32.iter_mut().zip(&a[..k]) {
            *dst = src as u32;
        }
        for (dst, &src) in b_rev.iter_mut().zip(b[..k].iter().rev()) {
            *dst = src as u32;
        }
        let n_rev = &md.n_rev32[..k];
        let mut acc = 0u64;
        for i in 0..k {
            // Σ_{j<i} m_j·n_(i-j), with n_(i-j) = n_rev[k-1-i+j].
            acc += column(a32, b_rev, i, 0, i) + dot(&m[..i], &n_rev[k - 1 - i..]);
            acc = md.reduce_column(acc, i, m64);
            m[i] = m64[i] as u32;
        }
        for i in k..2 * k - 1 {
            let lo = i + 1 - k;
            acc += column(a32, b_rev, i, lo, k - 1) + dot(&m[lo..], &n_rev[..k - lo]);
            out[i - k] = acc & md.mask;
            acc >>= md.w;
        }
        // Column 2k-1 holds only the carry.
        out[k - 1] = acc & md.mask;
        md.final_subtract(acc >> md.w, out);
    }
}
