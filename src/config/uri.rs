//! Where a JWKS or discovery request goes: the URI users write, and the Envoy cluster plus
//! `:authority`/`:path` that `dispatch_http_call` needs.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpTarget {
    pub uri: String,
    pub cluster: String,
    pub authority: String,
    pub path: String,
}

impl HttpTarget {
    /// `cluster` defaults to the name Istio gives the service entry for the URI's host:
    /// `outbound|<port>||<host>`.
    pub fn parse(uri: &str, cluster: Option<&str>) -> Result<HttpTarget, String> {
        let (rest, default_port) = if let Some(rest) = uri.strip_prefix("https://") {
            (rest, 443)
        } else if let Some(rest) = uri.strip_prefix("http://") {
            (rest, 80)
        } else {
            return Err(format!("{uri:?} must start with http:// or https://"));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, "/"),
        };
        if authority.is_empty()
            || authority.contains('@')
            || authority.bytes().any(|b| b.is_ascii_whitespace())
        {
            return Err(format!("{uri:?} has no usable host"));
        }
        if path.bytes().any(|b| b.is_ascii_whitespace() || b == b'#') {
            return Err(format!("{uri:?} has an invalid path"));
        }
        let (host, port) = split_host_port(authority, default_port)?;
        let cluster = match cluster {
            Some("") => return Err("cluster must not be empty".into()),
            Some(c) => c.to_string(),
            None => format!("outbound|{port}||{host}"),
        };
        Ok(HttpTarget {
            uri: uri.to_string(),
            cluster,
            authority: authority.to_string(),
            path: path.to_string(),
        })
    }
}

pub(super) fn split_host_port(authority: &str, default_port: u16) -> Result<(&str, u16), String> {
    // IPv6 literals keep their brackets in the host part.
    let colon = if authority.starts_with('[') {
        authority
            .find(']')
            .and_then(|end| authority[end..].find(':').map(|c| end + c))
    } else {
        authority.rfind(':')
    };
    match colon {
        None => Ok((authority, default_port)),
        Some(i) => {
            let (host, port) = (&authority[..i], &authority[i + 1..]);
            let port: u16 = port
                .parse()
                .map_err(|_| format!("{authority:?} has an invalid port"))?;
            if host.is_empty() || port == 0 {
                return Err(format!("{authority:?} has no usable host"));
            }
            Ok((host, port))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn istio_cluster_names_by_default() {
        let t = HttpTarget::parse("https://idp.example.com/keys", None).unwrap();
        assert_eq!(t.cluster, "outbound|443||idp.example.com");
        assert_eq!(t.authority, "idp.example.com");
        assert_eq!(t.path, "/keys");
        let t = HttpTarget::parse("http://127.0.0.1:8080", Some("issuer")).unwrap();
        assert_eq!((t.cluster.as_str(), t.path.as_str()), ("issuer", "/"));
        let t = HttpTarget::parse("http://[::1]:9000/j?x=1", None).unwrap();
        assert_eq!(t.cluster, "outbound|9000||[::1]");
        assert_eq!(t.path, "/j?x=1");
    }

    #[test]
    fn bad_uris_are_refused() {
        for uri in [
            "ftp://x/",
            "idp/keys",
            "http:///keys",
            "http://h:99999/",
            "http://h:x/",
            "http://a b/",
        ] {
            assert!(HttpTarget::parse(uri, None).is_err(), "{uri}");
        }
    }
}
