//! Round trips against jwt-simple's RSA signer, plus malformed inputs.

use super::*;
use jwt_simple::prelude::*;
use std::sync::OnceLock;

/// One 2048-bit key for every test: RSA key generation is slow in debug builds.
fn private_key_der() -> &'static [u8] {
    static DER: OnceLock<Vec<u8>> = OnceLock::new();
    DER.get_or_init(|| {
        let kp = RS256KeyPair::generate(2048).expect("key generation");
        kp.to_der().expect("DER export")
    })
}

fn keypair_and_token(alg: &str) -> (RsaPublicKey, String) {
    let claims = Claims::create(Duration::from_hours(1)).with_subject("fast-rsa");
    macro_rules! sign {
        ($kp:ty) => {{
            let kp = <$kp>::from_der(private_key_der()).expect("key import");
            let c = kp.public_key().to_components();
            let token = kp.sign(claims).expect("signing");
            (
                RsaPublicKey::from_components(&c.n, &c.e).expect("valid key"),
                token,
            )
        }};
    }
    match alg {
        "RS256" => sign!(RS256KeyPair),
        "RS384" => sign!(RS384KeyPair),
        "RS512" => sign!(RS512KeyPair),
        "PS256" => sign!(PS256KeyPair),
        "PS384" => sign!(PS384KeyPair),
        "PS512" => sign!(PS512KeyPair),
        _ => unreachable!("test uses JWS RSA algorithms only"),
    }
}

fn split(token: &str) -> (&str, Vec<u8>) {
    let dot = token.rfind('.').expect("JWS has a signature part");
    let sig = Base64UrlSafeNoPadding::decode_to_vec(&token[dot + 1..], None).expect("base64url");
    (&token[..dot], sig)
}

#[test]
fn verifies_every_jws_rsa_algorithm_and_rejects_tampering() {
    for alg in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] {
        let scheme = Scheme::from_jws_alg(alg).expect("RSA alg");
        let (key, token) = keypair_and_token(alg);
        assert_eq!(key.bits(), 2048);
        let (input, sig) = split(&token);
        assert!(
            key.verify(scheme, input.as_bytes(), &sig),
            "{alg} valid token"
        );

        let mut other_input = input.as_bytes().to_vec();
        other_input[0] ^= 1;
        assert!(
            !key.verify(scheme, &other_input, &sig),
            "{alg} tampered input"
        );

        for i in [0, sig.len() / 2, sig.len() - 1] {
            let mut bad = sig.clone();
            bad[i] ^= 0x40;
            assert!(
                !key.verify(scheme, input.as_bytes(), &bad),
                "{alg} flipped byte {i}"
            );
        }
        assert!(
            !key.verify(scheme, input.as_bytes(), &sig[1..]),
            "{alg} short signature"
        );
        let mut long = vec![0u8];
        long.extend_from_slice(&sig);
        assert!(
            !key.verify(scheme, input.as_bytes(), &long),
            "{alg} long signature"
        );
        assert!(
            !key.verify(scheme, input.as_bytes(), &[]),
            "{alg} empty signature"
        );
    }
}

#[test]
fn scheme_and_hash_must_both_match_the_signature() {
    let (key, token) = keypair_and_token("RS256");
    let (input, sig) = split(&token);
    for wrong in [
        Scheme::Pkcs1Sha384,
        Scheme::Pkcs1Sha512,
        Scheme::PssSha256,
        Scheme::PssSha384,
        Scheme::PssSha512,
    ] {
        assert!(!key.verify(wrong, input.as_bytes(), &sig), "{wrong:?}");
    }
    let (key, token) = keypair_and_token("PS256");
    let (input, sig) = split(&token);
    assert!(!key.verify(Scheme::Pkcs1Sha256, input.as_bytes(), &sig));
    assert!(!key.verify(Scheme::PssSha384, input.as_bytes(), &sig));
}

