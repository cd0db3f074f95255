"""The HTTP filters Istio (1.31) gives a gateway's Envoy for a WasmPlugin and for AuthorizationPolicies,
in the shape Envoy receives them, so that plain Envoy can run them; and which listeners get the plugin.

Sources read (istio/istio release-1.31): pilot/pkg/config/kube/extensions/translate.go (every WasmPlugin
becomes a synthetic TrafficExtension named <name>~istio-translated-wasmplugin, same spec, match, phase),
pilot/pkg/model/extensions.go (TrafficExtension -> PluginConfig, resource names, and the match of a
plugin's TrafficSelectors against a listener's port and class), pilot/pkg/networking/core/extension/
extensionfilter.go (ECDS reference in the HCM), pkg/wasm/convert.go (the agent's rewrite of the remote
module into a local file), pilot/pkg/networking/core/listener_builder.go (filter order),
pilot/pkg/security/authz/{builder,model,matcher} (AuthorizationPolicy -> RBAC).
"""
import json
import math
import os
from pathlib import Path

TYPE = "type.googleapis.com/"
WASM_TYPE = TYPE + "envoy.extensions.filters.http.wasm.v3.Wasm"
RBAC_TYPE = TYPE + "envoy.extensions.filters.http.rbac.v3.RBAC"
EXTENSION_CONFIG_TYPE = TYPE + "envoy.config.core.v3.TypedExtensionConfig"
STRING_VALUE_TYPE = TYPE + "google.protobuf.StringValue"

# Agent-only variables: istiod puts them in vm_config.environment_variables, the agent reads and strips them.
_AGENT_ENV_PREFIX = "ISTIO_META_"
_FAILURE_POLICY = {"FAIL_CLOSE": "FAIL_CLOSED", "FAIL_OPEN": "FAIL_OPEN", "FAIL_RELOAD": "FAIL_RELOAD"}
# pilot/pkg/security/authz/model/model.go: the prefix set even without dry-run rules (a nil RBAC reads as ALLOW).
DRY_RUN_STAT_PREFIX = "istio_dry_run_allow_"
_HEADER_KEY = "request.headers["


# translate.go: the suffix of the TrafficExtension istiod makes of a WasmPlugin ("~" is no valid
# Kubernetes name character, so it never collides with a TrafficExtension of the same name).
TRANSLATED_SUFFIX = "~istio-translated-wasmplugin"
RESOURCE_PREFIX = "extensions.istio.io/trafficextension/"


def plugin_name(namespace: str, name: str) -> str:
    """PluginConfig.name of a WasmPlugin's filter: <namespace>.<name> of its TrafficExtension."""
    return f"{namespace}.{name}{TRANSLATED_SUFFIX}"


def resource_name(namespace: str, name: str) -> str:
    """The HCM filter's name and the ECDS resource's name."""
    return RESOURCE_PREFIX + plugin_name(namespace, name)


# extensions.go, workloadModeForListenerClass: the workload mode a listener class counts as.
GATEWAY, SIDECAR_INBOUND, SIDECAR_OUTBOUND = "gateway", "sidecar-inbound", "sidecar-outbound"
_LISTENER_MODE = {GATEWAY: "CLIENT", SIDECAR_INBOUND: "SERVER", SIDECAR_OUTBOUND: "CLIENT"}


def plugin_matches_listener(match: list | None, port: int, listener_class: str) -> bool:
    """Whether istiod puts a plugin with this spec.match on a listener (extensions.go,
    matchTrafficExtensionSelectors): no selector matches every listener; otherwise one selector must
    match the class's mode (unset and CLIENT_AND_SERVER match both) and list the port, or no port.
    `port` is the one Envoy binds: on a gateway the Gateway server port after its translation to
    the Service's targetPort, on a sidecar's inbound side the targetPort (container port)."""
    if not match:
        return True
    mode = _LISTENER_MODE[listener_class]
    for selector in match:
        if selector.get("mode", "UNDEFINED") not in ("UNDEFINED", "CLIENT_AND_SERVER", mode):
            continue
        numbers = [p.get("number", 0) for p in selector.get("ports") or []]
        if not numbers or port in [n for n in numbers if n]:
            return True
    return False


def _go_number(value: float) -> str:
    """encoding/json's float64 form (a Struct holds only doubles): integral values print without '.0'."""
    if not math.isfinite(value):
        raise ValueError(f"{value} has no JSON form")
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    return repr(float(value))


