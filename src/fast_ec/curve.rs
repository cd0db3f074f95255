//! The three JWS curves (P-256 for ES256, P-384 for ES384, P-521 for ES512, SEC 2 / NIST
//! SP 800-186), their hash, and the generator's table, built once on first use.

use super::field::{const_to_mont, hex, limbs_from_be, Fe, Field, Modulus};
use super::point::Affine;
use super::table::Table;
use std::sync::OnceLock;

/// The JWS hash that goes with a curve (RFC 7518 §3.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HashAlg {
    Sha256,
    Sha384,
    Sha512,
}

/// The longest digest (SHA-512).
pub(crate) const MAX_DIGEST: usize = 64;

impl HashAlg {
    /// Digest of `msg`, and its length. No truncation is ever needed: SHA-256 and SHA-384
    /// have the size of their curve's n, and SHA-512's 512 bits are fewer than P-521's
    /// 521 (the whole digest is then the integer e). One copy for every curve.
    #[inline(never)]
    fn digest(self, msg: &[u8]) -> ([u8; MAX_DIGEST], usize) {
        let mut out = [0u8; MAX_DIGEST];
        let len = match self {
            HashAlg::Sha256 => {
                out[..32].copy_from_slice(&hmac_sha256::Hash::hash(msg));
                32
            }
            HashAlg::Sha384 => {
                out[..48].copy_from_slice(&hmac_sha512::sha384::Hash::hash(msg));
                48
            }
            HashAlg::Sha512 => {
                out.copy_from_slice(&hmac_sha512::Hash::hash(msg));
                64
            }
        };
        (out, len)
    }
}

/// A curve y² = x³ - 3x + b over GF(p) (the field F) with a generator G of prime order n
/// (cofactor 1).
pub(crate) struct Curve<F, const N: usize> {
    pub(crate) name: &'static str,
    pub(crate) p: F,
    pub(crate) n: Modulus<N>,
    /// b in the Montgomery domain.
    pub(crate) b: Fe<N>,
    /// G in the Montgomery domain.
    g: Affine<N>,
    /// Field element and scalar size in bytes (JWK coordinates, r and s).
    pub(crate) bytes: usize,
    /// Bits of p and of n (8·bytes, except 521 for P-521).
    bits: usize,
    pub(crate) hash: HashAlg,
    /// wNAF width of the generator's table (shared by every key, so larger).
    g_width: u32,
    /// wNAF width of each public key's table (one per key).
    pub(crate) key_width: u32,
    g_table: OnceLock<Option<Table<N>>>,
}

impl<F: Field<N>, const N: usize> Curve<F, N> {
    pub(crate) fn bits(&self) -> usize {
        self.bits
    }

    /// The generator's table, built on first use.
    pub(crate) fn g_table(&self) -> Option<&Table<N>> {
        self.g_table
            .get_or_init(|| Table::new(&self.p, &self.g, self.bits(), self.g_width))
            .as_ref()
    }

    /// Digest of `msg` with the curve's JWS hash, and its length.
    pub(crate) fn digest(&self, msg: &[u8]) -> ([u8; MAX_DIGEST], usize) {
        self.hash.digest(msg)
    }
}

