//! Field, scalar and point arithmetic against simple references, the RFC 8032 test
//! vectors, round trips with jwt-simple's Ed25519 signer, and BoringSSL's decisions on
//! the edge cases (S at and above L, odd keys, wrong lengths).

use super::field::{self, Fe};
use super::point::Extended;
use super::scalar::{self, L};
use super::table::{mul2, Table};
use super::{base_table, Ed25519PublicKey, KeyError, BASE};
use ct_codecs::{Base64UrlSafeNoPadding, Decoder};
use jwt_simple::prelude::{Claims, Duration, Ed25519KeyPair, EdDSAKeyPairLike};

/// xorshift64*: reproducible pseudo-random bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for b in out.iter_mut() {
            *b = self.next() as u8;
        }
        out
    }

    fn vec(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

fn hex<const N: usize>(s: &str) -> [u8; N] {
    let v: Vec<u8> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect();
    v.try_into().unwrap()
}

// ---- A slow, obviously correct reference: 256-bit integers as four u64, little-endian.

type U256 = [u64; 4];

fn u256(b: &[u8; 32]) -> U256 {
    let mut out = [0u64; 4];
    for (i, w) in out.iter_mut().enumerate() {
        *w = u64::from_le_bytes(b[8 * i..8 * i + 8].try_into().unwrap());
    }
    out
}

fn bytes_of(x: &U256) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, w) in x.iter().enumerate() {
        out[8 * i..8 * i + 8].copy_from_slice(&w.to_le_bytes());
    }
    out
}

fn ge(a: &U256, b: &U256) -> bool {
    for i in (0..4).rev() {
        if a[i] != b[i] {
            return a[i] > b[i];
        }
    }
    true
}

/// a + b with the carry out.
fn add_c(a: &U256, b: &U256) -> (U256, bool) {
    let mut out = [0u64; 4];
    let mut carry = false;
    for i in 0..4 {
        let (s1, c1) = a[i].overflowing_add(b[i]);
        let (s2, c2) = s1.overflowing_add(u64::from(carry));
        out[i] = s2;
        carry = c1 || c2;
    }
    (out, carry)
}

fn sub_(a: &U256, b: &U256) -> U256 {
    let mut out = [0u64; 4];
    let mut borrow = false;
    for i in 0..4 {
        let (s1, b1) = a[i].overflowing_sub(b[i]);
        let (s2, b2) = s1.overflowing_sub(u64::from(borrow));
        out[i] = s2;
        borrow = b1 || b2;
    }
    out
}

/// (a + b) mod m for a, b < m.
fn add_mod(a: &U256, b: &U256, m: &U256) -> U256 {
    let (s, carry) = add_c(a, b);
    if carry || ge(&s, m) {
        sub_(&s, m)
    } else {
        s
    }
}

/// a mod m by repeated subtraction (a < 4m here).
fn reduce(a: &U256, m: &U256) -> U256 {
    let mut a = *a;
    while ge(&a, m) {
        a = sub_(&a, m);
    }
    a
}

/// a·b mod m, double and add.
fn mul_mod(a: &U256, b: &U256, m: &U256) -> U256 {
    let a = reduce(a, m);
    let mut r = [0u64; 4];
    for i in (0..256).rev() {
        r = add_mod(&r, &r, m);
        if b[i / 64] >> (i % 64) & 1 == 1 {
            r = add_mod(&r, &a, m);
        }
    }
    r
}

fn p() -> U256 {
    u256(&hex(
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ))
}

fn order() -> U256 {
    u256(&L)
}

/// The 512-bit little-endian h mod L, bit by bit.
fn reduce_wide_ref(h: &[u8; 64]) -> [u8; 32] {
    let l = order();
    let mut r = [0u64; 4];
    for i in (0..512).rev() {
        r = add_mod(&r, &r, &l);
        if h[i / 8] >> (i % 8) & 1 == 1 {
            r = add_mod(&r, &[1, 0, 0, 0], &l);
        }
    }
    bytes_of(&r)
}

/// A field element from bytes, below 2^255 (not necessarily below p).
fn fe(rng: &mut Rng) -> ([u8; 32], Fe) {
    let mut b: [u8; 32] = rng.bytes();
    b[31] &= 0x7f;
    (b, Fe::from_bytes(&b))
}

fn canonical(b: &[u8; 32]) -> [u8; 32] {
    bytes_of(&reduce(&u256(b), &p()))
}

