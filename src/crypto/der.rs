//! The DER that BoringSSL's `verify_signature` takes: SubjectPublicKeyInfo for JWK keys
//! (RFC 5280 §4.1, RFC 8017 §A.1.1, RFC 5480 §2) and `ECDSA-Sig-Value` for JWS `r‖s`
//! signatures (RFC 5480 §2.2, RFC 7518 §3.4). Only encoding: every check on the numbers
//! is BoringSSL's or ring's.

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const NULL: [u8; 2] = [0x05, 0x00];
/// 1.2.840.113549.1.1.1 rsaEncryption
const OID_RSA_ENCRYPTION: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];
/// 1.2.840.10045.2.1 id-ecPublicKey
const OID_EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// 1.2.840.10045.3.1.7 prime256v1
const OID_P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// 1.3.132.0.34 secp384r1
const OID_P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
/// 1.3.132.0.35 secp521r1
const OID_P521: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    pub fn from_jwk(crv: &str) -> Option<Curve> {
        match crv {
            "P-256" => Some(Curve::P256),
            "P-384" => Some(Curve::P384),
            "P-521" => Some(Curve::P521),
            _ => None,
        }
    }

    /// Bytes of a coordinate, and of each of r and s in a JWS signature.
    pub fn size(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }

    fn oid(self) -> &'static [u8] {
        match self {
            Curve::P256 => OID_P256,
            Curve::P384 => OID_P384,
            Curve::P521 => OID_P521,
        }
    }
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let significant = bytes.get(skip..).unwrap_or(&[]);
    out.push(0x80 | significant.len() as u8);
    out.extend_from_slice(significant);
}

fn push_tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    push_len(out, content.len());
    out.extend_from_slice(content);
}

/// An unsigned big-endian number as a DER INTEGER: minimal, with a zero byte in front
/// when the top bit is set so that it does not read as negative.
fn push_unsigned(out: &mut Vec<u8>, magnitude: &[u8]) {
    let trimmed = strip_leading_zeros(magnitude);
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    match trimmed.first() {
        None => content.push(0),
        Some(&b) => {
            if b & 0x80 != 0 {
                content.push(0);
            }
            content.extend_from_slice(trimmed);
        }
    }
    push_tlv(out, INTEGER, &content);
}

pub fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    bytes.get(skip..).unwrap_or(&[])
}

fn spki(algorithm: &[u8], key: &[u8]) -> Vec<u8> {
    let mut alg = Vec::with_capacity(algorithm.len() + 2);
    push_tlv(&mut alg, SEQUENCE, algorithm);
    let mut bits = Vec::with_capacity(key.len() + 1);
    bits.push(0); // no unused bits
    bits.extend_from_slice(key);
    let mut body = alg;
    push_tlv(&mut body, BIT_STRING, &bits);
    let mut out = Vec::with_capacity(body.len() + 4);
    push_tlv(&mut out, SEQUENCE, &body);
    out
}

/// SubjectPublicKeyInfo of an RSA key from its modulus and exponent (big-endian).
pub fn rsa_spki(n: &[u8], e: &[u8]) -> Vec<u8> {
    let mut ints = Vec::with_capacity(n.len() + e.len() + 8);
    push_unsigned(&mut ints, n);
    push_unsigned(&mut ints, e);
    let mut rsa_public_key = Vec::with_capacity(ints.len() + 4);
    push_tlv(&mut rsa_public_key, SEQUENCE, &ints);
    let mut alg = OID_RSA_ENCRYPTION.to_vec();
    alg.extend_from_slice(&NULL);
    spki(&alg, &rsa_public_key)
}

