//! RFC 9728 protected-resource metadata: the document the filter serves, and the URL its 401
//! challenges name (`resource_metadata=`), both built once here.

use super::raw::RawResourceMetadata;
use super::uri::HttpTarget;
use super::ConfigError;
use serde_json::{json, Map, Value};

pub const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceMetadata {
    /// The request path the document is served on.
    pub path: String,
    /// The document's absolute URL, for `WWW-Authenticate: Bearer resource_metadata="…"`.
    pub url: String,
    /// The JSON document.
    pub document: String,
}

pub fn resource_metadata(
    raw: &RawResourceMetadata,
    field: &str,
) -> Result<ResourceMetadata, ConfigError> {
    let at = |name: &str| format!("{field}.{name}");
    // RFC 9728 §1.2: the resource identifier is an absolute URL without a fragment.
    let resource = HttpTarget::parse(&raw.resource, Some("unused"))
        .map_err(|reason| ConfigError::new(at("resource"), reason))?;
    if raw.resource.contains('?') || raw.resource.contains('#') {
        return Err(ConfigError::new(
            at("resource"),
            "must not hold a query or fragment (RFC 9728 §1.2)",
        ));
    }
    if raw.authorization_servers.is_empty() {
        return Err(ConfigError::new(
            at("authorization_servers"),
            "must name at least one issuer",
        ));
    }
    for (i, server) in raw.authorization_servers.iter().enumerate() {
        HttpTarget::parse(server, Some("unused")).map_err(|reason| {
            ConfigError::new(format!("{field}.authorization_servers[{i}]"), reason)
        })?;
    }
    let scope_ok = |s: &String| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    };
    if let Some(bad) = raw.scopes_supported.iter().flatten().find(|s| !scope_ok(s)) {
        return Err(ConfigError::new(
            at("scopes_supported"),
            format!("{bad:?} is not a scope"),
        ));
    }
    let methods = ["header", "body", "query"];
    if let Some(bad) =
        (raw.bearer_methods_supported.iter().flatten()).find(|m| !methods.contains(&m.as_str()))
    {
        return Err(ConfigError::new(
            at("bearer_methods_supported"),
            format!("{bad:?} is not one of \"header\", \"body\", \"query\""),
        ));
    }
    // RFC 9728 §3.1: the well-known suffix goes between the host and the resource's path.
    let default_path = match resource.path.trim_end_matches('/') {
        "" => WELL_KNOWN.to_string(),
        rest => format!("{WELL_KNOWN}{rest}"),
    };
    let path = raw.path.clone().unwrap_or(default_path);
    if !path.starts_with('/')
        || path
            .bytes()
            .any(|b| !b.is_ascii_graphic() || b == b'?' || b == b'#')
    {
        return Err(ConfigError::new(
            at("path"),
            "must be a path starting with '/', without query or fragment",
        ));
    }
    let scheme = if raw.resource.starts_with("https://") {
        "https"
    } else {
        "http"
    };
    let url = format!("{scheme}://{}{path}", resource.authority);
    let mut document = Map::new();
    document.insert("resource".into(), json!(raw.resource));
    document.insert(
        "authorization_servers".into(),
        json!(raw.authorization_servers),
    );
    if let Some(scopes) = &raw.scopes_supported {
        document.insert("scopes_supported".into(), json!(scopes));
    }
    if let Some(m) = &raw.bearer_methods_supported {
        document.insert("bearer_methods_supported".into(), json!(m));
    }
    Ok(ResourceMetadata {
        path,
        url,
        document: Value::Object(document).to_string(),
    })
}
