//! Documents in, RequestAuthentications out: `kubectl`'s Lists unwrapped, other kinds noted,
//! every field of a RequestAuthentication checked.

use super::istio::{self, Spec};
use super::{authz, error, ConvertError, Notes, Target};
use crate::config::path_de;
use serde_json::{json, Map, Value};

/// One RequestAuthentication, read.
pub struct Policy {
    /// `origin: RequestAuthentication ns/name`
    pub at: String,
    pub name: String,
    pub namespace: Option<String>,
    pub target: Target,
    pub spec: Spec,
}

pub fn document(
    value: &Value,
    origin: &str,
    policies: &mut Vec<Policy>,
    notes: &mut Notes,
) -> Result<(), ConvertError> {
    let object = match value {
        Value::Null => return Ok(()),
        Value::Object(o) => o,
        _ => return Err(error(origin, "is not a YAML mapping")),
    };
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    // `kubectl get … -o yaml` wraps what it lists in a List.
    if kind.ends_with("List") {
        if let Some(Value::Array(items)) = object.get("items") {
            for (i, item) in items.iter().enumerate() {
                document(item, &format!("{origin} items[{i}]"), policies, notes)?;
            }
            return Ok(());
        }
    }
    match kind {
        "RequestAuthentication" => policies.push(policy(object, origin)?),
        "AuthorizationPolicy" | "VirtualService" => {
            authz::note_jwt_conditions(kind, object, origin, notes)
        }
        "" => return Err(error(origin, "has no kind")),
        other => notes.push(format!(
            "{origin}: {other} skipped (only RequestAuthentication is converted)"
        )),
    }
    Ok(())
}

fn policy(object: &Map<String, Value>, origin: &str) -> Result<Policy, ConvertError> {
    if let Some(key) = object
        .keys()
        .find(|k| !istio::TOP_LEVEL_KEYS.contains(&k.as_str()))
    {
        return Err(error(
            format!("{origin}: RequestAuthentication.{key}"),
            "unknown field",
        ));
    }
    let api_version = object.get("apiVersion").and_then(Value::as_str);
    if !api_version.is_some_and(|v| istio::API_VERSIONS.contains(&v)) {
        return Err(error(
            format!("{origin}: RequestAuthentication.apiVersion"),
            format!(
                "{api_version:?} is not one of {}",
                istio::API_VERSIONS.join(", ")
            ),
        ));
    }
    let metadata = object.get("metadata");
    // A plain `n` or `yes` is a YAML 1.1 boolean, as kubectl reads it too: refused, not ignored.
    let text = |key: &str| match metadata.and_then(|m| m.get(key)) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.as_str())),
        Some(_) => Err(error(
            format!("{origin}: RequestAuthentication.metadata.{key}"),
            "must be a non-empty string",
        )),
    };
    let Some(name) = text("name")? else {
        return Err(error(
            format!("{origin}: RequestAuthentication.metadata.name"),
            "is required",
        ));
    };
    let namespace = text("namespace")?;
    let at = format!(
        "{origin}: RequestAuthentication {}/{name}",
        namespace.unwrap_or("(no namespace)")
    );
    let spec_value = object.get("spec").cloned().unwrap_or(json!({}));
    let spec: Spec = path_de::from_value(&spec_value).map_err(|(path, e)| {
        let field = if path.is_empty() {
            "spec".to_string()
        } else {
            format!("spec.{path}")
        };
        error(format!("{at}: {field}"), e.to_string())
    })?;
    let target = Target::of(&spec, &at)?;
    Ok(Policy {
        name: name.to_string(),
        namespace: namespace.map(str::to_string),
        target,
        spec,
        at,
    })
}
