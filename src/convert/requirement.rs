//! The requirement istiod builds from a workload's JWT rules, in the filter's vocabulary.
//!
//! A request passes with no token, or with a token that one provider verifies; a token that
//! fails is refused: `any(P1, …, Pn, all(any(P1, allow_missing), …, any(Pn, allow_missing)))`,
//! or `any(P, allow_missing)` for one rule. With `--require-token`, `any(P1, …, Pn)`.

use serde_json::{json, Value};

pub fn build(providers: &[String], require_token: bool) -> Value {
    let named: Vec<Value> = providers.iter().map(|n| provider(n)).collect();
    if require_token {
        return one_or(named, "requires_any");
    }
    if let [only] = providers {
        return or_missing(only);
    }
    let each_valid_if_present: Vec<Value> = providers.iter().map(|n| or_missing(n)).collect();
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
