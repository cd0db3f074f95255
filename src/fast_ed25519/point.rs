//! Points of edwards25519, -x² + y² = 1 + d·x²·y², in the coordinates of Hisil, Wong,
//! Carter and Dawson (2008) as ref10 uses them: extended (X:Y:Z:T) with x = X/Z,
//! y = Y/Z, T = XY/Z; "completed" results of an addition or doubling; and precomputed
//! affine entries (y + x, y - x, 2d·x·y) for the tables. With a = -1 a square and d a
//! non-square mod p these formulas are complete: they hold for every pair of points,
//! the identity and points of small order included, so no input needs a special case.
//!
//! Bounds (field.rs): each formula below states how loose its intermediate sums get;
//! every product stays within the k·m <= 16 rule.

use super::field::{self, add, mul, sqr, sqr2, sub, Fe};

/// Extended coordinates.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Extended {
    pub(crate) x: Fe,
    pub(crate) y: Fe,
    pub(crate) z: Fe,
    pub(crate) t: Fe,
}

/// A completed point ((X:Z), (Y:T)): x = X/Z, y = Y/T. Sums and doublings end here;
/// 3 products make it projective, 4 extended.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Completed {
    x: Fe,
    y: Fe,
    z: Fe,
    t: Fe,
}

/// A table entry: an affine point as (y + x, y - x, 2d·x·y), tight.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Precomputed {
    pub(crate) y_plus_x: Fe,
    pub(crate) y_minus_x: Fe,
    pub(crate) xy2d: Fe,
}

impl Extended {
    pub(crate) const IDENTITY: Extended = Extended {
        x: Fe::ZERO,
        y: Fe::ONE,
        z: Fe::ONE,
        t: Fe::ZERO,
    };

    /// The point from its RFC 8032 encoding (y little-endian, the sign of x in bit 255),
    /// as BoringSSL's `x25519_ge_frombytes_vartime` decodes it: y is read modulo p (an
    /// encoding of y + p, if below 2^255, gives the same point), and x = 0 with the sign
    /// bit set decodes to x = 0. `None` when (y² - 1)/(d·y² + 1) is not a square.
    pub(crate) fn decode(bytes: &[u8; 32]) -> Option<Extended> {
        let y = Fe::from_bytes(bytes);
        let yy = sqr(&y);
        let u = sub(&yy, &Fe::ONE).carry(); // y² - 1
        let v = add(&mul(&yy, &Fe::D), &Fe::ONE).carry(); // d·y² + 1
                                                          // x = u·v³·(u·v⁷)^((p-5)/8) (RFC 8032 §5.1.3): a square root of u/v if one
                                                          // exists, up to a factor sqrt(-1).
        let v3 = mul(&sqr(&v), &v);
        let uv7 = mul(&mul(&sqr(&v3), &v), &u);
        let mut x = mul(&mul(&field::pow_p58(&uv7), &v3), &u);
        let vxx = mul(&sqr(&x), &v);
        if !field::eq(&vxx, &u) {
            if !add(&vxx, &u).is_zero() {
                return None;
            }
            x = mul(&x, &Fe::SQRT_M1);
        }
        if x.is_negative() != (bytes[31] >> 7 == 1) {
            x = field::neg(&x).carry();
        }
        Some(Extended {
            t: mul(&x, &y),
            x,
            y,
            z: Fe::ONE,
        })
    }

    /// -P = (-x, y).
    pub(crate) fn neg(&self) -> Extended {
        Extended {
            x: field::neg(&self.x),
            t: field::neg(&self.t),
            ..*self
        }
    }

    /// The RFC 8032 encoding: y canonical, bit 255 the parity of x. One inversion.
    pub(crate) fn encode(&self) -> [u8; 32] {
        let zinv = field::invert(&self.z);
        let x = mul(&self.x, &zinv);
        let y = mul(&self.y, &zinv);
        let mut out = y.to_bytes();
        out[31] |= u8::from(x.is_negative()) << 7;
        out
    }

