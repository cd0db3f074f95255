//! The requirement istiod builds from a workload's JWT rules, in the filter's vocabulary.
//!
//! Without `presence: REQUIRED` a request passes with no token, or with a token that one
//! provider verifies; a token that fails is refused:
//! `any(P1, …, Pn, all(any(P1, allow_missing), …, any(Pn, allow_missing)))`, or
//! `any(P, allow_missing)` for one rule. With REQUIRED rules every one of them must verify and
//! the others stay optional: `all(P1, any(P2, allow_missing), …)`.

use super::istio::Presence;
use serde_json::{json, Value};

pub fn build(providers: &[(String, Presence)], require_token: bool) -> Value {
    let any_required = providers.iter().any(|(_, p)| *p == Presence::Required);
    if any_required {
        let each: Vec<Value> = providers
            .iter()
            .map(|(name, presence)| match presence {
                Presence::Required => provider(name),
                Presence::Optional => or_missing(name),
            })
            .collect();
        return one_or(each, "requires_all");
    }
    let named: Vec<Value> = providers.iter().map(|(n, _)| provider(n)).collect();
    if require_token {
        return one_or(named, "requires_any");
    }
    if let [(only, _)] = providers {
        return or_missing(only);
    }
    let each_valid_if_present: Vec<Value> = providers.iter().map(|(n, _)| or_missing(n)).collect();
    let mut any = named;
    any.push(json!({"requires_all": each_valid_if_present}));
    json!({"requires_any": any})
}

fn provider(name: &str) -> Value {
    json!({"provider_name": name})
}

fn or_missing(name: &str) -> Value {
    json!({"requires_any": [provider(name), {"allow_missing": {}}]})
}

/// The filter takes lists of two or more; a single requirement stands alone.
fn one_or(mut list: Vec<Value>, key: &str) -> Value {
    if list.len() == 1 {
        return list.pop().unwrap_or(Value::Null);
    }
    json!({ key: list })
}
