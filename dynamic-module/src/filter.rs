//! The dynamic-module glue: a configuration per Envoy filter config (shared by its worker
//! threads), the engine's worker once per thread (its own token cache, as one wasm VM per
//! worker has), and one `HttpFilter` per stream that decides and carries out the decision.

use crate::abi::{ConfigHandle, FilterHandle};
use crate::store::ProcessStore;
use jwt_authn_wasm::config::{self, FilterConfig};
use jwt_authn_wasm::crypto::Crypto;
use jwt_authn_wasm::engine::{Outcome, Stat};
use jwt_authn_wasm::extractor::Request;
use jwt_authn_wasm::stats::Counters;
use jwt_authn_wasm::stream::{self, StatSink, Stream};
use jwt_authn_wasm::worker::Worker;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

/// The only `filter_name` this module serves.
pub const FILTER_NAME: &[u8] = b"jwt_authn";

/// What every worker thread of one Envoy filter config shares, read-only.
struct Shared {
    id: u64,
    config: FilterConfig,
    counters: Counters<usize>,
    store: ProcessStore,
}

/// Envoy's filter config, as the module holds it.
pub struct Config {
    shared: Arc<Shared>,
}

/// One worker thread's engine state; counters go through each stream's filter instead.
type ThreadWorker = Worker<()>;

/// A configuration (while Envoy keeps it) and this thread's worker for it.
type Entry = (Weak<Shared>, Rc<RefCell<ThreadWorker>>);

thread_local! {
    /// This thread's workers, one per live configuration.
    static WORKERS: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Parses the plugin's JSON, as `on_configure` does in the wasm build; `None` refuses it.
pub fn config_new(handle: &ConfigHandle, name: &[u8], json: &[u8]) -> Option<Config> {
    if name != FILTER_NAME {
        log::error!(
            "jwt_authn_wasm: invalid config: filter_name: {:?} is not served by this module (use \"jwt_authn\")",
            String::from_utf8_lossy(name)
        );
        return None;
    }
    match config::parse(json) {
        Ok(config) => {
            let counters = Counters::define(&config, |name| handle.define_counter(name));
            log::info!(
                "jwt_authn_wasm: {}",
                Crypto::new(config.crypto, None).describe()
            );
            let shared = Shared {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                config,
                counters,
                store: ProcessStore::process(),
            };
            Some(Config {
                shared: Arc::new(shared),
            })
        }
        Err(e) => {
            log::error!("jwt_authn_wasm: invalid config: {e}");
            None
        }
    }
}

fn now_ms() -> Option<u64> {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
    Some(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}

impl Config {
    /// This thread's worker for this configuration, made on first use. Workers of
    /// configurations Envoy has dropped are dropped here too.
    fn worker(&self) -> Rc<RefCell<ThreadWorker>> {
        WORKERS.with(|workers| {
            let mut workers = workers.borrow_mut();
            workers.retain(|(shared, _)| shared.strong_count() > 0);
            let mine = workers
                .iter()
                .find(|(shared, _)| std::ptr::eq(shared.as_ptr(), Arc::as_ptr(&self.shared)));
            if let Some((_, worker)) = mine {
                return worker.clone();
            }
            let shared = &self.shared;
            let owner = (shared.id << 40)
                ^ (workers.len() as u64) << 20
                ^ now_ms().unwrap_or(0)
                ^ thread_salt();
            let worker = Worker::with_host(
                shared.config.clone(),
                owner,
                Crypto::new(shared.config.crypto, None),
                Rc::new(()),
                Box::new(shared.store.clone()),
            );
            let worker = Rc::new(RefCell::new(worker));
            workers.push((Arc::downgrade(shared), worker.clone()));
            worker
        })
    }

    pub fn new_filter(&self, handle: FilterHandle) -> HttpFilter {
        HttpFilter {
            handle,
            shared: self.shared.clone(),
            worker: self.worker(),
        }
    }
}

/// Tells apart the leases of threads that start in the same millisecond.
fn thread_salt() -> u64 {
    let here = 0u8;
    (&here as *const u8 as u64).rotate_left(29)
}

/// One HTTP stream.
pub struct HttpFilter {
    handle: FilterHandle,
    shared: Arc<Shared>,
    worker: Rc<RefCell<ThreadWorker>>,
}

/// The stream's counters: incremented at once (a native call, not a trip out of a VM).
struct StreamStats<'a> {
    counters: &'a Counters<usize>,
    handle: FilterHandle,
}

impl StatSink for StreamStats<'_> {
    fn record(&self, stat: &Stat) {
        self.counters.record(stat, |id, n| {
            self.handle.increment_counter(id, u64::from(n));
        });
    }

    fn internal_error(&self) {
        self.counters.internal_error(|id, n| {
            self.handle.increment_counter(id, u64::from(n));
        });
    }
}

