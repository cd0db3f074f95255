//! Ed25519 public keys of small order (the identity, the points of order 2, 4 and 8, and
//! the non-canonical spellings of y = 0 and y = 1). With such a key, some signatures verify
//! for every message, so a JWKS publishing one lets anyone mint tokens. BoringSSL (and
//! native `jwt_authn`) accept them; we refuse them when the JWKS is parsed, by comparing
//! the encoding with this list (the sign bit left out), as libsodium does.

const SMALL_ORDER: [[u8; 32]; 7] = [
    // y = 0: order 4
    [0; 32],
    // y = 1: the identity
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    // order 8
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    // order 8
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    // y = p - 1: order 2
    p_plus(-1),
    // y = p (non-canonical 0)
    p_plus(0),
    // y = p + 1 (non-canonical 1)
    p_plus(1),
];

/// The little-endian encoding of 2^255 - 19 + delta, for delta in -1..=1.
const fn p_plus(delta: i8) -> [u8; 32] {
    let mut out = [0xff; 32];
    out[0] = (0xed_i16 + delta as i16) as u8;
    out[31] = 0x7f;
    out
}

pub fn is_small_order(key: &[u8; 32]) -> bool {
    let mut masked = *key;
    if let Some(last) = masked.last_mut() {
        *last &= 0x7f;
    }
    SMALL_ORDER.contains(&masked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_order_encodings_with_either_sign_are_refused() {
        for key in SMALL_ORDER {
            let mut negative = key;
            negative[31] |= 0x80;
            assert!(
                is_small_order(&key) && is_small_order(&negative),
                "{key:02x?}"
            );
        }
        assert_eq!(p_plus(-1)[0], 0xec);
        assert_eq!(p_plus(1)[0], 0xee);
    }

    #[test]
    fn an_ordinary_key_is_kept() {
        // RFC 8032 §7.1, test 1.
        let key = [
            0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64,
            0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68,
            0xf7, 0x07, 0x51, 0x1a,
        ];
        assert!(!is_small_order(&key));
        let mut two = [0u8; 32];
        two[0] = 2;
        assert!(!is_small_order(&two));
    }
}
