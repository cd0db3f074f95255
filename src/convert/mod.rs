//! Istio RequestAuthentication objects turned into this filter's configuration and the
//! WasmPlugin that installs it (`convert-requestauthentication`). Plain Rust on JSON values:
//! the CLI reads the YAML, this decides everything, and every configuration it returns has
//! passed `config::parse`.

mod authz;
mod duration;
mod istio;
mod layers;
mod manifests;
mod provider;
mod read;
mod requirement;
mod target;

pub use manifests::{ExternalHost, Image};
pub use target::Target;

use layers::{Draft, Rule};
use read::Policy;
use serde_json::{json, Map, Value};

/// One YAML document and where it came from (`FILE document N`), for messages.
pub struct Document {
    pub origin: String,
    pub value: Value,
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Refuse requests without a token (RequestAuthentication alone lets them pass).
    pub require_token: bool,
    /// The selected workloads are gateways, whatever their labels say.
    pub gateway: bool,
    /// Istio's root namespace: a RequestAuthentication there without a selector is mesh-wide.
    pub root_namespace: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            require_token: false,
            gateway: false,
            root_namespace: "istio-system".into(),
        }
    }
}

/// One WasmPlugin's worth: the RequestAuthentications of one namespace and target, merged.
#[derive(Debug)]
pub struct Plugin {
    pub name: String,
    pub namespace: Option<String>,
    pub target: Target,
    pub gateway: bool,
    pub mesh_wide: bool,
    /// In the root namespace, so it reaches workloads of every namespace (with a selector too):
    /// the JWKS hosts' ServiceEntries and DestinationRules must be seen there.
    pub exported_everywhere: bool,
    /// `namespace/name` of each RequestAuthentication merged here.
    pub sources: Vec<String>,
    pub config: Value,
    pub hosts: Vec<ExternalHost>,
}

#[derive(Debug, Default)]
pub struct Conversion {
    pub plugins: Vec<Plugin>,
    /// What the user must know: skipped documents, what does not carry over.
    pub notes: Notes,
}

/// Messages for stderr, each once, in the order they arose.
#[derive(Debug, Default)]
pub struct Notes(Vec<String>);

