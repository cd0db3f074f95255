//! Known answers the host must give before it verifies anything for us: for every hash and
//! curve it would serve (RS256/384/512, ES256/384/512), a valid signature must verify and a
//! corrupted one must not. A host that has no `verify_signature`, or answers any of the twelve
//! wrongly, is not used: a host right for SHA-256 and wrong for SHA-512 would otherwise accept
//! forged RS512 tokens.

use super::host::HostVerifier;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

const TEXT: &[u8] = b"jwt-authn-wasm: is verify_signature BoringSSL?";
const OTHER_TEXT: &[u8] = b"jwt-authn-wasm: is verify_signature BoringSSL!";
// Made once with OpenSSL (`openssl dgst -sha<N> -sign`); the private keys were not kept.
const RSA_SPKI: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAp6QxqPcTGjGb3Ig8B65uxXXrqg+KGjyOvw3YtIyFQmFfesOwshb6ZrQYi0qYaIS/dSaU5UlJF+mbYYX5Mx1IkWWo79tlTnl4nY+SWjP3Znikwyoeg6gA1kRfQLoEnshbuISzMcrR5+b6jh47k3AIK9hDLqD3i4c07uLoHih8gL1u1AB2KUiDOLGn+8mD5nszlH8hgXKCK5gFO3GOVgZu9iPNxqrx9wF4di521jGVIwD35vQjO0SSq0oEhhS42e7/4M90P+FCSggl+keegj3RZnfCbsCwNjzmJTsK6cDcXIYT7F9/Ym6p2YWHRe40ksE/GPUHKjdpgASLE3bMgYtKhwIDAQAB";
const RS256_SIG: &str = "RvBn9Un0CJBVr4uVdi5rNuQJk39yOQ9dwjH2Fi5D9lA01ZNTU3E/N5TpBtqc2W7Uj9Nv3veverGEEiB8xOD3S4T102svgc+80BmWv+P7JI0lY/+f74vbJP7XYUA2aLTePeIeqgZ2gPIxg9UopBeKRUU7VBMcZ4GGdOH1BKzY81KZFLLrEz80KTOCTkJMFf9pXL15/M+pBE8dq7ZsSFRVcMQMjXWjv0lIMm1ej4r4StrIavGcWOTjYXEmluY+r0VEuU6LlzIR1xTPDO54fWgwDNUqtGHUSfm/4AkQuo3INFutdC4z08MkzMYVTvKDeGNkLrK8UjoGu41S8VG2wRZ2sA==";
const RS384_SIG: &str = "SGgyiSdkc2cOkKY/Q4+Mwd3rAc0BPCm7p6FN5YUJGU+zABDEBx2DfSxmF0MED2JApCnhKRY44gLz10IA6D70MacX0L/m1M232cntochTxdinwBGloM3P1bR4HBGzy54ol6iTPhgQ78Iy8/D7eGfKW70Oe7YoPaCacjdoXUED9mu4QNH6aYsxrL2qyIstV1nIBark9qm7+quYQhtHgVwRNbyO9rAJyJLQizPD4V2kZjrm/G3fji6ukwhsM/T3ddJU//ZTnGPpi6EhVXiy2P1nJV/ZeFioczjHbUlGqesegqrseutL++TqPBjozwvzciVweteBqinjKFq6fyVgNAnzog==";
const RS512_SIG: &str = "d2U1zqg2npILNzNrMs/9IqcrtCr+2FM4v2FR2qJHbGLMV+npq2prSsINOBQTfkrSS8LHM807BQvx9Qv/td5C9TcUohUvbUBU4kS4SQFcid0AQuV4zkXzMqXbuEhl3ckCZO8owZ3w/CE8wN2hM/CTchG2FrauB3R/U3yLPvkpvUKMz5WzDZ0ykQ7zIz2ze1rKVULu+FH2EE5RRZzH7khnVS4YSFR2IPlXsPp4udbzxp6kSz+MZ65DTezlSY4PNFX9EFGpOA36ZPWAhOXgfcT8KW3Iow3Qv3IRFt5laxqz94xwc4yF9rpurI9g+8Ztg6sk0b6/CaJ2grNB1GrUxCcXbg==";
const P256_SPKI: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEyT219loZOz4pmLwrUVML9WFdHVdGIki/Y0VvJRlO6oKrjf+a09Tya0ShibWBf0QFAfFSLF3xYb64+0eGuqvo7w==";
const ES256_DER_SIG: &str = "MEUCIDWU28Sms4Ftb24onTUdHBJZLNQBSDvUzzUCNEWxjBdNAiEAqxRfu69i3/z46v57/w6T+vLpXZ0S0TF4XmKTmbV8sNc=";
const P384_SPKI: &str = "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE8Kb47tIQRzHqjzctDfWSJg02upGnndi0dhKiW8cyZy2Ksx3V3gVkJTVbCLuA8dLr2QGRW0yApEJKjvxvySKA2PRZRzV3rRuFcos7f9TtZHq7yoiedDroIHRR07l0EA0w";
const ES384_DER_SIG: &str = "MGUCMQDOuGJnWR5WWJDUpQUTmA2pfXQN3qJFZKe2uOqrfiYr7j9YXjikvGs5wQ68ykTLkcgCMFkHm3jRRczsy0w2oPmYb5IiTUJSsF0P4N5qAe0iTEka9MnCw3OkFj76bXenWZT5JQ==";
const P521_SPKI: &str = "MIGbMBAGByqGSM49AgEGBSuBBAAjA4GGAAQADC/9hu5MxoxZEv8byELdL8M49qMBNUnfC1WmdK3Q4faa2/fOO1itngP4R5YB4Sc6OStzNKys6hcSh/zk0LUHohYAJvM4sKwFBOeJfVjOONZl4coSQrW/3GlD/N5ktJYhEf4piSPFLsB1q7EsLF58E0cBgi04729xHTRvuvsfcdb5vMM=";
const ES512_DER_SIG: &str = "MIGIAkIB3UWQNcNjw6LagvM5A4AL1rRiuDMTiuJp91EsWMfjbicDiRbE042W0mlVs8bqk2pB0ge33q+I0t/ii4it1rVAbwECQgGWxcWIstxfWyZIAwIMjIvKskI4V6BHQval4jxdT1CqP0p7RFOKKeRfj6BXBz/XyFLQFiq5X2Vsx59e6ZPOL+fKqQ==";

