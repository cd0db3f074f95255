//! The per-provider fetch schedule in shared data, updated only by compare-and-swap so
//! that exactly one worker of the process holds the fetch lease at a time.

use super::backoff;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreError {
    CasMismatch,
    Other,
}

/// Shared data as proxy-wasm offers it: values with a CAS token.
pub trait SharedStore {
    fn get(&self, key: &str) -> (Option<Vec<u8>>, Option<u32>);
    fn set(&self, key: &str, value: &[u8], cas: Option<u32>) -> Result<(), StoreError>;
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedRecord {
    /// Version of the document in shared data; 0 = none yet.
    pub version: u64,
    pub fetched_at_ms: u64,
    /// The next fetch is due then: a refresh after success, a retry after failure.
    pub next_fetch_ms: u64,
    pub failures: u32,
    /// Finished fetch attempts, successful or not.
    pub attempts: u64,
    pub lease_until_ms: u64,
    pub lease_owner: u64,
    pub kid_refetch_at_ms: u64,
    #[serde(default)]
    pub last_error: String,
    /// When the last lease was taken, to space out retries for held requests.
    #[serde(default)]
    pub attempt_started_ms: u64,
    /// The lease was taken early for held requests; its failure leaves the back-off as it is.
    #[serde(default)]
    pub lease_held: bool,
}

impl SharedRecord {
    pub fn lease_active(&self, now_ms: u64) -> bool {
        self.lease_until_ms > now_ms
    }

    /// A fetch is due for `reason`, leases aside. Whatever the reason, a process starts at
    /// most one fetch of a provider per `HELD_RETRY_MS`.
    pub fn due(&self, now_ms: u64, reason: FetchReason) -> bool {
        let spaced = self.attempt_started_ms == 0
            || now_ms
                >= self
                    .attempt_started_ms
                    .saturating_add(backoff::HELD_RETRY_MS);
        spaced
            && match reason {
                FetchReason::Scheduled => now_ms >= self.next_fetch_ms,
                FetchReason::Held => true,
                FetchReason::UnknownKid { interval_ms } => {
                    self.kid_refetch_allowed(now_ms, interval_ms)
                }
            }
    }

    /// An unknown `kid` may start a refetch: once per interval, and not while a failing
    /// provider backs off.
    pub fn kid_refetch_allowed(&self, now_ms: u64, interval_ms: u64) -> bool {
        let in_backoff = self.failures > 0 && now_ms < self.next_fetch_ms;
        !in_backoff
            && (self.kid_refetch_at_ms == 0
                || now_ms >= self.kid_refetch_at_ms.saturating_add(interval_ms))
    }