#[test]
fn field_arithmetic_matches_the_reference() {
    let mut rng = Rng(1);
    let m = p();
    for _ in 0..300 {
        let (ab, a) = fe(&mut rng);
        let (bb, b) = fe(&mut rng);
        let (ua, ub) = (u256(&ab), u256(&bb));
        assert_eq!(a.to_bytes(), canonical(&ab));
        assert_eq!(
            field::mul(&a, &b).to_bytes(),
            bytes_of(&mul_mod(&ua, &ub, &m))
        );
        assert_eq!(field::sqr(&a).to_bytes(), bytes_of(&mul_mod(&ua, &ua, &m)));
        let two_aa = add_mod(&mul_mod(&ua, &ua, &m), &mul_mod(&ua, &ua, &m), &m);
        assert_eq!(field::sqr2(&a).to_bytes(), bytes_of(&two_aa));
        let sum = add_mod(&reduce(&ua, &m), &reduce(&ub, &m), &m);
        assert_eq!(field::add(&a, &b).to_bytes(), bytes_of(&sum));
        let diff = add_mod(&reduce(&ua, &m), &sub_(&m, &reduce(&ub, &m)), &m);
        assert_eq!(field::sub(&a, &b).to_bytes(), bytes_of(&reduce(&diff, &m)));
        assert!(field::eq(&field::neg(&field::neg(&a)), &a));
        if !a.is_zero() {
            let inv = field::invert(&a);
            assert!(field::eq(&field::mul(&inv, &a), &Fe::ONE));
        }
    }
    assert!(field::invert(&Fe::ZERO).is_zero());
}

#[test]
fn field_extremes() {
    let m = p();
    // p, p + 1, 2^255 - 1 (values a decoder meets), and p - 1.
    for b in [
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ] {
        let b: [u8; 32] = hex(b);
        let x = Fe::from_bytes(&b);
        assert_eq!(x.to_bytes(), canonical(&b), "{b:?}");
        assert_eq!(
            field::sqr(&x).to_bytes(),
            bytes_of(&mul_mod(&u256(&b), &u256(&b), &m))
        );
    }
    // The bit 255 is ignored.
    let mut top = [0u8; 32];
    top[31] = 0x80;
    assert!(Fe::from_bytes(&top).is_zero());
    // sqrt(-1)² = -1, and d·(-121666) = 121665.
    let minus_one = field::neg(&Fe::ONE);
    assert!(field::eq(&field::sqr(&Fe::SQRT_M1), &minus_one));
    let mut c = [0u8; 32];
    c[..3].copy_from_slice(&121666u32.to_le_bytes()[..3]);
    let d_times = field::mul(&Fe::D, &field::neg(&Fe::from_bytes(&c)));
    c[..3].copy_from_slice(&121665u32.to_le_bytes()[..3]);
    assert!(field::eq(&d_times, &Fe::from_bytes(&c)));
    assert!(field::eq(&Fe::D2, &field::add(&Fe::D, &Fe::D)));
}

#[test]
fn products_of_loose_values_at_the_bound() {
    // The largest limbs the point formulas produce: k-loose times m-loose, k·m = 16
    // (4 × 4) and 9 (3 × 3), with limbs of both signs at their maximum.
    let m = p();
    let mut rng = Rng(7);
    for (k, j) in [(4, 4), (3, 3), (2, 8), (1, 16)] {
        for sign in [1i32, -1] {
            let max = |i: usize, n: i32| {
                let limb = if i.is_multiple_of(2) {
                    (1 << 26) - 1
                } else {
                    (1 << 25) - 1
                };
                sign * n * limb
            };
            let a = Fe(std::array::from_fn(|i| max(i, k)));
            let b = Fe(std::array::from_fn(|i| max(i, j)));
            let (ua, ub) = (u256(&a.to_bytes()), u256(&b.to_bytes()));
            assert_eq!(
                field::mul(&a, &b).to_bytes(),
                bytes_of(&mul_mod(&ua, &ub, &m))
            );
            if k == j {
                assert_eq!(field::sqr(&a).to_bytes(), bytes_of(&mul_mod(&ua, &ua, &m)));
            }
        }
        // Random limbs of the same magnitudes.
        for _ in 0..20 {
            let limbs = |n: i32, rng: &mut Rng| {
                Fe(std::array::from_fn(|i| {
                    let bits = if i.is_multiple_of(2) { 26 } else { 25 };
                    let limb = (rng.next() % (1 << bits)) as i32;
                    if rng.next() & 1 == 0 {
                        n * limb
                    } else {
                        -n * limb
                    }
                }))
            };
            let (a, b) = (limbs(k, &mut rng), limbs(j, &mut rng));
            let (ua, ub) = (u256(&a.to_bytes()), u256(&b.to_bytes()));
            assert_eq!(
                field::mul(&a, &b).to_bytes(),
                bytes_of(&mul_mod(&ua, &ub, &m))
            );
        }
    }
}

