//! Envoy's foreign function `verify_signature`: BoringSSL's `EVP_DigestVerify`, the crypto
//! native `jwt_authn` uses. Its arguments and result are protobuf messages
//! (`source/extensions/common/wasm/ext/verify_signature.proto`), encoded here by hand:
//! four fields out and two back do not justify a protobuf crate in the module.

use std::fmt;

/// Why the host gave no verdict. Any of these during a request fails the verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostError {
    /// The host has no such foreign function (Envoy before 1.31, other hosts).
    Missing,
    /// The call failed with this proxy-wasm status (BadArgument: the key did not import).
    Status(String),
    /// The answer is not a `VerifySignatureResult`.
    BadResult,
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::Missing => f.write_str("the host has no verify_signature function"),
            HostError::Status(s) => write!(f, "verify_signature failed: {s}"),
            HostError::BadResult => f.write_str("verify_signature gave an unreadable result"),
        }
    }
}

/// Signature verification by the host. `Ok(false)`: the signature does not verify.
pub trait HostVerifier {
    fn verify(
        &self,
        hash: &'static str,
        spki: &[u8],
        signature: &[u8],
        text: &[u8],
    ) -> Result<bool, HostError>;
}

fn push_varint(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn push_bytes_field(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    push_varint(out, field << 3 | 2);
    push_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// `VerifySignatureArguments { hash_function = 1; public_key = 2 (DER); signature = 3; text = 4 }`.
pub fn encode_arguments(hash: &str, spki: &[u8], signature: &[u8], text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hash.len() + spki.len() + signature.len() + text.len() + 16);
    push_bytes_field(&mut out, 1, hash.as_bytes());
    push_bytes_field(&mut out, 2, spki);
    push_bytes_field(&mut out, 3, signature);
    push_bytes_field(&mut out, 4, text);
    out
}

fn read_varint(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*pos)?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// `VerifySignatureResult { bool result = 1; string error = 2; }`: true only when field 1
/// is present and non-zero. A failed verification comes back with `result` absent (proto3
/// leaves out false) and an error text.
pub fn decode_result(bytes: &[u8]) -> Result<bool, HostError> {
    let mut pos = 0;
    let mut result = false;
    while pos < bytes.len() {
        let key = read_varint(bytes, &mut pos).ok_or(HostError::BadResult)?;
        match key & 7 {
            0 => {
                let value = read_varint(bytes, &mut pos).ok_or(HostError::BadResult)?;
                if key >> 3 == 1 {
                    result = value != 0;
                }
            }
            2 => {
                let len = read_varint(bytes, &mut pos).ok_or(HostError::BadResult)?;
                let len = usize::try_from(len).map_err(|_| HostError::BadResult)?;
                pos = pos
                    .checked_add(len)
                    .filter(|end| *end <= bytes.len())
                    .ok_or(HostError::BadResult)?;
            }
            _ => return Err(HostError::BadResult),
        }
    }
    Ok(result)
}

/// Envoy's `verify_signature` foreign function (BoringSSL), as the filter calls it.
#[cfg(target_arch = "wasm32")]
pub struct HostCrypto;

#[cfg(target_arch = "wasm32")]
impl HostVerifier for HostCrypto {
    fn verify(
        &self,
        hash: &'static str,
        spki: &[u8],
        signature: &[u8],
        text: &[u8],
    ) -> Result<bool, HostError> {
        use proxy_wasm::{hostcalls, types::Status};
        // Test-only (feature `simulate-host-without-verify-signature`, built by
        // tests/integration/test_host_without_verify_signature.py): answer as a host without
        // the foreign function (Envoy before 1.31, other hosts) would, without calling it.
        // `cfg!` rather than `#[cfg]` so that the code below is not unreachable under it.
        if cfg!(feature = "simulate-host-without-verify-signature") {
            return Err(HostError::Missing);
        }
        let args = encode_arguments(hash, spki, signature, text);
        match hostcalls::call_foreign_function("verify_signature", Some(&args)) {
            Ok(Some(result)) => decode_result(&result),
            Ok(None) => Err(HostError::BadResult),
            Err(Status::NotFound) => Err(HostError::Missing),
            Err(status) => Err(HostError::Status(format!("{status:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_length_delimited_fields_in_order() {
        let args = encode_arguments("sha256", &[0xaa; 2], &[0xbb; 200], b"t");
        assert_eq!(args.get(..8).unwrap(), b"\x0a\x06sha256");
        assert_eq!(args.get(8..12).unwrap(), [0x12, 0x02, 0xaa, 0xaa]);
        // 200 needs two varint bytes.
        assert_eq!(args.get(12..15).unwrap(), [0x1a, 0xc8, 0x01]);
        assert_eq!(args.get(215..).unwrap(), [0x22, 0x01, b't']);
    }

    #[test]
    fn results() {
        assert_eq!(decode_result(&[0x08, 0x01]), Ok(true));
        assert_eq!(decode_result(&[0x08, 0x01, 0x12, 0x00]), Ok(true));
        assert_eq!(decode_result(b""), Ok(false));
        let failed = b"\x12\x26Failed to verify digest. Error code: 0";
        assert_eq!(decode_result(failed), Ok(false));
        assert_eq!(decode_result(&[0x08, 0x00]), Ok(false));
        assert_eq!(
            decode_result(&[0x12, 0x05, b'a']),
            Err(HostError::BadResult)
        );
        assert_eq!(decode_result(&[0x08]), Err(HostError::BadResult));
        assert_eq!(
            decode_result(&[0x0d, 0, 0, 0, 0]),
            Err(HostError::BadResult)
        );
        assert_eq!(
            decode_result(&[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            Err(HostError::BadResult)
        );
    }
}
