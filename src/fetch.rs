//! A worker's JWKS fetches: who fetches (the lease), the HTTP calls, and what a response does
//! to the shared key set. The host only dispatches calls (`FetchHost`) and hands replies in
//! as data; the proxy-wasm root context and the dynamic module's main thread both run this.

use crate::config::{HttpTarget, JwksSource, RemoteEndpoint, RemoteSource};
use crate::jwks_cache::record::{self, Acquire, FetchReason, FetchResult};
use crate::jwks_cache::response::{self, FetchError};
use crate::worker::{Stage, Worker};
use std::rc::Rc;

/// How a host starts an HTTP call.
pub trait FetchHost {
    /// Sends a GET with `headers` to `cluster`; the token identifies its reply.
    fn dispatch(
        &mut self,
        cluster: &str,
        headers: &[(&str, &str)],
        timeout_ms: u64,
    ) -> Result<u32, String>;
}

/// The fetch counters of a worker's host.
pub trait FetchStats {
    fn fetch(&self, provider: usize, success: bool);
    fn keys_ignored(&self, provider: usize, count: usize);
}

fn remote<M>(worker: &Worker<M>, provider: usize) -> Option<RemoteSource> {
    match &worker.config.providers.get(provider)?.source {
        JwksSource::Remote(r) => Some(r.clone()),
        JwksSource::Local(_) => None,
    }
}

/// One pass over the providers: load keys other workers stored, and take the lease and
/// fetch where a fetch is due. A provider with requests held for it (`held`) is retried soon
/// after a failure; the lease still makes it one fetch per process.
pub fn poll<M: FetchStats>(
    worker: &mut Worker<M>,
    host: &mut dyn FetchHost,
    held: &[bool],
    now_ms: u64,
) {
    for id in 0..worker.providers.len() {
        let Some(source) = remote(worker, id) else {
            continue;
        };
        let Some(rt) = worker.providers.get_mut(id) else {
            continue;
        };
        rt.sync(&*worker.store, &worker.crypto);
        if rt.fetching {
            continue;
        }
        let Some(shared) = rt.shared.clone() else {
            continue;
        };
        let lease_ms = lease_ms(&source);
        let owner = worker.owner;
        let take = |reason| {
            record::try_acquire(
                &*worker.store,
                &shared.record,
                now_ms,
                lease_ms,
                owner,
                reason,
            ) == Acquire::Acquired
        };
        let interval_ms = worker
            .config
            .providers
            .get(id)
            .map_or(0, |p| p.kid_refetch_interval_ms);
        let due = if held.get(id).copied().unwrap_or(false) {
            FetchReason::Held
        } else {
            FetchReason::Scheduled
        };
        // An unknown kid may fetch early; otherwise the schedule decides.
        let kid = FetchReason::UnknownKid { interval_ms };
        let acquired = (rt.want_kid_refetch && take(kid)) || take(due);
        if rt.want_kid_refetch && !acquired {
            // Kept only while the one thing in its way is the spacing between fetches.
            let (rec, _) = record::read(&*worker.store, &shared.record);
            rt.want_kid_refetch =
                !rec.lease_active(now_ms) && rec.kid_refetch_allowed(now_ms, interval_ms);
        } else {
            rt.want_kid_refetch = false;
        }
        if acquired {
            start(worker, host, id, &source, now_ms);
        }
    }
}

/// Longer than the whole fetch, so a live fetcher never loses its lease, but bounded, so a
/// worker that dies mid-fetch blocks nobody for long.
fn lease_ms(source: &RemoteSource) -> u64 {
    let calls = match source.endpoint {
        RemoteEndpoint::Jwks(_) => 1,
        RemoteEndpoint::Discovery { .. } => 2,
    };
    source.timeout_ms * calls + 1_000
}

fn start<M: FetchStats>(
    worker: &mut Worker<M>,
    host: &mut dyn FetchHost,
    id: usize,
    source: &RemoteSource,
    now_ms: u64,
) {
    let (target, stage) = match &source.endpoint {
        RemoteEndpoint::Jwks(t) => (t, Stage::Jwks),
        RemoteEndpoint::Discovery { discovery, .. } => (discovery, Stage::Discovery),
    };
    if let Err(e) = dispatch(worker, host, id, target, stage, source.timeout_ms) {
        finish(worker, id, Err(e), now_ms);
    }
}

fn dispatch<M>(
    worker: &mut Worker<M>,
    host: &mut dyn FetchHost,
    id: usize,
    target: &HttpTarget,
    stage: Stage,
    timeout_ms: u64,
) -> Result<(), FetchError> {
    let headers = vec![
        (":method", "GET"),
        (":path", target.path.as_str()),
        (":authority", target.authority.as_str()),
        ("accept", "application/json"),
        ("user-agent", "jwt-authn-wasm"),
    ];
    match host.dispatch(&target.cluster, &headers, timeout_ms) {
        Ok(token) => {
            worker.calls.push((token, id, stage));
            if let Some(rt) = worker.providers.get_mut(id) {
                rt.fetching = true;
            }
            Ok(())
        }
        Err(status) => Err(FetchError::Dispatch(format!(
            "{status} for cluster {:?} (does the Envoy configuration define it?)",
            target.cluster
        ))),
    }
}

