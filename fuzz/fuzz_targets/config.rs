//! Plugin configuration: every input is either refused with a message or yields a config.
#![no_main]

use jwt_authn_wasm::config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match config::parse(data) {
        Ok(_) => {}
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