/// base^exp mod n with u128 arithmetic, for moduli below 2^64.
fn reference_pow(base: u128, mut exp: u128, n: u128) -> u128 {
    let (mut acc, mut b) = (1u128, base % n);
    while exp > 0 {
        if exp & 1 == 1 {
            acc = acc * b % n;
        }
        b = b * b % n;
        exp >>= 1;
    }
    acc
}

#[test]
fn montgomery_matches_reference_on_partial_limbs() {
    // Moduli of 2 to 64 bits cover one to three limbs, full and partial top limbs.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..3000 {
        let bits = 2 + next() % 63;
        let n = (next() >> (64 - bits)) | 1 | (1 << (bits - 1));
        let base = next() % n;
        let exp = next() >> (next() % 64);
        let n_bytes = n.to_be_bytes();
        let m = Modulus::from_be_bytes(strip_leading_zeros(&n_bytes)).expect("odd modulus");
        let b = m.element(&base.to_be_bytes()).expect("below n");
        let exp_bytes = exp.to_be_bytes();
        let exp_bytes = strip_leading_zeros(&exp_bytes);
        if exp_bytes.is_empty() {
            continue;
        }
        let got = m.pow_to_bytes(&b, exp_bytes, 8);
        let want = reference_pow(base.into(), exp.into(), n.into()) as u64;
        assert_eq!(got, want.to_be_bytes(), "{base}^{exp} mod {n}");
    }
}

#[test]
fn signature_not_below_modulus_is_refused() {
    let (key, token) = keypair_and_token("RS256");
    let (input, _) = split(&token);
    let n = RS256KeyPair::from_der(private_key_der())
        .expect("key import")
        .public_key()
        .to_components()
        .n;
    assert!(!key.verify(Scheme::Pkcs1Sha256, input.as_bytes(), &n));
    assert!(!key.verify(Scheme::Pkcs1Sha256, input.as_bytes(), &vec![0xff; key.len]));
    assert!(!key.verify(Scheme::Pkcs1Sha256, input.as_bytes(), &vec![0; key.len]));
}

#[test]
fn bad_keys_are_refused() {
    let n = [0xc3u8; 256];
    assert_eq!(
        RsaPublicKey::from_components(&[], &[1, 0, 1]).err(),
        Some(KeyError::BadModulus)
    );
    assert_eq!(
        RsaPublicKey::from_components(&[0, 0], &[1, 0, 1]).err(),
        Some(KeyError::BadModulus)
    );
    let mut even = n;
    even[255] = 0xc2;
    assert_eq!(
        RsaPublicKey::from_components(&even, &[1, 0, 1]).err(),
        Some(KeyError::BadModulus)
    );
    assert_eq!(
        RsaPublicKey::from_components(&vec![0xff; 2049], &[3]).err(),
        Some(KeyError::BadModulus)
    );
    for e in [&[][..], &[1], &[2], &[1, 0, 0], &[3, 0, 0, 0, 1]] {
        assert_eq!(
            RsaPublicKey::from_components(&n, e).err(),
            Some(KeyError::BadExponent),
            "e = {e:?}"
        );
    }
    let key = RsaPublicKey::from_components(&[0, 0, 0xc3, 0xc3, 0xc3], &[0, 3]).expect("valid");
    assert_eq!(key.bits(), 24);
    assert!(!key.verify(Scheme::PssSha512, b"x", &[1, 2, 3]));
    assert!(!key.verify(Scheme::Pkcs1Sha256, b"x", &[1, 2, 3]));
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap deterministic generator: the point is breadth of shapes, not randomness.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..300 {
        let n_len = (next() % 80) as usize;
        let n: Vec<u8> = (0..n_len).map(|_| next() as u8).collect();
        let e: Vec<u8> = (0..(next() % 6)).map(|_| next() as u8).collect();
        if let Ok(key) = RsaPublicKey::from_components(&n, &e) {
            for scheme in [Scheme::Pkcs1Sha256, Scheme::PssSha256, Scheme::PssSha512] {
                let sig: Vec<u8> = (0..key.len).map(|_| next() as u8).collect();
                let _ = key.verify(scheme, b"input", &sig);
            }
        }
    }
}
