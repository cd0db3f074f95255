"""Authorization on claims at an Istio gateway, in real Envoy: the filter turns the verified `sub` into
`x-jwt-sub` (claim_to_headers in wasmplugin/manifests/gateway.yaml) and an AuthorizationPolicy on
`request.headers[x-jwt-sub]` decides, compiled into the RBAC filter istiod generates
(support/istio_filters.py) and placed after the WasmPlugin as Istio places AUTHN-phase plugins.
A header the client sends is never what RBAC sees."""
import copy

import pytest
import yaml

from support.istio_filters import header_policy, rbac_http_filter
from support.istio_gateway import IstioGateway, load_wasmplugin
from support.keys import make_key
from support.ports import free_port

KEY = make_key("ES256", kid="authz-1")
RBAC_DENIED = "RBAC: access denied"


def _policy(name: str, action: str, subject: str) -> dict:
    """An AuthorizationPolicy as a user writes it: `action` when the verified subject is `subject`."""
    return header_policy(name, action, [subject])


ALLOW_ALICE = _policy("jwt-authn", "ALLOW", "alice")
DENY_MALLORY = _policy("deny-mallory", "DENY", "mallory")


@pytest.fixture(scope="module")
def manifest() -> dict:
    plugin = load_wasmplugin()
    headers = [c["header_name"] for p in plugin["spec"]["pluginConfig"]["providers"].values()
               for c in p.get("claim_to_headers", [])]
    assert "x-jwt-sub" in headers, "the recipe relies on the manifest's claim_to_headers"
    return plugin


def _gateway(wasm_module, plugin, *policies):
    return IstioGateway(plugin, wasm_module, KEY, policies=policies)


@pytest.fixture(scope="module")
def allow_alice(wasm_module, manifest):
    with _gateway(wasm_module, manifest, ALLOW_ALICE) as gw:
        yield gw


@pytest.fixture(scope="module")
def deny_mallory(wasm_module, manifest):
    with _gateway(wasm_module, manifest, DENY_MALLORY) as gw:
        yield gw


def _http_filters(gw) -> list[dict]:
    hcm = gw.config_dump("static_listeners")[0]["listener"]["filter_chains"][0]["filters"][0]["typed_config"]
    return hcm["http_filters"]


def test_istio_compiles_the_policy_into_a_header_principal():
    """The shape of pilot/pkg/security/authz's golden files for a `when` on request.headers."""
    assert rbac_http_filter(ALLOW_ALICE)["typed_config"] == {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC",
        "rules": {"policies": {"ns[istio-ingress]-policy[jwt-authn]-rule[0]": {
            "permissions": [{"and_rules": {"rules": [{"any": True}]}}],
            "principals": [{"and_ids": {"ids": [{"or_ids": {"ids": [
                {"header": {"name": "x-jwt-sub", "string_match": {"exact": "alice"}}}]}}]}}]}}},
        "shadow_rules_stat_prefix": "istio_dry_run_allow_"}


def test_rbac_runs_after_the_wasm_filter(allow_alice):
    names = [f["name"] for f in _http_filters(allow_alice)]
    assert names.index(allow_alice.filter_name) < names.index("envoy.filters.http.rbac"), names


def test_alice_is_allowed_and_the_upstream_sees_her_subject(allow_alice):
    resp = allow_alice.request("/headers", allow_alice.token(sub="alice"))
    assert resp.status_code == 200, resp.text
    assert resp.json()["headers"]["x-jwt-sub"] == "alice"


def test_bob_is_denied_by_rbac(allow_alice):
    gw = allow_alice
    before = gw.envoy.stats(filter="rbac").get("http.jwt.rbac.denied", 0)
    seen = gw.echo.requests()
    resp = gw.request("/headers", gw.token(sub="bob"))
    assert (resp.status_code, resp.text) == (403, RBAC_DENIED)
    assert gw.envoy.stats(filter="rbac").get("http.jwt.rbac.denied", 0) == before + 1
    assert gw.echo.requests() == seen


