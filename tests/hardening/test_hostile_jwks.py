"""A hostile or broken JWKS in real Envoy (`--concurrency 2`): 1,000 EC keys, 200 copies of one key and
16384-bit RSA keys in one document, and tokens without `kid` that would make a filter try every key.
The filter keeps the first 100 usable keys, drops the rest with one warning and a counter, tries a
kid-less token against at most 10 keys, and the worker keeps answering valid requests quickly."""
import statistics
import threading
import time

import pytest
import requests

from support import build
from support.keys import b64url, jwks, make_key
from support.plugin import remote_provider
from support.stack import Stack
from support.tokens import claims, sign

# Both builds parse and bound the same key set.
pytestmark = build.BOTH

GOOD = make_key("RS256", kid="good")
DUP = make_key("ES256", kid="dup")
OTHER = make_key("ES256", kid="not-published")
EC_KEYS = 1000
DUPLICATES = 200
BIG_RSA = 3
METRIC = "wasmcustom.jwt_authn_wasm"


def _big_rsa_jwk(i: int) -> dict:
    # Only the size matters: such keys must be refused before any arithmetic.
    n = (1 << 16383) | (0xC3 << 8) | 1
    return {"kty": "RSA", "kid": f"big-{i}", "n": b64url(n.to_bytes(2048, "big")), "e": "AQAB"}


EC = [make_key("ES256", kid=f"ec-{i}") for i in range(EC_KEYS)]


def _document() -> dict:
    big = [_big_rsa_jwk(i) for i in range(BIG_RSA)]
    return jwks(GOOD, extra=[DUP.jwk] * DUPLICATES + big + [k.jwk for k in EC])


# Kept: GOOD, DUP once, then EC keys until there are 100.
KEPT_EC = 100 - 2
IGNORED = (DUPLICATES - 1) + BIG_RSA + (EC_KEYS - KEPT_EC)


@pytest.fixture(scope="module")
def stack(wasm_module, filter_build):
    st = Stack(concurrency=2)
    try:
        st.issuer.set_jwks(_document())
        st.start({"providers": {"p": remote_provider(st.issuer, "issuer", timeout_ms=5000, cache_duration_seconds=600)}})
        # The first request waits for the fetch; then both workers have parsed the same keys.
        assert st.request("/warm", sign(GOOD, claims(st.issuer.issuer))).status_code == 200, st.envoy.log_tail()
        yield st
    finally:
        st.stop()


def test_keys_beyond_the_bounds_are_dropped_and_counted(stack):
    st = stack
    assert st.issuer.fetches() == 1
    assert st.envoy.counter(f"{METRIC}.provider.p.jwks_keys_ignored") == IGNORED
    log = st.envoy.log()
    assert "keys[2]: duplicate of the key kept from keys[1]" in log
    assert "RSA key of 16384 bits is above the 8192-bit maximum" in log
    assert f"{EC_KEYS - KEPT_EC} keys beyond the first 100 usable ones" in log
    # The kept keys work, the ones past the bound do not.
    assert st.request("/dup", sign(DUP, claims(st.issuer.issuer))).status_code == 200
    assert st.request("/kept", sign(EC[KEPT_EC - 1], claims(st.issuer.issuer))).status_code == 200
    dropped = st.request("/dropped", sign(EC[KEPT_EC], claims(st.issuer.issuer)))
    assert (dropped.status_code, dropped.text) == (401, "Jwks doesn't have key to match kid or alg from Jwt")


def test_a_kidless_token_is_tried_against_at_most_ten_keys(stack, filter_build):
    st = stack
    # ES256 is verified by Envoy's BoringSSL in the wasm build, natively by ring in the dynamic module.
    verified = f"{METRIC}.verify_host" if filter_build == "wasm" else f"{METRIC}.verify_module"
    before = st.envoy.counter(verified)
    resp = st.request("/kidless", sign(OTHER, claims(st.issuer.issuer, sub="kidless"), kid=None))
    assert resp.status_code == 401 and resp.text == "Jwt verification fails"
    assert st.envoy.counter(verified) - before == 10


def test_the_worker_stays_responsive_under_kidless_tokens(stack):
    st = stack
    stop = threading.Event()
    attack_statuses: list[int] = []

    def attacker(n: int):
        with requests.Session() as s:
            for i in range(200):
                if stop.is_set():
                    return
                token = sign(OTHER, claims(st.issuer.issuer, sub=f"attack-{n}-{i}"), kid=None)
                attack_statuses.append(s.get(st.url("/attack"), headers={"authorization": f"Bearer {token}"},
                                             timeout=10).status_code)

    threads = [threading.Thread(target=attacker, args=(n,), daemon=True) for n in range(4)]
    for t in threads:
        t.start()
    latencies = []
    try:
        time.sleep(0.3)
        for i in range(20):
            token = sign(GOOD, claims(st.issuer.issuer, sub=f"valid-{i}"))
            t0 = time.monotonic()
            resp = st.request(f"/valid/{i}", token, timeout=5)
            latencies.append(time.monotonic() - t0)
            assert resp.status_code == 200
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=15)
    assert attack_statuses and set(attack_statuses) == {401}
    assert statistics.median(latencies) < 0.050, latencies
