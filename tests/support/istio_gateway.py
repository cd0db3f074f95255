"""An Envoy configured like an Istio ingress gateway's: the WasmPlugin's filter arrives by ECDS (from a
file here, over ADS in a mesh) in the shape support/istio_filters.py reproduces, AuthorizationPolicies
are RBAC filters, and the provider's JWKS cluster (named as Istio names a ServiceEntry's) leads to a
loopback issuer."""
import copy
import json
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import requests
import yaml

from . import build
from .envoy import Envoy
from .envoy_config import render_dict
from .issuer import Issuer
from .istio_filters import (GATEWAY, agent_fetch_failure_config, ecds_http_filter, gateway_http_filters,
                            plugin_config_json, plugin_matches_listener, rbac_http_filter, resource_name,
                            wasm_extension_config, write_ecds)
from .keys import SigningKey, jwks
from .paths import REPO
from .stack import Stack
from .tokens import claims, sign

GATEWAY_WASMPLUGIN = REPO / "wasmplugin" / "manifests" / "gateway.yaml"
ECDS_STATS = "extension_config_discovery.http_filter."
# How Istio names a gateway pod's proxy; a file subscription, like ADS, needs a node.
NODE = {"id": "router~127.0.0.1~istio-ingressgateway-0.istio-ingress~istio-ingress.svc.cluster.local",
        "cluster": "istio-ingressgateway.istio-ingress"}


def load_wasmplugin(path: Path = GATEWAY_WASMPLUGIN) -> dict:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d and d.get("kind") == "WasmPlugin"]
    assert len(docs) == 1, f"{path}: expected one WasmPlugin"
    return docs[0]


def remote_providers(wasm_plugin: dict) -> dict:
    providers = wasm_plugin["spec"]["pluginConfig"]["providers"]
    return {name: p for name, p in providers.items() if "remote_jwks" in p}


