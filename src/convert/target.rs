//! Which workloads a RequestAuthentication, and so its WasmPlugin, applies to.

use super::istio::{Spec, TargetRef};
use super::{error, ConvertError};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Workloads(BTreeMap<String, String>),
    Ref(TargetRef),
    Refs(Vec<TargetRef>),
    /// No selector: every workload of the namespace (of the mesh, in the root namespace).
    Namespace,
}

/// Labels Istio's and Gateway API's gateway deployments carry.
const GATEWAY_LABELS: [&str; 2] = [
    "gateway.networking.k8s.io/gateway-name",
    "istio.io/gateway-name",
];

impl Target {
    pub fn of(spec: &Spec, at: &str) -> Result<Target, ConvertError> {
        let labels = spec
            .selector
            .as_ref()
            .and_then(|s| s.match_labels.clone())
            .filter(|l| !l.is_empty());
        match (labels, &spec.target_ref, &spec.target_refs) {
            (None, None, None) => Ok(Target::Namespace),
            (Some(labels), None, None) => Ok(Target::Workloads(labels)),
            (None, Some(one), None) => Ok(Target::Ref(one.clone())),
            (None, None, Some(list)) if !list.is_empty() => Ok(Target::Refs(list.clone())),
            (None, None, Some(_)) => Ok(Target::Namespace),
            _ => Err(error(
                format!("{at}: spec"),
                "only one of selector, targetRef and targetRefs may be set",
            )),
        }
    }

    /// Policy targets name gateways or waypoints, never sidecars; a selector is taken for a
    /// gateway when it names Istio's `istio: …gateway` label or a gateway-name label.
    pub fn is_gateway(&self) -> bool {
        match self {
            Target::Ref(_) | Target::Refs(_) => true,
            Target::Workloads(labels) => labels.iter().any(|(k, v)| {
                (k == "istio" && v.contains("gateway")) || GATEWAY_LABELS.contains(&k.as_str())
            }),
            Target::Namespace => false,
        }
    }
}
