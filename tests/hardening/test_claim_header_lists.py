"""A comma inside a claim and repeated claim headers cannot widen what an AuthorizationPolicy on that header
allows (the class of Envoy CVE-2026-26308), at an Istio gateway in real Envoy: the filter writes `x-jwt-sub`
from `sub` (wasmplugin/manifests/gateway.yaml), and the RBAC filter istiod generates (support/istio_filters.py)
judges it after the filter.

Envoy 1.40's RBAC matches each header line on its own and never splits a line on commas, while an upstream
that reads the header as an HTTP list (RFC 9110 §5.3) splits `alice,mallory` into two values. So a claim
written verbatim with a comma would pass a DENY on `mallory`, or a prefix ALLOW on `svc-*`, and still read as
`mallory` behind it. The filter does not write a string claim containing a comma (native jwt_authn writes it
as is), and it removes every client line of the headers it writes, however many."""
import pytest

from support.istio_filters import header_policy
from support.istio_gateway import IstioGateway, load_wasmplugin
from support.keys import make_key

KEY = make_key("ES256", kid="lists-1")
RBAC_DENIED = "RBAC: access denied"


def _policy(name: str, action: str, values: list[str]) -> dict:
    return header_policy(name, action, values)


@pytest.fixture(scope="module")
def deny_mallory(each_build, wasm_module):
    with IstioGateway(load_wasmplugin(), wasm_module, KEY, policies=(_policy("deny", "DENY", ["mallory"]),)) as gw:
        yield gw


@pytest.fixture(scope="module")
def allow_services(each_build, wasm_module):
    with IstioGateway(load_wasmplugin(), wasm_module, KEY, policies=(_policy("allow", "ALLOW", ["svc-*"]),)) as gw:
        yield gw


def test_a_comma_claim_does_not_slip_past_a_deny(deny_mallory):
    gw = deny_mallory
    resp = gw.request("/headers", gw.token(sub="mallory"))
    assert (resp.status_code, resp.text) == (403, RBAC_DENIED)
    # RBAC would see "alice,mallory" as one value, not "mallory": the upstream must not see it at all.
    resp = gw.request("/headers", gw.token(sub="alice,mallory"))
    assert resp.status_code == 200, resp.text
    assert "x-jwt-sub" not in resp.json()["headers"]
    # A claim without a comma is still written.
    resp = gw.request("/headers", gw.token(sub="alice"))
    assert resp.status_code == 200 and resp.json()["headers"]["x-jwt-sub"] == "alice"


def test_a_comma_claim_does_not_widen_a_prefix_allow(allow_services):
    gw = allow_services
    assert gw.request("/headers", gw.token(sub="svc-a")).status_code == 200
    seen = gw.echo.requests()
    resp = gw.request("/headers", gw.token(sub="svc-a,admin"))
    assert (resp.status_code, resp.text) == (403, RBAC_DENIED)
    assert gw.echo.requests() == seen


@pytest.mark.parametrize("forged", [
    [("x-jwt-sub", "alice"), ("x-jwt-sub", "alice")],
    [("x-jwt-sub", "alice"), ("x-jwt-sub", "alice,bob")],
    [("x-jwt-sub", "alice,alice")],
])
def test_repeated_client_lines_never_reach_rbac_or_the_upstream(deny_mallory, allow_services, forged):
    # mallory's own token next to lines naming someone else: the filter's single line decides.
    gw = deny_mallory
    seen = gw.echo.requests()
    auth = [("authorization", f"Bearer {gw.token(sub='mallory')}")]
    assert gw.stack.raw_status("/headers", forged + auth) == 403
    assert gw.echo.requests() == seen
    # No token on a path that needs none: every forged line is removed, so the prefix ALLOW sees nothing.
    gw = allow_services
    seen = gw.echo.requests()
    svc = [("x-jwt-sub", "svc-a")] + forged
    assert gw.stack.raw_status("/healthz", svc) == 403
    # With a token whose sub has no prefix match, the forged svc- lines do not help either.
    assert gw.stack.raw_status("/headers", svc + [("authorization", f"Bearer {gw.token(sub='bob')}")]) == 403
    assert gw.echo.requests() == seen
