//! Field and point arithmetic against simple references, round trips with jwt-simple's
//! ES256/ES384 signers (and, for ES512, which jwt-simple lacks, with a textbook signer
//! built on the reference arithmetic; Wycheproof and the Python suites check ES512 against
//! independent implementations), and malformed keys and signatures.

use super::curve::{Curve, P256, P384, P521};
use super::field::{self, Fe, Field};
use super::point::{add, double, to_affine_batch, Affine, Jacobian};
use super::scalar::wnaf;
use super::table::{mul2, Table};
use super::{EcKey, KeyError};
use ct_codecs::{Base64UrlSafeNoPadding, Decoder};
use jwt_simple::prelude::{
    Claims, Duration, ECDSAP256KeyPairLike, ECDSAP256PublicKeyLike, ECDSAP384KeyPairLike,
    ECDSAP384PublicKeyLike, ES256KeyPair, ES384KeyPair,
};

/// xorshift64*: reproducible pseudo-random bytes for the arithmetic tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }

    /// A residue below the modulus (bytes-long candidates, rejection sampling).
    fn residue<const N: usize>(&mut self, m: &impl Field<N>, bytes: usize) -> Fe<N> {
        loop {
            if let Some(x) = m.element(&self.bytes(bytes)) {
                return x;
            }
        }
    }
}

fn be<const N: usize>(x: &Fe<N>, bytes: usize) -> Vec<u8> {
    let mut out = vec![0u8; bytes];
    field::to_be_bytes(x, &mut out);
    out
}

/// Big-endian a - b for a >= b of the same length.
fn be_sub(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = a.to_vec();
    let mut borrow = 0i16;
    for i in (0..a.len()).rev() {
        let d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(d < 0);
        out[i] = d.rem_euclid(256) as u8;
    }
    assert_eq!(borrow, 0);
    out
}