#[test]
fn scalar_reduction_matches_the_reference() {
    let mut rng = Rng(2);
    let mut cases: Vec<[u8; 64]> = (0..300).map(|_| rng.bytes()).collect();
    cases.push([0; 64]);
    cases.push([0xff; 64]);
    let mut l = [0u8; 64];
    l[..32].copy_from_slice(&L);
    cases.push(l);
    let mut l_minus_1 = l;
    l_minus_1[0] -= 1;
    cases.push(l_minus_1);
    let mut l_plus_1 = l;
    l_plus_1[0] += 1;
    cases.push(l_plus_1);
    // Just below and at 2^252, 2^253, 2^256, 2^504.
    for bit in [252usize, 253, 256, 504, 511] {
        let mut x = [0u8; 64];
        x[bit / 8] |= 1 << (bit % 8);
        cases.push(x);
        let mut below = [0u8; 64];
        for b in 0..bit {
            below[b / 8] |= 1 << (b % 8);
        }
        cases.push(below);
    }
    for h in &cases {
        assert_eq!(scalar::reduce_wide(h), reduce_wide_ref(h), "{h:?}");
    }
}

#[test]
fn scalars_below_l_are_canonical() {
    let mut l = L;
    assert!(!scalar::is_canonical(&l));
    l[0] -= 1;
    assert!(scalar::is_canonical(&l));
    l[0] += 2;
    assert!(!scalar::is_canonical(&l));
    assert!(scalar::is_canonical(&[0; 32]));
    assert!(!scalar::is_canonical(&[0xff; 32]));
    let mut big = [0u8; 32];
    big[31] = 0x20;
    assert!(!scalar::is_canonical(&big));
}

#[test]
fn wnaf_digits_sum_to_the_scalar() {
    let mut rng = Rng(3);
    for w in 2..=8 {
        for _ in 0..50 {
            let k = scalar::reduce_wide(&rng.bytes());
            let digits = scalar::wnaf(&k, w);
            // Σ d_i 2^i, evaluated from the top with signed arithmetic mod L.
            let l = order();
            let mut acc = [0u64; 4];
            for &d in digits.iter().rev() {
                acc = add_mod(&acc, &acc, &l);
                let mag = [u64::from(d.unsigned_abs()), 0, 0, 0];
                acc = if d >= 0 {
                    add_mod(&acc, &mag, &l)
                } else {
                    add_mod(&acc, &sub_(&l, &mag), &l)
                };
            }
            assert_eq!(bytes_of(&acc), k);
            let mut last_nonzero: Option<usize> = None;
            for (i, &d) in digits.iter().enumerate() {
                if d != 0 {
                    assert!(d % 2 != 0 && i32::from(d).abs() < 1 << (w - 1));
                    if let Some(j) = last_nonzero {
                        assert!(i - j >= w as usize);
                    }
                    last_nonzero = Some(i);
                }
            }
        }
    }
}

/// k·P by double and add over the bits of k, with the extended formulas only.
fn mul_ref(p: &Extended, k: &[u8; 32]) -> Extended {
    let mut acc = Extended::IDENTITY;
    for i in (0..256).rev() {
        acc = acc.double().to_extended();
        if k[i / 8] >> (i % 8) & 1 == 1 {
            acc = acc.add(p).to_extended();
        }
    }
    acc
}

fn base() -> Extended {
    Extended::decode(&BASE).unwrap()
}

#[test]
fn base_point_and_group_order() {
    let b = base();
    assert_eq!(b.encode(), BASE);
    // L·B is the identity, whose encoding is y = 1.
    let mut one = [0u8; 32];
    one[0] = 1;
    assert_eq!(mul_ref(&b, &L).encode(), one);
    assert_eq!(Extended::IDENTITY.encode(), one);
    // B + (-B) = identity, 2B = B + B.
    assert_eq!(b.add(&b.neg()).to_extended().encode(), one);
    assert_eq!(
        b.double().to_extended().encode(),
        b.add(&b).to_extended().encode()
    );
}

