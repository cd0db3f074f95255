use super::*;
use crate::crypto::host::{HostError, HostVerifier};
use crate::crypto::{CryptoMode, Tally};
use crate::signature::verify_raw;
use crate::test_support::{b64, rsa};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwt_simple::prelude::*;
use serde_json::json;
use std::sync::OnceLock;

/// The shared test key's modulus and exponent.
fn rsa_components() -> &'static (Vec<u8>, Vec<u8>) {
    static KEY: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    KEY.get_or_init(|| {
        let c = rsa().public_key().to_components();
        (c.n, c.e)
    })
}

fn rsa_jwk(kid: &str) -> Value {
    let (n, e) = rsa_components();
    json!({"kty": "RSA", "kid": kid, "n": b64(n), "e": b64(e)})
}

/// A public JWK as jwt-simple writes it (`kty`, `crv`, `x`, `y`, `alg`, `use`), with `kid`.
fn exported(jwk: String, kid: &str) -> Value {
    let mut v: Value = serde_json::from_str(&jwk).unwrap();
    v["kid"] = json!(kid);
    v
}

fn p256_jwk(kid: &str) -> Value {
    exported(ES256KeyPair::generate().public_key().to_jwk(), kid)
}

fn p384_jwk(kid: &str) -> Value {
    exported(ES384KeyPair::generate().public_key().to_jwk(), kid)
}

/// A P-521 public key (jwt-simple has no ES512), made with Python's `cryptography`.
fn p521_jwk(kid: &str) -> Value {
    json!({
        "kty": "EC",
        "crv": "P-521",
        "kid": kid,
        "x": "AASZR5s2ctvVD6_zgjAl2ofgMqMNGVZwDPFM2fei3ZO3JAzDJQ72ot7i_fPWkwwy6w0OlOQahjMcW6Es-MqG7Q8X",
        "y": "AZ0XXRmnlqWN56iR1Ek2y65y4iqZY6U99WqI1CPK8yhwV_aaPP3zMtzLis7XLXKXVfzpu09uz4NPGs1YZiaUEpgb",
    })
}

fn ed25519_jwk(kid: &str) -> Value {
    exported(Ed25519KeyPair::generate().public_key().to_jwk(), kid)
}

fn oct_jwk(kid: &str) -> Value {
    json!({"kty": "oct", "kid": kid, "k": b64(b"a shared secret of 32 bytes!!!!!")})
}

fn without(mut jwk: Value, field: &str) -> Value {
    jwk.as_object_mut().unwrap().remove(field);
    jwk
}

fn with(mut jwk: Value, field: &str, value: Value) -> Value {
    jwk[field] = value;
    jwk
}

fn jwks(keys: Vec<Value>) -> Vec<u8> {
    json!({ "keys": keys }).to_string().into_bytes()
}

fn kids(set: &KeySet) -> Vec<&str> {
    set.keys
        .iter()
        .map(|k| k.kid.as_deref().unwrap_or("-"))
        .collect()
}

#[test]
fn every_key_type_parses_and_fits_only_its_algorithms() {
    use Alg::*;
    let text = jwks(vec![
        rsa_jwk("rsa"),
        p256_jwk("p256"),
        p384_jwk("p384"),
        ed25519_jwk("ed"),
        oct_jwk("oct"),
        p521_jwk("p521"),
    ]);
    let set = KeySet::parse(&text).unwrap();
    assert!(set.skipped.is_empty(), "{:?}", set.skipped);
    assert_eq!(kids(&set), vec!["rsa", "p256", "p384", "ed", "oct", "p521"]);
    assert_eq!((set.len(), set.is_empty()), (6, false));
    assert_eq!(set.keys[0].key.rsa_bits(), 2048);

    let all = [
        RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, HS256, HS384, HS512,
    ];
    let fitting =
        |i: usize| -> Vec<Alg> { all.into_iter().filter(|a| set.keys[i].fits(*a)).collect() };
    assert_eq!(fitting(0), vec![RS256, RS384, RS512, PS256, PS384, PS512]);
    assert_eq!(fitting(1), vec![ES256]);
    assert_eq!(fitting(2), vec![ES384]);
    assert_eq!(fitting(3), vec![EdDSA]);
    // 32 bytes: long enough for HS256 only (RFC 7518 §3.2).
    assert_eq!(fitting(4), vec![HS256]);
    assert_eq!(fitting(5), vec![ES512]);
}

