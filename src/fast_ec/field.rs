//! Arithmetic modulo an odd prime below 2^(29·N), shaped for wasm32 in V8.
//!
//! wasm multiplies 64×64→64 natively but has no 64×64→128 product, so residues are N
//! little-endian 29-bit limbs held in u32: a limb product is under 2^58 and a whole
//! Montgomery column (at most 2N products plus the carry) sums into one u64 without carry
//! handling in the inner loops (product scanning). The same code serves the base field
//! (mod p) and the scalars (mod n) of both curves.
//!
//! Reduction is lazy: the arithmetic takes and returns values below 2m (4m < R keeps the
//! Montgomery product below 2m without a final subtraction), so a residue has up to two
//! representations. [`Field::canonical`], [`Field::eq`] and [`Field::is_zero`] give exact
//! answers. All values are public: the code is variable-time.
//!
//! [`Field`] is implemented twice: by [`Modulus`] itself, the modulus read at run time
//! with compact loops (the scalars mod n: a few operations per signature), and by a
//! marker type per base field (curve.rs) whose modulus is a compile-time constant: its
//! unrolled products then carry the modulus limbs as immediates and drop the zero ones
//! (P-256's p has two), about 30% faster in V8.

/// Expands `$body` once per listed constant, bound to `$v`: with the constants known,
/// the limb-count guards and indices fold away and the loops are straight-line code even
/// at opt-level "s" (which never unrolls loops), about twice as fast in V8.
///
/// `LIMBS` is unrolled only up to `UNROLLED_LIMBS` limbs (P-256, P-384); wider residues
/// (P-521's 19 limbs, rare in practice) run the same body as a loop, which keeps the
/// module within its size budget. The code in the body is the same either way.
macro_rules! unroll {
    ($v:ident in LIMBS $body:block) => {
        if N > UNROLLED_LIMBS {
            // The body indexes with the guards of the unrolled form.
            #[allow(clippy::needless_range_loop)]
            for $v in 0..MAX_LIMBS $body
        } else {
            unroll!($v in [0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18] $body);
        }
    };
    ($v:ident in COLUMNS $body:block) => {
        unroll!($v in [0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26] $body)
    };
    ($v:ident in [$($n:literal)*] $body:block) => {
        $({
            let $v: usize = $n;
            $body
        })*
    };
}

/// Residues of up to this many limbs (P-521's 19).
const MAX_LIMBS: usize = 19;

/// The unrolled code (`unroll!` over `LIMBS` and `COLUMNS`) covers up to this many limbs.
const UNROLLED_LIMBS: usize = 14;

/// Bits per limb.
pub(crate) const LIMB_BITS: u32 = 29;
const MASK: u32 = (1 << LIMB_BITS) - 1;

/// A residue: N little-endian 29-bit limbs, below twice the modulus (below the modulus
/// where a function says "canonical").
pub(crate) type Fe<const N: usize> = [u32; N];

/// An odd prime modulus with its Montgomery constants (R = 2^(29·N)), all computed at
/// compile time.
#[derive(Debug)]
pub(crate) struct Modulus<const N: usize> {
    m: Fe<N>,
    /// 2m: lazily reduced values stay below it.
    m2: Fe<N>,
    /// -m^-1 mod 2^29.
    m0inv: u32,
    /// R mod m: one in the Montgomery domain.
    one: Fe<N>,
    /// R^2 mod m, to enter the Montgomery domain with one product.
    r2: Fe<N>,
}

impl<const N: usize> Modulus<N> {
    /// The modulus from its big-endian bytes. Compile-time only: it must be odd, and
    /// 4m < R so lazily reduced products stay in range.
    pub(crate) const fn new(be: &[u8]) -> Self {
        assert!(be.len() * 8 + 2 <= LIMB_BITS as usize * N);
        assert!(N >= 2 && N <= MAX_LIMBS);
        let m: Fe<N> = limbs_from_be(be);
        assert!(m[0] & 1 == 1);
        // Newton's iteration doubles the correct low bits of m^-1 each step.
        let mut inv: u32 = 1;
        let mut i = 0;
        while i < 5 {
            inv = inv.wrapping_mul(2u32.wrapping_sub(m[0].wrapping_mul(inv)));
            i += 1;
        }
        let m0inv = inv.wrapping_neg() & MASK;
        // R mod m and R^2 mod m by doubling 1, reducing after each step.
        let mut x = [0u32; N];
        x[0] = 1;
        let mut one = [0u32; N];
        let mut step = 0;
        while step < 2 * LIMB_BITS as usize * N {
            x = const_double_mod(&x, &m);
            step += 1;
            if step == LIMB_BITS as usize * N {
                one = x;
            }
        }
        Modulus {
            m,
            m2: const_add(&m, &m),
            m0inv,
            one,
            r2: x,
        }
    }

