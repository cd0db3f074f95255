"""Unknown kid: one refetch, the request waits for it, and no refetch storm."""
import time

import pytest

from support import build
from support.asserts import assert_allowed, assert_invalid, counts
from support.keys import jwks, make_key
from support.plugin import per_path_rules, remote_provider
from support.stack import Stack
from support.tokens import claims, sign

# Both builds refetch for unknown kids alike (the dynamic module fetches on Envoy's main thread).
pytestmark = build.BOTH

NO_KEY = "Jwks doesn't have key to match kid or alg from Jwt"


@pytest.fixture(scope="module")
def stack(wasm_module, filter_build):
    st = Stack(issuer_names=("issuer", "fast"))
    try:
        for issuer in st.issuers.values():
            issuer.set_jwks(jwks(make_key("RS256", kid="k1")))
        st.start({"providers": {
            "main": remote_provider(st.issuer, "issuer", timeout_ms=3000),
            "fast": remote_provider(st.issuers["fast"], "fast", timeout_ms=3000, kid_refetch_interval_seconds=1),
        }, "rules": per_path_rules("fast") + [{"match": {"prefix": "/"}, "requires": {"provider_name": "main"}}]})
        yield st
    finally:
        st.stop()


def test_unknown_kid_refetched_and_accepted_after_rotation(stack):
    k1, k2 = make_key("RS256", kid="k1"), make_key("ES256", kid="k2")
    assert_allowed(stack.request("/a", sign(k1, claims(stack.issuer.issuer))))
    before = stack.issuer.fetches()
    stack.issuer.set_jwks(jwks(k1, k2))
    with counts(stack, "provider.main.jwks_fetch_success") as grown:
        assert_allowed(stack.request("/b", sign(k2, claims(stack.issuer.issuer))))
    assert stack.issuer.fetches() == before + 1
    assert grown == {"provider.main.jwks_fetch_success": 1}
    # The rotated-in key set still holds k1.
    assert_allowed(stack.request("/c", sign(k1, claims(stack.issuer.issuer))))


def test_no_refetch_storm_for_unknown_kids(stack):
    ghost = make_key("RS256", kid="ghost")
    before = stack.issuer.fetches()
    for i in range(20):
        resp = stack.request(f"/ghost/{i}", sign(ghost, claims(stack.issuer.issuer)))
        assert_invalid(stack, resp, f"/ghost/{i}", NO_KEY)
    # The previous test's refetch started the 30 s window: none of these may fetch again.
    assert stack.issuer.fetches() == before


def test_kid_refetch_interval_is_configurable(stack):
    fast = stack.issuers["fast"]
    k1 = make_key("RS256", kid="k1")
    assert_allowed(stack.request("/fast/warm", sign(k1, claims(fast.issuer))))
    before = fast.fetches()
    for n in (2, 3):
        new = make_key("ES384", kid=f"fast-k{n}")
        fast.set_jwks(jwks(k1, new))
        assert_allowed(stack.request(f"/fast/{n}", sign(new, claims(fast.issuer))))
        time.sleep(1.2)
    assert fast.fetches() == before + 2
