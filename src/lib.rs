//! JWT authentication filter for Envoy and Istio (proxy-wasm).

pub mod fast_rsa;