#[test]
fn a_pinned_alg_narrows_the_key_to_it() {
    let set = KeySet::parse(&jwks(vec![with(rsa_jwk("r"), "alg", json!("PS384"))])).unwrap();
    let key = &set.keys[0];
    assert_eq!(key.alg, Some(Alg::PS384));
    assert!(key.fits(Alg::PS384));
    assert!(!key.fits(Alg::RS256) && !key.fits(Alg::PS256));
}

#[test]
fn remote_jwks_never_yield_symmetric_keys() {
    let text = jwks(vec![oct_jwk("oct"), p256_jwk("p256")]);
    let set = KeySet::parse_remote(&text).unwrap();
    assert_eq!(kids(&set), vec!["p256"]);
    assert_eq!(
        set.skipped,
        vec!["keys[0]: symmetric keys are accepted only in local_jwks"]
    );
    assert!(!set.has_kid("oct"));
    assert_eq!(KeySet::parse(&text).unwrap().len(), 2);
}

#[test]
fn encryption_keys_are_ignored_silently() {
    let text = jwks(vec![
        with(p256_jwk("enc"), "use", json!("enc")),
        with(rsa_jwk("enc-rsa"), "use", json!("enc")),
        with(p256_jwk("sig"), "use", json!("sig")),
        p256_jwk("no-use"),
    ]);
    let set = KeySet::parse_remote(&text).unwrap();
    assert_eq!(kids(&set), vec!["sig", "no-use"]);
    assert!(set.skipped.is_empty(), "{:?}", set.skipped);
}

#[test]
fn weak_rsa_keys_are_dropped_with_a_reason_and_the_rest_stay() {
    let (n, e) = rsa_components();
    // 1024 bits: top bit set, odd.
    let mut short = n[..128].to_vec();
    short[0] |= 0x80;
    short[127] |= 1;
    let weak = json!({"kty": "RSA", "kid": "weak", "n": b64(&short), "e": b64(e)});
    let text = jwks(vec![weak, p256_jwk("ec"), rsa_jwk("strong")]);
    let set = KeySet::parse_remote(&text).unwrap();
    assert_eq!(kids(&set), vec!["ec", "strong"]);
    assert_eq!(
        set.skipped,
        vec!["keys[0]: RSA key of 1024 bits is below the 2048-bit minimum"]
    );
    assert!(!set.has_kid("weak"));
}

#[test]
fn a_modulus_with_a_leading_zero_octet_keeps_its_size() {
    // Some issuers write n with the sign octet of its ASN.1 form; its size is unchanged.
    let (n, e) = rsa_components();
    let mut padded = vec![0u8];
    padded.extend_from_slice(n);
    let set = KeySet::parse_remote(&jwks(vec![
        json!({"kty": "RSA", "n": b64(&padded), "e": b64(e)}),
    ]))
    .unwrap();
    assert!(set.skipped.is_empty(), "{:?}", set.skipped);
    assert_eq!(set.keys[0].key.rsa_bits(), 2048);
}

#[test]
fn padded_base64_in_keys_is_accepted() {
    let (n, e) = rsa_components();
    assert_eq!(e, &[1, 0, 1]);
    // 256 bytes of n encode to 342 characters, padded with "==" to a multiple of four.
    let jwk = json!({"kty": "RSA", "n": URL_SAFE_NO_PAD.encode(n) + "==", "e": "AQAB"});
    let set = KeySet::parse(&jwks(vec![jwk])).unwrap();
    assert_eq!((set.len(), set.skipped.len()), (1, 0), "{:?}", set.skipped);
}

