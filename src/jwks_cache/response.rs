//! Judging a JWKS or discovery response. Anything short of a usable key set is a failure,
//! and a failure never replaces the last good keys.

use crate::crypto::Crypto;
use crate::jwks::{KeyPolicy, KeySet};
use serde_json::Value;
use std::fmt;

pub const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// Timeouts and connection failures arrive from Envoy as 504/503 responses; a reset
    /// arrives without any headers.
    Status(Option<u32>),
    TooLarge(usize),
    BadJwks(String),
    NoUsableKey(Vec<String>),
    BadDiscovery(String),
    Dispatch(String),
    /// The filter could not take the response in: the host would not hand over its headers,
    /// or the reply does not fit the provider it was sent for. Not a network failure.
    Internal(String),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Status(Some(code)) => write!(f, "HTTP status {code}"),
            FetchError::Status(None) => f.write_str("no response (connection reset)"),
            FetchError::TooLarge(n) => write!(
                f,
                "body of {n} bytes is over the {MAX_BODY_BYTES}-byte limit"
            ),
            FetchError::BadJwks(why) => write!(f, "invalid JWKS: {why}"),
            FetchError::NoUsableKey(skipped) if skipped.is_empty() => {
                f.write_str("the JWKS has no keys")
            }
            FetchError::NoUsableKey(skipped) => {
                write!(f, "the JWKS has no usable key ({})", skipped.join("; "))
            }
            FetchError::BadDiscovery(why) => write!(f, "invalid OpenID discovery document: {why}"),
            FetchError::Dispatch(why) => write!(f, "could not send the request: {why}"),
            FetchError::Internal(why) => write!(f, "the response could not be handled: {why}"),
        }
    }
}

/// Status and size checks shared by both kinds of response.
pub fn check_status(status: Option<u32>, body_size: usize) -> Result<(), FetchError> {
    if status != Some(200) {
        return Err(FetchError::Status(status));
    }
    if body_size > MAX_BODY_BYTES {
        return Err(FetchError::TooLarge(body_size));
    }
    Ok(())
}

pub fn parse_status(value: &[u8]) -> Option<u32> {
    std::str::from_utf8(value).ok()?.trim().parse().ok()
}

/// A fetched JWKS, with the keys the backends in `crypto` can use (`None`: no limits). A set
/// whose every key is an RSA key above the provider's `max_rsa_key_bits` could verify no
/// token: it is refused as a set without keys is, so the last good keys stay.
pub fn jwks(
    body: &[u8],
    crypto: Option<&Crypto>,
    max_rsa_bits: usize,
) -> Result<KeySet, FetchError> {
    let policy = KeyPolicy {
        symmetric: false,
        crypto,
    };
    let set = KeySet::parse_with(body, policy).map_err(|e| FetchError::BadJwks(e.to_string()))?;
    if set.is_empty() {
        return Err(FetchError::NoUsableKey(set.skipped));
    }
    if set.keys.iter().all(|k| k.key.rsa_bits() > max_rsa_bits) {
        let mut skipped = set.skipped;
        skipped.push(format!(
            "every key is an RSA key above max_rsa_key_bits ({max_rsa_bits})"
        ));
        return Err(FetchError::NoUsableKey(skipped));
    }
    Ok(set)
}

