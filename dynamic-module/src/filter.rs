//! The dynamic-module glue. Per Envoy filter config: a `Shared` part all threads read; the
//! engine's worker once per worker thread (its own token cache, as one wasm VM per worker
//! has); and on the main thread one more worker that fetches keys for the whole process
//! through config-level HTTP callouts, on ticks a small thread of ours schedules there (the
//! HTTP filter ABI has no timers). One `HttpFilter` per stream decides, and a request held for
//! keys is woken through its filter's scheduler when keys arrive or its hold ends.

use crate::abi::{ConfigHandle, FilterHandle, Scheduler};
use crate::store::ProcessStore;
use jwt_authn_wasm::config::{self, headers_read, FilterConfig, ProviderId};
use jwt_authn_wasm::crypto::Crypto;
use jwt_authn_wasm::engine::{Outcome, Stat};
use jwt_authn_wasm::extractor::Request;
use jwt_authn_wasm::fault::{injected, Point};
use jwt_authn_wasm::fetch::{self, FetchHost, FetchStats};
use jwt_authn_wasm::headers::NameFilter;
use jwt_authn_wasm::jwks_cache::response;
use jwt_authn_wasm::recycle;
use jwt_authn_wasm::stats::Counters;
use jwt_authn_wasm::stream::{self, StatSink, Stream};
use jwt_authn_wasm::worker::{Held, Worker};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The only `filter_name` this module serves.
pub const FILTER_NAME: &[u8] = b"jwt_authn";

/// How often the main thread runs the fetch loop, as the wasm root context's tick.
const TICK: Duration = Duration::from_millis(100);

/// What every thread of one Envoy filter config shares.
struct Shared {
    id: u64,
    config: FilterConfig,
    /// The only request headers a decision reads, or `None` for all of them
    /// (`config::headers_read`).
    read_headers: Option<NameFilter>,
    counters: Counters<usize>,
    store: ProcessStore,
    /// Runs the fetch loop on the main thread.
    main: Scheduler,
    /// Grows whenever the main thread stores keys: worker threads then reload theirs.
    keys_generation: AtomicU64,
    /// Per provider: worker threads saw a token with an unknown `kid`.
    kid_wanted: Vec<AtomicBool>,
    /// Per provider: requests held for its keys, on any thread.
    held: Vec<AtomicUsize>,
    /// Held requests' wake-ups: (hold ends at, the request's filter scheduler).
    waiters: Mutex<Vec<(u64, Arc<Scheduler>)>>,
    /// Fetch counters the main thread's worker gathered, handed to Envoy after each pass.
    pending: Mutex<Vec<(usize, u32)>>,
}

/// Envoy's filter config, as the module holds it.
pub struct Config {
    shared: Arc<Shared>,
}

/// One thread's engine state. On worker threads counters go through each stream's filter;
/// the main thread's fetch counters wait in `Shared::pending`.
type ThreadWorker = Worker<FetchCounters>;

/// A configuration (while Envoy keeps it) and this thread's worker for it, with the keys
/// generation it last loaded.
struct Entry {
    shared: Weak<Shared>,
    worker: Rc<RefCell<ThreadWorker>>,
    generation: u64,
    /// Requests this thread holds for keys: at most `max_held_requests`, as per wasm VM.
    held: Rc<Cell<usize>>,
}

