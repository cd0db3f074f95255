//! The process-wide store Envoy's worker threads share fetched keys through: the same
//! get/set-with-CAS contract as proxy-wasm shared data, so the same lease code runs on both
//! hosts.

use jwt_authn_wasm::jwks_cache::{SharedStore, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Each key's value and CAS token, which grows with every write to the key.
type Entries = HashMap<String, (Vec<u8>, u32)>;

#[derive(Clone, Default)]
pub struct ProcessStore {
    data: Arc<Mutex<Entries>>,
}

impl ProcessStore {
    /// The one store of this process: configurations loaded later (a listener update) see
    /// the keys earlier ones fetched, as wasm VMs of one Envoy share their shared data.
    pub fn process() -> ProcessStore {
        static STORE: std::sync::OnceLock<ProcessStore> = std::sync::OnceLock::new();
        STORE.get_or_init(ProcessStore::default).clone()
    }
}

impl SharedStore for ProcessStore {
    fn get(&self, key: &str) -> (Option<Vec<u8>>, Option<u32>) {
        // A thread that panicked holding the lock left whole entries: each write replaces one.
        let data = self.data.lock().unwrap_or_else(|e| e.into_inner());
        match data.get(key) {
            Some((value, cas)) => (Some(value.clone()), Some(*cas)),
            None => (None, None),
        }
    }

    /// Envoy's rules: a CAS of 0 or none always writes; another CAS must match.
    fn set(&self, key: &str, value: &[u8], cas: Option<u32>) -> Result<(), StoreError> {
        let mut data = self.data.lock().unwrap_or_else(|e| e.into_inner());
        let current = data.get(key).map(|(_, c)| *c);
        if let (Some(want), Some(have)) = (cas, current) {
            if want != 0 && want != have {
                return Err(StoreError::CasMismatch);
            }
        }
        let next = current.unwrap_or(0).wrapping_add(1).max(1);
        data.insert(key.to_string(), (value.to_vec(), next));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_cas_is_refused_and_a_fresh_one_writes() {
        let store = ProcessStore::default();
        store.set("k", b"a", None).unwrap();
        let (value, cas) = store.get("k");
        assert_eq!(value.as_deref(), Some(&b"a"[..]));
        store.set("k", b"b", cas).unwrap();
        assert_eq!(store.set("k", b"c", cas), Err(StoreError::CasMismatch));
        assert_eq!(store.get("k").0.as_deref(), Some(&b"b"[..]));
    }

    #[test]
    fn threads_see_one_store() {
        let store = ProcessStore::default();
        let other = store.clone();
        std::thread::spawn(move || other.set("k", b"v", None).unwrap())
            .join()
            .unwrap();
        assert_eq!(store.get("k").0.as_deref(), Some(&b"v"[..]));
    }
}
