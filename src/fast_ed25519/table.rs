//! Precomputed multiples of a point, and the double-scalar multiplication a·P + b·Q
//! that reads them.
//!
//! A scalar's 256 wNAF positions are cut into `CHUNKS` runs of `CHUNK_LEN`. For each run
//! j the table holds the odd multiples d·2^(j·CHUNK_LEN)·P, d = 1, 3, …, 2^(w-1) - 1, as
//! precomputed affine entries; a digit at position j·CHUNK_LEN + i then contributes after
//! i doublings of the shared accumulator. Per verification that is `CHUNK_LEN` doublings
//! (instead of 253) plus one mixed addition per non-zero digit (about 253/(w + 1) per
//! scalar).

use super::point::{to_precomputed, Completed, Extended, Precomputed};
use super::scalar::DIGITS;

/// Runs each scalar is cut into.
const CHUNKS: usize = 8;
/// Positions per run.
const CHUNK_LEN: usize = DIGITS / CHUNKS;

/// Odd multiples of 2^(j·CHUNK_LEN)·P for each run j.
#[derive(Clone, Debug)]
pub(crate) struct Table {
    entries: Vec<Precomputed>,
    /// wNAF width: 2^(width-2) entries per run.
    width: u32,
}

impl Table {
    /// The table of `base` for wNAF width `width` in 2..=8 (the digits are i8). Any
    /// point will do, small orders included: the formulas are complete.
    pub(crate) fn new(base: &Extended, width: u32) -> Table {
        let width = width.clamp(2, 8);
        let per_run = 1usize << (width - 2);
        let mut points = Vec::with_capacity(CHUNKS * per_run);
        let mut run_base = *base;
        for run in 0..CHUNKS {
            if run > 0 {
                for _ in 0..CHUNK_LEN {
                    run_base = run_base.double().to_extended();
                }
            }
            let twice = run_base.double().to_extended();
            let mut p = run_base;
            for _ in 0..per_run {
                points.push(p);
                p = p.add(&twice).to_extended();
            }
        }
        Table {
            entries: to_precomputed(&points),
            width,
        }
    }

    pub(crate) fn width(&self) -> u32 {
        self.width
    }

    /// The entry for digit d (odd, |d| < 2^(width-1)) of run `run`.
    #[inline]
    fn lookup(&self, run: usize, d: i8) -> Option<&Precomputed> {
        let index = (run << (self.width - 2)) + (usize::from(d.unsigned_abs()) >> 1);
        self.entries.get(index)
    }
}

/// a·P + b·Q from the scalars' wNAF digits (recoded with each table's width); `None`
/// only if a digit falls outside its table, which the recoding never produces.
pub(crate) fn mul2(p: &Table, a: &[i8; DIGITS], q: &Table, b: &[i8; DIGITS]) -> Option<Extended> {
    let mut acc = Extended::IDENTITY;
    // `pending` holds the last sum or doubling in completed form: it becomes extended
    // (4 products) only when an addition follows, projective (3) before a doubling.
    let mut pending: Option<Completed> = None;
    for i in (0..CHUNK_LEN).rev() {
        if i + 1 < CHUNK_LEN {
            let doubled = match pending.take() {
                Some(sum) => sum.to_projective(),
                None => acc,
            }
            .double();
            pending = Some(doubled);
        }
        for (table, digits) in [(p, a), (q, b)] {
            for run in 0..CHUNKS {
                let d = *digits.get(run * CHUNK_LEN + i)?;
                if d != 0 {
                    if let Some(sum) = pending.take() {
                        acc = sum.to_extended();
                    }
                    pending = Some(acc.add_precomputed(table.lookup(run, d)?, d < 0));
                }
            }
        }
    }
    Some(match pending {
        Some(sum) => sum.to_extended(),
        None => acc,
    })
}
