"""Multi-tenant issuers in real Envoy, shaped like Microsoft Entra ID's multi-tenant endpoints: one
discovery document (its `issuer` holds a `{tenantid}` placeholder) and one JWKS for every tenant, while
each token's `iss` names its own tenant and its `tid` claim says which. The provider's
`issuer_template` takes a token only when `iss` is the template filled with the token's own `tid`,
and `allowed_tenants` narrows the tenants."""
import json

import pytest

from support import build
from support.asserts import METRIC
from support.keys import jwks, make_key
from support.stack import Stack
from support.tokens import claims, sign

# Both builds follow the discovery document alike.
pytestmark = build.BOTH

KEY = make_key("RS256", kid="common-1")
DISCOVERY = "/common/v2.0/.well-known/openid-configuration"


@pytest.fixture(scope="module")
def stack(wasm_module, filter_build):
    st = Stack()
    try:
        base = st.issuer.issuer
        st.issuer.serve("/common/keys", json.dumps(jwks(KEY)).encode())
        st.issuer.serve(DISCOVERY, json.dumps({"issuer": base + "/{tenantid}/v2.0",
                                               "jwks_uri": base + "/common/keys"}).encode())
        st.start({"providers": {"entra": {
            "issuer_template": base + "/{tid}/v2.0",
            "allowed_tenants": ["tenant-a", "tenant-b"],
            "audiences": ["api"],
            "oidc_discovery": {"uri": base + DISCOVERY, "cluster": "issuer", "timeout_ms": 2000},
            "claim_to_headers": [{"header_name": "x-tenant", "claim_name": "tid"}],
        }}})
        yield st
    finally:
        st.stop()


def _token(st, iss_tenant: str | None, tid: str | None) -> str:
    iss = f"{st.issuer.issuer}/{iss_tenant}/v2.0"
    return sign(KEY, claims(iss, tid=tid))


def test_each_tenant_passes_with_its_own_issuer(stack):
    for tenant in ("tenant-a", "tenant-b"):
        resp = stack.request("/orders", _token(stack, tenant, tenant))
        assert resp.status_code == 200, resp.text
        assert resp.json()["headers"]["x-tenant"] == tenant


def test_a_token_cannot_claim_another_tenants_issuer(stack):
    resp = stack.request("/orders", _token(stack, "tenant-a", "tenant-b"))
    assert (resp.status_code, resp.text) == (401, "Jwt issuer is not configured")


def test_a_tenant_not_allowed_is_refused(stack):
    st = stack
    before = st.envoy.counter(METRIC + "provider.entra.denied.tenant")
    resp = st.request("/orders", _token(st, "tenant-c", "tenant-c"))
    assert (resp.status_code, resp.text) == (401, "Jwt tenant is not allowed")
    assert st.envoy.counter(METRIC + "provider.entra.denied.tenant") == before + 1


def test_a_token_without_tid_is_refused(stack):
    resp = stack.request("/orders", _token(stack, "tenant-a", None))
    assert (resp.status_code, resp.text) == (401, "Jwt issuer is not configured")
    # The discovery document was accepted with its own placeholder, fetched once.
    assert stack.issuer.fetches(DISCOVERY) == 1