    #[inline(always)]
    fn canonical_(&self, x: &Fe<N>) -> Fe<N> {
        subtract_if_not_below(x, &self.m)
    }

    #[inline(never)]
    fn eq_(&self, a: &Fe<N>, b: &Fe<N>) -> bool {
        self.canonical_(a) == self.canonical_(b)
    }

    #[inline(never)]
    fn element_(&self, be: &[u8]) -> Option<Fe<N>> {
        let x = try_limbs_from_be(be)?;
        less_than(&x, &self.m).then_some(x)
    }

    /// a·b·R^-1 mod m with loops: compact code for the few products on scalars.
    fn mul_compact(&self, a: &Fe<N>, b: &Fe<N>) -> Fe<N> {
        let m = &self.m;
        let mut q = [0u32; N];
        let mut out = [0u32; N];
        let mut acc = 0u64;
        for i in 0..2 * N - 1 {
            for j in (i + 1).saturating_sub(N)..N.min(i + 1) {
                acc += u64::from(a[j]) * u64::from(b[i - j]);
                if j < i {
                    acc += u64::from(q[j]) * u64::from(m[i - j]);
                }
            }
            self.end_column(i, &mut acc, &mut q, &mut out);
        }
        out[N - 1] = acc as u32;
        out
    }

    /// a·b·R^-1 mod m (Montgomery product), product-scanning, fully unrolled. With a, b
    /// below 2m the result (ab + qm)/R is below 4m²/R + m <= 2m.
    #[inline(always)]
    pub(crate) fn mul_unrolled(&self, a: &Fe<N>, b: &Fe<N>) -> Fe<N> {
        const { assert!(N <= UNROLLED_LIMBS) };
        let m = &self.m;
        let mut q = [0u32; N];
        let mut out = [0u32; N];
        let mut acc = 0u64;
        unroll!(i in COLUMNS {
            if i < 2 * N - 1 {
                // Two sums, so the products do not wait for each other.
                let (mut ab, mut qm) = (0u64, 0u64);
                unroll!(j in LIMBS {
                    if let Some(k) = i.checked_sub(j).filter(|&k| j < N && k < N) {
                        ab += u64::from(a[j]) * u64::from(b[k]);
                        if k > 0 {
                            qm += u64::from(q[j]) * u64::from(m[k]);
                        }
                    }
                });
                acc += ab + qm;
                self.end_column(i, &mut acc, &mut q, &mut out);
            }
        });
        out[N - 1] = acc as u32;
        out
    }

    /// a·a·R^-1 mod m: each cross product once, doubled; fully unrolled.
    #[inline(always)]
    pub(crate) fn sqr_unrolled(&self, a: &Fe<N>) -> Fe<N> {
        const { assert!(N <= UNROLLED_LIMBS) };
        let m = &self.m;
        let mut q = [0u32; N];
        let mut out = [0u32; N];
        let mut acc = 0u64;
        unroll!(i in COLUMNS {
            if i < 2 * N - 1 {
                let (mut cross, mut diag, mut qm) = (0u64, 0u64, 0u64);
                unroll!(j in LIMBS {
                    if let Some(k) = i.checked_sub(j).filter(|&k| j < N && k < N) {
                        if j < k {
                            cross += u64::from(a[j]) * u64::from(a[k]);
                        } else if j == k {
                            diag = u64::from(a[j]) * u64::from(a[j]);
                        }
                        if k > 0 {
                            qm += u64::from(q[j]) * u64::from(m[k]);
                        }
                    }
                });
                acc += 2 * cross + diag + qm;
                self.end_column(i, &mut acc, &mut q, &mut out);
            }
        });
        out[N - 1] = acc as u32;
        out
    }