    /// An unknown-`kid` refetch started within the last interval has not succeeded yet
    /// (running, or failed and being retried): requests with an unknown `kid` wait for it.
    pub fn kid_refetch_pending(&self, now_ms: u64, interval_ms: u64) -> bool {
        self.kid_refetch_at_ms != 0
            && self.fetched_at_ms < self.kid_refetch_at_ms
            && now_ms < self.kid_refetch_at_ms.saturating_add(interval_ms)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchReason {
    /// The schedule says so (first fetch, refresh or retry).
    Scheduled,
    /// Requests are held for keys: `HELD_RETRY_MS` after the last attempt started, however
    /// far off the schedule's retry is.
    Held,
    /// A token named a `kid` we do not have; allowed once per `interval_ms`.
    UnknownKid { interval_ms: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acquire {
    /// This worker holds the lease and must fetch, then call `finish`.
    Acquired,
    /// Another worker is fetching.
    Busy,
    /// Nothing to do yet.
    NotDue,
}

pub fn read(store: &dyn SharedStore, key: &str) -> (SharedRecord, Option<u32>) {
    let (bytes, cas) = store.get(key);
    let record = bytes
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    (record, cas)
}

fn write(
    store: &dyn SharedStore,
    key: &str,
    record: &SharedRecord,
    cas: Option<u32>,
) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(record).map_err(|_| StoreError::Other)?;
    store.set(key, &bytes, cas)
}

/// Takes the fetch lease when a fetch is due for `reason` and nobody else holds it.
pub fn try_acquire(
    store: &dyn SharedStore,
    key: &str,
    now_ms: u64,
    lease_ms: u64,
    owner: u64,
    reason: FetchReason,
) -> Acquire {
    let (mut record, mut cas) = read(store, key);
    if cas.is_none() {
        // Shared data checks CAS only on existing keys: create the record first so that
        // two workers starting together cannot both take the lease.
        if write(store, key, &record, None).is_err() {
            return Acquire::Busy;
        }
        (record, cas) = read(store, key);
    }
    if record.lease_active(now_ms) {
        return Acquire::Busy;
    }
    if !record.due(now_ms, reason) {
        return Acquire::NotDue;
    }
    if let FetchReason::UnknownKid { .. } = reason {
        record.kid_refetch_at_ms = now_ms;
    }
    record.lease_held = reason == FetchReason::Held && now_ms < record.next_fetch_ms;
    record.attempt_started_ms = now_ms;
    record.lease_until_ms = now_ms.saturating_add(lease_ms);
    record.lease_owner = owner;
    match write(store, key, &record, cas) {
        Ok(()) => Acquire::Acquired,
        // Someone changed the record between our read and write: they won the race.
        Err(_) => Acquire::Busy,
    }
}

/// How a fetch ended, for `finish`.
pub enum FetchResult<'a> {
    Success {
        jwks: &'a [u8],
        cache_duration_ms: u64,
    },
    Failure {
        error: &'a str,
        jitter: f64,
    },
}

/// Records the end of a fetch: stores the new document first, then the record, so a
/// reader that sees the new version always finds its document. Returns the new version
/// on success.
pub fn finish(
    store: &dyn SharedStore,
    keys: &super::SharedKeys,
    owner: u64,
    now_ms: u64,
    result: FetchResult<'_>,
) -> Result<Option<u64>, StoreError> {
    // Bounded: each retry means another worker wrote in between, which is rare.
    for _ in 0..8 {
        let (mut record, cas) = read(store, &keys.record);
        record.attempts += 1;
        let held = record.lease_owner == owner && record.lease_held;
        if record.lease_owner == owner {
            record.lease_until_ms = 0;
            record.lease_held = false;
        }
        let new_version = match &result {
            FetchResult::Success {
                jwks,
                cache_duration_ms,
            } => {
                let version = record.version + 1;
                store.set(&keys.document, &super::encode_document(version, jwks), None)?;
                record.version = version;
                record.fetched_at_ms = now_ms;
                record.next_fetch_ms = now_ms + backoff::refresh_after_ms(*cache_duration_ms);
                record.failures = 0;
                record.last_error.clear();
                Some(version)
            }
            FetchResult::Failure { error, jitter } => {
                // Extra attempts for held requests must not stretch the back-off that
                // applies once nobody waits.
                if !held || record.failures == 0 {
                    record.failures = record.failures.saturating_add(1);
                    record.next_fetch_ms =
                        now_ms + backoff::retry_delay_ms(record.failures, *jitter);
                }
                record.last_error = error.chars().take(200).collect();
                None
            }
        };
        match write(store, &keys.record, &record, cas) {
            Ok(()) => return Ok(new_version),
            Err(StoreError::CasMismatch) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::CasMismatch)
}

#[cfg(test)]
pub mod memory {
    //! An in-memory shared store with the same CAS rules as Envoy's.
    use super::*;
    use std::cell::RefCell;
    use std::collections::HashMap;

    #[derive(Default)]
    pub struct MemoryStore {
        pub data: RefCell<HashMap<String, (Vec<u8>, u32)>>,
    }

    impl SharedStore for MemoryStore {
        fn get(&self, key: &str) -> (Option<Vec<u8>>, Option<u32>) {
            match self.data.borrow().get(key) {
                Some((v, cas)) => (Some(v.clone()), Some(*cas)),
                None => (None, None),
            }
        }

        fn set(&self, key: &str, value: &[u8], cas: Option<u32>) -> Result<(), StoreError> {
            let mut data = self.data.borrow_mut();
            let current = data.get(key).map(|(_, c)| *c);
            if let (Some(want), Some(have)) = (cas, current) {
                if want != 0 && want != have {
                    return Err(StoreError::CasMismatch);
                }
            }
            data.insert(key.to_string(), (value.to_vec(), current.unwrap_or(0) + 1));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::memory::MemoryStore;
    use super::*;
    use crate::jwks_cache::SharedKeys;

    fn keys() -> SharedKeys {
        SharedKeys {
            record: "r".into(),
            document: "d".into(),
        }
    }

    const KID: FetchReason = FetchReason::UnknownKid {
        interval_ms: 30_000,
    };

    #[test]
    fn one_worker_fetches_while_the_lease_lasts() {
        let s = MemoryStore::default();
        assert_eq!(
            try_acquire(&s, "r", 1000, 6000, 1, FetchReason::Scheduled),
            Acquire::Acquired
        );
        assert_eq!(
            try_acquire(&s, "r", 1001, 6000, 2, FetchReason::Scheduled),
            Acquire::Busy
        );
        assert_eq!(try_acquire(&s, "r", 1001, 6000, 2, KID), Acquire::Busy);
        // A worker that died mid-fetch does not block the others forever.
        assert_eq!(
            try_acquire(&s, "r", 7001, 6000, 2, FetchReason::Scheduled),
            Acquire::Acquired
        );
    }

    #[test]
    fn success_stores_keys_and_schedules_the_refresh() {
        let s = MemoryStore::default();
        let k = keys();
        try_acquire(&s, "r", 0, 6000, 1, FetchReason::Scheduled);
        let ok = FetchResult::Success {
            jwks: b"{}",
            cache_duration_ms: 600_000,
        };
        assert_eq!(finish(&s, &k, 1, 100, ok), Ok(Some(1)));
        let (r, _) = read(&s, "r");
        assert_eq!(
            (r.version, r.attempts, r.failures, r.lease_until_ms),
            (1, 1, 0, 0)
        );
        assert_eq!(r.next_fetch_ms, 100 + 540_000);
        assert_eq!(
            crate::jwks_cache::decode_document(&s.get("d").0.unwrap()),
            Some((1, &b"{}"[..]))
        );
        assert_eq!(
            try_acquire(&s, "r", 200, 6000, 2, FetchReason::Scheduled),
            Acquire::NotDue
        );
        assert_eq!(
            try_acquire(&s, "r", 540_100, 6000, 2, FetchReason::Scheduled),
            Acquire::Acquired
        );
    }

    #[test]
    fn failures_back_off_and_keep_the_last_good_version() {
        let s = MemoryStore::default();
        let k = keys();
        finish(
            &s,
            &k,
            1,
            0,
            FetchResult::Success {
                jwks: b"{}",
                cache_duration_ms: 10_000,
            },
        )
        .unwrap();
        for (i, want_delay) in [(1u32, 1_000u64), (2, 2_000), (3, 4_000)] {
            let now_ms = 100_000 * u64::from(i);
            finish(
                &s,
                &k,
                1,
                now_ms,
                FetchResult::Failure {
                    error: "503",
                    jitter: 0.0,
                },
            )
            .unwrap();
            let (r, _) = read(&s, "r");
            assert_eq!(
                (r.version, r.failures, r.next_fetch_ms),
                (1, i, now_ms + want_delay)
            );
        }
        // During backoff an unknown kid does not add load on a failing provider.
        assert_eq!(try_acquire(&s, "r", 300_500, 6000, 2, KID), Acquire::NotDue);
    }

    #[test]
    fn unknown_kid_refetches_at_most_once_per_interval() {
        let s = MemoryStore::default();
        let k = keys();
        finish(
            &s,
            &k,
            1,
            0,
            FetchResult::Success {
                jwks: b"{}",
                cache_duration_ms: 600_000,
            },
        )
        .unwrap();
        assert_eq!(try_acquire(&s, "r", 1_000, 6000, 1, KID), Acquire::Acquired);
        finish(
            &s,
            &k,
            1,
            1_100,
            FetchResult::Success {
                jwks: b"{}",
                cache_duration_ms: 600_000,
            },
        )
        .unwrap();
        // The refetch rescheduled the refresh from itself.
        assert_eq!(read(&s, "r").0.next_fetch_ms, 1_100 + 540_000);
        assert_eq!(try_acquire(&s, "r", 20_000, 6000, 2, KID), Acquire::NotDue);
        assert_eq!(
            try_acquire(&s, "r", 31_000, 6000, 2, KID),
            Acquire::Acquired
        );
    }

    const HELD: FetchReason = FetchReason::Held;

    fn fail(s: &MemoryStore, owner: u64, now_ms: u64) {
        let failure = FetchResult::Failure {
            error: "connection refused",
            jitter: 0.0,
        };
        finish(s, &keys(), owner, now_ms, failure).unwrap();
    }

    #[test]
    fn held_requests_bring_a_retry_forward_without_stretching_the_backoff() {
        let s = MemoryStore::default();
        let t = 100_000;
        assert_eq!(try_acquire(&s, "r", t, 6000, 1, HELD), Acquire::Acquired);
        fail(&s, 1, t + 5);
        assert_eq!(read(&s, "r").0.next_fetch_ms, t + 1_005);
        // Half a second after the last attempt started, not after the 1 s back-off.
        assert_eq!(
            try_acquire(&s, "r", t + 499, 6000, 2, HELD),
            Acquire::NotDue
        );
        assert_eq!(
            try_acquire(&s, "r", t + 999, 6000, 2, FetchReason::Scheduled),
            Acquire::NotDue
        );
        assert_eq!(
            try_acquire(&s, "r", t + 500, 6000, 2, HELD),
            Acquire::Acquired
        );
        assert_eq!(try_acquire(&s, "r", t + 510, 6000, 1, HELD), Acquire::Busy);
        fail(&s, 2, t + 505);
        let (r, _) = read(&s, "r");
        assert_eq!((r.failures, r.next_fetch_ms, r.attempts), (1, t + 1_005, 2));
        // The scheduled retry still keeps its distance from the early one.
        assert_eq!(
            try_acquire(&s, "r", t + 1_005, 6000, 1, FetchReason::Scheduled),
            Acquire::Acquired
        );
        fail(&s, 1, t + 1_010);
        let (r, _) = read(&s, "r");
        assert_eq!((r.failures, r.next_fetch_ms), (2, t + 1_010 + 2_000));
        // A slow failure (a timeout) is retried as soon as it ends.
        assert_eq!(
            try_acquire(&s, "r", t + 1_505, 6000, 2, HELD),
            Acquire::Acquired
        );
        fail(&s, 2, t + 3_000);
        assert_eq!(
            try_acquire(&s, "r", t + 3_001, 6000, 1, HELD),
            Acquire::Acquired
        );
        fail(&s, 1, t + 3_002);
        // Once nobody waits, the back-off goes on from where the schedule left it.
        let (r, _) = read(&s, "r");
        assert_eq!((r.failures, r.next_fetch_ms), (2, t + 3_010));
        let scheduled = |now_ms| try_acquire(&s, "r", now_ms, 6000, 2, FetchReason::Scheduled);
        assert_eq!(scheduled(t + 3_500), Acquire::NotDue);
        assert_eq!(scheduled(t + 3_501), Acquire::Acquired);
        fail(&s, 2, t + 3_510);
        let (r, _) = read(&s, "r");
        assert_eq!((r.failures, r.next_fetch_ms), (3, t + 3_510 + 4_000));
    }

    #[test]
    fn held_retries_come_at_most_twice_a_second_from_any_number_of_workers() {
        let s = MemoryStore::default();
        let mut starts = Vec::new();
        // Four workers polling every 10 ms, half of them holding requests, each fetch failing
        // 3 ms after it starts.
        for now_ms in (100_000..110_000).step_by(10) {
            for owner in 1..=4 {
                let reason = if owner % 2 == 0 {
                    HELD
                } else {
                    FetchReason::Scheduled
                };
                if try_acquire(&s, "r", now_ms, 6000, owner, reason) == Acquire::Acquired {
                    starts.push(now_ms);
                    fail(&s, owner, now_ms + 3);
                }
            }
        }
        assert!(starts.windows(2).all(|w| w[1] - w[0] >= 500), "{starts:?}");
        assert_eq!(starts.len(), 20, "{starts:?}");
    }

    #[test]
    fn an_unknown_kid_refetch_stays_pending_until_a_fetch_succeeds_or_its_interval_ends() {
        let s = MemoryStore::default();
        let k = keys();
        let ok = |now_ms| {
            let result = FetchResult::Success {
                jwks: b"{}",
                cache_duration_ms: 600_000,
            };
            finish(&s, &k, 1, now_ms, result).unwrap();
        };
        ok(0);
        let (r, _) = read(&s, "r");
        assert!(!r.kid_refetch_pending(100, 30_000));
        assert!(r.kid_refetch_allowed(100, 30_000));
        assert_eq!(try_acquire(&s, "r", 1_000, 6000, 1, KID), Acquire::Acquired);
        assert!(read(&s, "r").0.kid_refetch_pending(1_001, 30_000));
        fail(&s, 1, 1_010);
        let (r, _) = read(&s, "r");
        assert!(r.kid_refetch_pending(1_600, 30_000));
        assert!(!r.kid_refetch_allowed(1_600, 30_000));
        assert!(!r.kid_refetch_pending(31_000, 30_000));
        assert_eq!(
            try_acquire(&s, "r", 1_500, 6000, 1, HELD),
            Acquire::Acquired
        );
        ok(1_520);
        assert!(!read(&s, "r").0.kid_refetch_pending(1_600, 30_000));
    }

    #[test]
    fn a_lost_race_is_busy_not_a_second_fetch() {
        let s = MemoryStore::default();
        assert_eq!(
            try_acquire(&s, "r", 0, 10, 1, FetchReason::Scheduled),
            Acquire::Acquired
        );
        let (record, cas) = read(&s, "r");
        // Another worker takes the expired lease between our read and our write.
        assert_eq!(
            try_acquire(&s, "r", 20, 10, 2, FetchReason::Scheduled),
            Acquire::Acquired
        );
        assert_eq!(write(&s, "r", &record, cas), Err(StoreError::CasMismatch));
    }
}
