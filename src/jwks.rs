//! JWKS documents turned into ready-to-use verification keys. Parsing happens once per JWKS
//! version; the request path only looks keys up.

use crate::crypto::der::Curve;
use crate::crypto::{module, Crypto};
use crate::jwt::Alg;
use crate::signature::PublicKey;
use crate::strict_json;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde_json::Value;
use std::fmt;

/// Key material in JWKs is sometimes padded; unlike token segments it is not signed input,
/// so accepting both spellings loses nothing.
const JWK_B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub use crate::signature::{MAX_RSA_BITS, MIN_RSA_BITS};

/// Keys used from one JWKS; issuers publish a handful. The rest are dropped, which bounds
/// the work (and memory) a hostile or broken JWKS can cause per refresh.
pub const MAX_KEYS: usize = 100;
/// Keys one token may be tried against (without `kid`, or with one that several keys share):
/// each try is a signature verification, also bounded by the request's budget (`cost`).
pub const MAX_KEYS_TRIED: usize = 10;
/// RSA public exponents of at most 17 bits (65537 has 17): every bit of `e` is one or two
/// modular multiplications on each verification, so `e = 2^33 - 1` costs about 3 times as
/// much as 65537, and larger ones are no safer.
pub const MAX_RSA_EXPONENT_BITS: usize = 17;
/// RSA moduli a provider takes unless its `max_rsa_key_bits` says more: one 8192-bit
/// verification costs 16 times a 2048-bit one.
pub const DEFAULT_MAX_RSA_KEY_BITS: usize = 4096;

/// What a JWKS may hold where it is parsed.
#[derive(Clone, Copy)]
pub struct KeyPolicy<'a> {
    /// `oct` (HMAC) keys: only from the configuration.
    pub symmetric: bool,
    /// The backends that will verify, when known: P-521 keys need the host or aws-lc-rs in
    /// the module, and the host must be able to import a key. `None` (configuration checks):
    /// no backend limits.
    pub crypto: Option<&'a Crypto>,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksError {
    NotJson,
    NoKeysArray,
}

impl fmt::Display for JwksError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwksError::NotJson => f.write_str("the JWKS is not a JSON object"),
            JwksError::NoKeysArray => f.write_str("the JWKS has no \"keys\" array"),
        }
    }
}

pub struct Jwk {
    pub kid: Option<String>,
    /// The `alg` the JWK pins, if any; a token must then use exactly it.
    pub alg: Option<Alg>,
    pub key: PublicKey,
    /// What one verification with this key costs, in `cost` units.
    pub cost: u32,
}

impl Jwk {
    /// Same `kid`, `alg` and key material: trying it again could only repeat the answer.
    fn same_as(&self, other: &Jwk) -> bool {
        self.kid == other.kid && self.alg == other.alg && self.key == other.key
    }

    pub fn fits(&self, alg: Alg) -> bool {
        self.alg.is_none_or(|pinned| pinned == alg) && self.key.supports(alg)
    }
}

#[derive(Default)]
pub struct KeySet {
    pub keys: Vec<Jwk>,
    /// Why keys were left out, for one log line per JWKS version.
    pub skipped: Vec<String>,
    /// How many keys were left out (entries beyond `MAX_KEYS` are not each described).
    pub ignored: usize,
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySet")
            .field("keys", &self.keys.len())
            .field("skipped", &self.skipped)
            .finish()
    }
}

impl KeySet {
    /// Parses a JWKS that may hold symmetric (`oct`) keys: only for inline configuration.
    pub fn parse(bytes: &[u8]) -> Result<KeySet, JwksError> {
        Self::parse_with(
            bytes,
            KeyPolicy {
                symmetric: true,
                crypto: None,
            },
        )
    }

    /// Parses a JWKS fetched over the network. Symmetric keys there would be a shared
    /// secret published to anyone, so they are ignored.
    pub fn parse_remote(bytes: &[u8]) -> Result<KeySet, JwksError> {
        Self::parse_with(
            bytes,
            KeyPolicy {
                symmetric: false,
                crypto: None,
            },
        )
    }