    /// Closes column i: below N, picks q_i so the column's low 29 bits vanish; above,
    /// emits a limb of the result. Either way carries the rest on.
    #[inline(always)]
    fn end_column(&self, i: usize, acc: &mut u64, q: &mut Fe<N>, out: &mut Fe<N>) {
        if i < N {
            // Both primes p are -1 mod 2^29 (m0inv = 1): one product less on the
            // carry chain, the critical path of the whole product.
            let low = *acc as u32;
            let qi = if self.m0inv == 1 {
                low
            } else {
                low.wrapping_mul(self.m0inv)
            } & MASK;
            q[i] = qi;
            *acc = (*acc + u64::from(qi) * u64::from(self.m[0])) >> LIMB_BITS;
        } else {
            out[i - N] = *acc as u32 & MASK;
            *acc >>= LIMB_BITS;
        }
    }

    // The unrolled carry chain's last carry is dropped: it is always zero.
    #[allow(unused_assignments)]
    #[inline(always)]
    fn add_(&self, a: &Fe<N>, b: &Fe<N>) -> Fe<N> {
        let mut out = [0u32; N];
        let mut carry = 0u32;
        unroll!(i in LIMBS {
            if i < N {
                let s = a[i] + b[i] + carry;
                out[i] = s & MASK;
                carry = s >> LIMB_BITS;
            }
        });
        // The sum is below 4m <= R: no carry leaves the top limb.
        subtract_if_not_below(&out, &self.m2)
    }

    #[allow(unused_assignments)]
    #[inline(always)]
    fn sub_(&self, a: &Fe<N>, b: &Fe<N>) -> Fe<N> {
        let mut out = [0u32; N];
        let mut borrow = 0u32;
        unroll!(i in LIMBS {
            if i < N {
                let d = a[i].wrapping_sub(b[i]).wrapping_sub(borrow);
                out[i] = d & MASK;
                borrow = d >> 31;
            }
        });
        if borrow != 0 {
            let mut carry = 0u32;
            unroll!(i in LIMBS {
                if i < N {
                    let s = out[i] + self.m2[i] + carry;
                    out[i] = s & MASK;
                    carry = s >> LIMB_BITS;
                }
            });
        }
        out
    }

    /// a^-1 mod m (outside the Montgomery domain), canonical, by the binary extended
    /// Euclidean algorithm; `None` for zero. Variable-time.
    fn invert_(&self, a: &Fe<N>) -> Option<Fe<N>> {
        let a = &self.canonical_(a);
        if is_zero(a) {
            return None;
        }
        // Invariants: x1·a ≡ u and x2·a ≡ v (mod m); u, v odd after each shift.
        let (mut u, mut v) = (*a, self.m);
        let mut x1 = [0u32; N];
        x1[0] = 1;
        let mut x2 = [0u32; N];
        // Every step removes at least one bit from u or v: 2·29·N steps are plenty for a
        // prime modulus, and bound the loop for any other.
        for _ in 0..2 * LIMB_BITS as usize * N + 2 {
            let t = trailing_zeros(&u);
            shr_in_place(&mut u, t);
            self.div_pow2(&mut x1, t);
            if is_one(&u) {
                return Some(self.canonical_(&x1));
            }
            if less_than(&v, &u) {
                sub_in_place(&mut u, &v);
                x1 = Field::sub(self, &x1, &x2);
            } else {
                sub_in_place(&mut v, &u);
                if is_zero(&v) {
                    // v was u: gcd(a, m) = u > 1.
                    return None;
                }
                x2 = Field::sub(self, &x2, &x1);
                let t = trailing_zeros(&v);
                shr_in_place(&mut v, t);
                self.div_pow2(&mut x2, t);
                if is_one(&v) {
                    return Some(self.canonical_(&x2));
                }
            }
        }
        None
    }

    /// x·2^-t mod m for x < 2m: repeatedly adds the multiple of m that clears the low bits
    /// (s <= 29 at a time) and shifts them out; (x + k·m)/2^s < (2m + 2^s·m)/2^s <= 2m.
    fn div_pow2(&self, x: &mut Fe<N>, mut t: u32) {
        while t > 0 {
            let s = t.min(LIMB_BITS);
            t -= s;
            let low = (1u32 << s) - 1;
            let k = u64::from(x[0].wrapping_mul(self.m0inv) & low);
            // Limbs of x + k·m, shifted as they are produced.
            let mut acc = u64::from(x[0]) + k * u64::from(self.m[0]);
            let mut prev = (acc as u32 & MASK) >> s;
            acc >>= LIMB_BITS;
            unroll!(i in LIMBS {
                if i > 0 && i < N {
                    acc += u64::from(x[i]) + k * u64::from(self.m[i]);
                    let limb = acc as u32 & MASK;
                    acc >>= LIMB_BITS;
                    x[i - 1] = (prev | (limb << (LIMB_BITS - s))) & MASK;
                    prev = limb >> s;
                }
            });
            x[N - 1] = prev | ((acc as u32) << (LIMB_BITS - s));
        }
    }
}

