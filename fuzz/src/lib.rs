//! Fixtures shared by the fuzz targets: a fixed key set and configuration, and a request
//! decoded from fuzz input.

use jwt_authn_wasm::config::{self, FilterConfig, ProviderId};
use jwt_authn_wasm::engine::{KeySource, KeyState, KidRefetch};
use jwt_authn_wasm::extractor::Request;
use jwt_authn_wasm::jwks::KeySet;
use std::rc::Rc;

/// Public keys for every algorithm (oct included); the seeds are tokens signed with them.
pub const JWKS: &str = include_str!("../fixtures/jwks.json");
pub const CONFIG: &str = include_str!("../fixtures/config.json");
/// The fixed clock of the targets: before the seed tokens' `exp`.
pub const NOW_S: u64 = 3_999_999_000;

pub fn keys() -> KeySet {
    KeySet::parse(JWKS.as_bytes()).expect("fixture JWKS parses")
}

pub fn filter_config() -> FilterConfig {
    config::parse(CONFIG.as_bytes()).expect("fixture config parses")
}

/// `method \n path \n (name: value \n)*`; header values stay raw bytes, as Envoy hands
/// them over, and names are lower-cased as Envoy's header map does.
pub fn request(data: &[u8]) -> Request {
    let mut lines = data.split(|&b| b == b'\n');
    let method = lines.next().unwrap_or_default();
    let path = lines.next().unwrap_or_default();
    let pseudo = [
        (":method".to_string(), method.to_vec()),
        (":scheme".to_string(), b"http".to_vec()),
        (":path".to_string(), path.to_vec()),
        (":authority".to_string(), b"fuzz.example".to_vec()),
    ];
    let headers: Vec<(String, Vec<u8>)> = lines
        .filter_map(|line| {
            let colon = line.iter().position(|&b| b == b':')?;
            let name = String::from_utf8_lossy(&line[..colon]).to_ascii_lowercase();
            let value = line[colon + 1..]
                .strip_prefix(b" ")
                .unwrap_or(&line[colon + 1..]);
            Some((name, value.to_vec()))
        })
        .collect();
    Request::from_pairs(pseudo.into_iter().chain(headers))
}

/// Key states driven by the fuzz input, so that waiting, failed fetches and unknown-kid
/// refetches are explored as well as ready keys.
pub struct FakeKeys {
    pub keys: Rc<KeySet>,
    pub mode: u8,
}

impl KeySource for FakeKeys {
    fn state(&mut self, provider: ProviderId) -> KeyState {
        match (self.mode >> (2 * (provider % 4))) & 3 {
            1 => KeyState::Wait,
            2 => KeyState::Failed,
            _ => KeyState::Ready {
                keys: self.keys.clone(),
                version: u64::from(self.mode & 1),
            },
        }
    }

    fn refetch_for_unknown_kid(&mut self, _provider: ProviderId) -> KidRefetch {
        match (self.mode >> 6) & 3 {
            2 | 3 => KidRefetch::Wait,
            1 => KidRefetch::FetchFailed,
            _ => KidRefetch::NoKey,
        }
    }
}
