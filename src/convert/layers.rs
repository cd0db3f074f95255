//! Layered RequestAuthentications: istiod gives a workload one `jwt_authn` holding the rules of
//! every policy that selects it (root namespace, its namespace, its own selector), while
//! WasmPlugins that select the same workload all run, one after another. The plugins compose as
//! istiod's merge only under conditions this module checks:
//!
//! - a rule repeated in a policy that covers the narrower one's workloads is kept in the broader
//!   plugin only (istiod verifies the token once either way);
//! - a layered plugin lets a token of an issuer it does not know pass untouched
//!   (`ignore_unknown_issuers`), so each token is decided by the plugin holding its issuer, as
//!   by the merged
//!   `any(…)` requirement; two plugins holding the same issuer with different settings would
//!   decide in turn, and the first to refuse wins where istiod takes either: refused;
//! - a plugin removes client-sent copies of the headers it writes, so two plugins writing the
//!   same header delete each other's: refused;
//! - `--require-token` makes each plugin refuse the tokens the others verify: refused.

use super::{error, ConvertError, Notes, Options, Target};
use serde_json::Value;
use std::collections::BTreeMap;

/// One converted JWTRule.
pub struct Rule {
    /// Where it was read, for messages.
    pub at: String,
    pub issuer: String,
    pub provider: Value,
    /// The URL whose host the filter calls for keys; `None` for inline keys.
    pub fetches: Option<String>,
}

/// The rules of the policies that share one namespace and target, before naming.
pub struct Draft {
    pub name: String,
    pub namespace: Option<String>,
    pub target: Target,
    /// Runs on all of a gateway's traffic; otherwise on sidecars' inbound only (match SERVER),
    /// so never on a gateway.
    pub gateway: bool,
    /// `namespace/name` of each policy.
    pub sources: Vec<String>,
    pub rules: Vec<Rule>,
    /// Another plugin may run on the same workloads: tokens of its issuers must pass this one.
    pub layered: bool,
}

impl Draft {
    fn names(&self) -> String {
        self.sources.join(" + ")
    }

    fn in_root(&self, root: &str) -> bool {
        self.namespace.as_deref() == Some(root)
    }

    /// Headers the plugin writes, and so first removes from what the client sent.
    fn written_headers(&self) -> Vec<String> {
        let mut out = Vec::new();
        for rule in &self.rules {
            if let Some(h) = rule.provider["forward_payload_header"].as_str() {
                out.push(h.to_ascii_lowercase());
            }
            for claim in rule.provider["claim_to_headers"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if let Some(h) = claim["header_name"].as_str() {
                    out.push(h.to_ascii_lowercase());
                }
            }
        }
        out
    }
}

/// Every workload `narrow` applies to is one `broad` applies to, as istiod selects: a policy
/// without selector takes its namespace (every namespace from the root namespace), a selector
/// takes the workloads whose labels include it (in any namespace from the root namespace).
fn covers(broad: &Draft, narrow: &Draft, root: &str) -> bool {
    if narrow.gateway && !broad.gateway {
        return false;
    }
    let reaches = broad.in_root(root) || broad.namespace == narrow.namespace;
    match (&broad.target, &narrow.target) {
        (Target::Namespace, _) => reaches,
        (Target::Workloads(b), Target::Workloads(n)) => {
            reaches && b.iter().all(|(k, v)| n.get(k) == Some(v))
        }
        _ => false,
    }
}

/// Some workload may be selected by both. Gateways named by a targetRef carry labels the input
/// does not show, so a selector in their namespace may select them.
/// A gateway's plugin and a sidecars' one (match SERVER) never run on the same traffic.
fn may_overlap(a: &Draft, b: &Draft, root: &str) -> bool {
    if a.gateway != b.gateway {
        return false;
    }
    if covers(a, b, root) || covers(b, a, root) {
        return true;
    }
    if !(a.namespace == b.namespace || a.in_root(root) || b.in_root(root)) {
        return false;
    }
    match (&a.target, &b.target) {
        (Target::Workloads(x), Target::Workloads(y)) => compatible(x, y),
        (Target::Workloads(_), _) | (_, Target::Workloads(_)) => true,
        (x, y) => {
            let refs = |t: &Target| match t {
                Target::Ref(one) => vec![one.clone()],
                Target::Refs(list) => list.clone(),
                _ => Vec::new(),
            };
            let ys = refs(y);
            refs(x).iter().any(|r| ys.contains(r))
        }
    }
}