/// The `jwks_uri` of an OpenID discovery document whose `issuer` is ours (OpenID
/// Connect Discovery §4.3: a mismatch means the document is for someone else).
pub fn discovery(body: &[u8], issuer: &str) -> Result<String, FetchError> {
    let doc: Value =
        serde_json::from_slice(body).map_err(|e| FetchError::BadDiscovery(e.to_string()))?;
    let declared = doc.get("issuer").and_then(Value::as_str);
    // A multi-tenant document names its issuer with a placeholder of its own spelling
    // (Entra ID: `{tenantid}`); ours is `{tid}`.
    let normalized = declared.map(|d| match (issuer.contains("{tid}"), d.split_once('{')) {
        (true, Some((before, rest))) => match rest.split_once('}') {
            Some((_, after)) => format!("{before}{{tid}}{after}"),
            None => d.to_string(),
        },
        _ => d.to_string(),
    });
    if normalized.as_deref().map(|i| i.trim_end_matches('/')) != Some(issuer.trim_end_matches('/'))
    {
        return Err(FetchError::BadDiscovery(format!(
            "issuer is {declared:?}, expected {issuer:?}"
        )));
    }
    doc.get("jwks_uri")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| FetchError::BadDiscovery("no jwks_uri string".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_200_of_reasonable_size_is_read() {
        assert_eq!(check_status(Some(200), 10), Ok(()));
        assert_eq!(
            check_status(Some(503), 10),
            Err(FetchError::Status(Some(503)))
        );
        assert_eq!(check_status(None, 0), Err(FetchError::Status(None)));
        assert!(matches!(
            check_status(Some(200), MAX_BODY_BYTES + 1),
            Err(FetchError::TooLarge(_))
        ));
        assert_eq!(parse_status(b"200"), Some(200));
        assert_eq!(parse_status(b"x"), None);
    }

    #[test]
    fn a_response_the_filter_cannot_take_in_is_not_called_a_reset() {
        let unreadable = FetchError::Internal("the host did not hand over its headers".into());
        assert_eq!(
            unreadable.to_string(),
            "the response could not be handled: the host did not hand over its headers"
        );
        assert_eq!(
            FetchError::Status(None).to_string(),
            "no response (connection reset)"
        );
    }

    #[test]
    fn garbage_and_empty_key_sets_are_failures() {
        assert!(matches!(
            jwks(b"<html>", None, 4096),
            Err(FetchError::BadJwks(_))
        ));
        assert!(matches!(
            jwks(br#"{"keys":[]}"#, None, 4096),
            Err(FetchError::NoUsableKey(_))
        ));
        assert!(matches!(
            jwks(br#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#, None, 4096),
            Err(FetchError::NoUsableKey(_))
        ));
    }

    #[test]
    fn a_set_of_rsa_keys_all_above_the_providers_limit_is_a_failure() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine as _;
        // Any odd 3072-bit modulus parses; whether it is a product of primes is not checked.
        let n = URL_SAFE_NO_PAD.encode([0xffu8; 384]);
        let rsa = format!(r#"{{"kty":"RSA","kid":"big","n":"{n}","e":"AQAB"}}"#);
        let only_big = format!(r#"{{"keys":[{rsa}]}}"#);
        match jwks(only_big.as_bytes(), None, 2048) {
            Err(e @ FetchError::NoUsableKey(_)) => {
                assert!(e.to_string().contains("max_rsa_key_bits (2048)"), "{e}")
            }
            other => panic!("{other:?}"),
        }
        assert!(jwks(only_big.as_bytes(), None, 4096).is_ok());
        let x = URL_SAFE_NO_PAD.encode([1u8; 32]);
        let ec = format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{x}"}}"#);
        let mixed = format!(r#"{{"keys":[{rsa},{ec}]}}"#);
        assert!(jwks(mixed.as_bytes(), None, 2048).is_ok());
    }

    #[test]
    fn a_multi_tenant_document_names_its_issuer_with_a_placeholder() {
        let doc = br#"{"issuer":"https://login.example/{tenantid}/v2.0","jwks_uri":"https://login.example/keys"}"#;
        let template = "https://login.example/{tid}/v2.0";
        assert_eq!(
            discovery(doc, template).unwrap(),
            "https://login.example/keys"
        );
        let other = br#"{"issuer":"https://evil.example/{tenantid}/v2.0","jwks_uri":"https://k"}"#;
        assert!(discovery(other, template).is_err());
        // A plain issuer never matches a placeholder.
        assert!(discovery(doc, "https://login.example/abc/v2.0").is_err());
    }

    #[test]
    fn discovery_must_name_our_issuer() {
        let doc = br#"{"issuer":"https://idp/","jwks_uri":"https://idp/keys"}"#;
        assert_eq!(discovery(doc, "https://idp").unwrap(), "https://idp/keys");
        assert!(discovery(doc, "https://other").is_err());
        assert!(discovery(br#"{"issuer":"https://idp"}"#, "https://idp").is_err());
    }
}
