//! The JWKS of each remote provider, shared by every worker of an Envoy process through
//! proxy-wasm shared data: the last good document, its version, when to refresh, and a
//! lease so that one worker fetches while the others wait for its result.

pub mod backoff;
pub mod record;
pub mod response;

pub use record::{Acquire, FetchReason, SharedRecord, SharedStore, StoreError};

use crate::config::{JwksSource, Provider, RemoteEndpoint};

/// Shared-data keys of one provider. Two listeners configured with the same issuer and key
/// source share one JWKS and one fetch schedule; different ones never collide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedKeys {
    pub record: String,
    pub document: String,
}

impl SharedKeys {
    pub fn for_provider(provider: &Provider) -> Option<SharedKeys> {
        let JwksSource::Remote(remote) = &provider.source else {
            return None;
        };
        let source = match &remote.endpoint {
            RemoteEndpoint::Jwks(t) => format!("jwks {} {}", t.uri, t.cluster),
            RemoteEndpoint::Discovery {
                discovery,
                jwks_cluster,
                jwks_hosts,
            } => {
                format!(
                    "oidc {} {} {:?} {:?}",
                    discovery.uri, discovery.cluster, jwks_cluster, jwks_hosts
                )
            }
        };
        let id = fnv1a64(format!("{}\n{}", provider.issuer, source).as_bytes());
        let prefix = format!("jwt_authn_wasm/v1/{id:016x}");
        Some(SharedKeys {
            record: format!("{prefix}/state"),
            document: format!("{prefix}/jwks"),
        })
    }
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The stored document is `<version>\n<JWKS JSON>`, so a reader never pairs a version with
/// another version's keys.
pub fn encode_document(version: u64, jwks: &[u8]) -> Vec<u8> {
    let mut out = format!("{version}\n").into_bytes();
    out.extend_from_slice(jwks);
    out
}

pub fn decode_document(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let newline = bytes.iter().position(|b| *b == b'\n')?;
    let version = std::str::from_utf8(bytes.get(..newline)?)
        .ok()?
        .parse()
        .ok()?;
    Some((version, bytes.get(newline + 1..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip() {
        let doc = encode_document(42, br#"{"keys":[]}"#);
        assert_eq!(decode_document(&doc), Some((42, &br#"{"keys":[]}"#[..])));
        assert_eq!(decode_document(b"x\n{}"), None);
        assert_eq!(decode_document(b"7"), None);
    }
}
