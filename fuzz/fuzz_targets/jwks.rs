//! JWKS documents, as fetched (no symmetric keys) and as configured inline.
#![no_main]

use jwt_authn_wasm::jwks::KeySet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(set) = KeySet::parse(data) {
        let _ = set.has_kid("k");
        for key in &set.keys {
            let _ = key.key.rsa_bits();
        }
    }
    let _ = KeySet::parse_remote(data);
});
