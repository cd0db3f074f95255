//! Points of a short Weierstrass curve y² = x³ - 3x + b (both NIST curves have a = -3),
//! coordinates in the Montgomery domain of the base field, lazily reduced. Affine points
//! are the table entries; sums are accumulated in Jacobian coordinates (X/Z², Y/Z³),
//! Z ≡ 0 being the point at infinity. The additions handle doubling and opposite points
//! explicitly, so any pair of inputs gives the right answer.

use super::field::{Fe, Field};

/// An affine point other than infinity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Affine<const N: usize> {
    pub(crate) x: Fe<N>,
    pub(crate) y: Fe<N>,
}

/// A point in Jacobian coordinates; Z ≡ 0 is infinity.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Jacobian<const N: usize> {
    pub(crate) x: Fe<N>,
    pub(crate) y: Fe<N>,
    pub(crate) z: Fe<N>,
}

impl<const N: usize> Jacobian<N> {
    pub(crate) fn infinity() -> Self {
        Jacobian {
            x: [0; N],
            y: [0; N],
            z: [0; N],
        }
    }

    pub(crate) fn from_affine(f: &impl Field<N>, a: &Affine<N>) -> Self {
        Jacobian {
            x: a.x,
            y: a.y,
            z: f.one(),
        }
    }

    pub(crate) fn is_infinity(&self, f: &impl Field<N>) -> bool {
        f.is_zero(&self.z)
    }
}

/// y² == x³ - 3x + b.
pub(crate) fn is_on_curve<F: Field<N>, const N: usize>(f: &F, b: &Fe<N>, a: &Affine<N>) -> bool {
    let x2 = f.sqr(&a.x);
    let x3 = f.mul(&x2, &a.x);
    let three_x = f.add(&f.add(&a.x, &a.x), &a.x);
    let rhs = f.add(&f.sub(&x3, &three_x), b);
    f.eq(&f.sqr(&a.y), &rhs)
}

/// 2P (dbl-2001-b: 3M + 5S); infinity stays infinity (Z3 = 2·Y·Z).
pub(crate) fn double<F: Field<N>, const N: usize>(f: &F, p: &Jacobian<N>) -> Jacobian<N> {
    let delta = f.sqr(&p.z);
    let gamma = f.sqr(&p.y);
    let beta = f.mul(&p.x, &gamma);
    let t = f.mul(&f.sub(&p.x, &delta), &f.add(&p.x, &delta));
    let alpha = f.add(&f.add(&t, &t), &t);
    let beta4 = f.add(&beta, &beta);
    let beta4 = f.add(&beta4, &beta4);
    let beta8 = f.add(&beta4, &beta4);
    let x3 = f.sub(&f.sqr(&alpha), &beta8);
    let yz = f.add(&p.y, &p.z);
    let z3 = f.sub(&f.sub(&f.sqr(&yz), &gamma), &delta);
    let gamma2 = f.sqr(&gamma);
    let gamma2_2 = f.add(&gamma2, &gamma2);
    let gamma2_4 = f.add(&gamma2_2, &gamma2_2);
    let gamma2_8 = f.add(&gamma2_4, &gamma2_4);
    let y3 = f.sub(&f.mul(&alpha, &f.sub(&beta4, &x3)), &gamma2_8);
    Jacobian {
        x: x3,
        y: y3,
        z: z3,
    }
}