    /// 2P from X, Y, Z (dbl-2008-hwcd): 4 squarings.
    pub(crate) fn double(&self) -> Completed {
        let xx = sqr(&self.x);
        let yy = sqr(&self.y);
        let zz2 = sqr2(&self.z);
        let sum = sqr(&add(&self.x, &self.y));
        let y = add(&yy, &xx); // 2-loose
        let z = sub(&yy, &xx); // 2-loose
        Completed {
            x: sub(&sum, &y), // 3-loose
            y,
            z,
            t: sub(&zz2, &z), // 3-loose
        }
    }

    /// P + Q, or P - Q with `negate`, for a precomputed Q (madd-2008-hwcd-2): 3 products.
    pub(crate) fn add_precomputed(&self, q: &Precomputed, negate: bool) -> Completed {
        let (plus, minus) = if negate {
            (&q.y_minus_x, &q.y_plus_x)
        } else {
            (&q.y_plus_x, &q.y_minus_x)
        };
        let a = mul(&add(&self.y, &self.x), plus);
        let b = mul(&sub(&self.y, &self.x), minus);
        let c = mul(&q.xy2d, &self.t);
        let d = add(&self.z, &self.z); // 2-loose
                                       // -Q has -2d·x·y: the sign of C flips.
        let (z, t) = if negate {
            (sub(&d, &c), add(&d, &c))
        } else {
            (add(&d, &c), sub(&d, &c))
        };
        Completed {
            x: sub(&a, &b), // 2-loose
            y: add(&a, &b), // 2-loose
            z,              // 3-loose
            t,              // 3-loose
        }
    }

    /// P + Q for two extended points (add-2008-hwcd-3): 9 products. Used to build tables.
    pub(crate) fn add(&self, q: &Extended) -> Completed {
        let a = mul(&add(&self.y, &self.x), &add(&q.y, &q.x));
        let b = mul(&sub(&self.y, &self.x), &sub(&q.y, &q.x));
        let c = mul(&mul(&self.t, &q.t), &Fe::D2);
        let zz = mul(&self.z, &q.z);
        let d = add(&zz, &zz);
        Completed {
            x: sub(&a, &b),
            y: add(&a, &b),
            z: add(&d, &c),
            t: sub(&d, &c),
        }
    }
}

impl Completed {
    /// Extended coordinates: 4 products (of at most 3-loose factors: 9 <= 16).
    pub(crate) fn to_extended(self) -> Extended {
        Extended {
            x: mul(&self.x, &self.t),
            y: mul(&self.y, &self.z),
            z: mul(&self.z, &self.t),
            t: mul(&self.x, &self.y),
        }
    }

    /// X, Y, Z only, for a doubling next (T left as zero): 3 products.
    pub(crate) fn to_projective(self) -> Extended {
        Extended {
            x: mul(&self.x, &self.t),
            y: mul(&self.y, &self.z),
            z: mul(&self.z, &self.t),
            t: Fe::ZERO,
        }
    }
}

/// The precomputed (affine) forms of `points`, with one inversion for all of them
/// (Montgomery's trick). Z is never 0 for a point of the curve (the formulas are
/// complete), so every entry is exact.
pub(crate) fn to_precomputed(points: &[Extended]) -> Vec<Precomputed> {
    // prefix[i] = z_0·…·z_i
    let mut prefix = Vec::with_capacity(points.len());
    let mut acc = Fe::ONE;
    for p in points {
        acc = mul(&acc, &p.z);
        prefix.push(acc);
    }
    let mut inv = field::invert(&acc);
    let mut out = vec![
        Precomputed {
            y_plus_x: Fe::ZERO,
            y_minus_x: Fe::ZERO,
            xy2d: Fe::ZERO,
        };
        points.len()
    ];
    for i in (0..points.len()).rev() {
        // inv = 1/(z_0·…·z_i) here.
        let zinv = match i.checked_sub(1).and_then(|j| prefix.get(j)) {
            Some(before) => mul(&inv, before),
            None => inv,
        };
        if let (Some(p), Some(slot)) = (points.get(i), out.get_mut(i)) {
            inv = mul(&inv, &p.z);
            let x = mul(&p.x, &zinv);
            let y = mul(&p.y, &zinv);
            *slot = Precomputed {
                y_plus_x: add(&y, &x).carry(),
                y_minus_x: sub(&y, &x).carry(),
                xy2d: mul(&mul(&x, &y), &Fe::D2),
            };
        }
    }
    out
}
