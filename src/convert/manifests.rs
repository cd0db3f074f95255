//! The Istio objects a converted plugin needs: the WasmPlugin, and for each JWKS host outside
//! the mesh the ServiceEntry (and, for https, the DestinationRule doing TLS) that makes the
//! cluster `outbound|<port>||<host>` the filter calls exist, named and shaped as the chart's
//! `external-issuers.yaml` makes them.

use super::{Plugin, Target};
use crate::config::HttpTarget;
use serde_json::{json, Map, Value};

/// Where the module comes from, as the WasmPlugin names it.
pub struct Image {
    pub url: String,
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalHost {
    pub https: bool,
    pub host: String,
    pub port: u16,
}

impl ExternalHost {
    /// `None` for hosts inside the mesh (`*.svc`, `*.cluster.local`), which Istio already
    /// has clusters for.
    pub fn of(uri: &str) -> Option<ExternalHost> {
        let target = HttpTarget::parse(uri, None).ok()?;
        let (port, host) = target.cluster.strip_prefix("outbound|")?.split_once("||")?;
        if host.ends_with(".svc") || host.ends_with(".cluster.local") {
            return None;
        }
        Some(ExternalHost {
            https: uri.starts_with("https://"),
            host: host.to_string(),
            port: port.parse().ok()?,
        })
    }

    fn object_name(&self) -> String {
        let name = format!("jwt-issuer-{}-{}", self.host.replace('.', "-"), self.port);
        let cut: String = name.chars().take(63).collect();
        cut.trim_end_matches('-').to_string()
    }
}

pub fn wasm_plugin(plugin: &Plugin, image: &Image) -> Value {
    let mut spec = Map::new();
    match &plugin.target {
        Target::Workloads(labels) => {
            spec.insert("selector".into(), json!({"matchLabels": labels}));
        }
        Target::Ref(one) => {
            spec.insert("targetRef".into(), json!(one));
        }
        Target::Refs(list) => {
            spec.insert("targetRefs".into(), json!(list));
        }
        Target::Namespace => {}
    }
    if !plugin.gateway {
        // Istio counts a gateway's traffic as CLIENT, a sidecar's inbound as SERVER: this keeps
        // the filter off the sidecars' outbound calls, as RequestAuthentication is.
        spec.insert("match".into(), json!([{"mode": "SERVER"}]));
    }
    spec.insert("url".into(), json!(image.url));
    if let Some(sha) = &image.sha256 {
        spec.insert("sha256".into(), json!(sha));
    }
    spec.insert("type".into(), json!("HTTP"));
    spec.insert("phase".into(), json!("AUTHN"));
    spec.insert("failStrategy".into(), json!("FAIL_CLOSE"));
    spec.insert("pluginConfig".into(), plugin.config.clone());
    json!({
        "apiVersion": "extensions.istio.io/v1alpha1",
        "kind": "WasmPlugin",
        "metadata": metadata(&plugin.name, plugin.namespace.as_deref()),
        "spec": spec,
    })
}

/// `export_to`: "." keeps the entries to the plugin's namespace, so workloads elsewhere that
/// speak TLS to the host themselves are not given a second TLS layer; a mesh-wide plugin
/// needs them everywhere ("*").
pub fn service_entry(host: &ExternalHost, namespace: Option<&str>, export_to: &str) -> Value {
    json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "ServiceEntry",
        "metadata": metadata(&host.object_name(), namespace),
        "spec": {
            "hosts": [host.host],
            "exportTo": [export_to],
            "location": "MESH_EXTERNAL",
            "resolution": "DNS",
            "ports": [{"number": host.port, "name": "http-jwks", "protocol": "HTTP"}],
        },
    })
}

/// TLS origination for an https JWKS host: the filter sends plain HTTP to the cluster, and
/// Envoy opens TLS, checking the certificate against the host name.
pub fn destination_rule(host: &ExternalHost, namespace: Option<&str>, export_to: &str) -> Value {
    json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": metadata(&host.object_name(), namespace),
        "spec": {
            "host": host.host,
            "exportTo": [export_to],
            "trafficPolicy": {"portLevelSettings": [{
                "port": {"number": host.port},
                "tls": {"mode": "SIMPLE", "sni": host.host},
            }]},
        },
    })
}

fn metadata(name: &str, namespace: Option<&str>) -> Value {
    match namespace {
        Some(ns) => json!({"name": name, "namespace": ns}),
        None => json!({"name": name}),
    }
}
