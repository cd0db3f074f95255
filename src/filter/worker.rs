//! State of one worker (one wasm VM): the validated configuration, each provider's parsed
//! keys, the token cache, requests paused for keys, and fetches in flight.

use super::host::HostStore;
use super::metrics::Metrics;
use crate::config::{FilterConfig, KeySource as Source, RemoteEndpoint};
use crate::crypto::Crypto;
use crate::engine::{Decision, Engine, KeySource, KeyState};
use crate::extractor::Request;
use crate::jwks::{KeyPolicy, KeySet};
use crate::jwks_cache::{self, record, SharedKeys, SharedStore};
use crate::token_cache::TokenCache;
use std::collections::HashMap;
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
/// P-521 key without the host's verify_signature is dropped).
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

pub struct Waiter {
    pub context_id: u32,
    pub request: Request,
    pub deadline_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Discovery,
    Jwks,
}

pub struct Worker {
    pub config: Rc<FilterConfig>,
    pub providers: Vec<ProviderRuntime>,
    pub cache: TokenCache,
    pub waiters: Vec<Waiter>,
    pub calls: HashMap<u32, (usize, Stage)>,
    pub metrics: Metrics,
    pub crypto: Rc<Crypto>,
    /// Identifies this worker's leases in shared data.
    pub owner: u64,
    rng: u64,
    /// How long a request may wait for keys: the longest fetch of any provider.
    pub max_wait_ms: u64,
}

impl Worker {
    /// Local key sets were validated with the configuration, so parsing them cannot fail here.
    pub fn new(config: FilterConfig, owner: u64, crypto: Crypto) -> Worker {
        let providers = config
            .providers
            .iter()
            .map(|p| {
                let keys = match &p.source {
                    Source::Local(text) => local_keys(&p.name, text, &crypto),
                    Source::Remote(_) => None,
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
        let max_wait_ms = config
            .providers
            .iter()
            .map(|p| match &p.source {
                Source::Remote(r) => match r.endpoint {
                    RemoteEndpoint::Jwks(_) => r.timeout_ms,
                    RemoteEndpoint::Discovery { .. } => 2 * r.timeout_ms,
                },
                Source::Local(_) => 0,
            })
            .max()
            .unwrap_or(0)
            + 250;
        Worker {
            cache: TokenCache::new(config.token_cache_size, config.providers.len()),
            metrics: Metrics::define(&config),
            config: Rc::new(config),
            providers,
            waiters: Vec::new(),
            calls: HashMap::new(),
            crypto: Rc::new(crypto),
            owner,
            rng: owner | 1,
            max_wait_ms,
        }
    }

    /// Decides a request. `patient`: the request may still wait for keys. Returns the
    /// decision and whether the root should run its fetch loop right away.
    pub fn decide(&mut self, req: &Request, now_ms: u64, patient: bool) -> (Decision, bool) {
        let config = self.config.clone();
        let crypto = self.crypto.clone();
        let mut keys = WorkerKeys {
            config: &config,
            providers: &mut self.providers,
            store: &HostStore,
            crypto: &crypto,
            now_ms,
            patient,
            max_wait_ms: self.max_wait_ms,
            kick: false,
        };
        let mut engine = Engine {
            config: &config,
            cache: &mut self.cache,
            keys: &mut keys,
            crypto: &crypto,
            now: now_ms / 1000,
        };
        let decision = engine.decide(req);
        let kick = keys.kick;
        (decision, kick)
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
    patient: bool,
    max_wait_ms: u64,
    kick: bool,
}

impl KeySource for WorkerKeys<'_> {
    fn state(&mut self, provider: usize) -> KeyState {
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
        if !self.patient {
            return KeyState::Failed;
        }
        let (rec, _) = record::read(self.store, &shared.record);
        if rt.fetching || rec.lease_active(self.now_ms) {
            return KeyState::Wait;
        }
        // Waiting only makes sense when a retry comes before the request's patience ends.
        if rec.failures > 0 && rec.next_fetch_ms > self.now_ms + self.max_wait_ms {
            return KeyState::Failed;
        }
        self.kick = true;
        KeyState::Wait
    }

    fn refetch_for_unknown_kid(&mut self, provider: usize) -> bool {
        let interval = self
            .config
            .providers
            .get(provider)
            .map_or(0, |p| p.kid_refetch_interval_ms);
        let Some(rt) = self.providers.get_mut(provider) else {
            return false;
        };
        if !self.patient {
            return false;
        }
        let Some(shared) = rt.shared.clone() else {
            return false;
        };
        // Another worker may already have fetched the rotated keys.
        if rt.sync(self.store, self.crypto) || rt.fetching {
            return true;
        }
        let (rec, _) = record::read(self.store, &shared.record);
        if rec.lease_active(self.now_ms) {
            return true;
        }
        let in_backoff = rec.failures > 0 && self.now_ms < rec.next_fetch_ms;
        let too_soon = rec.kid_refetch_at_ms != 0
            && self.now_ms < rec.kid_refetch_at_ms.saturating_add(interval);
        if in_backoff || too_soon {
            return false;
        }
        rt.want_kid_refetch = true;
        self.kick = true;
        true
    }
}
