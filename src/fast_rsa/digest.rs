//! The SHA-2 functions JWS uses with RSA, from the hash crates jwt-simple already links.

/// Hash function of a signature scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HashAlg {
    Sha256,
    Sha384,
    Sha512,
}

/// A digest of at most 64 bytes, kept on the stack.
pub(crate) struct Digest {
    bytes: [u8; 64],
    len: usize,
}

impl Digest {
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl HashAlg {
    pub(crate) fn len(self) -> usize {
        match self {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 => 64,
        }
    }

    /// DER DigestInfo header (AlgorithmIdentifier with NULL parameters) that precedes
    /// the digest in a PKCS#1 v1.5 signature (RFC 8017 §9.2, note 1).
    pub(crate) fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            HashAlg::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            HashAlg::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            HashAlg::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }

    /// Digest of the concatenation of `parts`.
    pub(crate) fn digest(self, parts: &[&[u8]]) -> Digest {
        let mut bytes = [0u8; 64];
        let len = self.len();
        match self {
            HashAlg::Sha256 => {
                let mut h = hmac_sha256::Hash::new();
                parts.iter().for_each(|p| h.update(p));
                bytes[..len].copy_from_slice(&h.finalize());
            }
            HashAlg::Sha384 => {
                let mut h = hmac_sha512::sha384::Hash::new();
                parts.iter().for_each(|p| h.update(p));
                bytes[..len].copy_from_slice(&h.finalize());
            }
            HashAlg::Sha512 => {
                let mut h = hmac_sha512::Hash::new();
                parts.iter().for_each(|p| h.update(p));
                bytes[..len].copy_from_slice(&h.finalize());
            }
        }
        Digest { bytes, len }
    }
}