def _go_json(value) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{_go_json(str(k))}:{_go_json(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_go_json(v) for v in value) + "]"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return _go_number(value)
    # encoding/json escapes HTML's special characters and the two JavaScript line separators.
    text = json.dumps(str(value), ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def plugin_config_json(plugin_config: dict) -> str:
    """`pluginConfig` (a google.protobuf.Struct) as istiod's protomarshal.ToJSON writes it: golang jsonpb,
    compact, keys sorted, numbers as doubles."""
    return _go_json(plugin_config)


def wasm_extension_config(wasm_plugin: dict, module_path: str) -> dict:
    """The ECDS resource Envoy gets for an HTTP WasmPlugin once the agent has fetched the module: the
    remote `code` is now `local.filename`, the agent's ISTIO_META_* variables are gone. No vm_id
    (istiod sets none), root_id = pluginName, name = plugin_name()."""
    meta, spec = wasm_plugin["metadata"], wasm_plugin["spec"]
    assert spec.get("type", "HTTP") == "HTTP", "only HTTP plugins sit in the HTTP filter chain"
    config: dict = {"name": plugin_name(meta["namespace"], meta["name"])}
    if spec.get("pluginName"):
        config["root_id"] = spec["pluginName"]
    vm: dict = {"runtime": "envoy.wasm.runtime.v8", "code": {"local": {"filename": str(module_path)}}}
    env = {e["name"]: e.get("value", "") for e in (spec.get("vmConfig") or {}).get("env", [])
           if e.get("valueFrom", "INLINE") == "INLINE" and not e["name"].startswith(_AGENT_ENV_PREFIX)}
    host_keys = [e["name"] for e in (spec.get("vmConfig") or {}).get("env", []) if e.get("valueFrom") == "HOST"]
    if env or host_keys:
        vm["environment_variables"] = {**({"key_values": env} if env else {}),
                                       **({"host_env_keys": host_keys} if host_keys else {})}
    config["vm_config"] = vm
    if spec.get("pluginConfig"):
        config["configuration"] = {"@type": STRING_VALUE_TYPE, "value": plugin_config_json(spec["pluginConfig"])}
    if spec.get("failStrategy") in _FAILURE_POLICY:
        config["failure_policy"] = _FAILURE_POLICY[spec["failStrategy"]]
    return {"name": resource_name(meta["namespace"], meta["name"]),
            "typed_config": {"@type": WASM_TYPE, "config": config}}


def agent_fetch_failure_config(wasm_plugin: dict) -> dict:
    """What the agent sends Envoy instead when it cannot fetch the module (pkg/wasm/convert.go): an RBAC
    filter under the same name, allow-all for FAIL_OPEN, deny-all for any other strategy."""
    meta, spec = wasm_plugin["metadata"], wasm_plugin["spec"]
    if spec.get("failStrategy") == "FAIL_OPEN":
        rbac = {"@type": RBAC_TYPE, "rules_stat_prefix": "wasm-default-allow"}
    else:
        rbac = {"@type": RBAC_TYPE, "rules": {}, "rules_stat_prefix": "wasm-default-deny"}
    return {"name": resource_name(meta["namespace"], meta["name"]), "typed_config": rbac}


def ecds_http_filter(name: str, ecds_path: Path) -> dict:
    """The HCM entry: no inline config, only where to find it. Istio's source is ADS; a file carries the
    same DiscoveryResponse to a standalone Envoy. Both wait for the first config (initial_fetch_timeout
    0s: a security filter must not be skipped while it loads), and accept RBAC too, which the agent
    substitutes when the module cannot be fetched."""
    return {"name": name, "config_discovery": {
        "config_source": {"path_config_source": {"path": str(ecds_path)}, "resource_api_version": "V3",
                          "initial_fetch_timeout": "0s"},
        "type_urls": [WASM_TYPE, RBAC_TYPE]}}


def write_ecds(path: Path, resources: list[dict], version: str):
    """A DiscoveryResponse file, replaced by rename: Envoy's file watch reacts to the move, never to a
    half-written file."""
    doc = {"version_info": version, "type_url": EXTENSION_CONFIG_TYPE,
           "resources": [{"@type": EXTENSION_CONFIG_TYPE, **r} for r in resources]}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc))
    os.replace(tmp, path)


def header_policy(name: str, action: str, values: list[str], header: str = "x-jwt-sub") -> dict:
    """An AuthorizationPolicy as a user writes it on the gateway: `action` when `header` (one the filter
    writes) holds one of `values`."""
    return {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"name": name, "namespace": "istio-ingress"},
            "spec": {"selector": {"matchLabels": {"istio": "ingressgateway"}}, "action": action,
                     "rules": [{"when": [{"key": f"request.headers[{header}]", "values": list(values)}]}]}}


def _header_matcher(name: str, value: str) -> dict:
    """pilot/pkg/security/authz/matcher/header.go: '*' alone is presence, a leading or trailing '*' a
    suffix or prefix, anything else exact."""
    if value == "*":
        return {"name": name, "present_match": True}
    if value.startswith("*"):
        return {"name": name, "string_match": {"suffix": value[1:]}}
    if value.endswith("*"):
        return {"name": name, "string_match": {"prefix": value[:-1]}}
    return {"name": name, "string_match": {"exact": value}}


