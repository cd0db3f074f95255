//! JWT authentication filter for Envoy and Istio (proxy-wasm).
//!
//! Everything but `filter` is plain Rust that runs and is tested natively; `filter` is the
//! thin proxy-wasm glue.

pub mod authenticator;
pub mod config;
pub mod engine;
pub mod error;
pub mod extractor;
pub mod fast_ec;
pub mod fast_ed25519;
pub mod fast_rsa;
pub mod jwks;
pub mod jwks_cache;
pub mod jwt;
pub mod matcher;
pub mod signature;
pub mod strict_json;
pub mod token_cache;
pub mod verifier;

#[cfg(target_arch = "wasm32")]
mod filter;
