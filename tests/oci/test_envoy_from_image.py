"""What a gateway would run: the module as pulled back from the registry, configured with the
gateway WasmPlugin's own pluginConfig, in real Envoy. The issuer cluster carries the name
Istio gives it (outbound|443||<host>); TLS origination is Istio's part and left out here."""
import json
from urllib.parse import urlparse

import pytest
import requests
import yaml

from oci import tool
from support.echo import echo_server
from support.envoy import Envoy
from support.envoy_config import Layout, Ports, render
from support.issuer import Issuer
from support.keys import jwks, make_key
from support.paths import REPO
from support.ports import free_port
from support.tokens import claims, sign

GATEWAY = REPO / "wasmplugin" / "manifests" / "gateway.yaml"


def gateway_plugin_config() -> dict:
    [plugin] = [d for d in yaml.safe_load_all(GATEWAY.read_text()) if d and d["kind"] == "WasmPlugin"]
    return plugin["spec"]["pluginConfig"]


@pytest.fixture
def gateway(oci_push, module, open_registry, tmp_path, request):
    variant = request.param
    ref = f"{open_registry.host}/gateway/jwt-authn-wasm:{variant}"
    tool.run("push", "--wasm", str(module), "--variant", variant, "--image", ref).digest
    pulled = tmp_path / "plugin.wasm"
    assert tool.run("pull", "--image", ref, "--out", str(pulled)).code == 0

    config = gateway_plugin_config()
    [(name, provider)] = config["providers"].items()
    key = make_key("RS256", kid="gateway-key")
    issuer = Issuer(public_url=provider["issuer"], jwks=jwks(key))
    issuer.serve(urlparse(provider["remote_jwks"]["uri"]).path, json.dumps(jwks(key)).encode())
    echo = echo_server()
    ports = Ports(admin=free_port(), listen=free_port(), echo=echo.port, issuer=issuer.port)
    layout = Layout(ports=ports, wasm_path=str(pulled),
                    clusters={provider["remote_jwks"]["cluster"]: ("127.0.0.1", issuer.port)})
    envoy = Envoy(render(layout, config), ports.admin)
    try:
        issuer.start()
        echo.start()
        envoy.start()
        yield envoy, issuer, key, provider, f"http://127.0.0.1:{ports.listen}"
    finally:
        try:
            envoy.close()
        finally:
            echo.stop()
            issuer.stop()


@pytest.mark.parametrize("gateway", ["wasm", "compat"], indirect=True)
def test_pulled_module_enforces_the_gateway_config(gateway):
    envoy, issuer, key, provider, base = gateway
    assert requests.get(f"{base}/healthz", timeout=10).status_code == 200

    missing = requests.get(f"{base}/orders", timeout=10)
    assert (missing.status_code, missing.text) == (401, "Jwt is missing")

    good = sign(key, claims(provider["issuer"], aud=provider["audiences"][0], sub="alice"))
    ok = requests.get(f"{base}/orders", headers={"authorization": f"Bearer {good}"}, timeout=15)
    assert ok.status_code == 200, (ok.status_code, ok.text, envoy.log_tail())
    assert ok.json()["headers"]["x-jwt-sub"] == "alice"
    assert "authorization" not in ok.json()["headers"]

    other_aud = sign(key, claims(provider["issuer"], aud="someone-else"))
    denied = requests.get(f"{base}/orders", headers={"authorization": f"Bearer {other_aud}"}, timeout=10)
    assert denied.status_code == 403
    assert issuer.fetches(urlparse(provider["remote_jwks"]["uri"]).path) >= 1