#[test]
fn double_scalar_multiplication_matches_the_reference() {
    let mut rng = Rng(4);
    let b = base();
    let g = base_table().unwrap();
    for width in [2, 5, 6, 8] {
        let q = mul_ref(&b, &scalar::reduce_wide(&rng.bytes()));
        let table = Table::new(&q, width);
        for _ in 0..4 {
            let u: [u8; 32] = scalar::reduce_wide(&rng.bytes());
            let v: [u8; 32] = scalar::reduce_wide(&rng.bytes());
            let expected = mul_ref(&b, &u).add(&mul_ref(&q, &v)).to_extended();
            let got = mul2(
                g,
                &scalar::wnaf(&u, g.width()),
                &table,
                &scalar::wnaf(&v, table.width()),
            )
            .unwrap();
            assert_eq!(got.encode(), expected.encode());
        }
    }
    // Zero scalars, and the largest ones.
    let q = mul_ref(&b, &[9; 32]);
    let table = Table::new(&q, 6);
    let mut l_minus_1 = L;
    l_minus_1[0] -= 1;
    for (u, v) in [
        ([0; 32], [0; 32]),
        (l_minus_1, l_minus_1),
        ([0; 32], l_minus_1),
    ] {
        let expected = mul_ref(&b, &u).add(&mul_ref(&q, &v)).to_extended();
        let got = mul2(g, &scalar::wnaf(&u, 8), &table, &scalar::wnaf(&v, 6)).unwrap();
        assert_eq!(got.encode(), expected.encode());
    }
}

