//! Per-worker cache of verified tokens, so a client that sends the same token again costs a
//! hash lookup instead of a signature check. An entry lives until the token expires, and
//! only while the key set it was verified with is still current.

use crate::config::ProviderId;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::hash::BuildHasher;

/// foldhash, seeded per process: see Cargo.toml for why not std's SipHash.
type Hasher = foldhash::fast::RandomState;
/// Each provider's index: the token's 64-bit hash to its slot. The slot keeps the token, and a
/// lookup compares it (`same`), so two tokens with one hash cost a miss, never a wrong hit.
type Index = HashMap<u64, usize, Hasher>;
use std::rc::Rc;

/// What later requests need from a verified token: headers to write upstream.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VerifiedToken {
    pub payload_b64: String,
    /// The token's `aud`, checked again on every hit: the audiences a requirement allows may
    /// differ from the provider's (`provider_and_audiences`).
    pub audiences: Vec<String>,
    pub claims: Map<String, Value>,
}

/// Marks the end of the recency list.
const NIL: usize = usize::MAX;

struct Slot {
    provider: ProviderId,
    /// The token's hash, its key in the provider's index.
    key: u64,
    token: Rc<str>,
    key_version: u64,
    valid_until_s: u64,
    value: Rc<VerifiedToken>,
    /// Neighbours in the recency list, most recently used first.
    newer: usize,
    older: usize,
}

/// A least-recently-used cache: a hash index per provider into slots linked by recency, so
/// a lookup, an insertion and an eviction each cost O(1). Under a stream of distinct
/// tokens every request evicts one entry; a scan of the whole cache there would cost more
/// than the hash lookups it saves.
pub struct TokenCache {
    capacity: usize,
    slots: Vec<Slot>,
    /// Slots of removed entries, reused before the vector grows.
    free: Vec<usize>,
    newest: usize,
    oldest: usize,
    by_provider: Vec<Index>,
    hasher: Hasher,
}

impl TokenCache {
    pub fn new(capacity: usize, providers: usize) -> TokenCache {
        TokenCache {
            capacity,
            slots: Vec::new(),
            free: Vec::new(),
            newest: NIL,
            oldest: NIL,
            by_provider: (0..providers).map(|_| Index::default()).collect(),
            hasher: Hasher::default(),
        }
    }

    pub fn get(
        &mut self,
        provider: ProviderId,
        token: &str,
        key_version: u64,
        now_s: u64,
    ) -> Option<Rc<VerifiedToken>> {
        let key = self.hasher.hash_one(filed_under(token));
        let index = *self.by_provider.get(provider)?.get(&key)?;
        let slot = self.slots.get(index)?;
        if !same(&slot.token, token) {
            return None;
        }
        if slot.key_version == key_version && now_s <= slot.valid_until_s {
            let value = slot.value.clone();
            self.unlink(index);
            self.push_newest(index);
            return Some(value);
        }
        self.remove(index);
        None
    }

    pub fn insert(
        &mut self,
        provider: ProviderId,
        token: &str,
        key_version: u64,
        valid_until_s: u64,
        value: Rc<VerifiedToken>,
    ) {
        if self.capacity == 0 || provider >= self.by_provider.len() {
            return;
        }
        // An entry under the same hash (this token, or rarely another) makes way.
        let key = self.hasher.hash_one(filed_under(token));
        let existing = self
            .by_provider
            .get(provider)
            .and_then(|m| m.get(&key))
            .copied();
        if let Some(index) = existing {
            self.remove(index);
        }
        if self.len() >= self.capacity {
            self.remove(self.oldest);
        }
        let slot = Slot {
            provider,
            key,
            token: Rc::from(token),
            key_version,
            valid_until_s,
            value,
            newer: NIL,
            older: NIL,
        };
        let index = match self.free.pop() {
            Some(index) => match self.slots.get_mut(index) {
                Some(place) => {
                    *place = slot;
                    index
                }
                None => return,
            },
            None => {
                self.slots.push(slot);
                self.slots.len() - 1
            }
        };
        if let Some(map) = self.by_provider.get_mut(provider) {
            map.insert(key, index);
        }
        self.push_newest(index);
    }

    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn remove(&mut self, index: usize) {
        let Some(slot) = self.slots.get(index) else {
            return;
        };
        let (provider, key) = (slot.provider, slot.key);
        if let Some(map) = self.by_provider.get_mut(provider) {
            map.remove(&key);
        }
        self.unlink(index);
        if let Some(slot) = self.slots.get_mut(index) {
            // Drops the claims now rather than when the slot is reused.
            slot.value = Rc::new(VerifiedToken::default());
            slot.token = Rc::from("");
        }
        self.free.push(index);
    }

