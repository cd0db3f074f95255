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
}

impl SharedRecord {
    pub fn lease_active(&self, now: u64) -> bool {
        self.lease_until_ms > now
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchReason {
    /// The schedule says so (first fetch, refresh or retry).
    Scheduled,
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
    now: u64,
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
    if record.lease_active(now) {
        return Acquire::Busy;
    }
    let in_backoff = record.failures > 0 && now < record.next_fetch_ms;
    let due = match reason {
        FetchReason::Scheduled => now >= record.next_fetch_ms,
        FetchReason::UnknownKid { interval_ms } => {
            !in_backoff
                && (record.kid_refetch_at_ms == 0
                    || now >= record.kid_refetch_at_ms.saturating_add(interval_ms))
        }
    };
    if !due {
        return Acquire::NotDue;
    }
    if let FetchReason::UnknownKid { .. } = reason {
        record.kid_refetch_at_ms = now;
    }
    record.lease_until_ms = now.saturating_add(lease_ms);
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
    now: u64,
    result: FetchResult<'_>,
) -> Result<Option<u64>, StoreError> {
    // Bounded: each retry means another worker wrote in between, which is rare.
    for _ in 0..8 {
        let (mut record, cas) = read(store, &keys.record);
        record.attempts += 1;
        if record.lease_owner == owner {
            record.lease_until_ms = 0;
        }
        let new_version = match &result {
            FetchResult::Success {
                jwks,
                cache_duration_ms,
            } => {
                let version = record.version + 1;
                store.set(&keys.document, &super::encode_document(version, jwks), None)?;
                record.version = version;
                record.fetched_at_ms = now;
                record.next_fetch_ms = now + backoff::refresh_after_ms(*cache_duration_ms);
                record.failures = 0;
                record.last_error.clear();
                Some(version)
            }
            FetchResult::Failure { error, jitter } => {
                record.failures = record.failures.saturating_add(1);
                record.next_fetch_ms = now + backoff::retry_delay_ms(record.failures, *jitter);
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
            let now = 100_000 * u64::from(i);
            finish(
                &s,
                &k,
                1,
                now,
                FetchResult::Failure {
                    error: "503",
                    jitter: 0.0,
                },
            )
            .unwrap();
            let (r, _) = read(&s, "r");
            assert_eq!(
                (r.version, r.failures, r.next_fetch_ms),
                (1, i, now + want_delay)
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
        assert_eq!(try_acquire(&s, "r", 20_000, 6000, 2, KID), Acquire::NotDue);
        assert_eq!(
            try_acquire(&s, "r", 31_000, 6000, 2, KID),
            Acquire::Acquired
        );
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
