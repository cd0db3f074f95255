//! Counters in Envoy's stats (`wasmcustom.jwt_authn_wasm.*`), defined once per worker.
//! Increments are gathered in the module and handed to Envoy on the root context's tick
//! (every 100 ms): each `increment_metric` is a call out of V8 that cost about as much as
//! the rest of a cached request, and a request bumps three counters.

use crate::config::FilterConfig;
use crate::engine::Stat;
use crate::stats::Counters;
use crate::stream::StatSink;
use std::cell::RefCell;

pub struct Metrics {
    counters: Counters<u32>,
    /// (metric id, increments not yet handed to Envoy).
    pending: RefCell<Vec<(u32, u32)>>,
}

impl Metrics {
    fn add(&self, id: u32, n: u32) {
        let Ok(mut pending) = self.pending.try_borrow_mut() else {
            return;
        };
        match pending.iter_mut().find(|(i, _)| *i == id) {
            Some((_, count)) => *count = count.saturating_add(n),
            None => pending.push((id, n)),
        }
    }

    /// Hands the gathered increments to Envoy. A counter Envoy refuses to increment is
    /// lost, as it would have been when incremented directly.
    pub fn flush(&self) {
        let Ok(mut pending) = self.pending.try_borrow_mut() else {
            return;
        };
        for (id, n) in pending.drain(..) {
            super::host::increment_metric(id, i64::from(n));
        }
    }

    pub fn define(config: &FilterConfig) -> Metrics {
        Metrics {
            counters: Counters::define(config, super::host::define_counter),
            pending: RefCell::new(Vec::new()),
        }
    }

    pub fn record(&self, stat: &Stat) {
        self.counters.record(stat, |id, n| self.add(id, n));
    }

    /// A request denied because the filter could not decide or carry out its decision.
    pub fn internal_error(&self) {
        self.counters.internal_error(|id, n| self.add(id, n));
    }

    /// A request that would have been held for keys while the worker held its cap.
    pub fn held_requests_overflow(&self) {
        self.counters
            .held_requests_overflow(|id, n| self.add(id, n));
    }

    /// Keys a fetched JWKS held that are not used (counted by the worker that fetched it).
    pub fn keys_ignored(&self, provider: usize, count: usize) {
        self.counters
            .keys_ignored(provider, count, |id, n| self.add(id, n));
    }

    pub fn fetch(&self, provider: usize, success: bool) {
        self.counters
            .fetch(provider, success, |id, n| self.add(id, n));
    }
}

impl StatSink for Metrics {
    fn record(&self, stat: &Stat) {
        Metrics::record(self, stat);
    }

    fn internal_error(&self) {
        Metrics::internal_error(self);
    }
}
