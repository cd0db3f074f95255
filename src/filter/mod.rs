//! The proxy-wasm glue: thin by design; the decisions live in the plain-Rust modules.

mod apply;
mod fetcher;
mod host;
mod http;
mod metrics;
mod root;
mod worker;

use proxy_wasm::traits::RootContext;
use proxy_wasm::types::LogLevel;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Trace);
    proxy_wasm::set_root_context(|context_id| -> Box<dyn RootContext> {
        Box::new(root::Root { context_id, worker: None })
    });
}}
