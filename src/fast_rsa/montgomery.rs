//! Modular exponentiation for the RSA public operation with 32-bit limbs.
//!
//! On wasm32 a 64×64→128 multiply is emulated with several instructions, while a
//! 32×32→64 multiply is one `i64.mul`; the limb size is chosen for that. All values
//! here are public (modulus, exponent, signature), so the code is variable-time.

/// Little-endian 32-bit limbs.
pub(crate) type Limbs = Vec<u32>;

/// A modulus with the constants Montgomery multiplication needs, computed once.
#[derive(Clone, Debug)]
pub(crate) struct Modulus {
    n: Limbs,
    /// -n^-1 mod 2^32.
    n0inv: u32,
    /// R^2 mod n with R = 2^(32·len), to enter the Montgomery domain with one product.
    r2: Limbs,
}

impl Modulus {
    /// `n` must be odd and have a non-zero top limb (checked by the caller).
    pub(crate) fn new(n: Limbs) -> Self {
        let n0inv = neg_inverse_u32(n.first().copied().unwrap_or(1));
        let r2 = r_squared(&n);
        Modulus { n, n0inv, r2 }
    }

    pub(crate) fn limbs(&self) -> usize {
        self.n.len()
    }

    pub(crate) fn n(&self) -> &[u32] {
        &self.n
    }

    /// base^exp mod n for base < n; `exp` is big-endian bytes, not zero.
    pub(crate) fn pow(&self, base: &[u32], exp: &[u8]) -> Limbs {
        let k = self.n.len();
        let mut scratch = vec![0u32; k + 2];
        let mut base_m = vec![0u32; k];
        self.mul(base, &self.r2, &mut base_m, &mut scratch);
        let mut acc = base_m.clone();
        let mut tmp = vec![0u32; k];
        let mut started = false;
        for &byte in exp {
            for bit in (0..8).rev() {
                let set = (byte >> bit) & 1 == 1;
                if !started {
                    // The top set bit seeds the accumulator with base·R.
                    started = set;
                    continue;
                }
                self.mul(&acc, &acc, &mut tmp, &mut scratch);
                if set {
                    self.mul(&tmp, &base_m, &mut acc, &mut scratch);
                } else {
                    std::mem::swap(&mut acc, &mut tmp);
                }
            }
        }
        // Leaving the Montgomery domain is a product with 1.
        let mut one = vec![0u32; k];
        one[0] = 1;
        self.mul(&acc, &one, &mut tmp, &mut scratch);
        tmp
    }

    /// out = a·b·R^-1 mod n (CIOS). `a`, `b` < n; `scratch` has len+2 limbs.
    fn mul(&self, a: &[u32], b: &[u32], out: &mut [u32], scratch: &mut [u32]) {
        let k = self.n.len();
        let n = &self.n[..k];
        let b = &b[..k];
        let t = &mut scratch[..k + 2];
        t.fill(0);
        for &ai in &a[..k] {
            let ai = u64::from(ai);
            let mut carry = 0u64;
            for (tj, &bj) in t[..k].iter_mut().zip(b) {
                let s = u64::from(*tj) + ai * u64::from(bj) + carry;
                *tj = s as u32;
                carry = s >> 32;
            }
            let s = u64::from(t[k]) + carry;
            t[k] = s as u32;
            t[k + 1] = (s >> 32) as u32;

            let m = u64::from(t[0].wrapping_mul(self.n0inv));
            let mut carry = (u64::from(t[0]) + m * u64::from(n[0])) >> 32;
            for j in 1..k {
                let s = u64::from(t[j]) + m * u64::from(n[j]) + carry;
                t[j - 1] = s as u32;
                carry = s >> 32;
            }
            let s = u64::from(t[k]) + carry;
            t[k - 1] = s as u32;
            t[k] = t[k + 1].wrapping_add((s >> 32) as u32);
        }
        let out = &mut out[..k];
        out.copy_from_slice(&t[..k]);
        if t[k] != 0 || !less_than(out, n) {
            sub_in_place(out, n);
        }
    }
}

/// a < b for equal-length little-endian numbers.
pub(crate) fn less_than(a: &[u32], b: &[u32]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

/// a -= b (mod 2^(32·len)).
fn sub_in_place(a: &mut [u32], b: &[u32]) {
    let mut borrow = 0u64;
    for (x, &y) in a.iter_mut().zip(b) {
        let d = u64::from(*x)
            .wrapping_sub(u64::from(y))
            .wrapping_sub(borrow);
        *x = d as u32;
        borrow = (d >> 63) & 1;
    }
}

/// -x^-1 mod 2^32 for odd x, by Newton iteration (each step doubles the correct bits).
fn neg_inverse_u32(x: u32) -> u32 {
    let mut inv: u32 = 1;
    for _ in 0..5 {
        inv = inv.wrapping_mul(2u32.wrapping_sub(x.wrapping_mul(inv)));
    }
    inv.wrapping_neg()
}

/// 2^(64·len) mod n by repeated doubling from 1; done once per key.
fn r_squared(n: &[u32]) -> Limbs {
    let k = n.len();
    let mut x = vec![0u32; k];
    if let Some(first) = x.first_mut() {
        *first = 1;
    }
    for _ in 0..64 * k {
        let mut carry = 0u32;
        for limb in x.iter_mut() {
            let next = *limb >> 31;
            *limb = (*limb << 1) | carry;
            carry = next;
        }
        if carry != 0 || !less_than(&x, n) {
            sub_in_place(&mut x, n);
        }
    }
    x
}

/// Big-endian bytes to `k` little-endian limbs; `None` when the value needs more limbs.
pub(crate) fn from_be_bytes(bytes: &[u8], k: usize) -> Option<Limbs> {
    let mut limbs = vec![0u32; k];
    for (i, chunk) in bytes.rchunks(4).enumerate() {
        let mut v = 0u32;
        for &b in chunk {
            v = (v << 8) | u32::from(b);
        }
        if v != 0 {
            *limbs.get_mut(i)? = v;
        }
    }
    Some(limbs)
}

/// Limbs to big-endian bytes, exactly `len` bytes (the caller ensures it fits).
pub(crate) fn to_be_bytes(limbs: &[u32], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    for (i, byte) in out.iter_mut().rev().enumerate() {
        if let Some(limb) = limbs.get(i / 4) {
            *byte = (limb >> (8 * (i % 4))) as u8;
        }
    }
    out
}
