//! The proxy-wasm glue: thin by design; the decisions live in the plain-Rust modules.

mod apply;
mod fault;
mod fetcher;
#[allow(unsafe_code)]
mod host;
mod http;
mod metrics;
mod root;
mod worker;

// Envoy only calls the callbacks the module exports, and `make wasm` keeps those listed in
// exports.json: a callback implemented here must be added there too.

use proxy_wasm::traits::RootContext;
use proxy_wasm::types::LogLevel;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Trace);
    proxy_wasm::set_root_context(|context_id| -> Box<dyn RootContext> {
        Box::new(root::Root {
            context_id,
            worker: None,
            metrics: None,
            read_headers: None,
        })
    });
}}
