"""Claim-based routing in real Envoy: the filter writes `x-tenant` from the token's `tid` claim and has
Envoy choose the route again (`clear_route_cache`), so routes that match on `x-tenant` see the claim.
A client-sent `x-tenant` is removed before the route is chosen again: it never selects a route. The
CORS filter runs first, as in Istio's chain. (Envoy 1.40's wasm host also re-chooses the route when a
filter changes request headers; the explicit clear is for hosts that do not.)"""
import pytest
import yaml

from support.envoy import Envoy
from support.envoy_config import render_dict
from support.keys import jwks, make_key
from support.plugin import remote_provider
from support.stack import Stack
from support.tokens import claims, sign

KEY = make_key("ES256", kid="routing-1")


def _tenant_route(tenant: str) -> dict:
    return {"match": {"prefix": "/", "headers": [{"name": "x-tenant", "string_match": {"exact": tenant}}]},
            "direct_response": {"status": 200, "body": {"inline_string": f"tenant {tenant}"}}}


@pytest.fixture(scope="module")
def stack(each_build, wasm_module):
    st = Stack()
    try:
        st.issuer.set_jwks(jwks(KEY))
        plugin = {"providers": {"p": {**remote_provider(st.issuer, "issuer", timeout_ms=2000),
                                      "claim_to_headers": [{"header_name": "x-tenant", "claim_name": "tid"}]}},
                  "rules": [{"match": {"prefix": "/public"}},
                            {"match": {"prefix": "/"}, "requires": {"provider_name": "p"}}]}
        doc = render_dict(st.layout(), plugin)
        hcm = doc["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
        routes = hcm["route_config"]["virtual_hosts"][0]["routes"]
        routes[:0] = [_tenant_route("a"), _tenant_route("b")]
        # A filter ahead of this one, as in Istio's chain.
        hcm["http_filters"].insert(0, {"name": "envoy.filters.http.cors", "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors"}})
        st.echo.start()
        st.issuer.start()
        st.envoy = Envoy(yaml.safe_dump(doc, sort_keys=False), st.ports.admin)
        st.envoy.start()
        yield st
    finally:
        st.stop()


def _token(st, **claim) -> str:
    return sign(KEY, claims(st.issuer.issuer, **claim))


def test_the_route_follows_the_claim(stack):
    for tenant in ("a", "b"):
        resp = stack.request("/orders", _token(stack, tid=tenant))
        assert (resp.status_code, resp.text) == (200, f"tenant {tenant}"), stack.envoy.log_tail()


def test_a_client_sent_header_never_selects_a_route(stack):
    st = stack
    # Forged alone, with a token that has no tenant: the default route (the echo upstream),
    # which does not see the forged header.
    resp = st.request("/orders", _token(st), headers={"x-tenant": "a"})
    assert resp.status_code == 200 and "x-tenant" not in resp.json()["headers"], resp.text
    # Forged next to a token for the other tenant: the claim wins.
    resp = st.request("/orders", _token(st, tid="b"), headers={"x-tenant": "a"})
    assert (resp.status_code, resp.text) == (200, "tenant b")
    # On a path that needs no token, the forged header is removed all the same.
    resp = st.request("/public", headers={"x-tenant": "a"})
    assert resp.status_code == 200 and "x-tenant" not in resp.json()["headers"], resp.text


def test_a_refused_token_never_reaches_a_tenant_route(stack):
    resp = stack.request("/orders", "not.a.jwt", headers={"x-tenant": "a"})
    assert resp.status_code == 401
