//! Parsing of a compact JWS token into its header, claims and signature, with the same
//! checks, in the same order, as Envoy's jwt_verify_lib, so both give the same answer.

use crate::error::AuthError;
use crate::strict_json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    ES512,
    EdDSA,
    HS256,
    HS384,
    HS512,
}

impl Alg {
    pub fn from_name(name: &str) -> Option<Alg> {
        Some(match name {
            "RS256" => Alg::RS256,
            "RS384" => Alg::RS384,
            "RS512" => Alg::RS512,
            "PS256" => Alg::PS256,
            "PS384" => Alg::PS384,
            "PS512" => Alg::PS512,
            "ES256" => Alg::ES256,
            "ES384" => Alg::ES384,
            "ES512" => Alg::ES512,
            "EdDSA" => Alg::EdDSA,
            "HS256" => Alg::HS256,
            "HS384" => Alg::HS384,
            "HS512" => Alg::HS512,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::ES512 => "ES512",
            Alg::EdDSA => "EdDSA",
            Alg::HS256 => "HS256",
            Alg::HS384 => "HS384",
            Alg::HS512 => "HS512",
        }
    }
}

/// A parsed, not yet verified token. Borrowed parts point into the original token text.
#[derive(Debug, Clone)]
pub struct Jwt<'a> {
    pub token: &'a str,
    pub alg: Alg,
    pub kid: Option<String>,
    pub typ: Option<String>,
    pub payload_b64: &'a str,
    /// `header.payload`: the bytes the signature covers.
    pub signing_input: &'a str,
    pub signature: Vec<u8>,
    pub claims: Map<String, Value>,
    pub iss: Option<String>,
    pub sub: Option<String>,
    pub audiences: Vec<String>,
    pub exp: Option<u64>,
    pub nbf: Option<u64>,
    pub iat: Option<u64>,
}

/// Header parameters whose meaning we implement; anything else named in `crit` is refused
/// (RFC 7515 §4.1.11).
const UNDERSTOOD_CRIT: [&str; 0] = [];

pub fn parse(token: &str) -> Result<Jwt<'_>, AuthError> {
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::BadFormat);
    };
    let header_bytes = URL_SAFE_NO_PAD
        .decode(header_b64)
        .map_err(|_| AuthError::HeaderBadBase64)?;
    let header = match strict_json::parse(&header_bytes) {
        Ok(Value::Object(map)) => map,
        _ => return Err(AuthError::HeaderBadJson),
    };
    let alg = match header.get("alg") {
        Some(Value::String(name)) => Alg::from_name(name).ok_or(AuthError::AlgNotImplemented)?,
        _ => return Err(AuthError::HeaderBadAlg),
    };
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err(AuthError::HeaderBadKid),
    };
    let typ = header
        .get("typ")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(crit) = header.get("crit") {
        let understood = crit.as_array().is_some_and(|names| {
            !names.is_empty()
                && names
                    .iter()
                    .all(|n| n.as_str().is_some_and(|n| UNDERSTOOD_CRIT.contains(&n)))
        });
        if !understood {
            return Err(AuthError::CritNotSupported);
        }
    }

    let payload_bytes = URL_SAFE_NO_PAD
        .decode(payload_b64)
        .map_err(|_| AuthError::PayloadBadBase64)?;
    let claims = match strict_json::parse(&payload_bytes) {
        Ok(Value::Object(map)) => map,
        _ => return Err(AuthError::PayloadBadJson),
    };
    let iss = optional_string(&claims, "iss", AuthError::IssNotString)?;
    let sub = optional_string(&claims, "sub", AuthError::SubNotString)?;
    use AuthError::*;
    let iat = optional_time(&claims, "iat", (IatNotInteger, IatOutOfRange))?;
    let nbf = optional_time(&claims, "nbf", (NbfNotInteger, NbfOutOfRange))?;
    let exp = optional_time(&claims, "exp", (ExpNotInteger, ExpOutOfRange))?;
    let audiences = match claims.get("aud") {
        None => Vec::new(),
        Some(Value::String(a)) => vec![a.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .map(|a| {
                a.as_str()
                    .map(str::to_string)
                    .ok_or(AuthError::AudNotString)
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(AuthError::AudNotString),
    };

    // Envoy's base64 decoder skips whitespace, so a signature with spaces in it (a cookie
    // written `jwt=<token> ;`, a `%20` in a parameter) verifies there; the signature is not
    // part of the signed bytes, so skipping it here lets nothing else through.
    // Whitespace is looked for only when the signature does not decode as it is: a scan of
    // every signature was a tenth of a cache miss's work outside the crypto.
    let is_space = |c: char| c.is_ascii_whitespace() || c == '\x0b';
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .or_else(|e| match signature_b64.contains(is_space) {
            true => URL_SAFE_NO_PAD.decode(signature_b64.replace(is_space, "")),
            false => Err(e),
        })
        .map_err(|_| AuthError::SignatureBadBase64)?;
    let signing_input = token
        .get(..header_b64.len() + 1 + payload_b64.len())
        .ok_or(AuthError::BadFormat)?;
    Ok(Jwt {
        token,
        alg,
        kid,
        typ,
        payload_b64,
        signing_input,
        signature,
        claims,
        iss,
        sub,
        audiences,
        exp,
        nbf,
        iat,
    })
}

fn optional_string(
    claims: &Map<String, Value>,
    name: &str,
    err: AuthError,
) -> Result<Option<String>, AuthError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(err),
    }
}