impl Notes {
    pub fn push(&mut self, note: String) {
        if !self.0.contains(&note) {
            self.0.push(note);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &String> {
        self.0.iter()
    }
}

/// Where (the document, the object and the field path) and why; the same shape as the
/// filter's own configuration errors.
pub use crate::config::ConfigError as ConvertError;

fn error(at: impl Into<String>, reason: impl Into<String>) -> ConvertError {
    ConvertError {
        field: at.into(),
        reason: reason.into(),
    }
}

pub fn convert(documents: &[Document], options: &Options) -> Result<Conversion, ConvertError> {
    let mut notes = Notes::default();
    let mut policies = Vec::new();
    for doc in documents {
        read::document(&doc.value, &doc.origin, &mut policies, &mut notes)?;
    }
    if policies.is_empty() {
        return Err(error(
            "input",
            "no RequestAuthentication (security.istio.io/v1 or v1beta1) found",
        ));
    }
    let mut groups: Vec<Vec<Policy>> = Vec::new();
    for policy in policies {
        let same = |g: &&mut Vec<Policy>| {
            g.first()
                .is_some_and(|p| p.namespace == policy.namespace && p.target == policy.target)
        };
        match groups.iter_mut().find(same) {
            Some(group) => group.push(policy),
            None => groups.push(vec![policy]),
        }
    }
    let mut drafts = Vec::new();
    for group in groups {
        if let Some(draft) = draft(group, options, &mut notes)? {
            drafts.push(draft);
        }
    }
    if drafts.is_empty() {
        return Err(error(
            "input",
            "no RequestAuthentication has jwtRules: there is nothing to convert",
        ));
    }
    layers::resolve(&mut drafts, options, &mut notes)?;
    let mut plugins = Vec::new();
    for draft in drafts {
        plugins.push(plugin(draft, options, &mut notes)?);
    }
    general_notes(&plugins, options, &mut notes);
    Ok(Conversion { plugins, notes })
}

/// Every object to apply, in order: each WasmPlugin followed by its hosts' entries.
pub fn manifests(conversion: &Conversion, image: &Image) -> Vec<Value> {
    let mut out = Vec::new();
    let mut emitted: Vec<(Option<String>, ExternalHost)> = Vec::new();
    for plugin in &conversion.plugins {
        out.push(manifests::wasm_plugin(plugin, image));
        let export_to = if plugin.exported_everywhere { "*" } else { "." };
        for host in &plugin.hosts {
            let key = (plugin.namespace.clone(), host.clone());
            if emitted.contains(&key) {
                continue;
            }
            let ns = plugin.namespace.as_deref();
            out.push(manifests::service_entry(host, ns, export_to));
            if host.https {
                out.push(manifests::destination_rule(host, ns, export_to));
            }
            emitted.push(key);
        }
    }
    out
}

/// The rules of one namespace and target, converted; `None` when no policy has any.
fn draft(
    group: Vec<Policy>,
    options: &Options,
    notes: &mut Notes,
) -> Result<Option<Draft>, ConvertError> {
    let mut read = Vec::new();
    for policy in &group {
        match policy.spec.jwt_rules.as_deref() {
            Some(list) if !list.is_empty() => read.extend(
                list.iter()
                    .enumerate()
                    .map(|(i, r)| (r, format!("{}: spec.jwtRules[{i}]", policy.at))),
            ),
            _ => notes.push(format!(
                "{}: no jwtRules, so Istio checks nothing for it; nothing converted",
                policy.at
            )),
        }
    }
    let Some(first) = group.first() else {
        return Ok(None);
    };
    if read.is_empty() {
        return Ok(None);
    }
    // As istiod: rules sorted by issuer, so the output does not depend on the policies' order.
    read.sort_by(|a, b| a.0.issuer.cmp(&b.0.issuer));
    let mut rules = Vec::new();
    for (rule, at) in read {
        let converted = provider::convert(rule, &at, notes)?;
        check_alone(&converted.provider, &at)?;
        rules.push(Rule {
            issuer: rule.issuer.clone().unwrap_or_default(),
            provider: converted.provider,
            fetches: converted.fetches,
            at,
        });
    }
    Ok(Some(Draft {
        name: first.name.clone(),
        namespace: first.namespace.clone(),
        target: first.target.clone(),
        gateway: options.gateway || first.target.is_gateway(),
        sources: group
            .iter()
            .map(|p| format!("{}/{}", p.namespace.as_deref().unwrap_or("-"), p.name))
            .collect(),
        rules,
        layered: false,
    }))
}

fn plugin(draft: Draft, options: &Options, notes: &mut Notes) -> Result<Plugin, ConvertError> {
    let sources = draft.sources;
    let in_root = draft.namespace.as_deref() == Some(options.root_namespace.as_str());
    let mesh_wide = draft.target == Target::Namespace && in_root;
    if options.gateway && draft.target == Target::Namespace {
        let scope = if mesh_wide {
            "the whole mesh"
        } else {
            "a whole namespace"
        };
        return Err(error(
            format!("RequestAuthentication {}", sources.join(", ")),
            format!(
                "--gateway on a policy without selector ({scope}): its WasmPlugin would have no \
                 traffic match and run on the outbound calls of every sidecar it reaches. Give \
                 the policy a selector naming the gateway pods, or convert it without --gateway"
            ),
        ));
    }
    let mut providers = Map::new();
    let mut hosts: Vec<ExternalHost> = Vec::new();
    for rule in draft.rules {
        let name = provider_name(&rule.issuer, &providers);
        if let Some(host) = rule.fetches.as_deref().and_then(ExternalHost::of) {
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        providers.insert(name, rule.provider);
    }
    let names: Vec<String> = providers.keys().cloned().collect();
    let requires = requirement::build(&names, options.require_token);
    let mut config = json!({
        "providers": providers,
        "rules": [{"match": {"prefix": "/"}, "requires": requires}],
    });
    if draft.layered {
        // Another layer's token is no token to this plugin: the plugin holding its issuer
        // decides it, as istiod's merged requirement does.
        config["ignore_unknown_issuers"] = json!(true);
    }
    if let Err(e) = crate::config::parse(config.to_string().as_bytes()) {
        return Err(error(
            sources.join(", "),
            format!("the converted configuration is refused by the filter (a converter bug): {e}"),
        ));
    }
    if sources.len() > 1 {
        notes.push(format!(
            "{} apply to the same workloads and are merged into one WasmPlugin",
            sources.join(", ")
        ));
    }
    Ok(Plugin {
        name: draft.name,
        gateway: draft.gateway,
        namespace: draft.namespace,
        target: draft.target,
        mesh_wide,
        exported_everywhere: in_root,
        sources,
        config,
        hosts,
    })
}

/// A rule the filter cannot take is reported at the rule, in the filter's words.
fn check_alone(provider: &Value, at: &str) -> Result<(), ConvertError> {
    let alone = json!({ "providers": { "rule": provider } });
    crate::config::parse(alone.to_string().as_bytes())
        .map(|_| ())
        .map_err(|e| error(at, format!("the filter cannot take it: {e}")))
}

/// Readable in metric names (`provider_<name>_…`): the issuer without its scheme, with every
/// run of other characters as one '-', made unique.
fn provider_name(issuer: &str, taken: &Map<String, Value>) -> String {
    let bare = issuer
        .strip_prefix("https://")
        .or_else(|| issuer.strip_prefix("http://"))
        .unwrap_or(issuer);
    let mut base = String::new();
    for c in bare.chars() {
        if c.is_ascii_alphanumeric() {
            base.push(c.to_ascii_lowercase());
        } else if !base.is_empty() && !base.ends_with('-') {
            base.push('-');
        }
    }
    let mut base: String = base.chars().take(48).collect();
    while base.ends_with('-') {
        base.pop();
    }
    if base.is_empty() {
        base = "issuer".into();
    }
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains_key(&name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

fn general_notes(plugins: &[Plugin], options: &Options, notes: &mut Notes) {
    if !options.require_token {
        notes.push(
            "as RequestAuthentication does, a request without a token passes and only an invalid \
             token is refused; to refuse requests without a valid token, convert with \
             --require-token (or keep an AuthorizationPolicy that demands one)"
                .into(),
        );
    }
    notes.push(
        "AuthorizationPolicy requestPrincipals and request.auth.* conditions read jwt_authn's \
         metadata, which a wasm filter cannot write: add outputClaimToHeaders (claim_to_headers) \
         and use request.headers[<header>] conditions instead; the filter removes client-sent \
         copies of those headers"
            .into(),
    );
    notes.push(
        "a token without exp is refused (Istio accepts it); add require_expiration: false to a \
         provider to accept such tokens"
            .into(),
    );
    for plugin in plugins {
        let name = format!(
            "WasmPlugin {}/{}",
            plugin.namespace.as_deref().unwrap_or("-"),
            plugin.name
        );
        if plugin.namespace.is_none() {
            notes.push(format!(
                "{name} has no namespace: it goes to the namespace kubectl applies it in"
            ));
        }
        if plugin.mesh_wide {
            notes.push(format!(
                "{name} is mesh-wide (root namespace, no selector): its ServiceEntries and \
                 DestinationRules are exported to every namespace"
            ));
        } else if plugin.exported_everywhere && !plugin.hosts.is_empty() {
            notes.push(format!(
                "{name} is in the root namespace, so its selector picks workloads of every \
                 namespace: its ServiceEntries and DestinationRules are exported to every namespace"
            ));
        }
        if plugin.gateway {
            notes.push(format!(
                "{name}: treated as a gateway (no match on traffic direction)"
            ));
        } else if plugin.target == Target::Namespace {
            notes.push(format!(
                "{name}: sidecars' inbound traffic only (match mode SERVER); Istio gateways are not \
                 covered by it: give them a policy whose selector names the gateway pods"
            ));
        } else {
            notes.push(format!(
                "{name}: sidecars' inbound traffic only (match mode SERVER); Istio gateways are not \
                 covered by it: use --gateway when the selector names gateway pods"
            ));
        }
        for host in &plugin.hosts {
            let objects = if host.https {
                "a ServiceEntry and a DestinationRule (TLS) are"
            } else {
                "a ServiceEntry is"
            };
            notes.push(format!(
                "{name}: keys come from {}, outside the mesh: {objects} emitted for it",
                host.host
            ));
        }
    }
    if plugins.iter().any(|p| !p.hosts.is_empty()) {
        notes.push(
            "keys are fetched by every proxy the WasmPlugins run in (cached 300 s, as istiod \
             has Envoy cache them), through the emitted ServiceEntries: the proxies need egress \
             to the key hosts. istiod instead fetches jwksUri itself by default and hands the \
             keys inline to the proxies (PILOT_JWT_ENABLE_REMOTE_JWKS=false); to keep keys off \
             the proxies' network path, put them in the policy's jwks (inline) before converting"
                .into(),
        );
    }
    notes.push(
        "delete the converted RequestAuthentications once the WasmPlugins are in place: the \
         filter runs first and, without forwardOriginalToken, removes the token, so jwt_authn \
         would see none"
            .into(),
    );
}

#[cfg(test)]
mod tests;