def _header_principals(condition: dict) -> list[dict]:
    key = condition["key"]
    if not (key.startswith(_HEADER_KEY) and key.endswith("]")):
        raise ValueError(f"only request.headers[...] conditions are modelled here, not {key}")
    name = key[len(_HEADER_KEY):-1]
    out = []
    if condition.get("values"):
        out.append({"or_ids": {"ids": [{"header": _header_matcher(name, v)} for v in condition["values"]]}})
    if condition.get("notValues"):
        out.append({"not_id": {"or_ids": {"ids": [{"header": _header_matcher(name, v)}
                                                   for v in condition["notValues"]]}}})
    return out


def _operation_permission(to: dict) -> dict:
    """One `to` of a rule, of which only `operation.ports` is modelled: each port a destination_port
    (the port of the listener that took the connection), any of them (the builder's golden files:
    and_rules -> or_rules -> destination_port)."""
    operation = to.get("operation") or {}
    if set(to) != {"operation"} or set(operation) != {"ports"}:
        raise ValueError(f"only to.operation.ports is modelled, not {to}")
    return {"and_rules": {"rules": [{"or_rules": {"rules": [
        {"destination_port": int(p)} for p in operation["ports"]]}}]}}


def rbac_http_filter(policy: dict) -> dict:
    """The RBAC filter istiod builds for one ALLOW or DENY AuthorizationPolicy whose rules hold only
    `when` conditions on request headers and `to.operation.ports` (anything else raises: it is not
    modelled)."""
    meta, spec = policy["metadata"], policy["spec"]
    action = spec.get("action", "ALLOW")
    if action not in ("ALLOW", "DENY"):
        raise ValueError(f"action {action} is not modelled")
    policies = {}
    for i, rule in enumerate(spec.get("rules") or []):
        if set(rule) - {"when", "to"}:
            raise ValueError(f"rule fields {sorted(set(rule) - {'when', 'to'})} are not modelled")
        ids = [p for cond in rule.get("when") or [] for p in _header_principals(cond)]
        policies[f"ns[{meta['namespace']}]-policy[{meta['name']}]-rule[{i}]"] = {
            "permissions": [_operation_permission(t) for t in rule.get("to") or []]
            or [{"and_rules": {"rules": [{"any": True}]}}],
            "principals": [{"and_ids": {"ids": ids or [{"any": True}]}}]}
    if not policies:
        raise ValueError("a policy without rules (never matches) is not modelled")
    rules: dict = {"policies": policies}
    if action == "DENY":
        rules = {"action": "DENY", **rules}  # ALLOW is the enum's zero value: jsonpb leaves it out
    return {"name": "envoy.filters.http.rbac", "typed_config": {
        "@type": RBAC_TYPE, "rules": rules, "shadow_rules_stat_prefix": DRY_RUN_STAT_PREFIX}}


# listener_builder.go appends WasmPlugins phase by phase around the authn and authz filters.
PHASES_BEFORE_AUTHN = ("AUTHN",)
PHASES_BEFORE_RBAC = ("AUTHZ",)
PHASES_AFTER_RBAC = ("STATS", "UNSPECIFIED_PHASE")


def gateway_http_filters(wasm_filters: dict[str, list[dict]], rbac_filters: list[dict]) -> list[dict]:
    """listener_builder.go's order for a gateway; `wasm_filters` maps a WasmPlugin phase to its filters.
    AUTHN plugins, then jwt_authn (only with a RequestAuthentication; none here), AUTHZ plugins, RBAC
    (DENY before ALLOW), STATS and phase-less plugins, grpc_stats, fault, CORS, router. The filters only
    istio-proxy has (istio.alpn, istio.stats) are left out."""
    def phases(names):
        return [f for name in names for f in wasm_filters.get(name, [])]

    unknown = set(wasm_filters) - set(PHASES_BEFORE_AUTHN + PHASES_BEFORE_RBAC + PHASES_AFTER_RBAC)
    assert not unknown, f"unknown phases {unknown}"
    return [
        *phases(PHASES_BEFORE_AUTHN),
        *phases(PHASES_BEFORE_RBAC),
        *sorted(rbac_filters, key=lambda f: f["typed_config"]["rules"].get("action") != "DENY"),
        *phases(PHASES_AFTER_RBAC),
        {"name": "envoy.filters.http.grpc_stats", "typed_config": {
            "@type": TYPE + "envoy.extensions.filters.http.grpc_stats.v3.FilterConfig",
            "emit_filter_state": True, "stats_for_all_methods": False}},
        {"name": "envoy.filters.http.fault", "typed_config": {
            "@type": TYPE + "envoy.extensions.filters.http.fault.v3.HTTPFault"}},
        {"name": "envoy.filters.http.cors", "typed_config": {
            "@type": TYPE + "envoy.extensions.filters.http.cors.v3.Cors"}},
        {"name": "envoy.filters.http.router", "typed_config": {
            "@type": TYPE + "envoy.extensions.filters.http.router.v3.Router"}},
    ]
