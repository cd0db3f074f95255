//! The root context of a worker: configuration, the fetch loop on each tick, fetch
//! responses, and answering or resuming requests held for keys.

use super::apply::apply;
use super::fetcher;
use super::host;
use super::http::HttpFilter;
use super::metrics::Metrics;
use super::worker::Worker;
use crate::config;
use crate::crypto::host::HostCrypto;
use crate::crypto::{probe, Crypto, CryptoMode};
use crate::headers::NameFilter;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::ContextType;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

const TICK_MS: u64 = 100;
const TICK: Duration = Duration::from_millis(TICK_MS);

pub struct Root {
    pub context_id: u32,
    pub worker: Option<Rc<RefCell<Worker>>>,
    /// The worker's counters, reachable without borrowing the worker.
    pub metrics: Option<Rc<Metrics>>,
    /// The only request headers a decision reads (`config::headers_read`); `None`: all.
    pub read_headers: Option<Rc<NameFilter>>,
}

/// Follows Envoy's wasm log level, also when it is changed at runtime through /logging.
fn follow_log_level() {
    if let Some(level) = host::log_level() {
        proxy_wasm::set_log_level(level);
    }
}

/// The host verifies only if it answers the known-answer probe correctly; otherwise ring
/// serves every algorithm it can.
fn crypto_backends(mode: CryptoMode) -> Crypto {
    if mode == CryptoMode::Module {
        return Crypto::module_only();
    }
    match probe::probe(&HostCrypto) {
        Ok(()) => Crypto::new(mode, Some(Box::new(HostCrypto))),
        Err(why) => {
            log::warn!("jwt_authn_wasm: the host's verify_signature is not used ({why}); verifying in the module");
            Crypto::new(mode, None)
        }
    }
}

impl Root {
    /// Runs `f` on the worker, then decides again the requests held for keys. Returns when
    /// the root should tick next.
    fn run(&self, f: impl FnOnce(&mut Worker, u64)) -> Option<Duration> {
        let worker = self.worker.as_ref()?;
        let Ok(mut worker) = worker.try_borrow_mut() else {
            return None;
        };
        let clock_ms = host::clock_ms();
        let now_ms = clock_ms.unwrap_or(0);
        f(&mut worker, now_ms);
        // Held requests cannot be judged without the time: they keep waiting.
        clock_ms?;
        let kick = self.resume_waiters(&mut worker, now_ms);
        if kick {
            return Some(Duration::from_millis(1));
        }
        // A hold that ends before the next regular tick is answered when it ends.
        let until_wake = worker.next_wake_ms()?.saturating_sub(now_ms);
        (until_wake < TICK_MS).then(|| Duration::from_millis(until_wake.max(1)))
    }

    /// Decides again the held requests whose keys changed or whose hold ended; those that
    /// no longer wait are answered or resumed on their own stream. Returns true when a
    /// fetch they wait for is due now.
    fn resume_waiters(&self, worker: &mut Worker, now_ms: u64) -> bool {
        if worker.waiters.is_empty() {
            return false;
        }
        let generation = worker.keys_generation();
        let waiters = std::mem::take(&mut worker.waiters);
        let mut kick = false;
        for mut waiter in waiters {
            if now_ms < waiter.held.wake_ms && waiter.held.keys_seen == generation {
                worker.waiters.push(waiter);
                continue;
            }
            let decided =
                worker.decide(&waiter.request, now_ms, waiter.arrived_ms, &waiter.held.on);
            kick |= decided.kick;
            if decided.decision.outcome == crate::engine::Outcome::Wait {
                waiter.held = decided.held;
                worker.waiters.push(waiter);
                continue;
            }
            if host::set_effective_context(waiter.context_id).is_err() {
                continue;
            }
            if apply(&decided.decision, &waiter.request, &worker.metrics) {
                let _ = host::resume_request();
            }
        }
        let _ = host::set_effective_context(self.context_id);
        kick
    }
}

impl Context for Root {
    fn on_http_call_response(
        &mut self,
        token_id: u32,
        _num_headers: usize,
        body_size: usize,
        _num_trailers: usize,
    ) {
        if let Some(period) =
            self.run(|worker, now_ms| fetcher::on_response(worker, token_id, body_size, now_ms))
        {
            host::set_tick_period(period);
        }
    }
}

impl RootContext for Root {
    fn on_configure(&mut self, _size: usize) -> bool {
        follow_log_level();
        let bytes = host::plugin_configuration();
        match config::parse(&bytes) {
            Ok(cfg) => {
                let crypto = crypto_backends(cfg.crypto);
                let described = crypto.describe();
                let owner = u64::from(self.context_id) << 32
                    ^ host::now_ms().rotate_left(17)
                    ^ 0x9e37_79b9_7f4a_7c15;
                self.read_headers = config::headers_read(&cfg).map(|n| Rc::new(NameFilter::new(n)));
                let worker = Worker::new(cfg, owner, crypto);
                // Logged once the keys are parsed: `make bench`'s VM start figure ends here.
                log::info!("jwt_authn_wasm: {described}");
                self.metrics = Some(worker.metrics.clone());
                self.worker = Some(Rc::new(RefCell::new(worker)));
                // The first tick comes almost at once, to start fetching keys early.
                host::set_tick_period(Duration::from_millis(1));
                true
            }
            Err(e) => {
                log::error!("jwt_authn_wasm: invalid config: {e}");
                false
            }
        }
    }

    fn on_tick(&mut self) {
        follow_log_level();
        let period = self
            .run(|worker, now_ms| {
                fetcher::poll(worker, now_ms);
                worker.metrics.flush();
            })
            .unwrap_or(TICK);
        host::set_tick_period(period);
    }

    fn create_http_context(&self, context_id: u32) -> Option<Box<dyn HttpContext>> {
        let worker = self.worker.clone()?;
        let metrics = self.metrics.clone()?;
        Some(Box::new(HttpFilter {
            context_id,
            worker,
            metrics,
            read_headers: self.read_headers.clone(),
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}
