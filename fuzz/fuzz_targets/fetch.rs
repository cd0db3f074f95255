//! What a JWKS or discovery fetch hands back from the network, and the shared-data record
//! another worker wrote: status header, discovery document (then its jwks_uri), key set.
#![no_main]

use jwt_authn_wasm::config::HttpTarget;
use jwt_authn_wasm::jwks_cache::{decode_document, response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = response::parse_status(data);
    let _ = response::check_status(response::parse_status(data), data.len());
    let _ = response::jwks(data, None, usize::MAX);
    if let Ok(uri) = response::discovery(data, "https://fuzz.example") {
        let _ = HttpTarget::parse(&uri, None);
    }
    if let Some((_, doc)) = decode_document(data) {
        let _ = response::jwks(doc, None, usize::MAX);
    }
});