/// Big-endian a + b for values of the same length; the carry out is dropped.
fn be_add(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = a.to_vec();
    let mut carry = 0u16;
    for i in (0..a.len()).rev() {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    out
}

fn check_modulus<F: Field<N>, const N: usize>(m: &F, bytes: usize, rng: &mut Rng) {
    let mut one = [0u32; N];
    one[0] = 1;
    assert_eq!(m.out_of_mont(&m.one()), one);
    assert_eq!(m.invert(&one), Some(one));
    assert_eq!(m.invert(&[0; N]), None);
    assert_eq!(m.invert(m.modulus()), None);
    let minus_one = m.canonical(&m.neg(&one));
    assert_eq!(m.invert(&minus_one), Some(minus_one));
    // Lazily reduced values: below 2m, either representative.
    let m2 = field::add_below(m.modulus(), m.modulus(), &[u32::MAX; N]).unwrap();
    let below_2m = |x: &Fe<N>| field::less_than(x, &m2);
    let plus_m = |x: &Fe<N>| field::add_below(x, m.modulus(), &m2).unwrap();
    for _ in 0..200 {
        let (a, b, c) = (
            rng.residue(m, bytes),
            rng.residue(m, bytes),
            rng.residue(m, bytes),
        );
        let (am, bm, cm) = (m.to_mont(&a), m.to_mont(&b), m.to_mont(&c));
        assert_eq!(m.out_of_mont(&am), a);
        assert!(m.eq(&m.sqr(&am), &m.mul(&am, &am)));
        // (a + b)·c == a·c + b·c and (a - b) + b == a.
        assert!(m.eq(
            &m.mul(&m.add(&am, &bm), &cm),
            &m.add(&m.mul(&am, &cm), &m.mul(&bm, &cm))
        ));
        assert!(m.eq(&m.add(&m.sub(&a, &b), &b), &a));
        assert!(m.is_zero(&m.add(&a, &m.neg(&a))));
        // (a·b)·c == a·(b·c)
        assert!(m.eq(&m.mul(&m.mul(&am, &bm), &cm), &m.mul(&am, &m.mul(&bm, &cm))));
        // The other representative, x + m, gives the same residues, and every result
        // stays below 2m.
        let (am, bm) = (m.canonical(&am), m.canonical(&bm));
        for (x, y) in [
            (am, bm),
            (plus_m(&am), bm),
            (am, plus_m(&bm)),
            (plus_m(&am), plus_m(&bm)),
        ] {
            for r in [
                m.mul(&x, &y),
                m.sqr(&x),
                m.add(&x, &y),
                m.sub(&x, &y),
                m.neg(&x),
            ] {
                assert!(below_2m(&r));
            }
            assert!(m.eq(&m.mul(&x, &y), &m.mul(&am, &bm)));
            assert!(m.eq(&m.sqr(&x), &m.sqr(&am)));
            assert!(m.eq(&m.add(&x, &y), &m.add(&am, &bm)));
            assert!(m.eq(&m.sub(&x, &y), &m.sub(&am, &bm)));
            assert_eq!(m.canonical(&x), am);
        }
        if let Some(inv) = m.invert(&a) {
            assert_eq!(m.out_of_mont(&m.mul(&am, &m.to_mont(&inv))), one);
            assert!(m.eq(&m.invert_mont(&am).unwrap(), &m.to_mont(&inv)));
            assert_eq!(m.invert(&plus_m(&a)), Some(inv));
        } else {
            assert_eq!(a, [0; N]);
        }
        assert_eq!(m.element(&be(&a, bytes)), Some(a));
    }
    // Values at and above the modulus are refused; m - 1 is the largest accepted.
    let m_bytes = be(m.modulus(), bytes);
    assert_eq!(m.element(&m_bytes), None);
    assert_eq!(m.element(&vec![0xff; bytes]), None);
    let mut below = m_bytes.clone();
    *below.last_mut().unwrap() -= 1;
    assert_eq!(m.element(&below), Some(minus_one));
    // Extremes of the Montgomery product: 2m - 1 is the largest input.
    let top = m.to_mont(&minus_one);
    assert_eq!(m.out_of_mont(&m.sqr(&top)), one);
    let largest = plus_m(&minus_one);
    assert!(below_2m(&m.sqr(&largest)) && below_2m(&m.mul(&largest, &largest)));
    assert!(m.eq(&m.sqr(&largest), &m.sqr(&minus_one)));
    assert!(m.is_zero(m.modulus()) && !m.is_zero(&one));
}

#[test]
fn field_and_scalar_arithmetic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // The base fields both ways: constant modulus (unrolled) and run-time modulus.
    check_modulus(&P256.p, 32, &mut rng);
    check_modulus(P256.p.params(), 32, &mut rng);
    check_modulus(&P256.n, 32, &mut rng);
    check_modulus(&P384.p, 48, &mut rng);
    check_modulus(P384.p.params(), 48, &mut rng);
    check_modulus(&P384.n, 48, &mut rng);
    check_modulus(&P521.p, 66, &mut rng);
    check_modulus(&P521.n, 66, &mut rng);
}

#[test]
fn wnaf_digits_sum_to_the_scalar() {
    let mut rng = Rng(7);
    let n = &P384.n;
    for w in 2..=8u32 {
        for _ in 0..50 {
            let k = rng.residue(n, 48);
            let digits = wnaf(&k, 384, w);
            // Horner from the top digit, mod n (k < n, so the value is k).
            let mut acc = [0u32; 14];
            for &d in digits.iter().rev() {
                acc = n.add(&acc, &acc);
                let mut abs = [0u32; 14];
                abs[0] = u32::from(d.unsigned_abs());
                acc = if d < 0 {
                    n.sub(&acc, &abs)
                } else {
                    n.add(&acc, &abs)
                };
            }
            assert_eq!(n.canonical(&acc), k, "w = {w}");
            let mut last = None;
            for (i, &d) in digits.iter().enumerate() {
                if d != 0 {
                    assert!(d % 2 != 0 && i32::from(d).abs() < 1 << (w - 1));
                    assert!(last.is_none_or(|l| i - l >= w as usize), "w = {w}");
                    assert!(i <= 384);
                    last = Some(i);
                }
            }
        }
    }
}