    pub fn parse_with(bytes: &[u8], policy: KeyPolicy<'_>) -> Result<KeySet, JwksError> {
        let doc = match strict_json::parse(bytes) {
            Ok(Value::Object(doc)) => doc,
            _ => return Err(JwksError::NotJson),
        };
        let Some(Value::Array(entries)) = doc.get("keys") else {
            return Err(JwksError::NoKeysArray);
        };
        let mut set = KeySet::default();
        for (i, entry) in entries.iter().enumerate() {
            if set.keys.len() == MAX_KEYS {
                let rest = entries.len() - i;
                set.ignored += rest;
                set.skipped.push(format!(
                    "keys[{i}..]: {rest} keys beyond the first {MAX_KEYS} usable ones"
                ));
                break;
            }
            let why = match parse_jwk(entry, policy) {
                Ok(Some(jwk)) => match set.keys.iter().position(|k| k.same_as(&jwk)) {
                    None => {
                        set.keys.push(jwk);
                        continue;
                    }
                    Some(j) => format!("duplicate of the key kept from keys[{j}]"),
                },
                Ok(None) => continue,
                Err(why) => why,
            };
            set.ignored += 1;
            set.skipped.push(format!("keys[{i}]: {why}"));
        }
        Ok(set)
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether any key carries this `kid`: an unknown one suggests the issuer rotated keys.
    pub fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }
}

/// `Ok(None)`: a key that is fine but not for us (encryption keys).
fn parse_jwk(entry: &Value, policy: KeyPolicy<'_>) -> Result<Option<Jwk>, String> {
    let Some(obj) = entry.as_object() else {
        return Err("not an object".into());
    };
    if obj.get("use").and_then(Value::as_str) == Some("enc")
        || !key_ops::allows_verify(obj.get("key_ops"))?
    {
        return Ok(None);
    }
    let kty = obj
        .get("kty")
        .and_then(Value::as_str)
        .ok_or("no \"kty\" string")?;
    let kid = match obj.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Err("\"kid\" is not a string".into()),
    };
    let alg = match obj.get("alg") {
        None => None,
        Some(Value::String(name)) => {
            Some(Alg::from_name(name).ok_or_else(|| format!("unsupported alg {name:?}"))?)
        }
        Some(_) => return Err("\"alg\" is not a string".into()),
    };
    let field = |name: &str| -> Result<Vec<u8>, String> {
        let text = obj
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("no {name:?} string"))?;
        JWK_B64
            .decode(text)
            .map_err(|_| format!("{name:?} is not base64url"))
    };
    // The RSA exponent, which the cost of a verification depends on.
    let mut exponent = Vec::new();
    let key = match kty {
        "RSA" => {
            let n = field("n")?;
            let e = field("e")?;
            let key = PublicKey::rsa(&n, &e)?;
            let e_bits = cost::bit_len(&e);
            if e_bits > MAX_RSA_EXPONENT_BITS {
                return Err(format!(
                    "RSA exponent of {e_bits} bits is above the {MAX_RSA_EXPONENT_BITS}-bit maximum (65537 has 17)"
                ));
            }
            exponent = e;
            key
        }
        "EC" => {
            let crv = obj.get("crv").and_then(Value::as_str).unwrap_or("");
            PublicKey::ec(crv, &field("x")?, &field("y")?)?
        }
        "OKP" => {
            let crv = obj.get("crv").and_then(Value::as_str).unwrap_or("");
            PublicKey::okp(crv, &field("x")?)?
        }
        "oct" if policy.symmetric => PublicKey::oct(&field("k")?)?,
        "oct" => return Err("symmetric keys are accepted only in local_jwks".into()),
        other => return Err(format!("unsupported kty {other:?}")),
    };
    if let Some(alg) = alg {
        if !key.supports(alg) {
            return Err(match kty {
                "oct" if alg.name().starts_with("HS") => format!(
                    "alg {} needs a key at least as long as its hash (RFC 7518 §3.2)",
                    alg.name()
                ),
                _ => format!("alg {} does not fit kty {kty}", alg.name()),
            });
        }
    }
    if let Some(crypto) = policy.crypto {
        usable_by(&key, crypto)?;
    }
    let cost = cost::of(&key, &exponent);
    Ok(Some(Jwk {
        kid,
        alg,
        key,
        cost,
    }))
}

/// Refuses, once per JWKS version, keys the backends could not use on any request.
fn usable_by(key: &PublicKey, crypto: &Crypto) -> Result<(), String> {
    if key.curve() == Some(Curve::P521) && !crypto.has_host() && !module::HAS_P521 {
        return Err(
            "P-521 (ES512) keys need the host's verify_signature (Envoy 1.31 or later); ring has no P-521"
                .into(),
        );
    }
    if let Some((hash, spki)) = key.spki() {
        if crypto.host_imports(hash, spki) == Some(false) {
            return Err(match key.curve() {
                Some(curve) => format!(
                    "BoringSSL cannot import the key (not a {} point?)",
                    curve.name()
                ),
                None => "BoringSSL cannot import the RSA key".into(),
            });
        }
    }
    Ok(())
}

mod key_ops;

pub mod cost;
#[cfg(test)]
mod tests;
