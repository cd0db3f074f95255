//! Which code checks a signature. Crypto is never ours: Envoy's BoringSSL through the
//! foreign function `verify_signature` where the host offers it (RS*, ES*), `ring` in the
//! module where it cannot (PS*, EdDSA, and everything on hosts without the function; the
//! dynamic module has no such host and uses `aws-lc-rs`, with P-521), and
//! the `hmac-sha256`/`hmac-sha512` crates for HS*. This module only chooses, encodes and
//! counts.

pub mod der;
pub mod host;
// The module's backend, chosen when building: ring (module.rs) by default and always in
// wasm32; aws-lc-rs (aws_lc.rs) natively with the `aws-lc` feature (the dynamic module).
#[cfg(all(feature = "aws-lc", not(target_arch = "wasm32")))]
#[path = "aws_lc.rs"]
pub mod module;
#[cfg(not(all(feature = "aws-lc", not(target_arch = "wasm32"))))]
pub mod module;
pub mod probe;
mod rsa_scheme;
pub mod small_order;
#[cfg(test)]
pub mod test_host;
#[cfg(test)]
mod wycheproof_tests;

use host::HostVerifier;
use std::fmt;

/// The plugin configuration's `crypto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CryptoMode {
    /// The host where it can verify, the module's backend otherwise.
    #[default]
    Auto,
    /// The module's backend (ring, or aws-lc-rs in the dynamic module) only, even when the
    /// host could.
    Module,
    /// Both where both can; a disagreement denies and is counted.
    CrossCheck,
}

impl CryptoMode {
    pub fn from_name(name: &str) -> Option<CryptoMode> {
        match name {
            "auto" => Some(CryptoMode::Auto),
            "module" => Some(CryptoMode::Module),
            "cross_check" => Some(CryptoMode::CrossCheck),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CryptoMode::Auto => "auto",
            CryptoMode::Module => "module",
            CryptoMode::CrossCheck => "cross_check",
        }
    }
}

/// What verifications did, for the counters `verify_host`, `verify_module`,
/// `verify_host_error` and `verify_backend_disagreement`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub host: u32,
    pub module: u32,
    pub host_errors: u32,
    pub disagreements: u32,
    /// `cross_check` checks that only one backend could run (PS*, EdDSA, HS*; ES512 where the
    /// module has no P-521).
    pub single_backend: u32,
    /// Keys that fit a token but were not tried: the request's verification budget was spent.
    pub budget_skipped: u32,
}

impl Tally {
    pub fn is_empty(&self) -> bool {
        *self == Tally::default()
    }

    pub fn add(&mut self, other: Tally) {
        self.host += other.host;
        self.module += other.module;
        self.host_errors += other.host_errors;
        self.disagreements += other.disagreements;
        self.single_backend += other.single_backend;
        self.budget_skipped += other.budget_skipped;
    }
}

/// One signature check as each backend would run it: `host` as (hash, SubjectPublicKeyInfo,
/// signature in the form BoringSSL takes, signed text), `module` as a closure. `None`: that backend
/// cannot do this algorithm or key.
pub struct Check<'a, M: FnOnce() -> bool> {
    pub host: Option<HostCheck<'a>>,
    pub module: Option<M>,
}

pub struct HostCheck<'a> {
    pub hash: &'static str,
    pub spki: &'a [u8],
    pub signature: std::borrow::Cow<'a, [u8]>,
    pub text: &'a [u8],
}

/// The backends of one worker, chosen at start: the host only if it passed the probe.
pub struct Crypto {
    mode: CryptoMode,
    host: Option<Box<dyn HostVerifier>>,
}

impl fmt::Debug for Crypto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Crypto")
            .field("mode", &self.mode)
            .field("host", &self.host.is_some())
            .finish()
    }
}

impl Crypto {
    pub fn module_only() -> Crypto {
        Crypto {
            mode: CryptoMode::Module,
            host: None,
        }
    }

    /// `host`: a verifier that answered the probe correctly, if any. In `module` mode it is
    /// never used.
    pub fn new(mode: CryptoMode, host: Option<Box<dyn HostVerifier>>) -> Crypto {
        let host = if mode == CryptoMode::Module {
            None
        } else {
            host
        };
        Crypto { mode, host }
    }

    pub fn has_host(&self) -> bool {
        self.host.is_some()
    }

    /// Whether the host can import this key, asked once per key and JWKS version with a
    /// signature that cannot verify: BoringSSL refuses a key it cannot import (an EC point
    /// off its curve) with an error, a bad signature with `false`. `None` without a host.
    pub fn host_imports(&self, hash: &'static str, spki: &[u8]) -> Option<bool> {
        let host = self.host.as_ref()?;
        Some(host.verify(hash, spki, &[0x30, 0x00], b"").is_ok())
    }

