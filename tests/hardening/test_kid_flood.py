"""Made-up `kid`s and made-up tenants, in real Envoy (`--concurrency 2`).

- A flood of tokens with random `kid`s (PyJWT CVE-2026-48524's class: a key cache that evicts on misses)
  never evicts the issuer's keys: good tokens pass throughout and after, and the flood costs at most one
  JWKS fetch per `kid_refetch_interval_seconds` for the whole process.
- No fetch URL is ever built from a token's unverified claims (CVE-2026-32301's class, `issuer_template`):
  tokens naming any tenant, or an `iss` on another host, make the filter fetch only the configured
  discovery document and the `jwks_uri` it names; a second server standing by is never asked."""
import json
import secrets
import time

import pytest

from support import build
from support.keys import jwks, make_key
from support.plugin import remote_provider
from support.stack import Stack
from support.tokens import claims, sign

# Both builds: one refetch budget per process (proxy-wasm shared data; the dynamic module's main-thread fetch).
pytestmark = build.BOTH

GOOD = make_key("ES256", kid="good")
ATTACKER = make_key("ES256", kid="attacker")
FLOOD = 300
INTERVAL_S = 1
DISCOVERY = "/common/v2.0/.well-known/openid-configuration"
KEYS_PATH = "/common/keys"


def _warm(st: Stack, token: str):
    """hold_for_keys_ms: 0 answers at once: the first requests go before the first fetch ends."""
    deadline = time.monotonic() + 10
    while st.request("/warm", token).status_code != 200:
        assert time.monotonic() < deadline, st.envoy.log_tail()
        time.sleep(0.1)


@pytest.fixture(scope="module")
def flood_stack(wasm_module, filter_build):
    st = Stack(concurrency=2)
    try:
        st.issuer.set_jwks(jwks(GOOD))
        provider = remote_provider(st.issuer, "issuer", timeout_ms=2000, cache_duration_seconds=600,
                                   kid_refetch_interval_seconds=INTERVAL_S, hold_for_keys_ms=0)
        st.start({"providers": {"p": provider}})
        _warm(st, sign(GOOD, claims(st.issuer.issuer)))
        yield st
    finally:
        st.stop()


def test_random_kids_never_evict_the_issuers_keys(flood_stack):
    st = flood_stack
    fetches = st.issuer.fetches()
    start = time.monotonic()
    # At least FLOOD requests, and for longer than two refetch intervals, so that the flood has had
    # the chance to refetch however fast this machine answers (bounded either way).
    i = 0
    while i < FLOOD or (time.monotonic() - start < 2.5 * INTERVAL_S and i < 20 * FLOOD):
        i += 1
        forged = sign(ATTACKER, claims(st.issuer.issuer), kid=secrets.token_hex(8))
        assert st.request("/flood", forged).status_code == 401
        if i % 20 == 0:
            # A fresh token each time (a new sub), so the answer comes from the keys, not the token cache.
            good = sign(GOOD, claims(st.issuer.issuer, sub=f"user-{i}"))
            assert st.request("/flood", good).status_code == 200, i
    elapsed = time.monotonic() - start
    good = sign(GOOD, claims(st.issuer.issuer, sub="after"))
    assert st.request("/after", good).status_code == 200
    refetches = st.issuer.fetches() - fetches
    # One per interval for the process (both workers share one lease), plus the one at each edge.
    assert 1 <= refetches <= elapsed / INTERVAL_S + 2, (refetches, elapsed)


@pytest.fixture(scope="module")
def tenant_stack(wasm_module, filter_build):
    st = Stack(issuer_names=("issuer", "stray"))
    try:
        base = st.issuer.issuer
        st.issuer.serve(KEYS_PATH, json.dumps(jwks(GOOD)).encode())
        st.issuer.serve(DISCOVERY, json.dumps({"issuer": base + "/{tenantid}/v2.0",
                                               "jwks_uri": base + KEYS_PATH}).encode())
        st.issuers["stray"].set_jwks(jwks(ATTACKER))
        st.start({"providers": {"entra": {
            "issuer_template": base + "/{tid}/v2.0",
            "allowed_tenants": ["tenant-a"],
            "audiences": ["api"],
            "kid_refetch_interval_seconds": 1,
            "hold_for_keys_ms": 0,
            "oidc_discovery": {"uri": base + DISCOVERY, "cluster": "issuer", "timeout_ms": 2000},
        }}})
        good = sign(GOOD, claims(f"{base}/tenant-a/v2.0", tid="tenant-a"))
        _warm(st, good)
        yield st
    finally:
        st.stop()


def test_no_fetch_url_comes_from_a_tokens_claims(tenant_stack):
    st = tenant_stack
    base, stray = st.issuer.issuer, st.issuers["stray"].issuer
    cases = [
        (f"{base}/tenant-a/v2.0", "tenant-a"),
        (f"{base}/tenant-b/v2.0", "tenant-b"),
        (f"{base}/../stray/v2.0", ".."),
        (f"{base}/a.b/v2.0", "a.b"),
        (f"{stray}/tenant-a/v2.0", "tenant-a"),
        (f"{stray}", None),
        (f"{base}/%2e%2e%2fjwks/v2.0", "%2e%2e%2fjwks"),
    ]
    for i, (iss, tid) in enumerate(cases):
        # Unknown kids, and jku/x5u pointing at the stray server, ask for keys in every way a token can.
        headers = {"jku": stray + "/jwks", "x5u": stray + "/jwks"}
        for key in (GOOD, ATTACKER):
            token = sign(key, claims(iss, tid=tid), kid=f"unknown-{i}-{key.kid}", headers=headers)
            assert st.request("/t", token).status_code == 401, (iss, tid)
        time.sleep(0.05)
    time.sleep(1.2)  # a refetch started by the last token has been answered
    assert st.issuers["stray"].requests() == 0
    asked = st.issuer.requests()
    assert asked == st.issuer.fetches(DISCOVERY) + st.issuer.fetches(KEYS_PATH), "a path we never published"
    # The good key still serves its tenant.
    assert st.request("/t", sign(GOOD, claims(f"{base}/tenant-a/v2.0", tid="tenant-a", sub="after"))).status_code == 200
