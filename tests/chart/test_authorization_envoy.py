"""The chart's own WasmPlugin match and AuthorizationPolicy (ci/remapped-gateway-values.yaml) on a
gateway shaped as istiod builds it, in real Envoy: the route's listener (ingress.targetPort) runs
the filter, a second listener of the same gateway does not, and RBAC runs on both. A forged
x-jwt-sub passes on neither. The listener ports are loopback ports standing in for 8080 and 8443."""
import copy

import pytest

from chartlib import VALUE_SETS, one, render
from support.istio_gateway import IstioGateway, load_wasmplugin
from support.keys import make_key
from support.ports import free_port

KEY = make_key("ES256", kid="chart-authz-1")
RBAC_DENIED = "RBAC: access denied"


@pytest.fixture(scope="module")
def gateway(wasm_module):
    route, other = free_port(), free_port()
    docs = render(VALUE_SETS["remapped-gateway"], sets={"ingress.targetPort": str(route)})
    chart_plugin, policy = one(docs, "WasmPlugin"), one(docs, "AuthorizationPolicy")
    # The module and its provider as the gateway manifest has them (a loopback JWKS), placed as the chart places it.
    plugin = load_wasmplugin()
    plugin["metadata"] = copy.deepcopy(chart_plugin["metadata"])
    plugin["spec"]["match"] = chart_plugin["spec"]["match"]
    with IstioGateway(plugin, wasm_module, KEY, policies=(policy,), server_ports=(other,), listen_port=route) as gw:
        yield gw, other


def test_the_chart_scopes_both_to_the_route_listener(gateway):
    gw, _ = gateway
    assert gw.wasm_plugin["spec"]["match"] == [{"ports": [{"number": gw.port}]}]
    assert [r["to"] for r in gw.policies[0]["spec"]["rules"]] == [[{"operation": {"ports": [str(gw.port)]}}]]


def test_alice_passes_and_bob_is_denied_on_the_route_listener(gateway):
    gw, _ = gateway
    resp = gw.request("/headers", gw.token(sub="alice"))
    assert resp.status_code == 200 and resp.json()["headers"]["x-jwt-sub"] == "alice"
    resp = gw.request("/headers", gw.token(sub="bob"), headers={"x-jwt-sub": "alice"})
    assert (resp.status_code, resp.text) == (403, RBAC_DENIED)


@pytest.mark.parametrize("sub", [None, "alice"])
def test_a_forged_subject_on_the_other_listener_is_denied(gateway, sub):
    gw, other = gateway
    seen = gw.echo.requests()
    resp = gw.request("/headers", gw.token(sub=sub) if sub else None, headers={"x-jwt-sub": "alice"}, port=other)
    assert (resp.status_code, resp.text) == (403, RBAC_DENIED)
    assert gw.echo.requests() == seen