#[test]
fn algs_that_do_not_fit_the_key_type_drop_the_key() {
    let text = jwks(vec![
        with(rsa_jwk("r"), "alg", json!("ES256")),
        with(p256_jwk("e"), "alg", json!("ES384")),
        with(p384_jwk("e384"), "alg", json!("HS384")),
        with(p521_jwk("e521"), "alg", json!("ES384")),
        with(p256_jwk("e256"), "alg", json!("ES512")),
        with(ed25519_jwk("ed"), "alg", json!("RS256")),
        with(oct_jwk("o"), "alg", json!("RS256")),
        with(rsa_jwk("oaep"), "alg", json!("RSA-OAEP")),
        with(rsa_jwk("alg-num"), "alg", json!(256)),
        p256_jwk("fine"),
    ]);
    let set = KeySet::parse(&text).unwrap();
    assert_eq!(kids(&set), vec!["fine"]);
    assert_eq!(
        set.skipped,
        vec![
            "keys[0]: alg ES256 does not fit kty RSA",
            "keys[1]: alg ES384 does not fit kty EC",
            "keys[2]: alg HS384 does not fit kty EC",
            "keys[3]: alg ES384 does not fit kty EC",
            "keys[4]: alg ES512 does not fit kty EC",
            "keys[5]: alg RS256 does not fit kty OKP",
            "keys[6]: alg RS256 does not fit kty oct",
            "keys[7]: unsupported alg \"RSA-OAEP\"",
            "keys[8]: \"alg\" is not a string",
        ]
    );
}

#[test]
fn bad_or_missing_key_material_drops_only_that_key() {
    let (n, _) = rsa_components();
    let p256 = p256_jwk("p");
    let p384 = p384_jwk("p384");
    let p521_x = URL_SAFE_NO_PAD
        .decode(p521_jwk("p521")["x"].as_str().unwrap())
        .unwrap();
    let cases: Vec<(Value, &str)> = vec![
        (json!("a string"), "not an object"),
        (without(rsa_jwk("r"), "kty"), "no \"kty\" string"),
        (with(rsa_jwk("r"), "kty", json!(1)), "no \"kty\" string"),
        (
            with(rsa_jwk("r"), "kty", json!("DSA")),
            "unsupported kty \"DSA\"",
        ),
        (
            with(rsa_jwk("r"), "kid", json!(7)),
            "\"kid\" is not a string",
        ),
        (without(rsa_jwk("r"), "n"), "no \"n\" string"),
        (without(rsa_jwk("r"), "e"), "no \"e\" string"),
        (
            with(rsa_jwk("r"), "n", json!("!!!not-base64!!!")),
            "\"n\" is not base64url",
        ),
        (
            with(rsa_jwk("r"), "n", json!(format!("+/{}", &b64(n)[2..]))),
            "\"n\" is not base64url",
        ),
        (with(rsa_jwk("r"), "e", json!(["AQAB"])), "no \"e\" string"),
        (without(p256.clone(), "y"), "no \"y\" string"),
        (without(p256.clone(), "x"), "no \"x\" string"),
        (without(p256.clone(), "crv"), "unsupported EC curve \"\""),
        (
            with(p256.clone(), "crv", json!("P-521")),
            "P-521 coordinates must be 66 bytes",
        ),
        (
            with(p256.clone(), "crv", json!("secp521r1")),
            "unsupported EC curve \"secp521r1\"",
        ),
        (
            // 65 bytes: the leading zero byte of x dropped.
            with(p521_jwk("p521"), "x", json!(b64(&p521_x[1..]))),
            "P-521 coordinates must be 66 bytes",
        ),
        (
            with(p256.clone(), "crv", json!("P-384")),
            "P-384 coordinates must be 48 bytes",
        ),
        (
            with(p256.clone(), "x", p384["x"].clone()),
            "P-256 coordinates must be 32 bytes",
        ),
        (
            with(ed25519_jwk("ed"), "crv", json!("X25519")),
            "unsupported OKP curve \"X25519\"",
        ),
        (
            with(ed25519_jwk("ed"), "x", json!(b64([1u8; 31]))),
            "Ed25519 keys are 32 bytes",
        ),
        (without(ed25519_jwk("ed"), "x"), "no \"x\" string"),
        (
            with(oct_jwk("o"), "k", json!("")),
            "a symmetric key of 0 bits is shorter than HS256's 256 (RFC 7518 §3.2)",
        ),
        (without(oct_jwk("o"), "k"), "no \"k\" string"),
    ];
    for (bad, why) in cases {
        let set = KeySet::parse(&jwks(vec![bad.clone(), p256.clone()])).unwrap();
        assert_eq!(kids(&set), vec!["p"], "{bad}");
        assert_eq!(set.skipped, vec![format!("keys[0]: {why}")], "{bad}");
    }
}

