//! A stand-in for Envoy's `verify_signature` in native tests: ring behind the host's
//! interface, taking SubjectPublicKeyInfo DER and DER ECDSA signatures as BoringSSL does.
//! The real host is exercised in Envoy by the integration and differential tests.

use super::host::{HostError, HostVerifier};
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

/// One DER element at the start of `der`: (tag, content, rest).
fn tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        let (bytes, rest) = (rest.get(..n)?, rest.get(n..)?);
        (
            bytes
                .iter()
                .fold(0usize, |acc, b| acc << 8 | usize::from(*b)),
            rest,
        )
    };
    Some((tag, rest.get(..len)?, rest.get(len..)?))
}

/// (algorithm identifier content, key bits) of a SubjectPublicKeyInfo.
fn spki_parts(spki: &[u8]) -> Option<(&[u8], &[u8])> {
    let (_, body, _) = tlv(spki)?;
    let (_, alg, rest) = tlv(body)?;
    let (_, bits, _) = tlv(rest)?;
    Some((alg, bits.get(1..)?))
}

pub struct RingHost;

impl HostVerifier for RingHost {
    fn verify(
        &self,
        hash: &'static str,
        spki: &[u8],
        sig: &[u8],
        text: &[u8],
    ) -> Result<bool, HostError> {
        let bad = || HostError::Status("BadArgument".into());
        let (alg, key) = spki_parts(spki).ok_or_else(bad)?;
        let rsa = alg
            .windows(9)
            .any(|w| w == [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]);
        let algorithm: &dyn VerificationAlgorithm = match (rsa, hash, alg.len()) {
            (true, "sha256", _) => &signature::RSA_PKCS1_2048_8192_SHA256,
            (true, "sha384", _) => &signature::RSA_PKCS1_2048_8192_SHA384,
            (true, "sha512", _) => &signature::RSA_PKCS1_2048_8192_SHA512,
            // ecPublicKey with prime256v1 (19 bytes) or secp384r1 (16 bytes).
            (false, "sha256", 19) => &signature::ECDSA_P256_SHA256_ASN1,
            (false, "sha384", 16) => &signature::ECDSA_P384_SHA384_ASN1,
            _ => return Err(bad()),
        };
        if !(rsa || key.first() == Some(&4) && key.len() % 2 == 1) {
            return Err(bad());
        }
        Ok(UnparsedPublicKey::new(algorithm, key)
            .verify(text, sig)
            .is_ok())
    }
}
