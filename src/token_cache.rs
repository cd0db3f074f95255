//! Per-worker cache of verified tokens, so a client that sends the same token again costs a
//! hash lookup instead of a signature check. An entry lives until the token expires, and
//! only while the key set it was verified with is still current.

use crate::config::ProviderId;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::rc::Rc;

/// What later requests need from a verified token: headers to write upstream.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedToken {
    pub payload_b64: String,
    pub claims: Map<String, Value>,
}

struct Entry {
    key_version: u64,
    valid_until: u64,
    value: Rc<VerifiedToken>,
    last_used: u64,
}

pub struct TokenCache {
    capacity: usize,
    len: usize,
    clock: u64,
    by_provider: Vec<HashMap<String, Entry>>,
}

impl TokenCache {
    pub fn new(capacity: usize, providers: usize) -> TokenCache {
        TokenCache {
            capacity,
            len: 0,
            clock: 0,
            by_provider: (0..providers).map(|_| HashMap::new()).collect(),
        }
    }

    pub fn get(
        &mut self,
        provider: ProviderId,
        token: &str,
        key_version: u64,
        now: u64,
    ) -> Option<Rc<VerifiedToken>> {
        self.clock += 1;
        let clock = self.clock;
        let map = self.by_provider.get_mut(provider)?;
        let fresh = match map.get_mut(token) {
            None => return None,
            Some(e) if e.key_version == key_version && now <= e.valid_until => {
                e.last_used = clock;
                return Some(e.value.clone());
            }
            Some(_) => false,
        };
        if !fresh {
            map.remove(token);
            self.len -= 1;
        }
        None
    }

    pub fn insert(
        &mut self,
        provider: ProviderId,
        token: &str,
        key_version: u64,
        valid_until: u64,
        value: Rc<VerifiedToken>,
    ) {
        if self.capacity == 0 || provider >= self.by_provider.len() {
            return;
        }
        self.clock += 1;
        let entry = Entry {
            key_version,
            valid_until,
            value,
            last_used: self.clock,
        };
        let replaced = self
            .by_provider
            .get_mut(provider)
            .and_then(|m| m.insert(token.to_string(), entry))
            .is_some();
        if !replaced {
            self.len += 1;
            if self.len > self.capacity {
                self.evict_least_recently_used();
            }
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A linear scan, only on insertion into a full cache: that path has just paid for a
    /// signature check, which costs far more than scanning a few thousand entries.
    fn evict_least_recently_used(&mut self) {
        let oldest = self
            .by_provider
            .iter()
            .enumerate()
            .flat_map(|(p, m)| m.iter().map(move |(t, e)| (e.last_used, p, t)))
            .min_by_key(|(used, _, _)| *used)
            .map(|(_, p, t)| (p, t.clone()));
        if let Some((p, token)) = oldest {
            if let Some(m) = self.by_provider.get_mut(p) {
                if m.remove(&token).is_some() {
                    self.len -= 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Rc<VerifiedToken> {
        Rc::new(VerifiedToken {
            payload_b64: s.into(),
            claims: Map::new(),
        })
    }

    #[test]
    fn entries_expire_and_follow_the_key_version() {
        let mut c = TokenCache::new(10, 2);
        c.insert(0, "t", 1, 100, v("a"));
        assert_eq!(c.get(0, "t", 1, 100).unwrap().payload_b64, "a");
        assert!(c.get(1, "t", 1, 50).is_none(), "per provider");
        assert!(c.get(0, "t", 2, 50).is_none(), "new key set");
        assert!(c.is_empty());
        c.insert(0, "t", 1, 100, v("a"));
        assert!(c.get(0, "t", 1, 101).is_none(), "expired");
        assert_eq!(c.len(), 0);
    }

    #[test]
    fn evicts_the_least_recently_used() {
        let mut c = TokenCache::new(2, 1);
        c.insert(0, "a", 1, 100, v("a"));
        c.insert(0, "b", 1, 100, v("b"));
        assert!(c.get(0, "a", 1, 0).is_some());
        c.insert(0, "c", 1, 100, v("c"));
        assert_eq!(c.len(), 2);
        assert!(c.get(0, "b", 1, 0).is_none());
        assert!(c.get(0, "a", 1, 0).is_some() && c.get(0, "c", 1, 0).is_some());
    }

    #[test]
    fn zero_capacity_disables_the_cache() {
        let mut c = TokenCache::new(0, 1);
        c.insert(0, "a", 1, 100, v("a"));
        assert!(c.get(0, "a", 1, 0).is_none());
    }
}