/// A marker type for a prime field whose modulus is the compile-time constant `$bytes`
/// (big-endian), with the unrolled arithmetic specialised for it.
macro_rules! const_field {
    ($(#[$doc:meta])* $name:ident, $limbs:expr, $bytes:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        pub(crate) struct $name;

        impl $name {
            const M: Modulus<$limbs> =
                Modulus::new(&$bytes);
        }

        impl Field<$limbs> for $name {
            #[inline(always)]
            fn params(&self) -> &Modulus<$limbs> {
                &Self::M
            }

            fn mul(&self, a: &[u32; $limbs], b: &[u32; $limbs]) -> [u32; $limbs] {
                Self::M.mul_unrolled(a, b)
            }

            fn sqr(&self, a: &[u32; $limbs]) -> [u32; $limbs] {
                Self::M.sqr_unrolled(a)
            }
        }
    };
}

const fn mont<const N: usize>(be: &[u8], p: &[u8]) -> Fe<N> {
    const_to_mont(&limbs_from_be(be), &limbs_from_be(p))
}

const P256_P: [u8; 32] = hex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");
const P256_N: [u8; 32] = hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
const P256_B: [u8; 32] = hex("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b");
const P256_GX: [u8; 32] = hex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296");
const P256_GY: [u8; 32] = hex("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");

/// Limbs of a P-256 element (9 × 29 = 261 bits).
pub(crate) const P256_LIMBS: usize = 9;

const_field!(
    /// GF(p) of P-256.
    P256Field,
    P256_LIMBS,
    P256_P
);

pub(crate) static P256: Curve<P256Field, P256_LIMBS> = Curve {
    name: "P-256",
    p: P256Field,
    n: Modulus::new(&P256_N),
    b: mont(&P256_B, &P256_P),
    g: Affine {
        x: mont(&P256_GX, &P256_P),
        y: mont(&P256_GY, &P256_P),
    },
    bytes: 32,
    bits: 256,
    hash: HashAlg::Sha256,
    g_width: 8,
    key_width: 7,
    g_table: OnceLock::new(),
};

const P384_P: [u8; 48] = hex(concat!(
    "ffffffffffffffffffffffffffffffffffffffffffffffff",
    "fffffffffffffffeffffffff0000000000000000ffffffff"
));
const P384_N: [u8; 48] = hex(concat!(
    "ffffffffffffffffffffffffffffffffffffffffffffffff",
    "c7634d81f4372ddf581a0db248b0a77aecec196accc52973"
));
const P384_B: [u8; 48] = hex(concat!(
    "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe814112",
    "0314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef"
));
const P384_GX: [u8; 48] = hex(concat!(
    "aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b98",
    "59f741e082542a385502f25dbf55296c3a545e3872760ab7"
));
const P384_GY: [u8; 48] = hex(concat!(
    "3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147c",
    "e9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f"
));

/// Limbs of a P-384 element (14 × 29 = 406 bits).
pub(crate) const P384_LIMBS: usize = 14;

const_field!(
    /// GF(p) of P-384.
    P384Field,
    P384_LIMBS,
    P384_P
);

pub(crate) static P384: Curve<P384Field, P384_LIMBS> = Curve {
    name: "P-384",
    p: P384Field,
    n: Modulus::new(&P384_N),
    b: mont(&P384_B, &P384_P),
    g: Affine {
        x: mont(&P384_GX, &P384_P),
        y: mont(&P384_GY, &P384_P),
    },
    bytes: 48,
    bits: 384,
    hash: HashAlg::Sha384,
    g_width: 8,
    key_width: 7,
    g_table: OnceLock::new(),
};

const P521_P: [u8; 66] = hex(concat!(
    "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
));
const P521_N: [u8; 66] = hex(concat!(
    "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "fffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
));
const P521_B: [u8; 66] = hex(concat!(
    "0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef1",
    "09e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00",
));
const P521_GX: [u8; 66] = hex(concat!(
    "00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d",
    "3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66",
));
const P521_GY: [u8; 66] = hex(concat!(
    "011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e",
    "662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650",
));

/// Limbs of a P-521 element (19 × 29 = 551 bits). 18 limbs (522 bits) would hold p, but
/// not 4p, which lazy reduction needs below R.
pub(crate) const P521_LIMBS: usize = 19;

/// GF(p) of P-521 is the modulus read at run time: ES512 is rare, and the unrolled
/// product for 19 limbs (361 limb products twice over, per call site) would not fit the
/// module's size budget.
pub(crate) type P521Field = Modulus<P521_LIMBS>;

pub(crate) static P521: Curve<P521Field, P521_LIMBS> = Curve {
    name: "P-521",
    p: Modulus::new(&P521_P),
    n: Modulus::new(&P521_N),
    b: mont(&P521_B, &P521_P),
    g: Affine {
        x: mont(&P521_GX, &P521_P),
        y: mont(&P521_GY, &P521_P),
    },
    bytes: 66,
    bits: 521,
    hash: HashAlg::Sha512,
    g_width: 8,
    key_width: 7,
    g_table: OnceLock::new(),
};