#[test]
fn duplicate_json_keys_refuse_the_whole_document() {
    let jwk = rsa_jwk("r").to_string();
    let inner = jwk.replacen('{', "{\"kid\":\"other\",", 1);
    for text in [
        format!("{{\"keys\":[{jwk}],\"keys\":[]}}"),
        format!("{{\"keys\":[{inner}]}}"),
    ] {
        assert_eq!(
            KeySet::parse(text.as_bytes()).unwrap_err(),
            JwksError::NotJson,
            "{text}"
        );
        assert_eq!(
            KeySet::parse_remote(text.as_bytes()).unwrap_err(),
            JwksError::NotJson,
            "{text}"
        );
    }
}

#[test]
fn documents_that_are_not_a_jwks_are_errors() {
    for text in [
        "",
        "garbage",
        "[]",
        "\"keys\"",
        "{\"keys\":[]} trailing",
        "{\"keys\":[}",
    ] {
        assert_eq!(
            KeySet::parse_remote(text.as_bytes()).unwrap_err(),
            JwksError::NotJson,
            "{text:?}"
        );
    }
    for text in ["{}", "{\"keys\":{}}", "{\"keys\":null}", "{\"key\":[]}"] {
        assert_eq!(
            KeySet::parse_remote(text.as_bytes()).unwrap_err(),
            JwksError::NoKeysArray,
            "{text:?}"
        );
    }
    assert_eq!(
        JwksError::NotJson.to_string(),
        "the JWKS is not a JSON object"
    );
    assert_eq!(
        JwksError::NoKeysArray.to_string(),
        "the JWKS has no \"keys\" array"
    );
    let empty = KeySet::parse_remote(b"{\"keys\":[],\"other\":1}").unwrap();
    assert!(empty.is_empty() && empty.skipped.is_empty());
}

#[test]
fn has_kid_looks_at_usable_keys_only() {
    let text = jwks(vec![
        p256_jwk("a"),
        ed25519_jwk("b"),
        without(p256_jwk("x"), "kid"),
        with(p256_jwk("bad"), "crv", json!("P-1")),
    ]);
    let set = KeySet::parse_remote(&text).unwrap();
    assert!(set.has_kid("a") && set.has_kid("b"));
    assert!(!set.has_kid("c") && !set.has_kid("bad") && !set.has_kid(""));
    assert_eq!(set.keys[2].kid, None);
    let debug = format!("{set:?}");
    assert!(
        debug.contains("keys: 3") && debug.contains("keys[3]"),
        "{debug}"
    );
}

/// A host that cannot import one key (BoringSSL refuses an EC point off its curve with an
/// error, not with `false`), and verifies nothing.
struct RefusesKey(Vec<u8>);

impl HostVerifier for RefusesKey {
    fn verify(&self, _: &'static str, spki: &[u8], _: &[u8], _: &[u8]) -> Result<bool, HostError> {
        if spki == self.0.as_slice() {
            Err(HostError::Status("BadArgument".into()))
        } else {
            Ok(false)
        }
    }
}

fn parse_for(text: &[u8], crypto: &Crypto) -> KeySet {
    let policy = KeyPolicy {
        symmetric: false,
        crypto: Some(crypto),
    };
    KeySet::parse_with(text, policy).unwrap()
}

