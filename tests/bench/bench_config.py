"""One Envoy, six listeners in front of the same direct_response route: plain, native jwt_authn,
native jwt_authn with its JWT cache, the jwt_authn_wasm filter, a no-op wasm filter, and the
same engine as a dynamic module."""
import copy
import json

import yaml

from support.build import dynamic_filter
from support.envoy_config import to_native

LISTENERS = ("plain", "native", "native_cache", "wasm", "noop", "dynamic")
# Its counters apart from the wasm listener's (which are under wasmcustom.).
DYNAMIC_NAMESPACE = "dynamicmodulescustom"
HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
ROUTER = {"name": "envoy.filters.http.router",
          "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}
JWT_AUTHN = "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication"
# Both caches hold this many tokens; the cache-miss case rotates through more than that.
CACHE_SIZE = 1000


def plugin_config(issuer: str, jwks_text: str) -> dict:
    return {"providers": {"bench": {"issuer": issuer, "local_jwks": {"inline_string": jwks_text}}},
            "token_cache_size": CACHE_SIZE}


def _wasm_filter(name: str, path: str, configuration: str) -> dict:
    return {"name": name, "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
        "config": {"name": name, "root_id": name,
                   "vm_config": {"vm_id": name, "runtime": "envoy.wasm.runtime.v8",
                                 "code": {"local": {"filename": path}}},
                   "configuration": {"@type": "type.googleapis.com/google.protobuf.StringValue",
                                     "value": configuration}}}}


def _listener(name: str, port: int, filters: list) -> dict:
    route = {"match": {"prefix": "/"}, "direct_response": {"status": 200, "body": {"inline_string": "ok\n"}}}
    return {"name": name, "address": {"socket_address": {"address": "127.0.0.1", "port_value": port}},
            "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": {
                "@type": HCM, "stat_prefix": name, "codec_type": "AUTO",
                "route_config": {"name": name, "virtual_hosts": [{"name": name, "domains": ["*"],
                                                                  "routes": [route]}]},
                "http_filters": filters + [ROUTER]}}]}]}


def render(admin_port: int, ports: dict, issuer: str, jwks_text: str, wasm_path: str, noop_path: str) -> str:
    plugin = plugin_config(issuer, jwks_text)
    native = to_native(plugin)
    cached = copy.deepcopy(native)
    for provider in cached["providers"].values():
        provider["jwt_cache_config"] = {"jwt_cache_size": CACHE_SIZE}
    filters = {
        "plain": [],
        "native": [{"name": "envoy.filters.http.jwt_authn", "typed_config": {"@type": JWT_AUTHN, **native}}],
        "native_cache": [{"name": "envoy.filters.http.jwt_authn", "typed_config": {"@type": JWT_AUTHN, **cached}}],
        "wasm": [_wasm_filter("jwt_authn_wasm", wasm_path, json.dumps(plugin))],
        "noop": [_wasm_filter("noop", noop_path, "")],
        "dynamic": [dynamic_filter(json.dumps(plugin), DYNAMIC_NAMESPACE)],
    }
    doc = {"admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": admin_port}}},
           "static_resources": {"listeners": [_listener(n, ports[n], filters[n]) for n in LISTENERS]}}
    return yaml.safe_dump(doc, sort_keys=False, width=120)