/// Arithmetic modulo a prime; see the module documentation for the two implementations.
/// Residues in and out are below 2m unless a method says "canonical" (below m).
pub(crate) trait Field<const N: usize> {
    /// The modulus and its constants.
    fn params(&self) -> &Modulus<N>;

    /// a·b·R^-1 mod m (Montgomery product).
    fn mul(&self, a: &Fe<N>, b: &Fe<N>) -> Fe<N>;

    /// a·a·R^-1 mod m.
    fn sqr(&self, a: &Fe<N>) -> Fe<N>;

    /// a + b mod m.
    fn add(&self, a: &Fe<N>, b: &Fe<N>) -> Fe<N> {
        self.params().add_(a, b)
    }

    /// a - b mod m (adding 2m when it borrows).
    fn sub(&self, a: &Fe<N>, b: &Fe<N>) -> Fe<N> {
        self.params().sub_(a, b)
    }

    /// -a mod m.
    fn neg(&self, a: &Fe<N>) -> Fe<N> {
        self.sub(&[0u32; N], a)
    }

    /// The canonical form (below m).
    fn canonical(&self, x: &Fe<N>) -> Fe<N> {
        self.params().canonical_(x)
    }

    /// a ≡ b (mod m). (Not hot: one copy per limb count, shared by both implementations.)
    fn eq(&self, a: &Fe<N>, b: &Fe<N>) -> bool {
        self.params().eq_(a, b)
    }

    /// x ≡ 0 (mod m): x is 0 or m.
    fn is_zero(&self, x: &Fe<N>) -> bool {
        is_zero(x) || *x == self.params().m
    }

    /// The modulus itself (not a residue).
    fn modulus(&self) -> &Fe<N> {
        &self.params().m
    }

    /// One in the Montgomery domain.
    fn one(&self) -> Fe<N> {
        self.params().one
    }

    /// The big-endian integer in `be` when it is below the modulus (so canonical);
    /// leading zero bytes are allowed.
    fn element(&self, be: &[u8]) -> Option<Fe<N>> {
        self.params().element_(be)
    }

    /// x·R mod m.
    fn to_mont(&self, x: &Fe<N>) -> Fe<N> {
        self.mul(x, &self.params().r2)
    }

    /// x·R^-1 mod m, canonical: out of the Montgomery domain.
    #[cfg(test)]
    fn out_of_mont(&self, x: &Fe<N>) -> Fe<N> {
        let mut one = [0u32; N];
        one[0] = 1;
        self.canonical(&self.mul(x, &one))
    }

    /// a^-1 mod m (outside the Montgomery domain), canonical, by the binary extended
    /// Euclidean algorithm; `None` for zero. Variable-time.
    fn invert(&self, a: &Fe<N>) -> Option<Fe<N>> {
        self.params().invert_(a)
    }

    /// a^-1 in the Montgomery domain (a·R to a^-1·R); `None` for zero.
    fn invert_mont(&self, a: &Fe<N>) -> Option<Fe<N>> {
        // invert gives a^-1·R^-1; two products with R^2 bring it to a^-1·R.
        let inv = self.invert(a)?;
        Some(self.to_mont(&self.to_mont(&inv)))
    }
}

/// The modulus read at run time, compact code.
impl<const N: usize> Field<N> for Modulus<N> {
    fn params(&self) -> &Modulus<N> {
        self
    }

    fn mul(&self, a: &Fe<N>, b: &Fe<N>) -> Fe<N> {
        self.mul_compact(a, b)
    }

    fn sqr(&self, a: &Fe<N>) -> Fe<N> {
        self.mul_compact(a, a)
    }
}