/// k·P by double-and-add over the bits of k (reference for the tables).
fn reference_mul<F: Field<N>, const N: usize>(
    c: &Curve<F, N>,
    p: &Affine<N>,
    k: &Fe<N>,
) -> Jacobian<N> {
    let f = &c.p;
    let base = Jacobian::from_affine(f, p);
    let mut acc = Jacobian::infinity();
    for i in (0..c.bits()).rev() {
        acc = double(f, &acc);
        if field::bits_at(k, i, 1) == 1 {
            acc = add(f, &acc, &base);
        }
    }
    acc
}

fn affine<F: Field<N>, const N: usize>(c: &Curve<F, N>, p: &Jacobian<N>) -> Option<Affine<N>> {
    if p.is_infinity(&c.p) {
        return None;
    }
    let a = to_affine_batch(&c.p, &[*p]).unwrap()[0];
    Some(Affine {
        x: c.p.canonical(&a.x),
        y: c.p.canonical(&a.y),
    })
}

/// G, read back from the generator's table through a multiplication by one.
fn generator<F: Field<N>, const N: usize>(c: &Curve<F, N>) -> Affine<N> {
    let g = c.g_table().unwrap();
    let mut one = [0u32; N];
    one[0] = 1;
    let d = wnaf(&one, c.bits(), g.width());
    let zero = [0i8; super::scalar::MAX_DIGITS];
    let p = mul2(&c.p, c.bits(), g, &d, g, &zero).unwrap();
    affine(c, &p).unwrap()
}

fn check_mul2<F: Field<N>, const N: usize>(c: &Curve<F, N>, rng: &mut Rng) {
    let f = &c.p;
    let n = &c.n;
    let g = generator(c);
    let g_table = c.g_table().unwrap();
    // A random key Q = k·G with its own table.
    let k = rng.residue(n, c.bytes);
    let q = affine(c, &reference_mul(c, &g, &k)).unwrap();
    let q_table = Table::new(f, &q, c.bits(), c.key_width).unwrap();
    let bits = c.bits();
    let mut one = [0u32; N];
    one[0] = 1;
    let n_minus_1 = n.canonical(&n.neg(&one));
    let mut cases = vec![
        (one, one),
        (n_minus_1, n_minus_1),
        (n_minus_1, one),
        ([0; N], one),
    ];
    for _ in 0..20 {
        cases.push((rng.residue(n, c.bytes), rng.residue(n, c.bytes)));
    }
    for (u1, u2) in cases {
        let d1 = wnaf(&u1, bits, g_table.width());
        let d2 = wnaf(&u2, bits, q_table.width());
        let got = mul2(f, bits, g_table, &d1, &q_table, &d2).unwrap();
        let want = add(f, &reference_mul(c, &g, &u1), &reference_mul(c, &q, &u2));
        assert_eq!(affine(c, &got), affine(c, &want), "{}", c.name);
    }
    // Sums that pass through doubling and cancellation: Q = G.
    let gq = Table::new(f, &g, bits, c.key_width).unwrap();
    for _ in 0..10 {
        let u = rng.residue(n, c.bytes);
        let d1 = wnaf(&u, bits, g_table.width());
        // u·G + (n-u)·G = infinity
        let d2 = wnaf(&n.canonical(&n.neg(&u)), bits, gq.width());
        assert!(mul2(f, bits, g_table, &d1, &gq, &d2)
            .unwrap()
            .is_infinity(f));
        // u·G + u·G = 2u·G
        let d2 = wnaf(&u, bits, gq.width());
        let got = mul2(f, bits, g_table, &d1, &gq, &d2).unwrap();
        let want = reference_mul(c, &g, &n.canonical(&n.add(&u, &u)));
        assert_eq!(affine(c, &got), affine(c, &want));
    }
    // n·G is infinity and (n-1)·G = -G.
    let minus_g = affine(c, &reference_mul(c, &g, &n_minus_1)).unwrap();
    assert_eq!(minus_g.x, g.x);
    assert_eq!(minus_g.y, f.canonical(&f.neg(&g.y)));
    let ng = add(
        f,
        &reference_mul(c, &g, &n_minus_1),
        &Jacobian::from_affine(f, &g),
    );
    assert!(ng.is_infinity(f));
}

#[test]
fn tables_and_double_scalar_multiplication() {
    let mut rng = Rng(42);
    check_mul2(&P256, &mut rng);
    check_mul2(&P384, &mut rng);
    check_mul2(&P521, &mut rng);
}

