//! Rule matching and token extraction over arbitrary methods, paths and headers.
#![no_main]

use jwt_authn_wasm::{extractor, matcher};
use jwt_authn_wasm_fuzz::{filter_config, request};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static CONFIG: LazyLock<jwt_authn_wasm::config::FilterConfig> = LazyLock::new(filter_config);

fuzz_target!(|data: &[u8]| {
    let config = &*CONFIG;
    let req = request(data);
    let _ = matcher::requirement_for(config, &req);
    for provider in &config.providers {
        for found in extractor::extract_all(provider, &req) {
            if let extractor::Location::Param(name) = &found.location {
                let _ = extractor::path_without_param(req.path(), name);
            }
        }
    }
});
