"""Renders tests/envoy/envoy.template.yaml: ports, hosts, module path, plugin configuration,
extra issuer clusters, and optionally a second listener running Envoy's native jwt_authn."""
import copy
import json
from dataclasses import dataclass, field
from string import Template

import yaml

from . import build
from .paths import ENVOY_DIR, WASM

TEMPLATE = ENVOY_DIR / "envoy.template.yaml"
HCM = "envoy.filters.network.http_connection_manager"


@dataclass
class Ports:
    admin: int
    listen: int
    echo: int
    issuer: int
    native: int | None = None  # a second listener with native jwt_authn when set


@dataclass
class Layout:
    """Everything that differs between the tests and docker-compose."""
    ports: Ports
    wasm_path: str = str(WASM)
    listen_address: str = "127.0.0.1"
    admin_address: str = "127.0.0.1"
    echo_host: str = "127.0.0.1"
    issuer_host: str = "127.0.0.1"
    # more issuer clusters, name -> (host, port), cloned from the `issuer` cluster
    clusters: dict = field(default_factory=dict)


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str)


def render_dict(layout: Layout, plugin_config: dict, native_config: dict | None = None,
                native_under_test: bool = False) -> dict:
    """`native_under_test` puts native jwt_authn on the main listener too, to check the tests themselves."""
    p = layout.ports
    text = Template(TEMPLATE.read_text()).substitute(
        ADMIN_ADDRESS=layout.admin_address, ADMIN_PORT=p.admin,
        LISTEN_ADDRESS=layout.listen_address, LISTEN_PORT=p.listen,
        WASM_PATH=layout.wasm_path, ECHO_HOST=layout.echo_host, ECHO_PORT=p.echo,
        ISSUER_HOST=layout.issuer_host, ISSUER_PORT=p.issuer,
    )
    doc = yaml.safe_load(text)
    listeners = doc["static_resources"]["listeners"]
    wasm = _http_filters(listeners[0])[0]
    wasm["typed_config"]["config"]["configuration"]["value"] = json.dumps(plugin_config, indent=2) + "\n"
    if build.current() == "dynamic":
        filters = _http_filters(listeners[0])
        filters[0] = build.dynamic_filter(wasm["typed_config"]["config"]["configuration"]["value"])
    if native_under_test:
        listeners[0] = native_listener(listeners[0], p.listen, native_config or to_native(plugin_config))
        listeners[0]["name"] = "jwt"
    clusters = doc["static_resources"]["clusters"]
    issuer = next(c for c in clusters if c["name"] == "issuer")
    for name, (host, port) in layout.clusters.items():
        c = copy.deepcopy(issuer)
        c["name"] = c["load_assignment"]["cluster_name"] = name
        c["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["socket_address"] = {
            "address": host, "port_value": port}
        clusters.append(c)
    if p.native is not None:
        native = native_config or to_native(plugin_config)
        listeners.append(native_listener(listeners[0], p.native, native))
    return doc


def render(layout: Layout, plugin_config: dict, native_config: dict | None = None,
           native_under_test: bool = False) -> str:
    doc = render_dict(layout, plugin_config, native_config, native_under_test)
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, width=120)


def _http_filters(listener: dict) -> list:
    hcm = listener["filter_chains"][0]["filters"][0]
    assert hcm["name"] == HCM
    return hcm["typed_config"]["http_filters"]


def native_listener(wasm_listener: dict, port: int, native_config: dict) -> dict:
    """The same listener, with Envoy's jwt_authn where the wasm filter was."""
    listener = copy.deepcopy(wasm_listener)
    listener["name"] = "native"
    listener["address"]["socket_address"]["port_value"] = port
    listener["filter_chains"][0]["filters"][0]["typed_config"]["stat_prefix"] = "native"
    filters = _http_filters(listener)
    filters[0] = {"name": "envoy.filters.http.jwt_authn", "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
        **native_config}}
    return listener


def _native_requirement(req: dict) -> dict:
    if "provider_name" in req:
        return {"provider_name": req["provider_name"]}
    for key in ("requires_any", "requires_all"):
        if key in req:
            return {key: {"requirements": [_native_requirement(r) for r in req[key]]}}
    return dict(req)  # allow_missing / allow_missing_or_failed are spelled the same


def _native_provider(p: dict) -> dict:
    out = {"issuer": p["issuer"], "require_expiration": p.get("require_expiration", True),
           "clock_skew_seconds": p.get("clock_skew_seconds", 60), "forward": p.get("forward", False)}
    if p.get("audiences"):
        out["audiences"] = p["audiences"]
    if "max_lifetime_seconds" in p:
        out["max_lifetime"] = f"{p['max_lifetime_seconds']}s"
    if "remote_jwks" in p:
        r = p["remote_jwks"]
        out["remote_jwks"] = {
            "http_uri": {"uri": r["uri"], "cluster": r["cluster"], "timeout": f"{r.get('timeout_ms', 5000) / 1000}s"},
            "cache_duration": f"{r.get('cache_duration_seconds', 600)}s"}
    elif "local_jwks" in p:
        out["local_jwks"] = {"inline_string": p["local_jwks"]["inline_string"]}
    else:
        # Native jwt_authn has no OIDC discovery; the test issuer serves its JWKS at <issuer>/jwks.
        cluster = p["oidc_discovery"]["cluster"]
        out["remote_jwks"] = {"http_uri": {"uri": p["issuer"] + "/jwks", "cluster": cluster, "timeout": "5s"}}
    for key in ("from_headers", "from_params", "from_cookies", "forward_payload_header", "pad_forward_payload_header",
                "subjects", "claim_to_headers"):
        if key in p:
            out[key] = p[key]
    return out


def to_native(plugin_config: dict) -> dict:
    """The native jwt_authn configuration equivalent to a plugin configuration."""
    providers = {name: _native_provider(p) for name, p in plugin_config["providers"].items()}
    rules = []
    for rule in plugin_config.get("rules") or []:
        match = {k: rule["match"][k] for k in ("prefix", "path") if k in rule["match"]}
        headers = list(rule["match"].get("headers", []))  # the same HeaderMatcher spelling
        if rule["match"].get("methods"):
            regex = "^(" + "|".join(rule["match"]["methods"]) + ")$"
            headers.append({"name": ":method", "string_match": {"safe_regex": {"regex": regex}}})
        if headers:
            match["headers"] = headers
        native_rule = {"match": match}
        if rule.get("requires") is not None:
            native_rule["requires"] = _native_requirement(rule["requires"])
        rules.append(native_rule)
    if "rules" not in plugin_config:
        names = list(providers)
        req = ({"provider_name": names[0]} if len(names) == 1 else
               {"requires_any": {"requirements": [{"provider_name": n} for n in names]}})
        rules = [{"match": {"prefix": "/"}, "requires": req}]
    return {"providers": providers, "rules": rules,
            "bypass_cors_preflight": plugin_config.get("bypass_cors_preflight", False)}
