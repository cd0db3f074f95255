"""`--concurrency 2`: the workers share one JWKS, so each refresh is one fetch, not one per worker."""
import time

import pytest
import requests

from support.asserts import METRIC, assert_missing
from support.keys import jwks, make_key
from support.plugin import remote_provider
from support.stack import Stack
from support.tokens import claims, sign

KEY = make_key("ES256", kid="conc-1")
CACHE_SECONDS = 2


@pytest.fixture(scope="module")
def stack(each_build, wasm_module):
    st = Stack(issuer_names=("issuer", "rotating"), concurrency=2)
    try:
        for issuer in st.issuers.values():
            issuer.set_jwks(jwks(KEY))
        st.start({"providers": {
            "main": remote_provider(st.issuer, "issuer", cache_duration_seconds=CACHE_SECONDS),
            # long cache: every fetch after the first is an unknown-kid refetch
            "rotating": remote_provider(st.issuers["rotating"], "rotating", timeout_ms=3000),
        }})
        yield st
    finally:
        st.stop()


def _fresh_connection_requests(st, path, token, n):
    """New connection per request, so the kernel spreads them over both workers."""
    out = []
    for i in range(n):
        with requests.Session() as s:
            out.append(s.get(st.url(f"{path}/{i}"), headers={"authorization": f"Bearer {token}"}, timeout=10))
    return out


def test_one_fetch_per_refresh_across_workers(stack):
    token = sign(KEY, claims(stack.issuer.issuer))
    t0 = time.monotonic()
    while time.monotonic() - t0 < 3 * CACHE_SECONDS + 1:
        assert {r.status_code for r in _fresh_connection_requests(stack, "/load", token, 10)} == {200}
        time.sleep(0.2)
    times = stack.issuer.fetch_times()
    elapsed = time.monotonic() - t0
    gaps = [b - a for a, b in zip(times, times[1:])]
    # Workers fetching on their own would show up as pairs of fetches a few milliseconds apart.
    assert all(g > 0.5 for g in gaps), f"fetches too close together: {gaps}"
    assert 2 <= len(times) <= elapsed / (CACHE_SECONDS / 2) + 2, times
    # Refreshes go on while the counter is read (it waits for the filter's 100 ms flush).
    counted = stack.envoy.counter(METRIC + "provider.main.jwks_fetch_success")
    assert len(times) <= counted <= len(stack.issuer.fetch_times()), (counted, times)


def test_unknown_kid_refetched_once_across_workers(stack):
    rotating = stack.issuers["rotating"]
    warm = _fresh_connection_requests(stack, "/warm", sign(KEY, claims(rotating.issuer)), 4)
    assert [r.status_code for r in warm] == [200] * 4
    before = rotating.fetches()
    new = make_key("RS256", kid="new")
    rotating.set_jwks(jwks(KEY, new))
    responses = _fresh_connection_requests(stack, "/new", sign(new, claims(rotating.issuer)), 20)
    assert [r.status_code for r in responses] == [200] * 20
    assert rotating.fetches() == before + 1
    ghost = make_key("RS256", kid="ghost")
    responses = _fresh_connection_requests(stack, "/ghost", sign(ghost, claims(rotating.issuer)), 20)
    assert {r.status_code for r in responses} == {401}
    assert rotating.fetches() == before + 1


def test_without_rules_every_request_needs_a_token(stack):
    assert_missing(stack, stack.request("/anything"), "/anything")