#[test]
fn generator_is_on_the_curve() {
    assert!(super::point::is_on_curve(
        &P256.p,
        &P256.b,
        &generator(&P256)
    ));
    assert!(super::point::is_on_curve(
        &P384.p,
        &P384.b,
        &generator(&P384)
    ));
    assert!(super::point::is_on_curve(
        &P521.p,
        &P521.b,
        &generator(&P521)
    ));
    // Doubling infinity stays infinity.
    assert!(double(&P256.p, &Jacobian::infinity()).is_infinity(&P256.p));
}

fn split(token: &str) -> (&str, Vec<u8>) {
    let dot = token.rfind('.').expect("JWS has a signature part");
    let sig = Base64UrlSafeNoPadding::decode_to_vec(&token[dot + 1..], None).expect("base64url");
    (&token[..dot], sig)
}

/// Key parser for one curve: `EcKey::new` with the curve filled in.
type Parse<F, const N: usize> = fn(&[u8], &[u8]) -> Result<EcKey<F, N>, KeyError>;

/// Key, signing input and signature from jwt-simple, for ES256 or ES384.
struct Signed {
    x: Vec<u8>,
    y: Vec<u8>,
    input: String,
    sig: Vec<u8>,
}

fn claims(rng: &mut Rng) -> jwt_simple::prelude::JWTClaims<jwt_simple::prelude::NoCustomClaims> {
    let len = (rng.next() % 200) as usize;
    let subject: String = (0..len)
        .map(|_| char::from(b'a' + (rng.next() % 26) as u8))
        .collect();
    Claims::create(Duration::from_hours(1)).with_subject(subject)
}

fn es256(rng: &mut Rng) -> Signed {
    let kp = ES256KeyPair::generate();
    let token = kp.sign(claims(rng)).expect("signing");
    let point = kp.public_key().public_key().to_bytes_uncompressed();
    let (input, sig) = split(&token);
    Signed {
        x: point[1..33].to_vec(),
        y: point[33..].to_vec(),
        input: input.to_string(),
        sig,
    }
}

fn es384(rng: &mut Rng) -> Signed {
    let kp = ES384KeyPair::generate();
    let token = kp.sign(claims(rng)).expect("signing");
    let point = kp.public_key().public_key().to_bytes_uncompressed();
    let (input, sig) = split(&token);
    Signed {
        x: point[1..49].to_vec(),
        y: point[49..].to_vec(),
        input: input.to_string(),
        sig,
    }
}

/// k·G through the generator's table.
fn mul_g<F: Field<N>, const N: usize>(c: &Curve<F, N>, k: &Fe<N>) -> Affine<N> {
    let g = c.g_table().unwrap();
    let zero = [0i8; super::scalar::MAX_DIGITS];
    let p = mul2(&c.p, c.bits(), g, &wnaf(k, c.bits(), g.width()), g, &zero).unwrap();
    affine(c, &p).unwrap()
}

/// ES512 (RFC 7518 §3.4) by the textbook: key d, nonce k, r = x(k·G) mod n,
/// s = k^-1·(e + r·d) mod n with e the whole SHA-512 digest.
fn es512(rng: &mut Rng) -> Signed {
    let c = &P521;
    let n = &c.n;
    let d = rng.residue(n, 66);
    let q = mul_g(c, &d);
    let input = format!("eyJhbGciOiJFUzUxMiJ9.{}", rng.next());
    loop {
        let k = rng.residue(n, 66);
        let Some(kinv) = n.invert(&k) else { continue };
        let x = c.p.out_of_mont(&mul_g(c, &k).x);
        // x < p < 2n: one conditional subtraction.
        let r = n.canonical(&x);
        let digest = hmac_sha512::Hash::hash(input.as_bytes());
        let e: Fe<{ super::curve::P521_LIMBS }> = field::try_limbs_from_be(&digest).unwrap();
        let rd = n.canonical(&n.mul(&n.to_mont(&r), &d));
        let sum = n.add(&e, &rd);
        let s = n.canonical(&n.mul(&n.to_mont(&kinv), &sum));
        if field::is_zero(&r) || field::is_zero(&s) {
            continue;
        }
        return Signed {
            x: be(&c.p.out_of_mont(&q.x), 66),
            y: be(&c.p.out_of_mont(&q.y), 66),
            input,
            sig: [be(&r, 66), be(&s, 66)].concat(),
        };
    }
}

