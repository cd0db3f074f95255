//! Istio's RequestAuthentication as its CRD declares it (security.istio.io v1 and v1beta1).
//! Every key is named, so one the converter does not know (a typo, or a field from a newer
//! Istio) stops the conversion instead of being silently dropped. The 1.29 to 1.31 CRDs are
//! identical here (no `presence`: no release has it).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Spec {
    #[serde(default)]
    pub selector: Option<Selector>,
    #[serde(default)]
    pub target_ref: Option<TargetRef>,
    #[serde(default)]
    pub target_refs: Option<Vec<TargetRef>>,
    #[serde(default)]
    pub jwt_rules: Option<Vec<JwtRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Selector {
    #[serde(default)]
    pub match_labels: Option<BTreeMap<String, String>>,
}

/// Gateway API's policy target, copied as it is onto the WasmPlugin.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TargetRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JwtRule {
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub audiences: Option<Vec<String>>,
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// The CRD's older spelling of `jwksUri`.
    #[serde(default, rename = "jwks_uri")]
    pub jwks_uri_snake: Option<String>,
    #[serde(default)]
    pub jwks: Option<String>,
    #[serde(default)]
    pub from_headers: Option<Vec<FromHeader>>,
    #[serde(default)]
    pub from_params: Option<Vec<String>>,
    #[serde(default)]
    pub from_cookies: Option<Vec<String>>,
    #[serde(default)]
    pub output_payload_to_header: Option<String>,
    #[serde(default)]
    pub forward_original_token: Option<bool>,
    #[serde(default)]
    pub output_claim_to_headers: Option<Vec<ClaimToHeader>>,
    #[serde(default)]
    pub timeout: Option<String>,
    #[serde(default)]
    pub space_delimited_claims: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FromHeader {
    pub name: String,
    #[serde(default)]
    pub prefix: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimToHeader {
    pub header: String,
    pub claim: String,
}

/// The versions of the kind Istio serves.
pub const API_VERSIONS: [&str; 2] = ["security.istio.io/v1", "security.istio.io/v1beta1"];

/// Keys a RequestAuthentication may carry at its top level; `status` is what `kubectl get`
/// adds and means nothing to the conversion.
pub const TOP_LEVEL_KEYS: [&str; 5] = ["apiVersion", "kind", "metadata", "spec", "status"];
