//! The engine's worker with this host's counters and shared data.

use super::host::HostStore;
use super::metrics::Metrics;
use crate::config::FilterConfig;
use crate::crypto::Crypto;
use std::rc::Rc;

pub use crate::worker::Waiter;

pub type Worker = crate::worker::Worker<Metrics>;

impl crate::worker::Worker<Metrics> {
    pub fn new(config: FilterConfig, owner: u64, crypto: Crypto) -> Worker {
        let metrics = Rc::new(Metrics::define(&config));
        Worker::with_host(config, owner, crypto, metrics, Box::new(HostStore))
    }
}