def test_no_token_is_401_from_the_filter_before_rbac(allow_alice):
    resp = allow_alice.request("/headers")
    assert (resp.status_code, resp.text) == (401, "Jwt is missing")


def test_a_forged_subject_next_to_bobs_token_is_denied(allow_alice):
    gw = allow_alice
    seen = gw.echo.requests()
    resp = gw.request("/headers", gw.token(sub="bob"), headers={"x-jwt-sub": "alice"})
    assert (resp.status_code, resp.text) == (403, RBAC_DENIED)
    assert gw.echo.requests() == seen


def test_a_forged_subject_next_to_alices_token_is_replaced(allow_alice):
    resp = allow_alice.request("/headers", allow_alice.token(sub="alice"), headers={"x-jwt-sub": "bob"})
    assert resp.status_code == 200
    assert resp.json()["headers"]["x-jwt-sub"] == "alice"  # one value, the claim's


def test_a_forged_subject_without_token_is_removed_then_denied(allow_alice):
    """/healthz needs no token (allow_missing): the filter lets the request on but removes the
    client's x-jwt-sub, so RBAC sees no subject."""
    gw = allow_alice
    seen = gw.echo.requests()
    resp = gw.request("/healthz", headers={"x-jwt-sub": "alice"})
    assert (resp.status_code, resp.text) == (403, RBAC_DENIED)
    assert gw.echo.requests() == seen


def test_deny_policy_refuses_only_its_subject(deny_mallory):
    gw = deny_mallory
    assert gw.request("/headers", gw.token(sub="alice")).status_code == 200
    resp = gw.request("/headers", gw.token(sub="mallory"))
    assert (resp.status_code, resp.text) == (403, RBAC_DENIED)
    # mallory cannot pass as someone else, and nobody can pass as mallory's victim by forging
    resp = gw.request("/headers", gw.token(sub="mallory"), headers={"x-jwt-sub": "alice"})
    assert (resp.status_code, resp.text) == (403, RBAC_DENIED)
    resp = gw.request("/healthz", headers={"x-jwt-sub": "mallory"})
    assert resp.status_code == 200 and "x-jwt-sub" not in resp.json()["headers"]


@pytest.mark.parametrize("phase, status", [("AUTHZ", 403), ("STATS", 200), (None, 200)])
def test_only_a_plugin_before_rbac_protects_the_policy(wasm_module, manifest, phase, status):
    """Why the phase matters: AUTHZ, like AUTHN, runs before RBAC; a STATS-phase or phase-less plugin
    runs after it, so RBAC judges the client's own header and a forged subject gets through."""
    plugin = copy.deepcopy(manifest)
    plugin["spec"].pop("phase", None)
    if phase is not None:
        plugin["spec"]["phase"] = phase
    with _gateway(wasm_module, plugin, ALLOW_ALICE) as gw:
        resp = gw.request("/headers", gw.token(sub="bob"), headers={"x-jwt-sub": "alice"})
        assert resp.status_code == status, resp.text
        if status == 200:
            assert resp.json()["headers"]["x-jwt-sub"] == "bob"  # RBAC had judged "alice"


# A gateway that serves a second port (a 443 server next to the chart's 80, say) where the WasmPlugin
# does not run: its match names the first port only, as the chart's does. RBAC runs on both: an
# AuthorizationPolicy selects pods, never listeners. Ports as Envoy binds them (on a gateway, the
# Service's targetPort), here two loopback ports.
def _scoped(policy: dict, port: int) -> dict:
    """The policy as the chart renders it: every rule holds only on the port the filter covers."""
    out = copy.deepcopy(policy)
    for rule in out["spec"]["rules"]:
        rule["to"] = [{"operation": {"ports": [str(port)]}}]
    return out