fn check_round_trips<F: Field<N>, const N: usize>(
    c: &Curve<F, N>,
    parse: Parse<F, N>,
    sign: fn(&mut Rng) -> Signed,
) {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let size = c.bytes;
    let n_bytes = be(c.n.modulus(), size);
    let p_bytes = be(c.p.modulus(), size);
    for round in 0..12 {
        let s = sign(&mut rng);
        let key = parse(&s.x, &s.y).expect("valid key");
        let msg = s.input.as_bytes();
        assert!(key.verify(msg, &s.sig), "{} round {round}", c.name);

        // Tampered message and signature bytes.
        let mut other = msg.to_vec();
        let at = round % other.len();
        other[at] ^= 1;
        assert!(!key.verify(&other, &s.sig));
        for i in [0, size - 1, size, 2 * size - 1, round % (2 * size)] {
            let mut bad = s.sig.clone();
            bad[i] ^= 0x10;
            assert!(!key.verify(msg, &bad), "flipped byte {i}");
        }
        // Wrong lengths.
        assert!(!key.verify(msg, &s.sig[1..]));
        assert!(!key.verify(msg, &s.sig[..2 * size - 1]));
        assert!(!key.verify(msg, &[s.sig.clone(), vec![0]].concat()));
        assert!(!key.verify(msg, &[vec![0], s.sig.clone()].concat()));
        assert!(!key.verify(msg, &[]));
        assert!(!key.verify(msg, &s.sig[..size]));

        let (r, sv) = s.sig.split_at(size);
        // High S: (r, n - s) is as valid as (r, s), as BoringSSL has it.
        let high = [r.to_vec(), be_sub(&n_bytes, sv)].concat();
        assert!(key.verify(msg, &high), "n - s");
        // r or s out of [1, n-1]: 0, n, r + n (the same residue mod n), all ones.
        let zero = vec![0u8; size];
        let ones = vec![0xffu8; size];
        for bad in [
            [zero.clone(), sv.to_vec()].concat(),
            [r.to_vec(), zero.clone()].concat(),
            [zero.clone(), zero.clone()].concat(),
            [n_bytes.clone(), sv.to_vec()].concat(),
            [r.to_vec(), n_bytes.clone()].concat(),
            [ones.clone(), sv.to_vec()].concat(),
            [r.to_vec(), ones.clone()].concat(),
        ] {
            assert!(!key.verify(msg, &bad));
        }
        let r_plus_n = be_add(r, &n_bytes);
        if r_plus_n.as_slice() > r && r_plus_n < p_bytes {
            assert!(!key.verify(msg, &[r_plus_n, sv.to_vec()].concat()));
        }

        // Another key refuses the signature.
        let t = sign(&mut rng);
        let other_key = parse(&t.x, &t.y).expect("valid key");
        assert!(!other_key.verify(msg, &s.sig));
        // The negated key (x, p - y) is a valid key that refuses it too.
        let neg = parse(&s.x, &be_sub(&p_bytes, &s.y)).expect("negated key");
        assert!(!neg.verify(msg, &s.sig));
    }
}

#[test]
fn es256_round_trips_with_jwt_simple() {
    check_round_trips(&P256, |x, y| EcKey::new(&P256, x, y), es256);
}

#[test]
fn es384_round_trips_with_jwt_simple() {
    check_round_trips(&P384, |x, y| EcKey::new(&P384, x, y), es384);
}

#[test]
fn es512_round_trips() {
    check_round_trips(&P521, |x, y| EcKey::new(&P521, x, y), es512);
}

