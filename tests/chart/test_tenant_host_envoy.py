"""ci/tenant-host-values.yaml in real Envoy: on a gateway shared by several hosts, the filter's
rules exempt the other tenants' hosts and demand a token for tenant-a.example.com, however the
client spells it."""
import copy

import pytest
import requests
import yaml

from chartlib import one, render_set
from demo_issuer_proc import DemoIssuer
from support.echo import echo_server
from support.envoy import Envoy
from support.envoy_config import Layout, Ports, render_dict
from support.ports import free_port

TENANT = "tenant-a.example.com"


@pytest.fixture(scope="module")
def gateway(wasm_module):
    cfg = copy.deepcopy(one(render_set("tenant-host"), "WasmPlugin")["spec"]["pluginConfig"])
    demo = DemoIssuer(cfg["providers"]["demo"]["issuer"])
    echo = echo_server()
    envoy = None
    try:
        demo.start()
        echo.start()
        # The in-cluster JWKS URL, pointed at the demo issuer on loopback.
        cfg["providers"]["demo"]["remote_jwks"] = {"uri": demo.url + "/jwks", "cluster": "issuer", "timeout_ms": 2000}
        ports = Ports(admin=free_port(), listen=free_port(), echo=echo.port, issuer=demo.port)
        config = render_dict(Layout(ports=ports, wasm_path=str(wasm_module)), cfg)
        envoy = Envoy(yaml.safe_dump(config, sort_keys=False), ports.admin)
        envoy.start()
        yield f"http://127.0.0.1:{ports.listen}/headers", demo
    finally:
        for part in (envoy, echo, demo):
            if part is not None:
                part.stop()


def call(url: str, host: str, token: str | None = None, **headers) -> requests.Response:
    if token:
        headers["authorization"] = f"Bearer {token}"
    return requests.get(url, headers={"host": host, **headers}, timeout=15)


@pytest.mark.parametrize("host", [TENANT, TENANT.upper(), f"{TENANT}:80", "unknown.example.com"])
def test_the_tenant_host_needs_a_token_in_any_spelling(gateway, host):
    url, _demo = gateway
    assert call(url, host).status_code == 401


def test_the_tenant_host_takes_a_valid_token(gateway):
    url, demo = gateway
    resp = call(url, TENANT, demo.token(sub="alice"))
    assert resp.status_code == 200
    assert resp.json()["headers"]["x-jwt-sub"] == "alice"


@pytest.mark.parametrize("host", ["tenant-b.example.com", "tenant-c.example.com"])
def test_other_tenants_pass_without_a_token_but_never_with_a_forged_claim_header(gateway, host):
    url, _demo = gateway
    resp = call(url, host, **{"x-jwt-sub": "alice"})
    assert resp.status_code == 200
    # The filter still runs there: a claim header it manages never comes from the client.
    assert "x-jwt-sub" not in resp.json()["headers"]
