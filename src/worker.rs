//! State of one worker (one wasm VM, or one Envoy worker thread in the dynamic module): the
//! validated configuration, each provider's parsed keys, the token cache, requests held for
//! keys, and fetches in flight. Host-independent: the glue brings its counters (`M`) and the
//! process-wide store the workers share keys through.

use crate::config::{FilterConfig, JwksSource, ProviderId};
use crate::crypto::Crypto;
use crate::engine::{Decision, Engine, KeySource, KeyState, KidRefetch};
use crate::extractor::Request;
use crate::jwks::{KeyPolicy, KeySet};
use crate::jwks_cache::{self, record, FetchReason, SharedKeys, SharedRecord, SharedStore};
use crate::token_cache::TokenCache;
use std::rc::Rc;

pub struct ProviderRuntime {
    pub shared: Option<SharedKeys>,
    pub keys: Option<Rc<KeySet>>,
    pub version: u64,
    /// This worker holds the lease and has a call out.
    pub fetching: bool,
    pub want_kid_refetch: bool,
}

impl ProviderRuntime {
    /// Loads a newer key set that another worker stored. Returns true when keys changed.
    pub fn sync(&mut self, store: &dyn SharedStore, crypto: &Crypto) -> bool {
        let Some(shared) = &self.shared else {
            return false;
        };
        let (record, _) = record::read(store, &shared.record);
        if record.version <= self.version {
            return false;
        }
        let (Some(doc), _) = store.get(&shared.document) else {
            return false;
        };
        let Some((version, jwks)) = jwks_cache::decode_document(&doc) else {
            return false;
        };
        if version <= self.version {
            return false;
        }
        let policy = KeyPolicy {
            symmetric: false,
            crypto: Some(crypto),
        };
        match KeySet::parse_with(jwks, policy) {
            Ok(set) if !set.is_empty() => {
                self.keys = Some(Rc::new(set));
                self.version = version;
                true
            }
            _ => false,
        }
    }
}

/// Inline keys were validated with the configuration; here they meet the backends (a
/// P-521 key is dropped when neither the host's verify_signature nor the module has P-521).
fn local_keys(name: &str, text: &str, crypto: &Crypto) -> Option<Rc<KeySet>> {
    let policy = KeyPolicy {
        symmetric: true,
        crypto: Some(crypto),
    };
    let set = KeySet::parse_with(text.as_bytes(), policy).ok()?;
    if !set.skipped.is_empty() {
        log::warn!(
            "jwt_authn_wasm: provider {name}: local_jwks keys ignored: {}",
            set.skipped.join("; ")
        );
    }
    (!set.is_empty()).then(|| Rc::new(set))
}

/// A request paused until keys arrive or its hold ends.
pub struct Waiter {
    pub context_id: u32,
    pub request: Request,
    /// Each provider's hold budget counts from here.
    pub arrived_ms: u64,
    pub held: Held,
}

/// Why and how long a paused request waits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Held {
    /// The providers it waits on, each with the version of its keys when the wait began:
    /// their failed fetches are retried soon, and newer keys end an unknown-`kid` wait.
    pub on: Vec<(ProviderId, u64)>,
    /// Decide again then at the latest: the first of its hold budgets to end.
    pub wake_ms: u64,
    /// `Worker::keys_generation` before the last decision: newer keys mean deciding again.
    pub keys_seen: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Discovery,
    Jwks,
}

pub struct Worker<M> {
    pub config: Rc<FilterConfig>,
    pub providers: Vec<ProviderRuntime>,
    pub cache: TokenCache,
    pub waiters: Vec<Waiter>,
    /// HTTP calls in flight: (token, provider, stage). A few at most, so a list; a map type
    /// of its own cost the module kilobytes.
    pub calls: Vec<(u32, usize, Stage)>,
    /// Shared with the HTTP contexts, which count even when they cannot reach the worker.
    pub metrics: Rc<M>,
    pub crypto: Rc<Crypto>,
    /// Where the host's workers share fetched keys (proxy-wasm shared data, or a process-wide
    /// map in the dynamic module).
    pub store: Box<dyn SharedStore>,
    /// Identifies this worker's leases in shared data.
    pub owner: u64,
    rng: u64,
}