    fn unlink(&mut self, index: usize) {
        let Some((newer, older)) = self.slots.get(index).map(|s| (s.newer, s.older)) else {
            return;
        };
        match self.slots.get_mut(newer) {
            Some(s) => s.older = older,
            None => self.newest = older,
        }
        match self.slots.get_mut(older) {
            Some(s) => s.newer = newer,
            None => self.oldest = newer,
        }
        if let Some(s) = self.slots.get_mut(index) {
            s.newer = NIL;
            s.older = NIL;
        }
    }

    fn push_newest(&mut self, index: usize) {
        let previous = self.newest;
        if let Some(s) = self.slots.get_mut(index) {
            s.newer = NIL;
            s.older = previous;
        }
        match self.slots.get_mut(previous) {
            Some(s) => s.newer = index,
            None => self.oldest = index,
        }
        self.newest = index;
    }
}

/// Token equality eight bytes at a time: on wasm32 `==` on strings is libc's `memcmp`, which
/// walks byte by byte, and was a fifth of a cached request's decision in V8.
#[cfg(target_arch = "wasm32")]
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let (mut x, mut y) = (a.chunks_exact(8), b.chunks_exact(8));
    let word = |c: &[u8]| <[u8; 8]>::try_from(c).ok().map(u64::from_ne_bytes);
    x.by_ref().zip(y.by_ref()).all(|(p, q)| word(p) == word(q)) && x.remainder() == y.remainder()
}

/// Natively `memcmp` is vectorised: a whole token in a few dozen instructions.
#[cfg(not(target_arch = "wasm32"))]
fn same(a: &str, b: &str) -> bool {
    a == b
}

/// What a token is filed under: its length and its last bytes, not all of it. Hashing a whole
/// token was a third of a cache hit. The tail is the signature's, which differs between any
/// two tokens the cache holds (each verified); a token that only shares a tail with one is
/// told apart by `same`, which compares every byte before an entry is used.
fn filed_under(token: &str) -> (usize, &[u8]) {
    let bytes = token.as_bytes();
    (
        bytes.len(),
        bytes
            .get(bytes.len().saturating_sub(TAIL_BYTES)..)
            .unwrap_or(bytes),
    )
}

/// 32 base64url characters: 192 bits of a signature.
const TAIL_BYTES: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Rc<VerifiedToken> {
        Rc::new(VerifiedToken {
            payload_b64: s.into(),
            audiences: Vec::new(),
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

    /// Random gets and inserts over a few providers and tokens, checked against a plain
    /// list kept in recency order.
    #[test]
    fn matches_a_naive_lru_model() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        for capacity in [1usize, 2, 3, 7] {
            let mut cache = TokenCache::new(capacity, 3);
            // (provider, token, version, valid_until), most recently used last.
            let mut model: Vec<(usize, String, u64, u64)> = Vec::new();
            for step in 0..5000 {
                let provider = next(3) as usize;
                let token = format!("t{}", next(9));
                let version = 1 + next(2);
                let now_s = next(20);
                if next(2) == 0 {
                    let got = cache.get(provider, &token, version, now_s);
                    let pos = model.iter().position(|e| e.0 == provider && e.1 == token);
                    let want = match pos {
                        Some(i) if model[i].2 == version && now_s <= model[i].3 => {
                            let e = model.remove(i);
                            model.push(e);
                            true
                        }
                        Some(i) => {
                            model.remove(i);
                            false
                        }
                        None => false,
                    };
                    assert_eq!(got.is_some(), want, "step {step}");
                    if let Some(v) = got {
                        assert_eq!(v.payload_b64, token);
                    }
                } else {
                    let until = 5 + next(20);
                    cache.insert(provider, &token, version, until, v(&token));
                    model.retain(|e| !(e.0 == provider && e.1 == token));
                    if model.len() >= capacity {
                        model.remove(0);
                    }
                    model.push((provider, token, version, until));
                }
                assert_eq!(cache.len(), model.len(), "step {step}");
            }
        }
    }

    #[test]
    fn tokens_compare_by_every_byte() {
        let base = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.sig";
        assert!(same(base, base));
        assert!(same("", ""));
        for i in 0..base.len() {
            let mut other = base.as_bytes().to_vec();
            other[i] ^= 1;
            let other = String::from_utf8(other).unwrap();
            assert!(!same(base, &other), "byte {i}");
        }
        assert!(!same(base, &base[..base.len() - 1]));
        assert!(!same("abcdefgh", "abcdefghi"));
    }

    #[test]
    fn zero_capacity_disables_the_cache() {
        let mut c = TokenCache::new(0, 1);
        c.insert(0, "a", 1, 100, v("a"));
        assert!(c.get(0, "a", 1, 0).is_none());
    }
}
