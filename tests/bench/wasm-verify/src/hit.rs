//! What a cache hit costs inside the module, step by step: the request built from the
//! header list, the token's hash, the cache lookup, and the whole decision (extraction,
//! route match, cache, audience, the headers to remove). The host calls around it (reading
//! the header map, the clock, removing the token header) are priced by `make bench` in Envoy.

use crate::bench::measure;
use crate::jws::claims;
use jwt_authn_wasm::config;
use jwt_authn_wasm::crypto::Crypto;
use jwt_authn_wasm::engine::{Engine, KeySource, KeyState, KidRefetch, Outcome};
use jwt_authn_wasm::extractor::Request;
use jwt_authn_wasm::jwks::KeySet;
use jwt_authn_wasm::token_cache::TokenCache;
use jwt_simple::prelude::*;
use serde_json::json;
use std::hash::BuildHasher;
use std::rc::Rc;
use std::time::Duration as StdDuration;

const ISSUER: &str = "https://bench.example";

struct Ready(Rc<KeySet>);

impl KeySource for Ready {
    fn state(&mut self, _: usize) -> KeyState {
        KeyState::Ready {
            keys: self.0.clone(),
            version: 1,
        }
    }
    fn refetch_for_unknown_kid(&mut self, _: usize) -> KidRefetch {
        KidRefetch::NoKey
    }
}

pub fn run(budget: StdDuration, crypto: &Crypto) {
    let rs = RS256KeyPair::from_pem(include_str!("rsa2048.pem"))
        .expect("RSA key")
        .with_key_id("rsa");
    let comp = rs.public_key().to_components();
    let b64 = |b: &[u8]| Base64UrlSafeNoPadding::encode_to_string(b).expect("base64");
    let jwks =
        json!({"keys": [{"kty": "RSA", "kid": "rsa", "n": b64(&comp.n), "e": b64(&comp.e)}]})
            .to_string();
    // The configuration `make bench` gives the wasm listener.
    let cfg = json!({"providers": {"bench": {"issuer": ISSUER, "local_jwks": {"inline_string": jwks.clone()}}},
                     "token_cache_size": 1000});
    let cfg = config::parse(cfg.to_string().as_bytes()).expect("config");
    let keys = Rc::new(KeySet::parse_remote(jwks.as_bytes()).expect("JWKS"));
    let token = rs.sign(claims().with_issuer(ISSUER)).expect("token");
    // What Envoy hands the filter for a `wrk` request.
    let pairs: Vec<(String, Vec<u8>)> = [
        (":authority", "127.0.0.1:10000".to_string()),
        (":path", "/".to_string()),
        (":method", "GET".to_string()),
        (":scheme", "http".to_string()),
        ("authorization", format!("Bearer {token}")),
        ("x-forwarded-proto", "http".to_string()),
        (
            "x-request-id",
            "5f1b9c7e-3d2a-4b8e-9c1f-0a7d6e5b4c3a".to_string(),
        ),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v.into_bytes()))
    .collect();
    let req = Request::from_pairs(pairs.clone());
    let now_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let mut cache = TokenCache::new(1000, 1);
    let mut source = Ready(keys);
    let mut decide = || {
        let mut engine = Engine {
            config: &cfg,
            cache: &mut cache,
            keys: &mut source,
            crypto,
            now_s,
        };
        engine.decide(&req)
    };
    assert_eq!(
        decide().outcome,
        Outcome::Continue,
        "the first request verifies"
    );
    measure("hit: whole decision", budget, || {
        decide().outcome == Outcome::Continue
    });
    measure("hit: request from headers", budget, || {
        !Request::from_pairs(pairs.clone()).path().is_empty()
    });
    let state = std::collections::hash_map::RandomState::new();
    measure("hit: token hash (SipHash-1-3)", budget, || {
        state.hash_one(token.as_str()) != 0
    });
    measure("hit: cache lookup", budget, || {
        cache.get(0, &token, 1, now_s).is_some()
    });
}