/// One set of labels can hold both selectors: no key asks for two values.
fn compatible(x: &BTreeMap<String, String>, y: &BTreeMap<String, String>) -> bool {
    x.iter().all(|(k, v)| y.get(k).is_none_or(|w| w == v))
}

/// Drops the rules a covering policy already holds (and the drafts left with none), then
/// refuses what would not compose. `drafts` keep their order.
pub fn resolve(
    drafts: &mut Vec<Draft>,
    options: &Options,
    notes: &mut Notes,
) -> Result<(), ConvertError> {
    let root = options.root_namespace.as_str();
    let mut repeated: Vec<(usize, usize, String)> = Vec::new();
    for (i, narrow) in drafts.iter().enumerate() {
        for (j, broad) in drafts.iter().enumerate() {
            if i == j || !covers(broad, narrow, root) {
                continue;
            }
            for (k, rule) in narrow.rules.iter().enumerate() {
                if broad.rules.iter().any(|b| b.provider == rule.provider) {
                    repeated.push((i, k, broad.names()));
                }
            }
        }
    }
    // Last first, so each removal leaves the indexes still to come in place.
    repeated.sort_by_key(|r| std::cmp::Reverse((r.0, r.1)));
    repeated.dedup_by_key(|r| (r.0, r.1));
    for (i, k, broad) in repeated {
        let Some(draft) = drafts.get_mut(i) else {
            continue;
        };
        if k < draft.rules.len() {
            let rule = draft.rules.remove(k);
            notes.push(format!(
                "{}: the same rule is in {broad}, which applies to these workloads too: its \
                 WasmPlugin verifies it (istiod would verify the token once)",
                rule.at
            ));
        }
    }
    drafts.retain(|d| {
        if d.rules.is_empty() {
            notes.push(format!(
                "RequestAuthentication {}: every rule is also in a policy that applies to its \
                 workloads: no WasmPlugin of its own",
                d.names()
            ));
        }
        !d.rules.is_empty()
    });
    let mut layered = vec![false; drafts.len()];
    for (i, a) in drafts.iter().enumerate() {
        for (j, b) in drafts.iter().enumerate().skip(i + 1) {
            if may_overlap(a, b, root) {
                check_pair(a, b, options, notes)?;
                layered[i] = true;
                layered[j] = true;
            }
        }
    }
    for (draft, layered) in drafts.iter_mut().zip(layered) {
        draft.layered = layered;
    }
    Ok(())
}

fn check_pair(
    a: &Draft,
    b: &Draft,
    options: &Options,
    notes: &mut Notes,
) -> Result<(), ConvertError> {
    let both = format!("RequestAuthentication {} and {}", a.names(), b.names());
    let why = "istiod merges the rules of every policy selecting a workload into one jwt_authn, \
               while the WasmPlugins of these policies would run one after another";
    if options.require_token {
        return Err(error(
            both,
            format!(
                "may select the same workloads: {why}, and with --require-token each refuses \
                 the tokens only the other verifies. Convert without --require-token (the \
                 plugins then compose as istiod's merge) and require a token with an \
                 AuthorizationPolicy on a header the filter writes, or make one policy select \
                 each workload"
            ),
        ));
    }
    for x in &a.rules {
        if let Some(y) = b
            .rules
            .iter()
            .find(|y| y.issuer == x.issuer && y.provider != x.provider)
        {
            return Err(error(
                both,
                format!(
                    "may select the same workloads and both have a rule for issuer {:?} ({} \
                     and {}) with different settings: {why}, so the first to refuse a token \
                     decides where istiod accepts it when either rule verifies it. Give both \
                     the same rule, or keep the issuer in one of them",
                    x.issuer, x.at, y.at
                ),
            ));
        }
    }
    let theirs = b.written_headers();
    if let Some(header) = a.written_headers().into_iter().find(|h| theirs.contains(h)) {
        return Err(error(
            both,
            format!(
                "may select the same workloads and both write header {header:?}: {why}, and each \
                 removes what a client (or the plugin before it) put in the headers it writes. \
                 Write the claim under a different header in one of them"
            ),
        ));
    }
    notes.push(format!(
        "{both} may select the same workloads: their WasmPlugins run one after another, each \
         verifying the tokens of its own issuers and letting the others' pass \
         (ignore_unknown_issuers), which is what istiod's merged jwt_authn accepts; a token of \
         an issuer no layer names passes them all, where istiod answers 401"
    ));
    Ok(())
}