def _two_port_gateway(wasm_module, manifest, policy_for_port):
    filtered, other = free_port(), free_port()
    plugin = copy.deepcopy(manifest)
    plugin["spec"]["match"] = [{"ports": [{"number": filtered}]}]
    gw = IstioGateway(plugin, wasm_module, KEY, policies=(policy_for_port(filtered),),
                      server_ports=(other,), listen_port=filtered)
    return gw, other


DENY_ALL_BUT_ALICE = yaml.safe_load("""
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-all-but-alice, namespace: istio-ingress}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  action: DENY
  rules:
    - when:
        - key: request.headers[x-jwt-sub]
          notValues: ["alice"]
""")


@pytest.fixture(scope="module")
def two_ports(wasm_module, manifest):
    gw, other = _two_port_gateway(wasm_module, manifest, lambda port: _scoped(ALLOW_ALICE, port))
    with gw:
        yield gw, other


def test_the_plugin_is_on_the_matched_listener_only(two_ports):
    gw, other = two_ports
    filters = {lst["listener"]["address"]["socket_address"]["port_value"]:
               [f["name"] for f in lst["listener"]["filter_chains"][0]["filters"][0]["typed_config"]["http_filters"]]
               for lst in gw.config_dump("static_listeners")}
    assert gw.filter_name in filters[gw.port] and "envoy.filters.http.rbac" in filters[gw.port]
    assert gw.filter_name not in filters[other] and "envoy.filters.http.rbac" in filters[other]


def test_the_scoped_policy_still_lets_alice_in_on_the_filtered_port(two_ports):
    gw, _ = two_ports
    resp = gw.request("/headers", gw.token(sub="alice"))
    assert resp.status_code == 200 and resp.json()["headers"]["x-jwt-sub"] == "alice"
    resp = gw.request("/headers", gw.token(sub="bob"), headers={"x-jwt-sub": "alice"})
    assert (resp.status_code, resp.text) == (403, RBAC_DENIED)


@pytest.mark.parametrize("token_sub", [None, "bob", "alice"])
def test_a_forged_subject_on_the_other_port_never_passes(two_ports, token_sub):
    """No filter there writes or removes x-jwt-sub: the scoped ALLOW policy holds nowhere else, so
    whatever the client sends, token or header, the other port answers 403."""
    gw, other = two_ports
    seen = gw.echo.requests()
    token = gw.token(sub=token_sub) if token_sub else None
    resp = gw.request("/headers", token, headers={"x-jwt-sub": "alice"}, port=other)
    assert (resp.status_code, resp.text) == (403, RBAC_DENIED)
    assert gw.echo.requests() == seen


def test_a_port_blind_policy_lets_a_forged_subject_in_on_the_other_port(wasm_module, manifest):
    """Why the chart scopes the policy: the same ALLOW policy without ports admits a client that sends
    `x-jwt-sub: alice` itself on the port where the filter does not run."""
    gw, other = _two_port_gateway(wasm_module, manifest, lambda _port: ALLOW_ALICE)
    with gw:
        resp = gw.request("/headers", headers={"x-jwt-sub": "alice"}, port=other)
        assert resp.status_code == 200 and resp.json()["headers"]["x-jwt-sub"] == "alice"


def test_a_scoped_deny_policy_gives_a_forged_subject_nothing_on_either_port(wasm_module, manifest):
    """DENY all but alice: on the filtered port a forged alice is replaced by the token's subject (or
    removed); on the other port the policy does not hold, so the header decides nothing there."""
    gw, other = _two_port_gateway(wasm_module, manifest, lambda port: _scoped(DENY_ALL_BUT_ALICE, port))
    with gw:
        resp = gw.request("/headers", gw.token(sub="bob"), headers={"x-jwt-sub": "alice"})
        assert (resp.status_code, resp.text) == (403, RBAC_DENIED)
        assert gw.request("/headers", gw.token(sub="alice")).status_code == 200
        plain = gw.request("/headers", port=other).status_code
        forged = gw.request("/headers", headers={"x-jwt-sub": "alice"}, port=other).status_code
        assert plain == forged == 200
