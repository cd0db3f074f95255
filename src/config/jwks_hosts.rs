//! Which hosts may serve a provider's keys when OpenID discovery names them. The discovery
//! document comes from the network: if its `jwks_uri` could name any host, whoever controls
//! the document (or a path on the issuer's site) could point the proxy's fetches at any
//! cluster it can reach. Keys come only from the issuer's host, the discovery document's
//! host, or hosts the configuration lists in `oidc_discovery.jwks_hosts`.

use super::uri::{split_host_port, HttpTarget};
use super::ConfigError;

/// The lower-case host of an http(s) URI, without its port.
pub fn host_of(uri: &str) -> Option<String> {
    let target = HttpTarget::parse(uri, Some("-")).ok()?;
    let (host, _) = split_host_port(&target.authority, 0).ok()?;
    Some(host.to_ascii_lowercase())
}

/// Whether a `jwks_uri` from a discovery document is on a host keys may come from.
pub fn allows(hosts: &[String], jwks_uri: &str) -> bool {
    host_of(jwks_uri).is_some_and(|host| hosts.contains(&host))
}

/// The issuer's and the discovery document's hosts, then the listed ones.
pub(super) fn allowed(
    issuer: &str,
    discovery: &HttpTarget,
    listed: Option<&[String]>,
    field: &str,
) -> Result<Vec<String>, ConfigError> {
    let mut hosts: Vec<String> = [host_of(issuer), host_of(&discovery.uri)]
        .into_iter()
        .flatten()
        .collect();
    for (i, host) in listed.unwrap_or_default().iter().enumerate() {
        let name = host.to_ascii_lowercase();
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b));
        if !valid {
            return Err(ConfigError::new(
                format!("{field}[{i}]"),
                format!("{host:?} is not a host name (no scheme, port or path)"),
            ));
        }
        hosts.push(name);
    }
    hosts.sort();
    hosts.dedup();
    Ok(hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_the_issuers_host_or_a_listed_one() {
        let discovery =
            HttpTarget::parse("https://idp.example/.well-known/openid-configuration", None)
                .unwrap();
        let hosts = allowed(
            "https://Accounts.Example:8443/",
            &discovery,
            Some(&["keys.example".to_string()]),
            "f",
        )
        .unwrap();
        assert_eq!(hosts, ["accounts.example", "idp.example", "keys.example"]);
        assert!(allows(&hosts, "https://accounts.example/keys"));
        assert!(allows(&hosts, "https://KEYS.example:443/jwks"));
        assert!(!allows(&hosts, "https://evil.example/keys"));
        assert!(!allows(&hosts, "https://keys.example.evil/keys"));
        assert!(!allows(&hosts, "https://keys.example@evil/keys"));
        assert!(!allows(&hosts, "not a uri"));
        // An issuer that is not a URL contributes no host.
        let hosts = allowed("i", &discovery, None, "f").unwrap();
        assert_eq!(hosts, ["idp.example"]);
        assert!(allowed("i", &discovery, Some(&["https://x/".into()]), "f").is_err());
    }
}
