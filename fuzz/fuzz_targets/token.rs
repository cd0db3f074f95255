//! Token parsing, claim checks and signature verification against a fixed key set.
#![no_main]

use jwt_authn_wasm::crypto::{Crypto, Tally};
use jwt_authn_wasm::{authenticator, jwt};
use jwt_authn_wasm_fuzz::{filter_config, keys, NOW_S};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static KEYS: LazyLock<jwt_authn_wasm::jwks::KeySet> = LazyLock::new(keys);

static CONFIG: LazyLock<jwt_authn_wasm::config::FilterConfig> = LazyLock::new(filter_config);

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(parsed) = jwt::parse(token) else {
        return;
    };
    // The claim checks are cheap and can panic on arithmetic; try them for every provider.
    for provider in &CONFIG.providers {
        let _ = authenticator::check_claims(provider, &provider.audiences, &parsed, NOW_S);
        let _ = authenticator::check_claims(provider, &provider.audiences, &parsed, u64::MAX);
    }
    let mut tally = Tally::default();
    let mut budget = authenticator::Budget::per_request();
    let _ = authenticator::verify_signature(
        &KEYS,
        &parsed,
        jwt_authn_wasm::jwks::MAX_RSA_BITS,
        &Crypto::module_only(),
        &mut budget,
        &mut tally,
    );
});
