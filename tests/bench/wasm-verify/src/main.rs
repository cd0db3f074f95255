//! Verifications per second for each JWS algorithm, built for wasm32-wasip1 and run in
//! V8 (Node.js `node:wasi`) so the numbers reflect the engine Envoy embeds.
//! Usage: wasm-verify-bench [SECONDS_PER_CASE [CASE_NAME_FILTER]]

// The filter's module itself, without the filter library: linking that would pull in
// proxy-wasm's host imports and reactor entry point, which a WASI command cannot have.
// Left out of this crate's test build: the modules' own tests need the filter
// crate's dev-dependencies and run there.
#[cfg(not(test))]
#[path = "../../../../src/fast_rsa/mod.rs"]
#[allow(dead_code)]
mod fast_rsa;

#[cfg(not(test))]
#[path = "../../../../src/fast_ec/mod.rs"]
#[allow(dead_code)]
mod fast_ec;

#[cfg(not(test))]
#[path = "../../../../src/fast_ed25519/mod.rs"]
#[allow(dead_code)]
mod fast_ed25519;

#[cfg(not(test))]
mod bench;
#[cfg(not(test))]
mod jws;

fn main() {
    #[cfg(not(test))]
    bench::run();
}
