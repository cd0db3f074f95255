"""Audit mode: verify and count, never reject."""
import time

import pytest

from support.asserts import assert_allowed, counts
from support.keys import jwks, make_key
from support.plugin import remote_provider
from support.stack import Stack
from support.tokens import claims, sign, tamper_signature

KEY = make_key("RS256", kid="audit-1")


@pytest.fixture(scope="module")
def stack(each_build, wasm_module):
    st = Stack()
    try:
        st.issuer.set_jwks(jwks(KEY))
        st.start({"providers": {"main": remote_provider(st.issuer, "issuer")}, "mode": "audit"})
        yield st
    finally:
        st.stop()


def test_audit_passes_everything_and_counts_would_be_denials(stack):
    iss = stack.issuer.issuer
    bad = [None, "garbage", sign(KEY, claims(iss, exp=int(time.time()) - 3600)),
           tamper_signature(sign(KEY, claims(iss))), sign(KEY, claims(iss, aud="other"))]
    with counts(stack, "audit_would_deny", "denied") as grown:
        for token in bad:
            assert_allowed(stack.request("/audit", token))
    assert grown == {"audit_would_deny": len(bad), "denied": 0}


def test_audit_valid_token_counted_allowed(stack):
    with counts(stack, "allowed", "audit_would_deny") as grown:
        seen = assert_allowed(stack.request("/audit", sign(KEY, claims(stack.issuer.issuer))))
    assert grown == {"allowed": 1, "audit_would_deny": 0}
    assert "authorization" not in seen["headers"]