/// x - m when x >= m, else x (for x < 2m).
#[allow(unused_assignments)]
fn subtract_if_not_below<const N: usize>(x: &Fe<N>, m: &Fe<N>) -> Fe<N> {
    // Compare from the top limb: it nearly always decides.
    let below = 'cmp: {
        unroll!(r in LIMBS {
            let i = MAX_LIMBS - 1 - r;
            if i < N && x[i] != m[i] {
                break 'cmp x[i] < m[i];
            }
        });
        false
    };
    if below {
        return *x;
    }
    let mut out = [0u32; N];
    let mut borrow = 0u32;
    unroll!(i in LIMBS {
        if i < N {
            let d = x[i].wrapping_sub(m[i]).wrapping_sub(borrow);
            out[i] = d & MASK;
            borrow = d >> 31;
        }
    });
    out
}

/// True when x is zero (the representation, not the residue: see [`Modulus::is_zero`]).
pub(crate) fn is_zero<const N: usize>(x: &Fe<N>) -> bool {
    x.iter().fold(0, |acc, &l| acc | l) == 0
}

fn is_one<const N: usize>(x: &Fe<N>) -> bool {
    x[0] == 1 && x[1..].iter().all(|&l| l == 0)
}

/// a < b for normalized limbs.
pub(crate) fn less_than<const N: usize>(a: &Fe<N>, b: &Fe<N>) -> bool {
    unroll!(r in LIMBS {
        let i = MAX_LIMBS - 1 - r;
        if i < N && a[i] != b[i] {
            return a[i] < b[i];
        }
    });
    false
}

/// a -= b on normalized limbs; true when it borrowed (a < b).
fn sub_in_place<const N: usize>(a: &mut Fe<N>, b: &Fe<N>) -> bool {
    let mut borrow = 0u32;
    unroll!(i in LIMBS {
        if i < N {
            let d = a[i].wrapping_sub(b[i]).wrapping_sub(borrow);
            a[i] = d & MASK;
            borrow = d >> 31;
        }
    });
    borrow != 0
}

/// a += b on normalized limbs, dropping the carry out of the top limb.
#[allow(unused_assignments)]
fn add_in_place<const N: usize>(a: &mut Fe<N>, b: &Fe<N>) {
    let mut carry = 0u32;
    unroll!(i in LIMBS {
        if i < N {
            let s = a[i] + b[i] + carry;
            a[i] = s & MASK;
            carry = s >> LIMB_BITS;
        }
    });
}

/// a + b when the sum is below `bound` (all normalized, sum below R).
pub(crate) fn add_below<const N: usize>(a: &Fe<N>, b: &Fe<N>, bound: &Fe<N>) -> Option<Fe<N>> {
    let mut sum = *a;
    add_in_place(&mut sum, b);
    less_than(&sum, bound).then_some(sum)
}

/// Trailing zero bits of a non-zero value (29·N for zero).
fn trailing_zeros<const N: usize>(x: &Fe<N>) -> u32 {
    let mut t = 0;
    for &l in x {
        if l != 0 {
            return t + l.trailing_zeros();
        }
        t += LIMB_BITS;
    }
    t
}

/// x >>= t.
fn shr_in_place<const N: usize>(x: &mut Fe<N>, t: u32) {
    let limbs = (t / LIMB_BITS) as usize;
    if limbs > 0 {
        for i in 0..N {
            x[i] = x.get(i + limbs).copied().unwrap_or(0);
        }
    }
    let bits = t % LIMB_BITS;
    if bits > 0 {
        unroll!(i in LIMBS {
            if i < N {
                let hi = if i + 1 < N { x[i + 1] } else { 0 };
                x[i] = ((x[i] >> bits) | (hi << (LIMB_BITS - bits))) & MASK;
            }
        });
    }
}

/// Bits `at..at+width` (width <= 29) of x; bits beyond the top read as zero.
pub(crate) fn bits_at(x: &[u32], at: usize, width: u32) -> u32 {
    let limb = at / LIMB_BITS as usize;
    let shift = (at % LIMB_BITS as usize) as u32;
    let lo = u64::from(x.get(limb).copied().unwrap_or(0));
    let hi = u64::from(x.get(limb + 1).copied().unwrap_or(0));
    (((lo | (hi << LIMB_BITS)) >> shift) as u32) & ((1 << width) - 1)
}

/// Big-endian bytes to limbs; `None` if the value needs more than N limbs.
pub(crate) fn try_limbs_from_be<const N: usize>(be: &[u8]) -> Option<Fe<N>> {
    let mut limbs = [0u32; N];
    limbs_from_be_into(be, &mut limbs)?;
    Some(limbs)
}

