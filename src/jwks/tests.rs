use super::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwt_simple::prelude::*;
use serde_json::json;
use std::sync::OnceLock;

/// RSA key generation takes seconds in debug builds: one key for the whole test binary.
fn rsa_components() -> &'static (Vec<u8>, Vec<u8>) {
    static KEY: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    KEY.get_or_init(|| {
        let c = RS256KeyPair::generate(2048)
            .unwrap()
            .public_key()
            .to_components();
        (c.n, c.e)
    })
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
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
    assert_eq!(fitting(4), vec![HS256, HS384, HS512]);
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
            with(p521_jwk("p521"), "y", json!(b64(&[1u8; 66]))),
            "the P-521 point is not on the curve",
        ),
        (
            // x = p = 2^521 - 1: not below p.
            with(
                p521_jwk("p521"),
                "x",
                json!(b64(&[&[1u8][..], &[0xff; 65][..]].concat())),
            ),
            "the P-521 point is not on the curve",
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
            with(p256.clone(), "y", json!(b64(&[1u8; 32]))),
            "the P-256 point is not on the curve",
        ),
        (
            with(ed25519_jwk("ed"), "crv", json!("X25519")),
            "unsupported OKP curve \"X25519\"",
        ),
        (
            with(ed25519_jwk("ed"), "x", json!(b64(&[1u8; 31]))),
            "Ed25519 keys are 32 bytes",
        ),
        (without(ed25519_jwk("ed"), "x"), "no \"x\" string"),
        (with(oct_jwk("o"), "k", json!("")), "empty symmetric key"),
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