/// Envoy's request as the engine's `Stream`: these calls cannot fail once the filter lives.
struct EnvoyStream(FilterHandle);

#[derive(Debug)]
enum Refused {
    RemoveHeader,
    SetHeader,
}

impl Stream for EnvoyStream {
    type Error = Refused;

    fn remove_header(&mut self, name: &str) -> Result<(), Refused> {
        self.0
            .set_request_header(name, None)
            .then_some(())
            .ok_or(Refused::RemoveHeader)
    }

    fn set_header(&mut self, name: &str, value: &str) -> Result<(), Refused> {
        self.0
            .set_request_header(name, Some(value.as_bytes()))
            .then_some(())
            .ok_or(Refused::SetHeader)
    }

    fn clear_route_cache(&mut self) -> Result<bool, Refused> {
        self.0.clear_route_cache();
        Ok(true)
    }

    fn send(&mut self, status: u32, headers: &[(&str, &str)], body: &str) -> Result<(), Refused> {
        self.0.send_response(status, headers, body.as_bytes());
        Ok(())
    }
}

impl HttpFilter {
    fn stats(&self) -> StreamStats<'_> {
        StreamStats {
            counters: &self.shared.counters,
            handle: self.handle,
        }
    }

    fn internal_error(&self, why: &str) {
        log::warn!("jwt_authn_wasm: {why}; answering 500");
        stream::internal_error(&mut EnvoyStream(self.handle), &self.stats());
    }

    /// Returns true when the request may continue upstream.
    pub fn on_request_headers(&mut self) -> bool {
        // Without the headers or the time there is nothing to judge the request by.
        let Some(pairs) = self.handle.request_headers() else {
            self.internal_error("could not read the request headers");
            return false;
        };
        let req = Request::from_pairs(pairs);
        let Some(now) = now_ms() else {
            self.internal_error("could not read the clock");
            return false;
        };
        let worker = self.worker.clone();
        let Ok(mut worker) = worker.try_borrow_mut() else {
            self.internal_error("the worker is busy");
            return false;
        };
        let decided = worker.decide(&req, now, now, &[]);
        drop(worker);
        if decided.decision.outcome == Outcome::Wait {
            // Keys fetched through HTTP callouts are not part of this build yet: a request
            // that would wait for them is refused, never passed.
            self.internal_error("remote JWKS are not fetched by the dynamic module");
            return false;
        }
        stream::carry_out(
            &decided.decision,
            &req,
            &mut EnvoyStream(self.handle),
            &self.stats(),
        )
    }

    pub fn on_scheduled(&mut self, _event_id: u64) {}
}

/// A hook panicked on this stream: it is answered 500 and counted.
pub fn panicked(handle: FilterHandle) {
    log::error!("jwt_authn_wasm: the filter panicked; answering 500");
    let headers = [("content-type", "text/plain")];
    handle.send_response(500, &headers, stream::INTERNAL_ERROR.as_bytes());
}