/// The work of [`try_limbs_from_be`], shared by every limb count (it is not hot).
fn limbs_from_be_into(be: &[u8], limbs: &mut [u32]) -> Option<()> {
    let (mut buf, mut buf_bits, mut i) = (0u64, 0u32, 0usize);
    for &byte in be.iter().rev() {
        buf |= u64::from(byte) << buf_bits;
        buf_bits += 8;
        if buf_bits >= LIMB_BITS {
            store(limbs, i, buf as u32 & MASK)?;
            buf >>= LIMB_BITS;
            buf_bits -= LIMB_BITS;
            i += 1;
        }
    }
    store(limbs, i, buf as u32)
}

/// Sets limb `i`; a non-zero value beyond the limb count does not fit.
fn store(limbs: &mut [u32], i: usize, v: u32) -> Option<()> {
    match limbs.get_mut(i) {
        Some(slot) => *slot = v,
        None if v != 0 => return None,
        None => {}
    }
    Some(())
}

/// Limbs (below 2^(8·len)) to exactly `out.len()` big-endian bytes.
#[cfg(test)]
pub(crate) fn to_be_bytes<const N: usize>(x: &Fe<N>, out: &mut [u8]) {
    let (mut buf, mut buf_bits, mut limbs) = (0u64, 0u32, x.iter());
    for byte in out.iter_mut().rev() {
        if buf_bits < 8 {
            buf |= u64::from(limbs.next().copied().unwrap_or(0)) << buf_bits;
            buf_bits += LIMB_BITS;
        }
        *byte = buf as u8;
        buf >>= 8;
        buf_bits -= 8;
    }
}

/// Compile-time big-endian bytes to limbs.
pub(crate) const fn limbs_from_be<const N: usize>(be: &[u8]) -> Fe<N> {
    let mut limbs = [0u32; N];
    let mut bit = 0;
    while bit < be.len() * 8 {
        let byte = be[be.len() - 1 - bit / 8];
        if (byte >> (bit % 8)) & 1 == 1 {
            limbs[bit / LIMB_BITS as usize] |= 1 << (bit % LIMB_BITS as usize);
        }
        bit += 1;
    }
    limbs
}

/// Compile-time a + b (the sum must fit).
const fn const_add<const N: usize>(a: &Fe<N>, b: &Fe<N>) -> Fe<N> {
    let mut out = [0u32; N];
    let mut carry = 0;
    let mut i = 0;
    while i < N {
        let s = a[i] + b[i] + carry;
        out[i] = s & MASK;
        carry = s >> LIMB_BITS;
        i += 1;
    }
    assert!(carry == 0);
    out
}

/// Compile-time 2x mod m for x < m.
const fn const_double_mod<const N: usize>(x: &Fe<N>, m: &Fe<N>) -> Fe<N> {
    let mut out = [0u32; N];
    let mut carry = 0;
    let mut i = 0;
    while i < N {
        let s = (x[i] << 1) | carry;
        out[i] = s & MASK;
        carry = s >> LIMB_BITS;
        i += 1;
    }
    out[N - 1] |= carry << LIMB_BITS;
    // out < 2m: subtract m unless out < m.
    let mut ge = true;
    let mut i = N;
    while i > 0 {
        i -= 1;
        if out[i] != m[i] {
            ge = out[i] > m[i];
            break;
        }
    }
    if ge {
        let mut borrow = 0u32;
        let mut i = 0;
        while i < N {
            let d = out[i].wrapping_sub(m[i]).wrapping_sub(borrow);
            out[i] = d & MASK;
            borrow = d >> 31;
            i += 1;
        }
    }
    out
}

/// Compile-time x·R mod m for x < m, by 29·N modular doublings.
pub(crate) const fn const_to_mont<const N: usize>(x: &Fe<N>, m: &Fe<N>) -> Fe<N> {
    let mut x = *x;
    let mut i = 0;
    while i < LIMB_BITS as usize * N {
        x = const_double_mod(&x, m);
        i += 1;
    }
    x
}

/// Compile-time hex to bytes (a bad constant is a build error).
pub(crate) const fn hex<const L: usize>(s: &str) -> [u8; L] {
    let s = s.as_bytes();
    assert!(s.len() == 2 * L);
    let mut out = [0u8; L];
    let mut i = 0;
    while i < 2 * L {
        let c = s[i];
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("lowercase hex only"),
        };
        out[i / 2] = (out[i / 2] << 4) | v;
        i += 1;
    }
    out
}
