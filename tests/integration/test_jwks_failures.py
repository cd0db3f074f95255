"""Every way a JWKS fetch fails: 401 `Jwks remote fetch is failed`, counted, never a hang; then recovery."""
import time

import pytest

from support import build
from support.asserts import assert_allowed, assert_invalid, counts
from support.keys import jwks, make_key
from support.plugin import per_path_rules, remote_provider
from support.stack import Stack
from support.tokens import claims, sign

# Both builds fail and recover alike (the dynamic module fetches on Envoy's main thread).
pytestmark = build.BOTH

FAILED = "Jwks remote fetch is failed"
BEHAVIOURS = {"fail": "fail", "garbage": "garbage", "html": "html", "truncated": "truncated", "huge": "huge",
              "hang": "hang", "notfound": "not_found", "reset": "reset", "recover": "fail"}
# Fetches that answer 200 with a JWKS the filter cannot use.
UNUSABLE = {"empty": {"keys": []},
            "enconly": {"keys": [{**make_key("RS256", kid="e").jwk, "use": "enc"}]},
            "notjwks": {"hello": "world"},
            # Only RSA keys above the provider's max_rsa_key_bits (set to 2048 below).
            "bigrsa": {"keys": [make_key("RS256", kid="big", rsa_bits=3072).jwk]}}
KEY = make_key("RS256", kid="fail-1")
# How long a request waits for keys before the 401: shorter than the 5 s default, to keep the module quick.
HOLD_MS = 1000


@pytest.fixture(scope="module")
def stack(wasm_module, filter_build):
    names = list(BEHAVIOURS) + list(UNUSABLE) + ["down", "healthy"]
    st = Stack(issuer_names=names)
    try:
        for name, issuer in st.issuers.items():
            issuer.set_jwks(UNUSABLE.get(name, jwks(KEY)))
            issuer.hang_seconds = 8
            if name in BEHAVIOURS:
                issuer.set_behaviour(BEHAVIOURS[name])
        providers = {n: remote_provider(st.issuers[n], n, timeout_ms=1000, hold_for_keys_ms=HOLD_MS) for n in names}
        providers["bigrsa"]["max_rsa_key_bits"] = 2048
        # Envoy has no such cluster: dispatching the fetch fails at once.
        providers["nocluster"] = remote_provider(st.issuers["healthy"], "no-such-cluster", timeout_ms=1000,
                                                 hold_for_keys_ms=HOLD_MS)
        providers["nocluster"]["issuer"] += "/nocluster"
        names.append("nocluster")
        st.start({"providers": providers, "rules": per_path_rules(*names)}, down=("down",))
        yield st
    finally:
        st.stop()


def _token(st, name):
    if name == "nocluster":
        return sign(KEY, claims(st.issuers["healthy"].issuer + "/nocluster"))
    return sign(KEY, claims(st.issuers[name].issuer))


def test_recovers_when_endpoint_heals(stack):
    """Runs first: the issuer answers 500 at start, then heals; the retries held requests bring forward pick
    the keys up."""
    issuer = stack.issuers["recover"]
    time.sleep(0.3)
    assert stack.request("/recover", _token(stack, "recover")).status_code == 401
    issuer.set_behaviour("ok")
    deadline = time.monotonic() + 12
    while time.monotonic() < deadline:
        resp = stack.request("/recover", _token(stack, "recover"))
        if resp.status_code == 200:
            break
        time.sleep(0.25)
    assert_allowed(resp)


@pytest.mark.parametrize("name", ["fail", "garbage", "html", "truncated", "huge", "notfound", "reset", "down",
                                  *UNUSABLE, "nocluster"])
def test_failed_fetch(stack, name):
    with counts(stack, f"provider.{name}.denied.jwks_fetch_failed") as grown:
        resp = stack.request(f"/{name}", _token(stack, name))
    assert_invalid(stack, resp, f"/{name}", FAILED)
    assert grown == {f"provider.{name}.denied.jwks_fetch_failed": 1}
    assert stack.envoy.counter(f"wasmcustom.jwt_authn_wasm.provider.{name}.jwks_fetch_failed") >= 1
    assert stack.envoy.counter(f"wasmcustom.jwt_authn_wasm.provider.{name}.jwks_fetch_success") == 0


def test_hanging_endpoint_times_out(stack):
    t0 = time.monotonic()
    resp = stack.request("/hang", _token(stack, "hang"))
    assert_invalid(stack, resp, "/hang", FAILED)
    assert time.monotonic() - t0 < HOLD_MS / 1000 + 2, "the request waited past its hold"


def test_healthy_provider_unaffected_by_the_others(stack):
    """Runs last: after every failure above, the same VMs still verify tokens."""
    for i in range(4):
        assert_allowed(stack.request(f"/healthy/{i}", _token(stack, "healthy")))
