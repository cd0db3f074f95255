//! Signature encodings checked against the recovered message representative `em`
//! (the RSA public operation's output, as many bytes as the modulus).

use super::digest::HashAlg;

/// EMSA-PKCS1-v1_5: rebuild the one valid encoding and compare (RFC 8017 §8.2.2).
pub(crate) fn pkcs1_v15_matches(em: &[u8], hash: HashAlg, message: &[u8]) -> bool {
    let prefix = hash.digest_info_prefix();
    let t_len = prefix.len() + hash.len();
    // 00 01, at least eight FF bytes, 00, DigestInfo.
    let Some(ps_len) = em.len().checked_sub(t_len + 3) else {
        return false;
    };
    if ps_len < 8 {
        return false;
    }
    let digest = hash.digest(&[message]);
    let (head, rest) = em.split_at(2);
    let (ps, rest) = rest.split_at(ps_len);
    let (sep, rest) = rest.split_at(1);
    let (info, h) = rest.split_at(prefix.len());
    head == [0x00, 0x01]
        && ps.iter().all(|&b| b == 0xff)
        && sep == [0x00]
        && info == prefix
        && h == digest.as_slice()
}

/// Salt length accepted by PSS verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SaltLen {
    /// Exactly this many bytes: how the Wycheproof vectors state their expectations.
    #[cfg_attr(not(test), allow(dead_code))]
    Exact(usize),
    /// Whatever the encoding carries: BoringSSL's default for verification, which
    /// Envoy's jwt_authn (jwt_verify_lib) uses without setting a salt length.
    Any,
}

/// EMSA-PSS-VERIFY with MGF1 over the same hash (RFC 8017 §9.1.2).
/// `mod_bits` is the modulus size; emBits = mod_bits - 1.
pub(crate) fn pss_matches(
    em: &[u8],
    mod_bits: usize,
    hash: HashAlg,
    salt: SaltLen,
    message: &[u8],
) -> bool {
    let h_len = hash.len();
    // Bits of the top byte of `em` that may be set.
    let top_bits = mod_bits.saturating_sub(1) % 8;
    let Some((&first, rest)) = em.split_first() else {
        return false;
    };
    let em = if top_bits == 0 {
        // emLen is one byte shorter than the modulus; that byte must be zero.
        if first != 0 {
            return false;
        }
        rest
    } else {
        if first >> top_bits != 0 {
            return false;
        }
        em
    };
    let min_len = match salt {
        SaltLen::Exact(s) => h_len + s + 2,
        SaltLen::Any => h_len + 2,
    };
    if em.len() < min_len {
        return false;
    }
    let Some((&trailer, body)) = em.split_last() else {
        return false;
    };
    if trailer != 0xbc {
        return false;
    }
    let (masked_db, h) = body.split_at(body.len() - h_len);
    let mut db = mgf1(hash, h, masked_db.len());
    for (d, m) in db.iter_mut().zip(masked_db) {
        *d ^= m;
    }
    if let Some(d0) = db.first_mut() {
        if top_bits != 0 {
            *d0 &= 0xff >> (8 - top_bits);
        }
    }
    // DB = PS (zeros) || 01 || salt.
    let Some(one_at) = db.iter().position(|&b| b != 0) else {
        return false;
    };
    if db.get(one_at) != Some(&0x01) {
        return false;
    }
    let salt_bytes = db.get(one_at + 1..).unwrap_or(&[]);
    if let SaltLen::Exact(s) = salt {
        if salt_bytes.len() != s {
            return false;
        }
    }
    let m_hash = hash.digest(&[message]);
    let h2 = hash.digest(&[&[0u8; 8], m_hash.as_slice(), salt_bytes]);
    h == h2.as_slice()
}

/// MGF1 mask of `len` bytes from `seed`.
fn mgf1(hash: HashAlg, seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + hash.len());
    let mut counter: u32 = 0;
    while out.len() < len {
        out.extend_from_slice(hash.digest(&[seed, &counter.to_be_bytes()]).as_slice());
        counter = counter.wrapping_add(1);
    }
    out.truncate(len);
    out
}
