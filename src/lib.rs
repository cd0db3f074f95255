//! JWT authentication filter for Envoy and Istio (proxy-wasm).
//!
//! Everything but `filter` is plain Rust that runs and is tested natively; `filter` is the
//! thin proxy-wasm glue.
//!
//! `filter::host` is the only module with `unsafe` (the proxy-wasm ABI calls, each with the
//! invariant it relies on); the compiler holds every other module to that.
#![deny(unsafe_code)]

pub mod audience;
pub mod authenticator;
pub mod config;
/// RequestAuthentication → configuration, for the `convert-requestauthentication` CLI; never
/// part of the module.
#[cfg(not(target_arch = "wasm32"))]
pub mod convert;
pub mod crypto;
pub mod dpop;
pub mod engine;
pub mod error;
pub mod extractor;
pub mod fault;
pub mod fetch;
pub mod header_map;
pub mod headers;
pub mod jwks;
pub mod jwks_cache;
pub mod jwt;
pub mod matcher;
pub mod recycle;
pub mod resource;
pub mod signature;
pub mod stats;
pub mod stream;
pub mod strict_json;
pub mod token_cache;
pub mod verifier;
pub mod worker;

#[cfg(test)]
mod test_support;

#[cfg(all(target_arch = "wasm32", not(feature = "library-only")))]
mod filter;
