//! Known answers the host must give before it verifies anything for us: a valid RS256 and
//! ES256 signature must verify and a corrupted one must not. A host that has no
//! `verify_signature`, or answers any of the four wrongly, is not used.

use super::host::HostVerifier;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

const TEXT: &[u8] = b"jwt-authn-wasm: is verify_signature BoringSSL?";
const RSA_SPKI: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr8seRdeuYfbtqi85OoRv8Hz6+gTGhH97smd2sVilBv/bf6/r+kUegSqPbS0pi4uw8sXnIJD7BrAa6WNr3Q2nT0oKWv4fMel8CDN+jEkdM1v2McqiN303pEx0CtDFpo6KAoBQAfhaU0fPPSvEYiIhd/pcAVvwgrYrhF90SO0xWmzM03EsmD+pU84iIsKjHKHa88jpVRJS7vIkrbZA7H//xihvyM+PGHjvD0dtsRmLlMuW4RuUAAKGVaz7hCQKVtEcqxTcmp533bWl8/XWC4qSCBLzEnlKBXqc1kQ4GzMADD/19f9JcLMnlgDOd9on7co+3GuSB+CwicKSxzLcr4/kIQIDAQAB";
const RS256_SIG: &str = "O+zOoGNtIkg3L2xdKTZNdn5tMEDZk/eWtTrCMQOZqCkfvmDG0W8Q6ja+cdQxVz+xx9OGspeAX4UVEZ/N0Agb49NQdJ4T5laKcdMVEfh+l/3lAfqEWBdhDGVDwhE361IZH7fPHFR63+cP5JVavHvvOYY7Vl3S3CLJcpFi/6SsXU0Zw2SuPYhg/Yl6ZVWzr8XZ5TMkiaMm/STu1C2gPvQ02FSfWDgJvMvBfmXw+44bFrYQ4pw7DhdPS5VedHXL5DwAbe+2lm/6Lyuhb8BrGvYgAD5MmUD4IbZQJ8qvPQC9Uk+hFZcci4cWzIHLGhQT4MWWNluh1e+F2/lEhi3HI7LfCw==";
const P256_SPKI: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEyT219loZOz4pmLwrUVML9WFdHVdGIki/Y0VvJRlO6oKrjf+a09Tya0ShibWBf0QFAfFSLF3xYb64+0eGuqvo7w==";
const ES256_DER_SIG: &str = "MEUCIDWU28Sms4Ftb24onTUdHBJZLNQBSDvUzzUCNEWxjBdNAiEAqxRfu69i3/z46v57/w6T+vLpXZ0S0TF4XmKTmbV8sNc=";

fn decode(text: &str) -> Vec<u8> {
    STANDARD.decode(text).unwrap_or_default()
}

/// `Ok(())` when the host gave all four answers right; otherwise what went wrong.
pub fn probe(host: &dyn HostVerifier) -> Result<(), String> {
    let rsa = decode(RSA_SPKI);
    let mut rs_sig = decode(RS256_SIG);
    let p256 = decode(P256_SPKI);
    let es_sig = decode(ES256_DER_SIG);
    let ask = |what: &str, spki: &[u8], sig: &[u8], text: &[u8], want: bool| match host
        .verify("sha256", spki, sig, text)
    {
        Ok(got) if got == want => Ok(()),
        Ok(got) => Err(format!("{what}: answered {got}, expected {want}")),
        Err(e) => Err(format!("{what}: {e}")),
    };
    ask("valid RS256", &rsa, &rs_sig, TEXT, true)?;
    if let Some(byte) = rs_sig.get_mut(100) {
        *byte ^= 0x01;
    }
    ask("corrupted RS256", &rsa, &rs_sig, TEXT, false)?;
    ask("valid ES256", &p256, &es_sig, TEXT, true)?;
    // The signature stays well-formed DER; the text it covers changes.
    ask(
        "ES256 over other text",
        &p256,
        &es_sig,
        b"jwt-authn-wasm: is verify_signature BoringSSL!",
        false,
    )?;
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

    #[test]
    fn a_correct_host_passes() {
        assert_eq!(probe(&RingHost), Ok(()));
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
    fn a_host_wrong_on_ecdsa_only_fails() {
        struct RsaOnly(Cell<u32>);
        impl HostVerifier for RsaOnly {
            fn verify(
                &self,
                h: &'static str,
                k: &[u8],
                s: &[u8],
                t: &[u8],
            ) -> Result<bool, HostError> {
                self.0.set(self.0.get() + 1);
                if k.len() == 91 {
                    return Ok(true);
                }
                RingHost.verify(h, k, s, t)
            }
        }
        let host = RsaOnly(Cell::new(0));
        assert!(probe(&host).unwrap_err().contains("ES256 over other text"));
        assert_eq!(host.0.get(), 4);
    }
}