/// SubjectPublicKeyInfo of an EC key from its affine coordinates (each `curve.size()`
/// bytes): the uncompressed point `04‖x‖y` is its last `1 + 2·size` bytes.
pub fn ec_spki(curve: Curve, x: &[u8], y: &[u8]) -> Vec<u8> {
    let mut alg = OID_EC_PUBLIC_KEY.to_vec();
    alg.extend_from_slice(curve.oid());
    let mut point = Vec::with_capacity(1 + x.len() + y.len());
    point.push(0x04);
    point.extend_from_slice(x);
    point.extend_from_slice(y);
    spki(&alg, &point)
}

/// `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` from a JWS signature `r‖s`.
/// `None` when the length is not exactly twice the curve's size (RFC 7518 §3.4).
pub fn ecdsa_signature(curve: Curve, jws: &[u8]) -> Option<Vec<u8>> {
    if jws.len() != 2 * curve.size() {
        return None;
    }
    let (r, s) = jws.split_at(curve.size());
    let mut ints = Vec::with_capacity(jws.len() + 6);
    push_unsigned(&mut ints, r);
    push_unsigned(&mut ints, s);
    let mut out = Vec::with_capacity(ints.len() + 3);
    push_tlv(&mut out, SEQUENCE, &ints);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_minimal_and_never_negative() {
        let enc = |m: &[u8]| {
            let mut out = Vec::new();
            push_unsigned(&mut out, m);
            out
        };
        assert_eq!(enc(&[]), [0x02, 0x01, 0x00]);
        assert_eq!(enc(&[0, 0]), [0x02, 0x01, 0x00]);
        assert_eq!(enc(&[0, 0x7f]), [0x02, 0x01, 0x7f]);
        assert_eq!(enc(&[0x80]), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(enc(&[0, 0, 1, 2]), [0x02, 0x02, 0x01, 0x02]);
    }

    #[test]
    fn long_lengths() {
        let mut out = Vec::new();
        push_len(&mut out, 0x7f);
        push_len(&mut out, 0x80);
        push_len(&mut out, 0x1234);
        assert_eq!(out, [0x7f, 0x81, 0x80, 0x82, 0x12, 0x34]);
    }

    #[test]
    fn p256_spki_has_the_standard_prefix() {
        // Every P-256 SubjectPublicKeyInfo starts with these 27 bytes (RFC 5480).
        let spki = ec_spki(Curve::P256, &[1; 32], &[2; 32]);
        assert_eq!(spki.len(), 91);
        assert_eq!(
            spki.get(..27).unwrap(),
            [
                0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
                0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04
            ]
        );
    }

    #[test]
    fn rsa_2048_spki_has_the_standard_prefix() {
        let mut n = vec![0xc5; 256];
        n[255] = 0x01;
        let spki = rsa_spki(&n, &[1, 0, 1]);
        assert_eq!(spki.len(), 294);
        assert_eq!(
            spki.get(..33).unwrap(),
            [
                0x30, 0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
                0x01, 0x01, 0x01, 0x05, 0x00, 0x03, 0x82, 0x01, 0x0f, 0x00, 0x30, 0x82, 0x01, 0x0a,
                0x02, 0x82, 0x01, 0x01, 0x00
            ]
        );
        assert_eq!(spki.get(289..).unwrap(), [0x02, 0x03, 0x01, 0x00, 0x01]);
    }

    #[test]
    fn ecdsa_signature_lengths() {
        assert_eq!(ecdsa_signature(Curve::P256, &[1; 63]), None);
        assert_eq!(ecdsa_signature(Curve::P256, &[1; 65]), None);
        let sig = ecdsa_signature(Curve::P256, &[0xff; 64]).unwrap();
        assert_eq!(sig.len(), 2 + 2 * 35);
        let zero = ecdsa_signature(Curve::P256, &[0; 64]).unwrap();
        assert_eq!(zero, [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]);
        // P-521: r and s of 66 bytes make a sequence over 127 bytes long.
        let big = ecdsa_signature(Curve::P521, &[0x01; 132]).unwrap();
        assert_eq!(big.get(..3).unwrap(), [0x30, 0x81, 0x88]);
    }
}