#[test]
fn small_order_points_in_tables() {
    // The point of order 2 is (0, -1); points of order 4 are (±sqrt(-1)... ) with y = 0.
    let mut minus_one =
        hex::<32>("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    let t2 = Extended::decode(&minus_one).unwrap();
    let mut one = [0u8; 32];
    one[0] = 1;
    assert_eq!(t2.double().to_extended().encode(), one);
    let t4 = Extended::decode(&[0; 32]).unwrap();
    assert_eq!(t4.double().to_extended().encode(), minus_one);
    // A mixed-order point: B + T4; its table and a direct computation agree.
    let mixed = base().add(&t4).to_extended();
    let table = Table::new(&mixed, 6);
    let g = base_table().unwrap();
    let mut rng = Rng(5);
    for _ in 0..4 {
        let u = scalar::reduce_wide(&rng.bytes());
        let v = scalar::reduce_wide(&rng.bytes());
        let expected = mul_ref(&base(), &u).add(&mul_ref(&mixed, &v)).to_extended();
        let got = mul2(g, &scalar::wnaf(&u, 8), &table, &scalar::wnaf(&v, 6)).unwrap();
        assert_eq!(got.encode(), expected.encode());
    }
    minus_one[31] |= 0x80;
    // x = 0 with the sign bit: decoded as x = 0, as BoringSSL does.
    assert_eq!(Extended::decode(&minus_one).unwrap().encode(), t2.encode());
}

#[test]
fn decoding() {
    // y = 2 has no x (checked by the reference: (4 - 1)/(4d + 1) is not a square).
    let mut two = [0u8; 32];
    two[0] = 2;
    assert!(Extended::decode(&two).is_none());
    // Every encoding either fails or re-encodes to its canonical form.
    let mut rng = Rng(6);
    let (mut ok, mut bad) = (0, 0);
    for _ in 0..200 {
        let b: [u8; 32] = rng.bytes();
        match Extended::decode(&b) {
            Some(pt) => {
                ok += 1;
                // Random y are never ±1, the only ones with x = 0: the sign bit stays.
                let mut y = b;
                y[31] &= 0x7f;
                let mut canon = canonical(&y);
                canon[31] |= b[31] & 0x80;
                assert_eq!(pt.encode(), canon);
            }
            None => bad += 1,
        }
    }
    // About half of all y have an x.
    assert!(ok > 50 && bad > 50, "{ok} {bad}");
    // A non-canonical y: p + 2 + ... the encoding of y + p decodes to the point of y.
    let mut y_plus_p =
        hex::<32>("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"); // p + 1: y = 1, the identity
    let mut one = [0u8; 32];
    one[0] = 1;
    assert_eq!(Extended::decode(&y_plus_p).unwrap().encode(), one);
    y_plus_p[31] |= 0x80;
    assert_eq!(Extended::decode(&y_plus_p).unwrap().encode(), one);
}

// ---- Signatures.

struct Vector {
    key: &'static str,
    msg: &'static str,
    sig: &'static str,
}

/// RFC 8032 §7.1: TEST 1, 2, 3 and SHA(abc).
const RFC8032: [Vector; 4] = [
    Vector {
        key: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        msg: "",
        sig: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    },
    Vector {
        key: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        msg: "72",
        sig: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    },
    Vector {
        key: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        msg: "af82",
        sig: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    },
    Vector {
        key: "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        msg: "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        sig: "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
    },
];

fn hex_vec(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn rfc8032_vectors() {
    for v in &RFC8032 {
        let key = Ed25519PublicKey::from_bytes(&hex_vec(v.key)).unwrap();
        let (msg, sig) = (hex_vec(v.msg), hex_vec(v.sig));
        assert!(key.verify(&msg, &sig), "{}", v.key);
        // Any flipped bit in the message or the signature fails.
        for bit in [0, 7, 100, 255, 256, 300, 511] {
            let mut bad = sig.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(!key.verify(&msg, &bad), "{} sig bit {bit}", v.key);
        }
        let mut longer = msg.clone();
        longer.push(0);
        assert!(!key.verify(&longer, &sig));
    }
}

/// The signing input and the decoded signature of a compact JWS.
fn split(token: &str) -> (&str, Vec<u8>) {
    let dot = token.rfind('.').unwrap();
    let sig = Base64UrlSafeNoPadding::decode_to_vec(&token[dot + 1..], None).unwrap();
    (&token[..dot], sig)
}

#[test]
fn round_trips_with_jwt_simple() {
    let mut rng = Rng(8);
    for _ in 0..20 {
        let pair = Ed25519KeyPair::generate();
        let key = Ed25519PublicKey::from_bytes(&pair.public_key().to_bytes()).unwrap();
        assert!(key.is_point());
        for _ in 0..5 {
            let len = (rng.next() % 300) as usize;
            let subject: String = rng
                .vec(len)
                .iter()
                .map(|b| char::from(b'a' + b % 26))
                .collect();
            let claims = Claims::create(Duration::from_hours(1)).with_subject(subject);
            let token = pair.sign(claims).unwrap();
            let (input, sig) = split(&token);
            assert!(key.verify(input.as_bytes(), &sig));
            // Tampered message or signature.
            let mut msg = input.as_bytes().to_vec();
            let i = (rng.next() as usize) % msg.len();
            msg[i] ^= 1 << (rng.next() % 8);
            assert!(!key.verify(&msg, &sig));
            let mut bad = sig.clone();
            let i = (rng.next() as usize) % bad.len();
            bad[i] ^= 1 << (rng.next() % 8);
            assert!(!key.verify(input.as_bytes(), &bad));
            // Another key.
            let other = Ed25519KeyPair::generate().public_key().to_bytes();
            let other = Ed25519PublicKey::from_bytes(&other).unwrap();
            assert!(!other.verify(input.as_bytes(), &sig));
        }
    }
}

/// S + L (and S + 2L, …, while it fits 256 bits): the same point, refused.
#[test]
fn s_at_or_above_l_is_refused() {
    let v = &RFC8032[1];
    let key = Ed25519PublicKey::from_bytes(&hex_vec(v.key)).unwrap();
    let (msg, sig) = (hex_vec(v.msg), hex_vec(v.sig));
    assert!(key.verify(&msg, &sig));
    let s: [u8; 32] = sig[32..].try_into().unwrap();
    let (s_plus_l, carry) = add_c(&u256(&s), &order());
    assert!(!carry);
    let mut malleable = sig.clone();
    malleable[32..].copy_from_slice(&bytes_of(&s_plus_l));
    assert!(!key.verify(&msg, &malleable));
    // S = L and S = 2^256 - 1.
    for s in [L, [0xff; 32]] {
        let mut bad = sig.clone();
        bad[32..].copy_from_slice(&s);
        assert!(!key.verify(&msg, &bad));
    }
}

#[test]
fn wrong_lengths() {
    assert_eq!(
        Ed25519PublicKey::from_bytes(&[1; 31]).unwrap_err(),
        KeyError::Length
    );
    assert_eq!(
        Ed25519PublicKey::from_bytes(&[1; 33]).unwrap_err(),
        KeyError::Length
    );
    assert_eq!(
        Ed25519PublicKey::from_bytes(&[]).unwrap_err(),
        KeyError::Length
    );
    assert_eq!(KeyError::Length.to_string(), "Ed25519 keys are 32 bytes");
    let v = &RFC8032[0];
    let key = Ed25519PublicKey::from_bytes(&hex_vec(v.key)).unwrap();
    let sig = hex_vec(v.sig);
    assert!(key.verify(&[], &sig));
    for len in [0, 1, 32, 63, 65, 128] {
        let mut s = sig.clone();
        s.resize(len, 0);
        assert!(!key.verify(&[], &s), "{len}");
    }
}

/// [S]B encoded, for building signatures by hand.
fn s_times_b(s: &[u8; 32]) -> [u8; 32] {
    mul_ref(&base(), s).encode()
}

#[test]
fn keys_that_are_not_points() {
    // y = 2 has no x: the key parses (Envoy checks only the length) but verifies nothing.
    let mut two = [0u8; 32];
    two[0] = 2;
    let key = Ed25519PublicKey::from_bytes(&two).unwrap();
    assert!(!key.is_point());
    let v = &RFC8032[0];
    assert!(!key.verify(&[], &hex_vec(v.sig)));
}

/// BoringSSL has no subgroup or canonicity check on A: with A the identity (y = 1, in
/// any of its encodings), R = [S]B verifies for every message. So it does here.
#[test]
fn small_order_and_non_canonical_keys_verify_like_boringssl() {
    let mut one = [0u8; 32];
    one[0] = 1;
    let mut negative_zero = one;
    negative_zero[31] |= 0x80;
    let non_canonical =
        hex::<32>("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    let mut rng = Rng(9);
    let s = scalar::reduce_wide(&rng.bytes());
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&s_times_b(&s));
    sig[32..].copy_from_slice(&s);
    for a in [one, negative_zero, non_canonical] {
        let key = Ed25519PublicKey::from_bytes(&a).unwrap();
        assert!(key.is_point());
        assert!(key.verify(b"anything", &sig));
        assert!(key.verify(b"", &sig));
    }
    // With A of order 2, k·A depends on the parity of k = H(R‖A‖M) mod L: the same
    // signature verifies for about half of the messages, exactly when k is even.
    let t2 = hex::<32>("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    let key = Ed25519PublicKey::from_bytes(&t2).unwrap();
    let mut seen = [false; 2];
    for i in 0..16u8 {
        let msg = [i];
        let mut hash = hmac_sha512::Hash::new();
        hash.update(&sig[..32]);
        hash.update(t2);
        hash.update(msg);
        let k = scalar::reduce_wide(&hash.finalize());
        let even = k[0] & 1 == 0;
        seen[usize::from(even)] = true;
        assert_eq!(key.verify(&msg, &sig), even, "message {i}");
    }
    assert_eq!(seen, [true, true]);
}

/// R must be the canonical encoding: a non-canonical R (y + p) or a "negative zero" x
/// never matches, even when it names the right point.
#[test]
fn non_canonical_r_is_refused() {
    let mut one = [0u8; 32];
    one[0] = 1;
    let key = Ed25519PublicKey::from_bytes(&one).unwrap();
    // S = 0: R' = identity, canonically 01 00 … 00.
    let mut sig = [0u8; 64];
    sig[0] = 1;
    assert!(key.verify(b"m", &sig));
    sig[31] = 0x80; // x = 0 with the sign bit
    assert!(!key.verify(b"m", &sig));
    sig[..32].copy_from_slice(&hex::<32>(
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    )); // p + 1
    assert!(!key.verify(b"m", &sig));
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut rng = Rng(10);
    let v = &RFC8032[0];
    let good = Ed25519PublicKey::from_bytes(&hex_vec(v.key)).unwrap();
    for _ in 0..200 {
        let key_len = [31, 32, 32, 32, 33][(rng.next() % 5) as usize];
        let key = Ed25519PublicKey::from_bytes(&rng.vec(key_len));
        let sig_len = [0, 63, 64, 64, 64, 65][(rng.next() % 6) as usize];
        let mut sig = rng.vec(sig_len);
        if sig_len == 64 && rng.next() & 1 == 0 {
            sig[63] &= 0x0f; // S below L, so the whole verification runs
        }
        let msg_len = (rng.next() % 100) as usize;
        let msg = rng.vec(msg_len);
        if let Ok(key) = key {
            assert!(!key.verify(&msg, &sig));
        }
        assert!(!good.verify(&msg, &sig));
    }
}
