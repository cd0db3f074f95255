//! The JWT authentication engine as an Envoy dynamic module: a native HTTP filter that Envoy
//! 1.40 loads with `envoy.filters.http.dynamic_modules`, taking exactly the JSON configuration
//! of the proxy-wasm plugin.
//!
//! `abi` is the only module with `unsafe`: Envoy's C ABI, declared here from Envoy's
//! documented header, turned into safe handles. `filter` is the glue over the engine, as thin
//! as the proxy-wasm one; `store` shares fetched keys between Envoy's worker threads.

// The compiler holds every other module to it.
#![deny(unsafe_code)]

#[allow(unsafe_code)]
mod abi;
mod filter;
mod logger;
mod store;
