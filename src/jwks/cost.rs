//! What one signature verification costs, so that the work one request can cause is bounded
//! by us and not by the JWKS. Units are about 0.1 ms of CPU: ring in V8 (Envoy 1.40), the
//! slowest backend, measured per key type by `tests/hardening/test_verify_cost.py` (a
//! 2048-bit RSA key with `e = 65537`: 0.28 ms; P-256: 0.5 ms; P-384: 4 ms; Ed25519: 0.1 ms).

use crate::crypto::der::Curve;
use crate::signature::PublicKey;

/// The signature work one request may cause, across all its tokens and providers: about
/// 8 ms in V8. It covers one verification with the costliest key a provider can admit (an
/// 8192-bit RSA key with a 17-bit exponent: 72), so every key can be tried at least once.
pub const REQUEST_BUDGET: u32 = 80;

pub fn bit_len(magnitude: &[u8]) -> usize {
    let digits = crate::crypto::der::strip_leading_zeros(magnitude);
    match digits.first() {
        None => 0,
        Some(top) => digits.len() * 8 - top.leading_zeros() as usize,
    }
}

/// `exponent`: the RSA public exponent (big-endian), empty for other keys.
pub fn of(key: &PublicKey, exponent: &[u8]) -> u32 {
    match key {
        PublicKey::Rsa(_) => rsa(key.rsa_bits(), exponent),
        PublicKey::Ec(_) => match key.curve() {
            Some(Curve::P256) => 5,
            Some(Curve::P384) => 40,
            // Only native code verifies P-521 (BoringSSL through the host, or aws-lc-rs in the
            // dynamic module, about 0.3 ms; ring has no P-521): cheaper than P-384 in ring.
            _ => 20,
        },
        PublicKey::Ed25519(_) | PublicKey::Oct(_) => 1,
    }
}

/// Square-and-multiply: one squaring per bit of `e` after the first, one multiplication per
/// further set bit, each quadratic in the modulus size, plus a fixed part (the Montgomery
/// set-up, padding and hash) worth about 8 of them. Fitted to the V8 measurements: 2048
/// bits, `e = 65537` (17 products): 2.8; `e = 2^17 - 1` (32): 4.5; `e = 2^33 - 1` (64): 8.2.
pub fn rsa(bits: usize, exponent: &[u8]) -> u32 {
    let ones: u32 = exponent.iter().map(|b| b.count_ones()).sum();
    let products = (bit_len(exponent) as u64).saturating_sub(1) + u64::from(ones.saturating_sub(1));
    let bits = bits as u64;
    let scale = 2048 * 2048 * 9;
    let cost = (bits * bits * (products + 8)).div_ceil(scale);
    u32::try_from(cost).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_cost_follows_the_measurements() {
        assert_eq!(rsa(2048, &[1, 0, 1]), 3);
        assert_eq!(rsa(2048, &[1, 0xff, 0xff]), 5);
        assert_eq!(rsa(2048, &[1, 0xff, 0xff, 0xff, 0xff]), 8);
        assert_eq!(rsa(4096, &[1, 0, 1]), 12);
        assert_eq!(rsa(4096, &[1, 0xff, 0xff]), 18);
        assert_eq!(rsa(8192, &[1, 0, 1]), 45);
        assert_eq!(rsa(8192, &[1, 0xff, 0xff]), 72);
        assert_eq!(rsa(8192, &[3]), 18);
    }

    #[test]
    fn the_budget_covers_one_try_of_the_costliest_admitted_key() {
        let costliest = rsa(crate::signature::MAX_RSA_BITS, &[1, 0xff, 0xff]);
        assert!(costliest <= REQUEST_BUDGET, "{costliest}");
        let p384 = PublicKey::ec("P-384", &[1; 48], &[2; 48]).unwrap();
        assert!(of(&p384, &[]) <= REQUEST_BUDGET);
    }
}