/// P + Q for affine Q, or P - Q when `negate` (madd-2004-hmv: 8M + 3S).
pub(crate) fn add_affine<F: Field<N>, const N: usize>(
    f: &F,
    p: &Jacobian<N>,
    q: &Affine<N>,
    negate: bool,
) -> Jacobian<N> {
    let qy = if negate { f.neg(&q.y) } else { q.y };
    if p.is_infinity(f) {
        return Jacobian {
            x: q.x,
            y: qy,
            z: f.one(),
        };
    }
    let z1z1 = f.sqr(&p.z);
    let u2 = f.mul(&q.x, &z1z1);
    let s2 = f.mul(&qy, &f.mul(&p.z, &z1z1));
    let h = f.sub(&u2, &p.x);
    let r = f.sub(&s2, &p.y);
    if f.is_zero(&h) {
        // Same x: P == Q doubles, P == -Q cancels.
        return if f.is_zero(&r) {
            double(f, p)
        } else {
            Jacobian::infinity()
        };
    }
    let hh = f.sqr(&h);
    let hhh = f.mul(&h, &hh);
    let v = f.mul(&p.x, &hh);
    let x3 = f.sub(&f.sub(&f.sqr(&r), &hhh), &f.add(&v, &v));
    let y3 = f.sub(&f.mul(&r, &f.sub(&v, &x3)), &f.mul(&p.y, &hhh));
    let z3 = f.mul(&p.z, &h);
    Jacobian {
        x: x3,
        y: y3,
        z: z3,
    }
}

/// P + Q (add-1998-cmo-2: 12M + 4S), for building tables.
pub(crate) fn add<F: Field<N>, const N: usize>(
    f: &F,
    p: &Jacobian<N>,
    q: &Jacobian<N>,
) -> Jacobian<N> {
    if p.is_infinity(f) {
        return *q;
    }
    if q.is_infinity(f) {
        return *p;
    }
    let z1z1 = f.sqr(&p.z);
    let z2z2 = f.sqr(&q.z);
    let u1 = f.mul(&p.x, &z2z2);
    let u2 = f.mul(&q.x, &z1z1);
    let s1 = f.mul(&p.y, &f.mul(&q.z, &z2z2));
    let s2 = f.mul(&q.y, &f.mul(&p.z, &z1z1));
    let h = f.sub(&u2, &u1);
    let r = f.sub(&s2, &s1);
    if f.is_zero(&h) {
        return if f.is_zero(&r) {
            double(f, p)
        } else {
            Jacobian::infinity()
        };
    }
    let hh = f.sqr(&h);
    let hhh = f.mul(&h, &hh);
    let v = f.mul(&u1, &hh);
    let x3 = f.sub(&f.sub(&f.sqr(&r), &hhh), &f.add(&v, &v));
    let y3 = f.sub(&f.mul(&r, &f.sub(&v, &x3)), &f.mul(&s1, &hhh));
    let z3 = f.mul(&f.mul(&p.z, &q.z), &h);
    Jacobian {
        x: x3,
        y: y3,
        z: z3,
    }
}

/// Affine forms of points none of which is infinity, with one field inversion
/// (Montgomery's trick); `None` if one is infinity.
pub(crate) fn to_affine_batch<F: Field<N>, const N: usize>(
    f: &F,
    points: &[Jacobian<N>],
) -> Option<Vec<Affine<N>>> {
    // prefix[i] = Z_0 · … · Z_i
    let mut prefix = Vec::with_capacity(points.len());
    let mut acc = f.one();
    for p in points {
        acc = f.mul(&acc, &p.z);
        prefix.push(acc);
    }
    let mut inv = f.invert_mont(&acc)?;
    let mut out = vec![
        Affine {
            x: [0; N],
            y: [0; N]
        };
        points.len()
    ];
    for i in (0..points.len()).rev() {
        // inv = (Z_0 · … · Z_i)^-1
        let zinv = match i.checked_sub(1).and_then(|j| prefix.get(j)) {
            Some(before) => f.mul(&inv, before),
            None => inv,
        };
        let (p, slot) = (points.get(i)?, out.get_mut(i)?);
        inv = f.mul(&inv, &p.z);
        let zinv2 = f.sqr(&zinv);
        slot.x = f.mul(&p.x, &zinv2);
        slot.y = f.mul(&p.y, &f.mul(&zinv2, &zinv));
    }
    Some(out)
}