/// A decision, and what the glue needs besides it.
pub struct Decided {
    pub decision: Decision,
    /// A fetch that the request waits for is due: run the fetch loop now.
    pub kick: bool,
    /// Meaningful when the decision is to wait.
    pub held: Held,
}

impl<M> Worker<M> {
    /// Local key sets were validated with the configuration, so parsing them cannot fail here.
    pub fn with_host(
        config: FilterConfig,
        owner: u64,
        crypto: Crypto,
        metrics: Rc<M>,
        store: Box<dyn SharedStore>,
    ) -> Worker<M> {
        let providers = config
            .providers
            .iter()
            .map(|p| {
                let keys = match &p.source {
                    JwksSource::Local(text) => local_keys(&p.name, text, &crypto),
                    JwksSource::Remote(_) => None,
                };
                ProviderRuntime {
                    shared: SharedKeys::for_provider(p),
                    version: u64::from(keys.is_some()),
                    keys,
                    fetching: false,
                    want_kid_refetch: false,
                }
            })
            .collect();
        Worker {
            cache: TokenCache::new(config.token_cache_size, config.providers.len()),
            metrics,
            store,
            config: Rc::new(config),
            providers,
            waiters: Vec::new(),
            calls: Vec::new(),
            crypto: Rc::new(crypto),
            owner,
            rng: owner | 1,
        }
    }

    /// Changes whenever any provider's keys change: versions only grow.
    pub fn keys_generation(&self) -> u64 {
        self.providers
            .iter()
            .fold(0u64, |sum, p| sum.wrapping_add(p.version))
    }

    /// Decides a request that arrived at `arrived_ms`; `held_on` is what it waited on when
    /// it was last decided (nothing for a new request).
    pub fn decide(
        &mut self,
        req: &Request,
        now_ms: u64,
        arrived_ms: u64,
        held_on: &[(ProviderId, u64)],
    ) -> Decided {
        let keys_seen = self.keys_generation();
        let config = self.config.clone();
        let crypto = self.crypto.clone();
        let mut keys = WorkerKeys {
            config: &config,
            providers: &mut self.providers,
            store: &*self.store,
            crypto: &crypto,
            now_ms,
            arrived_ms,
            held_on,
            kick: false,
            held: Held {
                on: Vec::new(),
                wake_ms: u64::MAX,
                keys_seen,
            },
        };
        let mut engine = Engine {
            config: &config,
            cache: &mut self.cache,
            keys: &mut keys,
            crypto: &crypto,
            now_s: now_ms / 1000,
        };
        let decision = engine.decide(req);
        let mut held = keys.held;
        if held.on.is_empty() {
            // Only a provider that waits makes a request wait, so a waiting request always has
            // one; should that ever change, it is decided again at the next tick, not forgotten.
            held.wake_ms = now_ms;
        }
        Decided {
            decision,
            kick: keys.kick,
            held,
        }
    }

    /// Per provider: does a paused request of this worker wait on it?
    pub fn held_providers(&self) -> Vec<bool> {
        let mut held = vec![false; self.providers.len()];
        for waiter in &self.waiters {
            for (id, _) in &waiter.held.on {
                if let Some(flag) = held.get_mut(*id) {
                    *flag = true;
                }
            }
        }
        held
    }

    /// When the first paused request's hold ends, if any is paused.
    pub fn next_wake_ms(&self) -> Option<u64> {
        self.waiters.iter().map(|w| w.held.wake_ms).min()
    }

    /// Jitter in [0, 1) for retry delays (xorshift: spreading retries needs no secrecy).
    pub fn jitter(&mut self) -> f64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 11) as f64 / (1u64 << 53) as f64
    }
}