#[test]
fn points_off_the_curve_are_dropped_when_the_host_cannot_import_them() {
    let off = with(p256_jwk("off"), "y", json!(b64([1u8; 32])));
    let text = jwks(vec![off.clone(), p256_jwk("p")]);
    // Without a host nothing at parse can tell; ring refuses the point at every verification.
    let module_only = parse_for(&text, &Crypto::module_only());
    assert_eq!(kids(&module_only), vec!["off", "p"]);
    let key = &module_only.keys[0].key;
    let mut tally = Tally::default();
    assert!(!verify_raw(
        key,
        Alg::ES256,
        b"x",
        &[1; 64],
        &Crypto::module_only(),
        &mut tally
    ));
    assert_eq!(tally.module, 1);

    let spki = key.spki().unwrap().1.to_vec();
    let host = Crypto::new(CryptoMode::Auto, Some(Box::new(RefusesKey(spki))));
    let set = parse_for(&text, &host);
    assert_eq!(kids(&set), vec!["p"]);
    assert_eq!(
        set.skipped,
        vec!["keys[0]: BoringSSL cannot import the key (not a P-256 point?)"]
    );
    assert_eq!(set.ignored, 1);
}

#[test]
fn p521_keys_need_the_host_or_aws_lc() {
    let text = jwks(vec![p521_jwk("p521"), p256_jwk("p")]);
    let set = parse_for(&text, &Crypto::module_only());
    if crate::crypto::module::HAS_P521 {
        // aws-lc-rs verifies P-521 in the module: nothing is dropped.
        assert_eq!(kids(&set), vec!["p521", "p"]);
        assert!(set.skipped.is_empty(), "{:?}", set.skipped);
        return;
    }
    assert_eq!(kids(&set), vec!["p"]);
    assert!(
        set.skipped[0].starts_with("keys[0]: P-521 (ES512) keys need the host's verify_signature"),
        "{:?}",
        set.skipped
    );
    // ring has no P-521, so the stand-in host is one that imports every key.
    let host = Crypto::new(CryptoMode::Auto, Some(Box::new(RefusesKey(Vec::new()))));
    assert_eq!(kids(&parse_for(&text, &host)), vec!["p521", "p"]);
}

#[test]
fn only_the_first_hundred_usable_keys_are_kept() {
    let ed = ed25519_jwk("x");
    let mut keys: Vec<Value> = vec![json!("not a key")];
    keys.extend((0..150).map(|i| with(ed.clone(), "kid", json!(format!("k{i}")))));
    let set = KeySet::parse(&jwks(keys)).unwrap();
    assert_eq!(set.len(), MAX_KEYS);
    assert!(set.has_kid("k99") && !set.has_kid("k100"));
    assert_eq!(set.ignored, 1 + 50);
    assert_eq!(
        set.skipped,
        vec![
            "keys[0]: not an object".to_string(),
            "keys[101..]: 50 keys beyond the first 100 usable ones".to_string()
        ]
    );
}

#[test]
fn duplicate_keys_are_dropped() {
    let p = p256_jwk("p");
    let text = jwks(vec![
        p.clone(),
        p.clone(),
        with(p.clone(), "kid", json!("q")),
        p,
    ]);
    let set = KeySet::parse(&text).unwrap();
    assert_eq!(kids(&set), vec!["p", "q"]);
    assert_eq!(
        set.skipped,
        vec![
            "keys[1]: duplicate of the key kept from keys[0]",
            "keys[3]: duplicate of the key kept from keys[0]"
        ]
    );
}

