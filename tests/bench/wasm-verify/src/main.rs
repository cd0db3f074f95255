//! The cost of the module's own crypto (ring for RS*, PS*, ES256/384, EdDSA; hmac for HS*)
//! and of parsing a 100-key JWKS, and the steps of a token-cache hit (`hit.rs`), built for wasm32-wasip1 and run in V8 (Node.js
//! `node:wasi`) so the numbers reflect the engine Envoy embeds. The host backend
//! (Envoy's BoringSSL) is priced by `make bench`, in Envoy.
//! Natively it prices the dynamic module's crypto: `make bench-native-crypto` runs it with
//! ring and with aws-lc-rs (which adds ES512).
//! Usage: wasm-verify-bench [SECONDS_PER_CASE [CASE_NAME_FILTER]]

mod bench;
mod hit;
mod jws;

fn main() {
    bench::run();
}