fn check_bad_keys<F: Field<N>, const N: usize>(
    c: &Curve<F, N>,
    parse: Parse<F, N>,
    sign: fn(&mut Rng) -> Signed,
) {
    let mut rng = Rng(99);
    let s = sign(&mut rng);
    let size = c.bytes;
    let p_bytes = be(c.p.modulus(), size);
    assert!(parse(&s.x, &s.y).is_ok());
    // Lengths: one byte short or long, empty, a leading zero added.
    for (x, y) in [
        (&s.x[1..], &s.y[..]),
        (&s.x[..], &s.y[1..]),
        (&[][..], &[][..]),
    ] {
        assert_eq!(parse(x, y).err(), Some(KeyError::Length));
    }
    let padded = [vec![0], s.x.clone()].concat();
    assert_eq!(parse(&padded, &s.y).err(), Some(KeyError::Length));
    // Off the curve.
    let mut y = s.y.clone();
    *y.last_mut().unwrap() ^= 1;
    assert_eq!(parse(&s.x, &y).err(), Some(KeyError::NotOnCurve));
    let zero = vec![0u8; size];
    assert_eq!(parse(&zero, &zero).err(), Some(KeyError::NotOnCurve));
    // Coordinates at or above p, including x + p and y + p when they fit (the same
    // residues as a valid key).
    let ones = vec![0xffu8; size];
    for (x, y) in [
        (p_bytes.clone(), s.y.clone()),
        (s.x.clone(), p_bytes.clone()),
        (ones.clone(), s.y.clone()),
        (s.x.clone(), ones.clone()),
    ] {
        assert_eq!(parse(&x, &y).err(), Some(KeyError::NotOnCurve));
    }
    for (x, y) in [
        (be_add(&s.x, &p_bytes), s.y.clone()),
        (s.x.clone(), be_add(&s.y, &p_bytes)),
    ] {
        if x > s.x || y > s.y {
            assert_eq!(parse(&x, &y).err(), Some(KeyError::NotOnCurve));
        }
    }
}

#[test]
fn malformed_keys_are_refused() {
    check_bad_keys(&P256, |x, y| EcKey::new(&P256, x, y), es256);
    check_bad_keys(&P384, |x, y| EcKey::new(&P384, x, y), es384);
    check_bad_keys(&P521, |x, y| EcKey::new(&P521, x, y), es512);
}

fn check_arbitrary_bytes<F: Field<N>, const N: usize>(
    c: &Curve<F, N>,
    parse: Parse<F, N>,
    sign: fn(&mut Rng) -> Signed,
) {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let size = c.bytes;
    // Keys of any length and content: refused, never a panic (random bytes of the right
    // length are on the curve with negligible probability).
    for _ in 0..300 {
        let (lx, ly) = (
            (rng.next() % (2 * size as u64 + 2)) as usize,
            (rng.next() % (2 * size as u64 + 2)) as usize,
        );
        let (x, y) = (rng.bytes(lx), rng.bytes(ly));
        assert!(parse(&x, &y).is_err());
    }
    // Signatures of any length and content, including r and s near 0, n and 2^bits.
    let s = sign(&mut rng);
    let key = parse(&s.x, &s.y).expect("valid key");
    let n_bytes = be(c.n.modulus(), size);
    for round in 0..300 {
        let len = match round % 3 {
            0 => (rng.next() % (4 * size as u64)) as usize,
            _ => 2 * size,
        };
        let mut sig = rng.bytes(len);
        if len == 2 * size && round % 5 == 0 {
            // Small values and values just below or above n.
            let small = [vec![0u8; size - 1], vec![(rng.next() % 3) as u8]].concat();
            let near_n = be_add(&n_bytes, &[vec![0u8; size - 1], vec![1]].concat());
            let below_n = be_sub(&n_bytes, &[vec![0u8; size - 1], vec![1]].concat());
            let pick = |k: u64| match k % 4 {
                0 => small.clone(),
                1 => near_n.clone(),
                2 => below_n.clone(),
                _ => n_bytes.clone(),
            };
            sig = [pick(rng.next()), pick(rng.next())].concat();
        }
        assert!(!key.verify(s.input.as_bytes(), &sig), "round {round}");
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    check_arbitrary_bytes(&P256, |x, y| EcKey::new(&P256, x, y), es256);
    check_arbitrary_bytes(&P384, |x, y| EcKey::new(&P384, x, y), es384);
    check_arbitrary_bytes(&P521, |x, y| EcKey::new(&P521, x, y), es512);
}