#[test]
fn rsa_moduli_above_8192_bits_and_odd_exponents_are_enforced() {
    let jwk = |n: &[u8], e: &[u8]| json!({"kty": "RSA", "kid": "r", "n": b64(n), "e": b64(e)});
    let mut big = vec![0xc3u8; 8192 / 8 + 1];
    big[0] = 1; // 8193 bits
    let mut max = vec![0xc3u8; 8192 / 8];
    max[0] = 0x80;
    let (n, _) = rsa_components();
    let cases = [
        (
            jwk(&big, &[1, 0, 1]),
            Some("RSA key of 8193 bits is above the 8192-bit maximum"),
        ),
        (jwk(&max, &[1, 0, 1]), None),
        (
            jwk(n, &[1, 0, 0]),
            Some("invalid RSA key: the exponent must be odd, at least 3 and at most 33 bits"),
        ),
        (
            jwk(n, &[1]),
            Some("invalid RSA key: the exponent must be odd, at least 3 and at most 33 bits"),
        ),
        (
            jwk(n, &[3, 0, 0, 0, 1]),
            Some("invalid RSA key: the exponent must be odd, at least 3 and at most 33 bits"),
        ),
        (
            jwk(n, &[1, 0, 0, 0, 1]),
            Some("RSA exponent of 33 bits is above the 17-bit maximum (65537 has 17)"),
        ),
        (
            jwk(n, &[2, 0, 1]),
            Some("RSA exponent of 18 bits is above the 17-bit maximum (65537 has 17)"),
        ),
        (jwk(n, &[1, 0xff, 0xff]), None),
        (jwk(n, &[3]), None),
        (
            jwk(&[&n[..], &[0xc2][..]].concat(), &[1, 0, 1]),
            Some("invalid RSA key: the modulus is even"),
        ),
    ];
    for (key, why) in cases {
        let set = KeySet::parse(&jwks(vec![key.clone()])).unwrap();
        match why {
            None => assert_eq!(set.len(), 1, "{key}"),
            Some(why) => assert_eq!(set.skipped, vec![format!("keys[0]: {why}")], "{key}"),
        }
    }
}

#[test]
fn ed25519_keys_of_small_order_are_refused() {
    let mut identity = [0u8; 32];
    identity[0] = 1;
    for key in [identity, [0u8; 32]] {
        let set =
            KeySet::parse(&jwks(vec![with(ed25519_jwk("ed"), "x", json!(b64(key)))])).unwrap();
        assert_eq!(
            set.skipped,
            vec!["keys[0]: Ed25519 key of small order (signatures with it prove nothing)"]
        );
    }
}

#[test]
fn hmac_keys_shorter_than_their_hash_are_refused() {
    let oct = |len: usize, alg: Option<&str>| {
        let mut k = json!({"kty": "oct", "kid": "k", "k": b64(vec![7u8; len])});
        if let Some(alg) = alg {
            k["alg"] = json!(alg);
        }
        jwks(vec![k])
    };
    // RFC 7518 §3.2: at least the hash's size, so 32 bytes for HS256.
    let short = KeySet::parse(&oct(31, None)).unwrap();
    assert!(short.is_empty());
    assert!(
        short.skipped[0].contains("shorter than HS256's 256"),
        "{short:?}"
    );
    let pinned = KeySet::parse(&oct(32, Some("HS512"))).unwrap();
    assert!(pinned.is_empty(), "{pinned:?}");
    assert!(pinned.skipped[0].contains("RFC 7518"), "{pinned:?}");
    // A 32-byte key without `alg` serves HS256 only; 64 bytes serve every HS*.
    let k32 = KeySet::parse(&oct(32, None)).unwrap();
    let fits = |set: &KeySet, alg| set.keys.iter().any(|k| k.fits(alg));
    assert!(fits(&k32, Alg::HS256));
    assert!(!fits(&k32, Alg::HS384) && !fits(&k32, Alg::HS512));
    let k64 = KeySet::parse(&oct(64, Some("HS512"))).unwrap();
    assert!(fits(&k64, Alg::HS512));
}

#[test]
fn keys_whose_key_ops_lack_verify_are_not_used() {
    let set = KeySet::parse(&jwks(vec![
        with(rsa_jwk("enc-only"), "key_ops", json!(["encrypt"])),
        with(rsa_jwk("sign"), "key_ops", json!(["verify"])),
        with(oct_jwk("bad"), "key_ops", json!("verify")),
    ]))
    .unwrap();
    assert_eq!(kids(&set), vec!["sign"]);
    assert!(set.skipped[0].contains("key_ops"), "{:?}", set.skipped);
}