/// Times are whole seconds since the epoch. A fractional or negative number, or a string,
/// is refused rather than rounded into something the issuer did not sign.
/// A NumericDate (RFC 7519 §2): any JSON number of seconds, fractions allowed. As Envoy: a
/// fraction is cut off, and a number below 0 or not below 2^64 is out of range.
fn optional_time(
    claims: &Map<String, Value>,
    name: &str,
    (not_a_number, out_of_range): (AuthError, AuthError),
) -> Result<Option<u64>, AuthError> {
    let n = match claims.get(name) {
        None => return Ok(None),
        Some(Value::Number(n)) => n,
        Some(_) => return Err(not_a_number),
    };
    if let Some(whole) = n.as_u64() {
        return Ok(Some(whole));
    }
    match n.as_f64() {
        // 2^64 as f64; `as` saturates, but the bound keeps Envoy's answer for larger values.
        Some(v) if (0.0..18_446_744_073_709_551_616.0).contains(&v) => Ok(Some(v as u64)),
        _ => Err(out_of_range),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::b64;

    fn token(header: &str, payload: &str) -> String {
        format!("{}.{}.{}", b64(header), b64(payload), b64("sig"))
    }

    #[test]
    fn whitespace_in_the_signature_is_skipped_as_envoy_does() {
        let text = token(r#"{"alg":"RS256"}"#, "{}");
        let (signed, sig) = text.rsplit_once('.').unwrap();
        let spaced = format!("{signed}.{} \t{}\n", &sig[..2], &sig[2..]);
        let jwt = parse(&spaced).unwrap();
        assert_eq!(
            (jwt.signature.as_slice(), jwt.signing_input),
            (&b"sig"[..], signed)
        );
        let in_payload = format!("{} .{sig}", signed);
        assert_eq!(parse(&in_payload).err(), Some(AuthError::PayloadBadBase64));
    }

    #[test]
    fn numeric_dates_may_have_fractions_and_exponents() {
        let times = |payload: &str| {
            let text = token(r#"{"alg":"RS256"}"#, payload);
            let jwt = parse(&text).unwrap();
            (jwt.exp, jwt.nbf, jwt.iat)
        };
        assert_eq!(
            times(r#"{"exp":1796049239.5,"nbf":10.99,"iat":0.1}"#),
            (Some(1796049239), Some(10), Some(0))
        );
        assert_eq!(
            times(r#"{"exp":1.8e9,"nbf":1E3}"#),
            (Some(1_800_000_000), Some(1000), None)
        );
        assert_eq!(times(r#"{"exp":18446744073709551615}"#).0, Some(u64::MAX));
    }

    #[test]
    fn parses_claims() {
        let t = token(
            r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#,
            r#"{"iss":"i","aud":["a","b"],"exp":20,"nbf":10,"iat":10,"x":{"y":1}}"#,
        );
        let jwt = parse(&t).unwrap();
        assert_eq!(jwt.alg, Alg::RS256);
        assert_eq!(jwt.kid.as_deref(), Some("k1"));
        assert_eq!(jwt.audiences, vec!["a", "b"]);
        assert_eq!((jwt.exp, jwt.nbf, jwt.iat), (Some(20), Some(10), Some(10)));
        assert_eq!(jwt.signature, b"sig");
        assert!(t.starts_with(jwt.signing_input) && jwt.signing_input.matches('.').count() == 1);
    }

    #[test]
    fn malformed_tokens_get_envoy_reasons() {
        let cases = [
            ("a.b".to_string(), AuthError::BadFormat),
            ("a.b.c.d".to_string(), AuthError::BadFormat),
            ("!!.e30.e30".to_string(), AuthError::HeaderBadBase64),
            (format!("{}.e30.e30", b64("nope")), AuthError::HeaderBadJson),
            (
                token(r#"{"alg":"none"}"#, "{}"),
                AuthError::AlgNotImplemented,
            ),
            (
                token(r#"{"alg":"NONE"}"#, "{}"),
                AuthError::AlgNotImplemented,
            ),
            (token(r#"{"alg":5}"#, "{}"), AuthError::HeaderBadAlg),
            (
                token(r#"{"alg":"RS256","kid":7}"#, "{}"),
                AuthError::HeaderBadKid,
            ),
            (
                token(r#"{"alg":"RS256","crit":["exp"]}"#, "{}"),
                AuthError::CritNotSupported,
            ),
            (
                token(r#"{"alg":"RS256","alg":"HS256"}"#, "{}"),
                AuthError::HeaderBadJson,
            ),
            (
                token(r#"{"alg":"RS256"}"#, r#"{"iss":1}"#),
                AuthError::IssNotString,
            ),
            (
                token(r#"{"alg":"RS256"}"#, r#"{"exp":"1"}"#),
                AuthError::ExpNotInteger,
            ),
            (
                token(r#"{"alg":"RS256"}"#, r#"{"exp":true}"#),
                AuthError::ExpNotInteger,
            ),
            (
                token(r#"{"alg":"RS256"}"#, r#"{"exp":null}"#),
                AuthError::ExpNotInteger,
            ),
            (
                token(r#"{"alg":"RS256"}"#, r#"{"iat":[1]}"#),
                AuthError::IatNotInteger,
            ),
            (
                token(r#"{"alg":"RS256"}"#, r#"{"nbf":-1}"#),
                AuthError::NbfOutOfRange,
            ),
            (
                token(r#"{"alg":"RS256"}"#, r#"{"exp":-0.5}"#),
                AuthError::ExpOutOfRange,
            ),
            (
                token(r#"{"alg":"RS256"}"#, r#"{"exp":1.8446744073709552e19}"#),
                AuthError::ExpOutOfRange,
            ),
            (
                token(r#"{"alg":"RS256"}"#, r#"{"aud":{"a":1}}"#),
                AuthError::AudNotString,
            ),
            (
                token(r#"{"alg":"RS256"}"#, r#"{"aud":[1]}"#),
                AuthError::AudNotString,
            ),
            (
                token(r#"{"alg":"RS256"}"#, r#"{"iss":"a","iss":"b"}"#),
                AuthError::PayloadBadJson,
            ),
            (token(r#"{"alg":"RS256"}"#, "[]"), AuthError::PayloadBadJson),
        ];
        for (t, want) in cases {
            assert_eq!(parse(&t).unwrap_err(), want, "{t}");
        }
        let padded = format!("{}=", token(r#"{"alg":"RS256"}"#, "{}"));
        assert_eq!(parse(&padded).unwrap_err(), AuthError::SignatureBadBase64);
    }
}