struct WorkerKeys<'a> {
    config: &'a FilterConfig,
    providers: &'a mut [ProviderRuntime],
    store: &'a dyn SharedStore,
    crypto: &'a Crypto,
    now_ms: u64,
    arrived_ms: u64,
    held_on: &'a [(ProviderId, u64)],
    kick: bool,
    held: Held,
}

impl WorkerKeys<'_> {
    /// When the request's hold for this provider's keys ends.
    fn hold_ends_ms(&self, provider: ProviderId) -> u64 {
        let hold = self
            .config
            .providers
            .get(provider)
            .map_or(0, |p| p.hold_for_keys_ms);
        self.arrived_ms.saturating_add(hold)
    }

    fn wait_on(&mut self, provider: ProviderId, version: u64, hold_ends_ms: u64) {
        if !self.held.on.iter().any(|(id, _)| *id == provider) {
            self.held.on.push((provider, version));
        }
        self.held.wake_ms = self.held.wake_ms.min(hold_ends_ms);
    }

    /// Starts the fetch loop at once when a held request's retry is due, rather than at
    /// the next tick.
    fn kick_if_due(&mut self, rec: &SharedRecord, fetching: bool) {
        if !fetching && !rec.lease_active(self.now_ms) && rec.due(self.now_ms, FetchReason::Held) {
            self.kick = true;
        }
    }
}

impl KeySource for WorkerKeys<'_> {
    fn state(&mut self, provider: usize) -> KeyState {
        let hold_ends_ms = self.hold_ends_ms(provider);
        let Some(rt) = self.providers.get_mut(provider) else {
            return KeyState::Failed;
        };
        if rt.keys.is_none() {
            rt.sync(self.store, self.crypto);
        }
        if let Some(keys) = &rt.keys {
            return KeyState::Ready {
                keys: keys.clone(),
                version: rt.version,
            };
        }
        let Some(shared) = &rt.shared else {
            return KeyState::Failed;
        };
        if self.now_ms >= hold_ends_ms {
            return KeyState::Failed;
        }
        let (rec, _) = record::read(self.store, &shared.record);
        let (fetching, version) = (rt.fetching, rt.version);
        self.kick_if_due(&rec, fetching);
        self.wait_on(provider, version, hold_ends_ms);
        KeyState::Wait
    }

    fn refetch_for_unknown_kid(&mut self, provider: usize) -> KidRefetch {
        let hold_ends_ms = self.hold_ends_ms(provider);
        let interval = self
            .config
            .providers
            .get(provider)
            .map_or(0, |p| p.kid_refetch_interval_ms);
        let now_ms = self.now_ms;
        let Some(rt) = self.providers.get_mut(provider) else {
            return KidRefetch::NoKey;
        };
        let Some(shared) = rt.shared.clone() else {
            return KidRefetch::NoKey;
        };
        let patient = now_ms < hold_ends_ms;
        // Another worker may already have fetched the rotated keys: decide again with them
        // at once (the wait is for keys newer than those it was checked against).
        let checked = rt.version;
        if rt.sync(self.store, self.crypto) {
            if !patient {
                return KidRefetch::NoKey;
            }
            self.kick = true;
            self.wait_on(provider, checked, hold_ends_ms);
            return KidRefetch::Wait;
        }
        let (fetching, version) = (rt.fetching, rt.version);
        // It already waits for a refetch of these keys: until they change or its hold ends.
        let waited = self
            .held_on
            .iter()
            .any(|&(id, v)| id == provider && v == version);
        let (rec, _) = record::read(self.store, &shared.record);
        let busy = fetching || rec.lease_active(now_ms);
        let start = !busy && rec.kid_refetch_allowed(now_ms, interval);
        if start {
            rt.want_kid_refetch = true;
            self.kick = true;
        }
        if !patient {
            return if waited {
                KidRefetch::FetchFailed
            } else {
                KidRefetch::NoKey
            };
        }
        if waited || busy || start || rec.kid_refetch_pending(now_ms, interval) {
            self.kick_if_due(&rec, fetching);
            self.wait_on(provider, version, hold_ends_ms);
            return KidRefetch::Wait;
        }
        KidRefetch::NoKey
    }
}
