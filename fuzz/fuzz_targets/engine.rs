//! The whole per-request decision with a fake key source: first byte picks the key states.
#![no_main]

use jwt_authn_wasm::crypto::Crypto;
use jwt_authn_wasm::engine::{Engine, Outcome};
use jwt_authn_wasm::token_cache::TokenCache;
use jwt_authn_wasm_fuzz::{filter_config, keys, request, FakeKeys, NOW_S};
use libfuzzer_sys::fuzz_target;
use std::rc::Rc;
use std::sync::LazyLock;

static CONFIG: LazyLock<jwt_authn_wasm::config::FilterConfig> = LazyLock::new(filter_config);
thread_local! {
    static KEYS: Rc<jwt_authn_wasm::jwks::KeySet> = Rc::new(keys());
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let req = request(rest);
    let mut source = FakeKeys {
        keys: KEYS.with(Rc::clone),
        mode,
    };
    let mut cache = TokenCache::new(4, CONFIG.providers.len());
    // Twice: the second decision goes through the token cache and must agree.
    let first = Engine {
        config: &CONFIG,
        cache: &mut cache,
        keys: &mut source,
        crypto: &Crypto::module_only(),
        now_s: NOW_S,
    }
    .decide(&req);
    let second = Engine {
        config: &CONFIG,
        cache: &mut cache,
        keys: &mut source,
        crypto: &Crypto::module_only(),
        now_s: NOW_S,
    }
    .decide(&req);
    let status = |o: &Outcome| match o {
        Outcome::Deny { status, .. } => *status,
        Outcome::Continue => 200,
        Outcome::Wait => 0,
        Outcome::Respond { status, .. } => *status,
    };
    assert_eq!(
        status(&first.outcome),
        status(&second.outcome),
        "cache changed the decision"
    );
});