/// Handles a fetch response: the next discovery step, or the end of the fetch. `status` is
/// `Ok(None)` when the call failed without a response, `Err` when the host could not hand
/// the response over (both a failed fetch, which keeps the last good keys); the body is read
/// only when the status is worth it.
pub fn on_response<M: FetchStats>(
    worker: &mut Worker<M>,
    host: &mut dyn FetchHost,
    token: u32,
    status: Result<Option<u32>, FetchError>,
    body_size: usize,
    read_body: impl FnOnce() -> Vec<u8>,
    now_ms: u64,
) {
    let Some(at) = worker.calls.iter().position(|(t, _, _)| *t == token) else {
        // No provider waits for it, so there is no fetch to fail.
        log::debug!("jwt_authn_wasm: ignored the response to HTTP call {token}, which this worker did not send");
        return;
    };
    let (_, id, stage) = worker.calls.swap_remove(at);
    let result = status.and_then(|status| response::check_status(status, body_size));
    let result = result.and_then(|()| {
        let body = read_body();
        match stage {
            Stage::Jwks => {
                let max_rsa_bits = (worker.config.providers.get(id))
                    .map_or(crate::signature::MAX_RSA_BITS, |p| p.max_rsa_key_bits);
                response::jwks(&body, Some(&worker.crypto), max_rsa_bits)
            }
            .map(|set| (body, set))
            .map(Some),
            Stage::Discovery => {
                next_from_discovery(worker, host, id, &body, now_ms)?;
                Ok(None)
            }
        }
    });
    match result {
        Ok(None) => {}
        Ok(Some((body, set))) => finish(worker, id, Ok((body, set)), now_ms),
        Err(e) => finish(worker, id, Err(e), now_ms),
    }
}

fn next_from_discovery<M>(
    worker: &mut Worker<M>,
    host: &mut dyn FetchHost,
    id: usize,
    body: &[u8],
    _now_ms: u64,
) -> Result<(), FetchError> {
    let provider = worker.config.providers.get(id).ok_or_else(|| {
        FetchError::Internal(format!("no provider #{id} for this discovery document"))
    })?;
    let not_discovery = || {
        FetchError::Internal(format!(
            "a discovery document arrived for provider {}, which does not use OIDC discovery",
            provider.name
        ))
    };
    let source = remote(worker, id).ok_or_else(not_discovery)?;
    let RemoteEndpoint::Discovery {
        discovery,
        jwks_cluster,
        jwks_hosts,
    } = &source.endpoint
    else {
        return Err(not_discovery());
    };
    let jwks_uri = response::discovery(body, &provider.issuer)?;
    if !crate::config::jwks_hosts::allows(jwks_hosts, &jwks_uri) {
        return Err(FetchError::BadDiscovery(format!(
            "jwks_uri {jwks_uri:?} is not on the issuer's host or one in oidc_discovery.jwks_hosts"
        )));
    }
    // Same host as the issuer: same cluster. Another host: its own Istio cluster name,
    // unless the configuration names one.
    let mut target =
        HttpTarget::parse(&jwks_uri, jwks_cluster.as_deref()).map_err(FetchError::BadDiscovery)?;
    if jwks_cluster.is_none() && target.authority == discovery.authority {
        target.cluster = discovery.cluster.clone();
    }
    dispatch(worker, host, id, &target, Stage::Jwks, source.timeout_ms)
}

type Fetched = (Vec<u8>, crate::jwks::KeySet);

fn finish<M: FetchStats>(
    worker: &mut Worker<M>,
    id: usize,
    result: Result<Fetched, FetchError>,
    now_ms: u64,
) {
    let name = worker
        .config
        .providers
        .get(id)
        .map_or("?", |p| p.name.as_str())
        .to_string();
    let cache_duration_ms = remote(worker, id).map_or(0, |r| r.cache_duration_ms);
    let Some(shared) = worker.providers.get(id).and_then(|rt| rt.shared.clone()) else {
        return;
    };
    let jitter = worker.jitter();
    let owner = worker.owner;
    worker.metrics.fetch(id, result.is_ok());
    let Some(rt) = worker.providers.get_mut(id) else {
        return;
    };
    rt.fetching = false;
    match result {
        Ok((body, set)) => {
            worker.metrics.keys_ignored(id, set.ignored);
            if !set.skipped.is_empty() {
                log::warn!(
                    "jwt_authn_wasm: provider {name}: JWKS keys ignored: {}",
                    set.skipped.join("; ")
                );
            }
            let count = set.len();
            let stored = record::finish(
                &*worker.store,
                &shared,
                owner,
                now_ms,
                FetchResult::Success {
                    jwks: &body,
                    cache_duration_ms,
                },
            );
            match stored {
                Ok(Some(version)) => {
                    rt.keys = Some(Rc::new(set));
                    rt.version = version;
                    log::info!("jwt_authn_wasm: provider {name}: fetched JWKS version {version} with {count} keys");
                }
                _ => log::warn!("jwt_authn_wasm: provider {name}: could not store the fetched JWKS in shared data"),
            }
        }
        Err(e) => {
            let text = e.to_string();
            let _ = record::finish(
                &*worker.store,
                &shared,
                owner,
                now_ms,
                FetchResult::Failure {
                    error: &text,
                    jitter,
                },
            );
            let keeping = if rt.keys.is_some() {
                "keeping the last good keys"
            } else {
                "no keys yet"
            };
            log::warn!("jwt_authn_wasm: provider {name}: JWKS fetch failed: {text}; {keeping}");
        }
    }
}