thread_local! {
    /// This thread's workers, one per live configuration.
    static WORKERS: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

pub struct FetchCounters(Weak<Shared>);

impl FetchCounters {
    fn add(&self, add: impl FnOnce(&Counters<usize>, &mut dyn FnMut(usize, u32))) {
        let Some(shared) = self.0.upgrade() else {
            return;
        };
        let mut pending = shared.pending.lock().unwrap_or_else(|e| e.into_inner());
        add(&shared.counters, &mut |id, n| pending.push((id, n)));
    }
}

impl FetchStats for FetchCounters {
    fn fetch(&self, provider: usize, success: bool) {
        self.add(|c, add| c.fetch(provider, success, add));
    }

    fn keys_ignored(&self, provider: usize, count: usize) {
        self.add(|c, add| c.keys_ignored(provider, count, add));
    }
}

/// Parses the plugin's JSON, as `on_configure` does in the wasm build; `None` refuses it.
pub fn config_new(handle: &ConfigHandle, name: &[u8], json: &[u8]) -> Option<Config> {
    if name != FILTER_NAME {
        log::error!(
            "jwt_authn_wasm: invalid config: filter_name: {:?} is not served by this module (use \"jwt_authn\")",
            String::from_utf8_lossy(name)
        );
        return None;
    }
    let config = match config::parse(json) {
        Ok(config) => config,
        Err(e) => {
            log::error!("jwt_authn_wasm: invalid config: {e}");
            return None;
        }
    };
    let Some(main) = handle.scheduler() else {
        log::error!("jwt_authn_wasm: Envoy gave no main-thread scheduler");
        return None;
    };
    log::info!(
        "jwt_authn_wasm: {}",
        Crypto::new(config.crypto, None).describe()
    );
    let providers = config.providers.len();
    let shared = Arc::new(Shared {
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        counters: Counters::define(&config, |name| handle.define_counter(name)),
        read_headers: headers_read(&config).map(NameFilter::new),
        config,
        store: ProcessStore::process(),
        main,
        keys_generation: AtomicU64::new(0),
        kid_wanted: (0..providers).map(|_| AtomicBool::new(false)).collect(),
        held: (0..providers).map(|_| AtomicUsize::new(0)).collect(),
        waiters: Mutex::new(Vec::new()),
        pending: Mutex::new(Vec::new()),
    });
    // The first fetches start at once, as the wasm build's first tick does.
    shared.main.commit(0);
    start_ticker(Arc::downgrade(&shared));
    Some(Config { shared })
}

/// Ticks the main thread's fetch loop and ends the holds that are due, until Envoy drops
/// the configuration.
fn start_ticker(shared: Weak<Shared>) {
    let spawned = std::thread::Builder::new()
        .name("jwt_authn-tick".into())
        .spawn(move || loop {
            std::thread::sleep(TICK);
            let Some(shared) = shared.upgrade() else {
                return;
            };
            shared.main.commit(0);
            shared.wake(now_ms().unwrap_or(u64::MAX), false);
        });
    if let Err(e) = spawned {
        log::error!(
            "jwt_authn_wasm: could not start the fetch timer: {e}; keys are fetched on demand only"
        );
    }
}

fn now_ms() -> Option<u64> {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
    Some(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}

impl Shared {
    fn lock_waiters(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Arc<Scheduler>)>> {
        self.waiters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes the held requests whose hold ended, or all of them (`all`: keys changed).
    fn wake(&self, now_ms: u64, all: bool) {
        for (wake_ms, scheduler) in self.lock_waiters().iter_mut() {
            if all || *wake_ms <= now_ms {
                // Woken once; the request registers again if it still waits.
                *wake_ms = u64::MAX;
                scheduler.commit(0);
            }
        }
    }
}

impl Config {
    /// This thread's worker for this configuration, made on first use, with the keys the
    /// main thread stored since it last looked. Workers of dropped configurations go too.
    fn worker(&self) -> (Rc<RefCell<ThreadWorker>>, Rc<Cell<usize>>) {
        let generation = self.shared.keys_generation.load(Ordering::Acquire);
        WORKERS.with(|workers| {
            let mut workers = workers.borrow_mut();
            workers.retain(|e| e.shared.strong_count() > 0);
            let me = Arc::as_ptr(&self.shared);
            if let Some(entry) = workers
                .iter_mut()
                .find(|e| std::ptr::eq(e.shared.as_ptr(), me))
            {
                if entry.generation != generation {
                    entry.generation = generation;
                    if let Ok(mut worker) = entry.worker.try_borrow_mut() {
                        let worker = &mut *worker;
                        for rt in &mut worker.providers {
                            rt.sync(&*worker.store, &worker.crypto);
                        }
                    }
                }
                return (entry.worker.clone(), entry.held.clone());
            }
            let shared = &self.shared;
            let here = 0u8;
            let owner = (shared.id << 40)
                ^ ((workers.len() as u64) << 24)
                ^ now_ms().unwrap_or(0)
                ^ (&here as *const u8 as u64).rotate_left(29);
            let worker = Worker::with_host(
                shared.config.clone(),
                owner,
                Crypto::new(shared.config.crypto, None),
                Rc::new(FetchCounters(Arc::downgrade(shared))),
                Box::new(shared.store.clone()),
            );
            let worker = Rc::new(RefCell::new(worker));
            let held = Rc::new(Cell::new(0));
            workers.push(Entry {
                shared: Arc::downgrade(shared),
                worker: worker.clone(),
                generation,
                held: held.clone(),
            });
            (worker, held)
        })
    }

    pub fn new_filter(&self, handle: FilterHandle) -> HttpFilter {
        let (worker, held_here) = self.worker();
        HttpFilter {
            handle,
            shared: self.shared.clone(),
            worker,
            held: None,
            held_here,
            counted: false,
        }
    }

    /// The main thread's fetch loop: takes the lease and fetches where a fetch is due.
    pub fn on_main_thread_tick(&self, handle: ConfigHandle) {
        let (worker, _) = self.worker();
        let Ok(mut worker) = worker.try_borrow_mut() else {
            return;
        };
        let shared = &self.shared;
        for (rt, wanted) in worker.providers.iter_mut().zip(&shared.kid_wanted) {
            if wanted.swap(false, Ordering::AcqRel) {
                rt.want_kid_refetch = true;
            }
        }
        let held: Vec<bool> = shared
            .held
            .iter()
            .map(|n| n.load(Ordering::Acquire) > 0)
            .collect();
        let before = worker.keys_generation();
        let now_ms = now_ms().unwrap_or(0);
        fetch::poll(&mut worker, &mut Callouts(handle), &held, now_ms);
        self.after_fetch(&worker, before, handle);
    }

    pub fn on_callout_done(
        &self,
        handle: ConfigHandle,
        id: u64,
        status: Option<Vec<u8>>,
        body: Vec<u8>,
    ) {
        let (worker, _) = self.worker();
        let Ok(mut worker) = worker.try_borrow_mut() else {
            return;
        };
        let Ok(token) = u32::try_from(id) else {
            return;
        };
        let status = status.and_then(|s| response::parse_status(&s));
        let before = worker.keys_generation();
        let size = body.len();
        let now_ms = now_ms().unwrap_or(0);
        fetch::on_response(
            &mut worker,
            &mut Callouts(handle),
            token,
            Ok(status),
            size,
            move || body,
            now_ms,
        );
        self.after_fetch(&worker, before, handle);
    }

    /// New keys reach the worker threads, and every held request is decided again; so it is
    /// after a fetch that failed (those that waited on it now fail, or wait for the retry).
    /// A finished fetch always counts itself, so gathered counters mean one finished.
    fn after_fetch(&self, worker: &ThreadWorker, before: u64, handle: ConfigHandle) {
        let pending = std::mem::take(
            &mut *self
                .shared
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        let finished = !pending.is_empty();
        for (id, n) in pending {
            handle.increment_counter(id, u64::from(n));
        }
        let changed = worker.keys_generation() != before;
        if changed {
            self.shared.keys_generation.fetch_add(1, Ordering::AcqRel);
        }
        if changed || finished {
            self.shared.wake(0, true);
        }
    }
}

/// Config-level HTTP callouts on the main thread.
struct Callouts(ConfigHandle);

impl FetchHost for Callouts {
    fn dispatch(
        &mut self,
        cluster: &str,
        headers: &[(&str, &str)],
        timeout_ms: u64,
    ) -> Result<u32, String> {
        let id = self
            .0
            .http_callout(cluster, headers, timeout_ms)
            .map_err(|code| format!("callout refused ({code})"))?;
        u32::try_from(id).map_err(|_| "callout id out of range".to_string())
    }
}

/// A request waiting for keys.
struct Waiting {
    request: Request,
    arrived_ms: u64,
    held: Held,
    scheduler: Arc<Scheduler>,
}

/// One HTTP stream.
pub struct HttpFilter {
    handle: FilterHandle,
    shared: Arc<Shared>,
    worker: Rc<RefCell<ThreadWorker>>,
    held: Option<Waiting>,
    /// This thread's count of held requests, and whether this request is in it.
    held_here: Rc<Cell<usize>>,
    counted: bool,
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

/// Envoy's request as the engine's `Stream`; `req` only decides which test-only failures
/// apply (`fault`, feature `simulate-host-failures`).
struct EnvoyStream<'a> {
    handle: FilterHandle,
    req: &'a Request,
}

#[derive(Debug)]
enum Refused {
    RemoveHeader,
    SetHeader,
    ClearRouteCache,
    SendResponse,
}

impl EnvoyStream<'_> {
    fn fail_if(&self, point: Point, refused: Refused) -> Result<(), Refused> {
        if injected(self.req, point) {
            Err(refused)
        } else {
            Ok(())
        }
    }
}

impl Stream for EnvoyStream<'_> {
    type Error = Refused;

    fn remove_header(&mut self, name: &str) -> Result<(), Refused> {
        self.fail_if(Point::RemoveHeader, Refused::RemoveHeader)?;
        self.handle
            .set_request_header(name, None)
            .then_some(())
            .ok_or(Refused::RemoveHeader)
    }

    fn set_header(&mut self, name: &str, value: &str) -> Result<(), Refused> {
        self.fail_if(Point::SetHeader, Refused::SetHeader)?;
        self.handle
            .set_request_header(name, Some(value.as_bytes()))
            .then_some(())
            .ok_or(Refused::SetHeader)
    }

    fn clear_route_cache(&mut self) -> Result<bool, Refused> {
        self.fail_if(Point::ClearRouteCache, Refused::ClearRouteCache)?;
        self.handle.clear_route_cache();
        Ok(true)
    }

    fn send(&mut self, status: u32, headers: &[(&str, &str)], body: &str) -> Result<(), Refused> {
        self.fail_if(Point::SendResponse, Refused::SendResponse)?;
        self.handle.send_response(status, headers, body.as_bytes());
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

    fn internal_error(&self, req: &Request, why: &str) {
        log::warn!("jwt_authn_wasm: {why}; answering 500");
        let mut stream = EnvoyStream {
            handle: self.handle,
            req,
        };
        stream::internal_error(&mut stream, &self.stats());
    }

    /// Returns true when the request may continue upstream.
    pub fn on_request_headers(&mut self) -> bool {
        // Without the headers or the time there is nothing to judge the request by.
        let (headers, pseudo) = recycle::take();
        let read = (self.handle).request_headers(self.shared.read_headers.as_ref(), headers);
        let req = match read.map(|headers| Request::with_buffer(headers, pseudo)) {
            Some(req) if !injected(&req, Point::ReadHeaders) => req,
            failed => {
                let req = failed.unwrap_or_default();
                self.internal_error(&req, "could not read the request headers");
                return false;
            }
        };
        let Some(now_ms) = now_ms().filter(|_| !injected(&req, Point::Clock)) else {
            self.internal_error(&req, "could not read the clock");
            return false;
        };
        let req = self.with_client_certificate(req);
        self.decide(req, now_ms, now_ms, Vec::new())
    }

    /// The client certificate's digest, read only when some provider checks `cnf` bindings:
    /// other requests never ask Envoy for it.
    fn with_client_certificate(&self, mut req: Request) -> Request {
        if self.shared.config.binds_tokens {
            req.client_cert_sha256 = self.handle.peer_certificate_sha256();
        }
        req
    }

    /// Decides; carries out the decision, or holds the request. Returns true when the
    /// request may continue upstream now.
    fn decide(
        &mut self,
        req: Request,
        now_ms: u64,
        arrived_ms: u64,
        held_on: Vec<(ProviderId, u64)>,
    ) -> bool {
        let worker = self.worker.clone();
        let busy = injected(&req, Point::Worker);
        let Some(mut worker) = worker.try_borrow_mut().ok().filter(|_| !busy) else {
            self.internal_error(&req, "the worker is busy");
            return false;
        };
        let mut decided = worker.decide(&req, now_ms, arrived_ms, &held_on);
        let mut kick = decided.kick;
        if decided.decision.outcome == Outcome::Wait
            && !self.counted
            && self.held_here.get() >= self.shared.config.max_held_requests
        {
            // Each held request keeps its headers: the cap bounds that memory during an
            // outage. This one is decided as though its hold had already ended.
            self.shared.counters.held_requests_overflow(|id, n| {
                self.handle.increment_counter(id, u64::from(n));
            });
            decided = worker.decide(&req, now_ms, 0, &held_on);
            kick |= decided.kick;
            if decided.decision.outcome == Outcome::Wait {
                drop(worker);
                self.internal_error(&req, "too many requests held for keys");
                return false;
            }
        }
        for (rt, wanted) in worker.providers.iter_mut().zip(&self.shared.kid_wanted) {
            if std::mem::take(&mut rt.want_kid_refetch) {
                wanted.store(true, Ordering::Release);
                kick = true;
            }
        }
        drop(worker);
        if kick {
            self.shared.main.commit(0);
        }
        if decided.decision.outcome == Outcome::Wait {
            return self.hold(req, arrived_ms, decided.held);
        }
        // Decided: a woken request's scheduler goes.
        self.held = None;
        self.uncount();
        let mut stream = EnvoyStream {
            handle: self.handle,
            req: &req,
        };
        let proceed = stream::carry_out(&decided.decision, &req, &mut stream, &self.stats());
        recycle::give_back(req);
        proceed
    }

    fn uncount(&mut self) {
        if std::mem::take(&mut self.counted) {
            self.held_here.set(self.held_here.get().saturating_sub(1));
        }
    }

    /// Pauses the request until keys change or its hold ends.
    fn hold(&mut self, request: Request, arrived_ms: u64, held: Held) -> bool {
        if !self.counted {
            self.counted = true;
            self.held_here.set(self.held_here.get() + 1);
        }
        let scheduler = match self.held.take() {
            Some(waiting) => waiting.scheduler,
            None => match self.handle.scheduler() {
                Some(s) => Arc::new(s),
                None => {
                    self.internal_error(
                        &request,
                        "Envoy gave no scheduler to hold the request with",
                    );
                    return false;
                }
            },
        };
        for (id, _) in &held.on {
            if let Some(n) = self.shared.held.get(*id) {
                n.fetch_add(1, Ordering::AcqRel);
            }
        }
        {
            let mut waiters = self.shared.lock_waiters();
            waiters.retain(|(_, s)| !Arc::ptr_eq(s, &scheduler));
            waiters.push((held.wake_ms, scheduler.clone()));
        }
        self.held = Some(Waiting {
            request,
            arrived_ms,
            held,
            scheduler,
        });
        false
    }

    /// Forgets the hold: its counts and its wake-up.
    fn release(&mut self) -> Option<Waiting> {
        let waiting = self.held.take()?;
        for (id, _) in &waiting.held.on {
            if let Some(n) = self.shared.held.get(*id) {
                n.fetch_sub(1, Ordering::AcqRel);
            }
        }
        self.shared
            .lock_waiters()
            .retain(|(_, s)| !Arc::ptr_eq(s, &waiting.scheduler));
        Some(waiting)
    }

    /// The request waits for keys: whatever else arrives of it must wait too.
    pub fn holds_request(&self) -> bool {
        self.held.is_some()
    }

    /// Keys changed or the hold ended: decide again; resume the request if it may go on.
    pub fn on_scheduled(&mut self, _event_id: u64) {
        let Some(waiting) = self.release() else {
            return;
        };
        let Some(now_ms) = now_ms() else {
            self.internal_error(&waiting.request, "could not read the clock");
            return;
        };
        // Keys the main thread stored since: a woken request is judged with them.
        let keys_seen = self.worker.try_borrow_mut().map(|mut worker| {
            let worker = &mut *worker;
            for rt in &mut worker.providers {
                rt.sync(&*worker.store, &worker.crypto);
            }
            worker.keys_generation()
        });
        if now_ms < waiting.held.wake_ms && keys_seen.ok() == Some(waiting.held.keys_seen) {
            // Woken for another request's keys: this one keeps waiting.
            let Waiting {
                request,
                arrived_ms,
                held,
                scheduler,
            } = waiting;
            self.held = Some(Waiting {
                request: Request::default(),
                arrived_ms,
                held: Held::default(),
                scheduler,
            });
            self.hold(request, arrived_ms, held);
            return;
        }
        let held_on = waiting.held.on.clone();
        let request = waiting.request;
        // The scheduler is reused if the request waits again.
        self.held = Some(Waiting {
            request: Request::default(),
            arrived_ms: waiting.arrived_ms,
            held: Held::default(),
            scheduler: waiting.scheduler,
        });
        let proceed = self.decide(request, now_ms, waiting.arrived_ms, held_on);
        if proceed {
            self.handle.continue_decoding();
        }
    }
}

impl Drop for HttpFilter {
    /// A client that gives up while waiting leaves no waiter behind.
    fn drop(&mut self) {
        self.release();
        self.uncount();
    }
}

/// A hook panicked on this stream: it is answered 500.
pub fn panicked(handle: FilterHandle) {
    log::error!("jwt_authn_wasm: the filter panicked; answering 500");
    let headers = [("content-type", "text/plain")];
    handle.send_response(500, &headers, stream::INTERNAL_ERROR.as_bytes());
}
