//! Precomputed multiples of a point, and the double-scalar multiplication u1·G + u2·Q
//! that reads them.
//!
//! A scalar's wNAF digits (positions 0..=bits) are cut into `CHUNKS` runs of `chunk_len`
//! positions. For each run j the table holds the odd multiples d·2^(j·chunk_len)·P,
//! d = 1, 3, …, 2^(w-1) - 1, in affine form; a digit at position j·chunk_len + i then
//! contributes after i doublings of the shared accumulator. Per verification that is
//! `chunk_len` doublings (instead of bits) plus one mixed addition per non-zero digit.

use super::field::{Fe, Field, Modulus};
use super::point::{add, add_affine, double, to_affine_batch, Affine, Jacobian};
use super::scalar::MAX_DIGITS;

/// Runs each scalar is cut into.
pub(crate) const CHUNKS: usize = 8;

/// Odd multiples of 2^(j·chunk_len)·P for each run j.
#[derive(Clone, Debug)]
pub(crate) struct Table<const N: usize> {
    points: Vec<Affine<N>>,
    /// wNAF width: 2^(width-2) points per run.
    width: u32,
}

/// Positions per run for scalars of `bits` bits (their wNAF has bits + 1 positions).
pub(crate) const fn chunk_len(bits: usize) -> usize {
    (bits + 1).div_ceil(CHUNKS)
}

impl<const N: usize> Table<N> {
    /// The table of `base` for `bits`-bit scalars, `width` in 2..=8 (the digits are i8).
    /// `base` must not be infinity and must have a prime order above
    /// 2^(width - 1 + (CHUNKS - 1)·chunk_len), as every point of both curves but infinity
    /// has: the entries are then distinct and none is infinity. `None` if one is.
    pub(crate) fn new(
        f: &impl Field<N>,
        base: &Affine<N>,
        bits: usize,
        width: u32,
    ) -> Option<Self> {
        let per_run = 1usize << (width - 2);
        let len = chunk_len(bits);
        let mut jacobian = Vec::with_capacity(CHUNKS * per_run);
        let mut run_base = Jacobian::from_affine(f, base);
        for run in 0..CHUNKS {
            if run > 0 {
                for _ in 0..len {
                    run_base = double(f, &run_base);
                }
            }
            let twice = double(f, &run_base);
            let mut p = run_base;
            for _ in 0..per_run {
                jacobian.push(p);
                p = add(f, &p, &twice);
            }
        }
        Some(Table {
            points: to_affine_batch(f, &jacobian)?,
            width,
        })
    }

    pub(crate) fn width(&self) -> u32 {
        self.width
    }

    /// d·2^(run·chunk_len)·P for odd d, |d| < 2^(width-1), as the entry and its sign.
    #[inline]
    fn lookup(&self, run: usize, d: i8) -> Option<(&Affine<N>, bool)> {
        let index = (run << (self.width - 2)) + (usize::from(d.unsigned_abs()) >> 1);
        Some((self.points.get(index)?, d < 0))
    }
}

/// u1·G + u2·Q from the scalars' wNAF digits (recoded with each table's width);
/// `None` only if a digit falls outside its table, which the recoding never produces.
pub(crate) fn mul2<F: Field<N>, const N: usize>(
    f: &F,
    bits: usize,
    g: &Table<N>,
    u1: &[i8; MAX_DIGITS],
    q: &Table<N>,
    u2: &[i8; MAX_DIGITS],
) -> Option<Jacobian<N>> {
    let len = chunk_len(bits);
    let mut acc = Jacobian::infinity();
    for i in (0..len).rev() {
        if !acc.is_infinity(f) {
            acc = double(f, &acc);
        }
        for (table, digits) in [(g, u1), (q, u2)] {
            for run in 0..CHUNKS {
                let d = *digits.get(run * len + i)?;
                if d != 0 {
                    let (point, negate) = table.lookup(run, d)?;
                    acc = add_affine(f, &acc, point, negate);
                }
            }
        }
    }
    Some(acc)
}

/// x(P) mod n == r, for P not infinity, without leaving Jacobian coordinates:
/// X == r'·Z² for r' = r, and r' = r + n when that is still below p.
pub(crate) fn x_matches<F: Field<N>, const N: usize>(
    f: &F,
    n: &Modulus<N>,
    p: &Jacobian<N>,
    r: &Fe<N>,
) -> bool {
    let z2 = f.sqr(&p.z);
    // r < n < p: r is a base field element as it stands.
    if f.eq(&f.mul(&f.to_mont(r), &z2), &p.x) {
        return true;
    }
    match super::field::add_below(r, n.modulus(), f.modulus()) {
        Some(r_plus_n) => f.eq(&f.mul(&f.to_mont(&r_plus_n), &z2), &p.x),
        None => false,
    }
}