/// (algorithm, hash name the host takes, SubjectPublicKeyInfo, valid signature over `TEXT`).
const VECTORS: [(&str, &str, &str, &str); 6] = [
    ("RS256", "sha256", RSA_SPKI, RS256_SIG),
    ("RS384", "sha384", RSA_SPKI, RS384_SIG),
    ("RS512", "sha512", RSA_SPKI, RS512_SIG),
    ("ES256", "sha256", P256_SPKI, ES256_DER_SIG),
    ("ES384", "sha384", P384_SPKI, ES384_DER_SIG),
    ("ES512", "sha512", P521_SPKI, ES512_DER_SIG),
];

fn decode(text: &str) -> Vec<u8> {
    STANDARD.decode(text).unwrap_or_default()
}

/// `Ok(())` when the host gave every answer right; otherwise the first that went wrong.
pub fn probe(host: &dyn HostVerifier) -> Result<(), String> {
    let ask = |what: &str, hash: &'static str, spki: &[u8], sig: &[u8], text: &[u8], want: bool| {
        match host.verify(hash, spki, sig, text) {
            Ok(got) if got == want => Ok(()),
            Ok(got) => Err(format!("{what}: answered {got}, expected {want}")),
            Err(e) => Err(format!("{what}: {e}")),
        }
    };
    for (alg, hash, spki, sig) in VECTORS {
        let (spki, mut sig) = (decode(spki), decode(sig));
        ask(&format!("valid {alg}"), hash, &spki, &sig, TEXT, true)?;
        if alg.starts_with("RS") {
            if let Some(byte) = sig.get_mut(100) {
                *byte ^= 0x01;
            }
            ask(&format!("corrupted {alg}"), hash, &spki, &sig, TEXT, false)?;
        } else {
            // The signature stays well-formed DER; the text it covers changes.
            ask(
                &format!("{alg} over other text"),
                hash,
                &spki,
                &sig,
                OTHER_TEXT,
                false,
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::host::HostError;
    use super::super::test_host::RingHost;
    use super::*;
    use std::cell::Cell;

    struct Answers(bool);
    impl HostVerifier for Answers {
        fn verify(&self, _: &'static str, _: &[u8], _: &[u8], _: &[u8]) -> Result<bool, HostError> {
            Ok(self.0)
        }
    }

    struct Missing;
    impl HostVerifier for Missing {
        fn verify(&self, _: &'static str, _: &[u8], _: &[u8], _: &[u8]) -> Result<bool, HostError> {
            Err(HostError::Missing)
        }
    }

    /// ring behind the host's interface, and for P-521 (which ring lacks) the one known
    /// answer: the probe's own vector verifies, nothing else does. Real BoringSSL answers
    /// it in Envoy (tests/integration).
    struct Correct;
    impl HostVerifier for Correct {
        fn verify(&self, h: &'static str, k: &[u8], s: &[u8], t: &[u8]) -> Result<bool, HostError> {
            if k == decode(P521_SPKI) {
                return Ok(h == "sha512" && s == decode(ES512_DER_SIG) && t == TEXT);
            }
            RingHost.verify(h, k, s, t)
        }
    }

    /// Right for SHA-256 (RS256, ES256), and for everything else as `other` answers.
    struct RightForSha256<H>(H);
    impl<H: HostVerifier> HostVerifier for RightForSha256<H> {
        fn verify(&self, h: &'static str, k: &[u8], s: &[u8], t: &[u8]) -> Result<bool, HostError> {
            if h == "sha256" {
                Correct.verify(h, k, s, t)
            } else {
                self.0.verify(h, k, s, t)
            }
        }
    }

    #[test]
    fn a_correct_host_passes() {
        assert_eq!(probe(&Correct), Ok(()));
    }

    #[test]
    fn hosts_that_always_agree_or_always_refuse_fail() {
        assert!(probe(&Answers(true))
            .unwrap_err()
            .contains("corrupted RS256"));
        assert!(probe(&Answers(false)).unwrap_err().contains("valid RS256"));
        assert!(probe(&Missing).unwrap_err().contains("no verify_signature"));
    }

    #[test]
    fn a_host_right_for_sha256_only_fails() {
        // Accepting every SHA-384/512 signature would let forged RS384/512 and ES384/512 in.
        let lax = probe(&RightForSha256(Answers(true))).unwrap_err();
        assert!(lax.contains("corrupted RS384"), "{lax}");
        let strict = probe(&RightForSha256(Answers(false))).unwrap_err();
        assert!(strict.contains("valid RS384"), "{strict}");
    }

    #[test]
    fn a_host_wrong_on_one_curve_only_fails() {
        struct WrongOn(usize);
        impl HostVerifier for WrongOn {
            fn verify(
                &self,
                h: &'static str,
                k: &[u8],
                s: &[u8],
                t: &[u8],
            ) -> Result<bool, HostError> {
                if k.len() == self.0 {
                    return Ok(true);
                }
                Correct.verify(h, k, s, t)
            }
        }
        for (spki, alg) in [
            (P256_SPKI, "ES256"),
            (P384_SPKI, "ES384"),
            (P521_SPKI, "ES512"),
        ] {
            let err = probe(&WrongOn(decode(spki).len())).unwrap_err();
            assert_eq!(
                err,
                format!("{alg} over other text: answered true, expected false")
            );
        }
    }

    #[test]
    fn every_algorithm_is_asked_twice() {
        struct Counting(Cell<u32>);
        impl HostVerifier for Counting {
            fn verify(
                &self,
                h: &'static str,
                k: &[u8],
                s: &[u8],
                t: &[u8],
            ) -> Result<bool, HostError> {
                self.0.set(self.0.get() + 1);
                Correct.verify(h, k, s, t)
            }
        }
        let host = Counting(Cell::new(0));
        assert_eq!(probe(&host), Ok(()));
        assert_eq!(host.0.get(), 12);
    }
}