class IstioGateway:
    """`wasm_plugin` and `policies` are the manifests as a user applies them; every remote provider's
    JWKS is served with `key` by one loopback issuer. `server_ports`: more ports the gateway listens
    on (a Gateway with more servers); each gets a listener as istiod builds one for a port, with the
    plugin only if its `match` selects that port, and RBAC always. `listen_port`: the first
    listener's, when the manifests must name it."""

    def __init__(self, wasm_plugin: dict, module_path: Path, key: SigningKey, policies: tuple = (),
                 server_ports: tuple = (), listen_port: int | None = None):
        self.wasm_plugin = copy.deepcopy(wasm_plugin)
        self.module_path = str(module_path)
        self.key = key
        self.policies = policies
        meta = wasm_plugin["metadata"]
        self.filter_name = resource_name(meta["namespace"], meta["name"])
        self.stack = Stack(issuers={"issuer": Issuer()})
        if listen_port is not None:
            self.stack.ports.listen = listen_port
        self.server_ports = tuple(server_ports)
        self._dir = tempfile.TemporaryDirectory(prefix="ecds-")
        self.ecds_path = Path(self._dir.name) / "extension_config.json"
        self._version = 0

    @property
    def echo(self):
        return self.stack.echo

    @property
    def envoy(self) -> Envoy:
        return self.stack.envoy

    def _config(self) -> dict:
        layout = self.stack.layout()
        layout.wasm_path = self.module_path
        for provider in remote_providers(self.wasm_plugin).values():
            layout.clusters[provider["remote_jwks"]["cluster"]] = ("127.0.0.1", self.stack.issuer.port)
        doc = render_dict(layout, {})
        listeners = doc["static_resources"]["listeners"]
        first = listeners[0]
        for port in self.server_ports:
            # gateway.go names a gateway's listener <bind>_<port>, its HCM stats outbound_<name>.
            extra = copy.deepcopy(first)
            extra["name"] = f"0.0.0.0_{port}"
            extra["address"]["socket_address"]["port_value"] = port
            extra["filter_chains"][0]["filters"][0]["typed_config"]["stat_prefix"] = f"outbound_0.0.0.0_{port}"
            listeners.append(extra)
        spec = self.wasm_plugin["spec"]
        phase = spec.get("phase", "UNSPECIFIED_PHASE")
        for listener in listeners:
            port = listener["address"]["socket_address"]["port_value"]
            plugins = ([self._ecds_filter()] if plugin_matches_listener(spec.get("match"), port, GATEWAY) else [])
            hcm = listener["filter_chains"][0]["filters"][0]["typed_config"]
            hcm["http_filters"] = gateway_http_filters({phase: plugins} if plugins else {},
                                                       [rbac_http_filter(p) for p in self.policies])
        doc["node"] = NODE
        return doc

    def _ecds_filter(self) -> dict:
        entry = ecds_http_filter(self.filter_name, self.ecds_path)
        if build.current() == "dynamic":
            entry["config_discovery"]["type_urls"].append(build.dynamic_filter("")["typed_config"]["@type"])
        return entry

    def _extension_config(self, wasm_plugin: dict) -> dict:
        """The filter the plugin's ECDS resource carries: the wasm module, or with the dynamic-module
        build (support/build.py) that module's filter, with the same plugin configuration."""
        if build.current() != "dynamic":
            return wasm_extension_config(wasm_plugin, self.module_path)
        config = plugin_config_json(wasm_plugin["spec"].get("pluginConfig") or {})
        return {"name": self.filter_name, "typed_config": build.dynamic_filter(config)["typed_config"]}

    @property
    def port(self) -> int:
        """The first listener's port."""
        return self.stack.ports.listen

    def publish(self, wasm_plugin: dict, fetched: bool = True):
        """What istiod and the agent do when the WasmPlugin changes: a new ECDS version; `fetched=False`
        is the agent's answer when the module cannot be downloaded."""
        self._version += 1
        resource = self._extension_config(wasm_plugin) if fetched else agent_fetch_failure_config(wasm_plugin)
        write_ecds(self.ecds_path, [resource], str(self._version))

    def start(self):
        for provider in remote_providers(self.wasm_plugin).values():
            self.stack.issuer.serve(urlsplit(provider["remote_jwks"]["uri"]).path,
                                    json.dumps(jwks(self.key)).encode())
        self.publish(self.wasm_plugin)
        self.stack.echo.start()
        self.stack.issuer.start()
        self.stack.envoy = Envoy(yaml.safe_dump(self._config(), sort_keys=False), self.stack.ports.admin)
        self.stack.envoy.start()
        return self

    def stop(self):
        try:
            self.stack.stop()
        finally:
            self._dir.cleanup()

    def __enter__(self):
        # `with` calls __exit__ only after __enter__ returned: a start that fails stops here.
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()

    def token(self, provider: str | None = None, **claim) -> str:
        """A token the named provider (default: the first) accepts, with `claim` overriding claims."""
        providers = self.wasm_plugin["spec"]["pluginConfig"]["providers"]
        p = providers[provider or next(iter(providers))]
        body = {"aud": (p.get("audiences") or ["api"])[0], **claim}
        return sign(self.key, claims(p["issuer"], **body))

    def request(self, path: str = "/", token: str | None = None, headers: dict | None = None,
                port: int | None = None) -> requests.Response:
        """To the first listener, or to the one on `port`."""
        if port is None:
            return self.stack.request(path, token, headers)
        h = {**(headers or {}), **({"authorization": f"Bearer {token}"} if token is not None else {})}
        return requests.get(f"http://127.0.0.1:{port}{path}", headers=h, timeout=15)

    def ecds_stat(self, name: str):
        """The filter's ECDS counter or text value, e.g. `update_rejected`, `version_text`."""
        full = f"{ECDS_STATS}{self.filter_name}.{name}"
        text = requests.get(self.envoy.admin + "/stats", params={"filter": f"^{full}$"}, timeout=5).text
        value = text.partition(": ")[2].strip()
        return int(value) if value.isdigit() else value.strip('"')

    def config_dump(self, resource: str) -> list[dict]:
        resp = requests.get(self.envoy.admin + "/config_dump", params={"resource": resource}, timeout=5)
        resp.raise_for_status()
        return resp.json().get("configs", [])