    /// Runs the check on the backends the mode picks.
    pub fn verify<M: FnOnce() -> bool>(&self, check: Check<'_, M>, tally: &mut Tally) -> bool {
        let host = match (&self.host, check.host) {
            (Some(verifier), Some(c)) => {
                tally.host += 1;
                Some(
                    verifier
                        .verify(c.hash, c.spki, &c.signature, c.text)
                        .unwrap_or_else(|e| {
                            tally.host_errors += 1;
                            log::warn!("jwt_authn_wasm: {e}; the token is refused");
                            false
                        }),
                )
            }
            _ => None,
        };
        let run_module = host.is_none() || self.mode == CryptoMode::CrossCheck;
        let module = match check.module {
            Some(f) if run_module => {
                tally.module += 1;
                Some(f())
            }
            _ => None,
        };
        if self.mode == CryptoMode::CrossCheck && host.is_some() != module.is_some() {
            tally.single_backend += 1;
        }
        match (host, module) {
            (Some(h), Some(m)) if h != m => {
                tally.disagreements += 1;
                log::warn!(
                    "jwt_authn_wasm: crypto backends disagree (host: {h}, module: {m}); the token is refused"
                );
                false
            }
            (Some(h), _) => h,
            (None, Some(m)) => m,
            (None, None) => false,
        }
    }

    /// One line for the log at start: which backend serves which algorithm.
    pub fn describe(&self) -> String {
        let module = module::IN_THE_MODULE;
        let host = "Envoy's BoringSSL (verify_signature)";
        let (rs_es, es512) = match (&self.host, self.mode) {
            (Some(_), CryptoMode::CrossCheck) if module::HAS_P521 => {
                let both = format!("{host} checked against {module}");
                (both.clone(), both)
            }
            (Some(_), CryptoMode::CrossCheck) => (
                format!("{host} checked against {module}"),
                format!("{host} alone (ring has no P-521)"),
            ),
            (Some(_), _) => (host.to_string(), host.to_string()),
            (None, _) if module::HAS_P521 => (module.to_string(), module.to_string()),
            (None, _) => (
                module.to_string(),
                "refused (P-521 keys are dropped: ring has no P-521 and the host no verify_signature)"
                    .to_string(),
            ),
        };
        let line = format!(
            "crypto {}: RS256/384/512, ES256/384 by {rs_es}; ES512 by {es512}; PS256/384/512, EdDSA by {module}; HS256/384/512 by hmac-sha2 in the module",
            self.mode.name()
        );
        if self.mode != CryptoMode::CrossCheck {
            return line;
        }
        // cross_check promises two opinions; say plainly where only one is possible.
        let single = if self.host.is_some() && module::HAS_P521 {
            "PS256/384/512, EdDSA, HS256/384/512 (module only)"
        } else if self.host.is_some() {
            "ES512 (host only), PS256/384/512, EdDSA, HS256/384/512 (module only)"
        } else {
            "all algorithms (the host's verify_signature is not used), module only"
        };
        format!("{line}; checked by one backend only, counted in verify_single_backend: {single}")
    }
}

#[cfg(test)]
mod tests {
    use super::test_host::RingHost;
    use super::*;

    fn run(crypto: &Crypto, host: bool, module: bool) -> Tally {
        let mut tally = Tally::default();
        let check = Check {
            host: host.then_some(HostCheck {
                hash: "sha256",
                spki: &[],
                signature: std::borrow::Cow::Borrowed(&[]),
                text: &[],
            }),
            module: module.then_some(|| true),
        };
        crypto.verify(check, &mut tally);
        tally
    }

    #[test]
    fn cross_check_counts_what_only_one_backend_could_check() {
        let crypto = Crypto::new(CryptoMode::CrossCheck, Some(Box::new(RingHost)));
        // PS*, EdDSA, HS*: the module alone.
        assert_eq!(run(&crypto, false, true).single_backend, 1);
        // ES512 with ring: the host alone (its answer to this empty check is an error, so a
        // refusal).
        let host_only = run(&crypto, true, false);
        assert_eq!((host_only.single_backend, host_only.host), (1, 1));
        // Both ran: no single check.
        assert_eq!(run(&crypto, true, true).single_backend, 0);
        let line = crypto.describe();
        assert!(line.contains("checked by one backend only"), "{line}");
        // ES512 is checked twice where the module has P-521.
        assert_eq!(
            line.contains("ES512 (host only)"),
            !module::HAS_P521,
            "{line}"
        );
    }

    #[test]
    fn the_line_names_the_module_backend_and_what_serves_es512() {
        let line = Crypto::module_only().describe();
        if module::HAS_P521 {
            assert!(line.contains("ES256/384 by aws-lc-rs in the module; ES512 by aws-lc-rs in the module; PS256/384/512, EdDSA by aws-lc-rs in the module"), "{line}");
        } else {
            assert!(
                line.contains("ES256/384 by ring in the module; ES512 by refused"),
                "{line}"
            );
        }
        let cross = Crypto::new(CryptoMode::CrossCheck, Some(Box::new(RingHost))).describe();
        let es512 = format!(
            "ES512 by Envoy's BoringSSL (verify_signature) {}",
            if module::HAS_P521 {
                "checked against aws-lc-rs in the module"
            } else {
                "alone (ring has no P-521)"
            }
        );
        assert!(cross.contains(&es512), "{cross}");
    }

    #[test]
    fn other_modes_count_no_single_checks() {
        let auto = Crypto::new(CryptoMode::Auto, Some(Box::new(RingHost)));
        assert_eq!(run(&auto, false, true).single_backend, 0);
        assert_eq!(run(&auto, true, false).single_backend, 0);
        assert!(!auto.describe().contains("one backend only"));
    }
}
