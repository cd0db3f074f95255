//! A test-only proxy-wasm plugin that puts Wycheproof vectors through the filter's own
//! signature path (`PublicKey` constructors, `signature::verify_raw`, our SubjectPublicKeyInfo
//! and r‖s→DER encodings) with Envoy's `verify_signature` foreign function, BoringSSL, as the
//! backend (`crypto: auto`): RSA PKCS#1 v1.5 (RS256/384/512) and ECDSA P-256, P-384 and P-521
//! in P1363 form (ES256/384/512; P-521 only the host can verify). Any HTTP request runs them
//! all and is answered 200 with a JSON report (see `vectors::run`).
//! `tests/hardening/test_host_wycheproof.py` builds it, loads it in a real Envoy and reads it.

pub mod vectors;

#[cfg(target_arch = "wasm32")]
mod plugin {
    use jwt_authn_wasm::crypto::host::HostCrypto;
    use jwt_authn_wasm::crypto::{probe, Crypto, CryptoMode};
    use proxy_wasm::traits::{Context, HttpContext};
    use proxy_wasm::types::{Action, LogLevel};

    proxy_wasm::main! {{
        proxy_wasm::set_log_level(LogLevel::Info);
        proxy_wasm::set_http_context(|_, _| -> Box<dyn HttpContext> { Box::new(Check) });
    }}

    struct Check;

    impl Context for Check {}

    impl HttpContext for Check {
        fn on_http_request_headers(&mut self, _: usize, _: bool) -> Action {
            // The filter's start-up probe, reported; the vectors run through the host even
            // if it fails, so that the report says where.
            let probe = match probe::probe(&HostCrypto) {
                Ok(()) => "ok".to_string(),
                Err(why) => why,
            };
            let crypto = Crypto::new(CryptoMode::Auto, Some(Box::new(HostCrypto)));
            let mut report = super::vectors::run(&crypto);
            report["probe"] = probe.into();
            let tested = format!("host-crypto-check: tested {}", report["tested"]);
            let _ = proxy_wasm::hostcalls::log(LogLevel::Info, &tested);
            let body = report.to_string();
            self.send_http_response(
                200,
                vec![("content-type", "application/json")],
                Some(body.as_bytes()),
            );
            Action::Pause
        }
    }
}
