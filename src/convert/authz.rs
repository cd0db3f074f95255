//! AuthorizationPolicies and VirtualServices are not converted, but those that read what
//! jwt_authn leaves in Envoy's dynamic metadata (request principals, `request.auth.*`,
//! `@request.auth.claims.*` route headers) stop working once the filter replaces it: each
//! such field is named, so the user knows what to rewrite.

use super::Notes;
use serde_json::{Map, Value};

pub fn note_jwt_conditions(
    kind: &str,
    object: &Map<String, Value>,
    origin: &str,
    notes: &mut Notes,
) {
    let name = object
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("?");
    let mut found = Vec::new();
    if let Some(spec) = object.get("spec") {
        find(spec, "spec", &mut found);
    }
    if found.is_empty() {
        notes.push(format!(
            "{origin}: {kind} {name} skipped (it reads no JWT data)"
        ));
        return;
    }
    notes.push(format!(
        "{origin}: {kind} {name} reads jwt_authn's metadata at {}, which the filter does not \
         write: match on the headers it writes (outputClaimToHeaders) instead, \
         request.headers[<header>] in an AuthorizationPolicy",
        found.join(", ")
    ));
}

fn find(value: &Value, path: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let at = format!("{path}.{key}");
                let reads_jwt =
                    matches!(key.as_str(), "requestPrincipals" | "notRequestPrincipals")
                        || key.starts_with("@request.auth.")
                        || (key == "key"
                            && inner
                                .as_str()
                                .is_some_and(|k| k.starts_with("request.auth.")));
                if reads_jwt {
                    found.push(at);
                } else {
                    find(inner, &at, found);
                }
            }
        }
        Value::Array(list) => {
            for (i, inner) in list.iter().enumerate() {
                find(inner, &format!("{path}[{i}]"), found);
            }
        }
        _ => {}
    }
}
