"""Identity-provider faults not covered by tests/integration/test_jwks_failures.py: failures after a success
(the last good keys keep serving), key sets the filter cannot use, duplicate kids, a 10 MiB body, discovery
naming a jwks_uri on another host, and the retry backoff seen from the issuer's side. Never a 5xx."""
import json
import time

import pytest

from support import build
from support.asserts import METRIC, assert_allowed, assert_invalid, counts
from support.issuer import DISCOVERY_PATH, Issuer
from support.keys import jwks, make_key
from support.plugin import per_path_rules, remote_provider
from support.ports import free_port
from support.stack import Stack
from support.tokens import claims, sign

# Both builds: the same fetch loop, run by each build's own host glue.
pytestmark = build.BOTH

FAILED = "Jwks remote fetch is failed"
KEY = make_key("ES256", kid="idp-1")
# Failures that begin after the first good fetch; cache_duration 1 s makes a refresh due at once.
AFTER = {"after_500": "fail", "after_html": "html", "after_slow": "hang", "after_truncated": "truncated",
         "after_10mib": "huge", "after_reset": "reset"}


def _with_kid(key, kid: str):
    """A key published under another kid (make_key caches RSA keys by kid, so a distinct one is made first)."""
    key.kid = key.jwk["kid"] = kid
    return key


DUP_A, DUP_B, DUP_EC = (_with_kid(make_key(alg, kid=f"dup-{i}"), "dup") for i, alg in enumerate(("RS256", "RS256", "ES256")))
UNSUPPORTED = {"keys": [
    {"kty": "EC", "crv": "P-521", "kid": "p521", "x": "AA", "y": "AA"},
    {**make_key("RS256", kid="weak", rsa_bits=1024).jwk},
    {"kty": "oct", "kid": "shared", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"},  # a published secret is no key
    {"kty": "RSA", "kid": "rsa-es", "alg": "ES256", "n": KEY.jwk["x"], "e": "AQAB"},
    {"kty": "foo", "kid": "foo"},
]}
# The host discovery points to: Istio would name its cluster outbound|<port>||<host>.
KEY_HOST = Issuer(jwks=jwks(KEY))
KEY_HOST_CLUSTER = f"outbound|{KEY_HOST.port}||127.0.0.1"
UNROUTED_PORT = free_port()
BACKOFF_WINDOW = 8.0
# Providers that never get usable keys.
UNUSABLE = ("unsupported", "huge_at_start", "disc_no_cluster", "disc_wrong_issuer")


def _discovery(issuer: Issuer, jwks_uri: str, doc_issuer: str | None = None):
    issuer.serve(DISCOVERY_PATH, json.dumps({"issuer": doc_issuer or issuer.issuer, "jwks_uri": jwks_uri}).encode())


@pytest.fixture(scope="module")
def stack(wasm_module, filter_build):
    names = [*AFTER, "unsupported", "huge_at_start", "dup", "disc_other_host", "disc_no_cluster",
             "disc_jwks_cluster", "disc_wrong_issuer", "backoff", "backoff_down"]
    # The first issuer is Envoy's cluster `issuer`, whatever its name; this one serves nobody.
    issuers = {"issuer": Issuer(), **{n: Issuer() for n in names}}
    issuers[KEY_HOST_CLUSTER] = KEY_HOST
    st = Stack(issuers=issuers, native_listener=True)
    KEY_HOST.reset_counts()  # shared by both builds' runs
    try:
        for name, issuer in issuers.items():
            if name not in (KEY_HOST_CLUSTER, "issuer"):
                issuer.set_jwks(jwks(KEY))
            issuer.hang_seconds = 3
            issuer.huge_bytes = 10 * 1024 * 1024
        issuers["unsupported"].set_jwks(UNSUPPORTED)
        issuers["huge_at_start"].set_behaviour("huge")
        issuers["dup"].set_jwks(jwks(DUP_A, DUP_B, DUP_EC))
        issuers["backoff"].set_behaviour("fail")
        _discovery(issuers["disc_other_host"], KEY_HOST.jwks_uri)
        _discovery(issuers["disc_no_cluster"], f"http://127.0.0.1:{UNROUTED_PORT}/jwks")
        _discovery(issuers["disc_jwks_cluster"], "http://keys.idp.example/jwks")
        _discovery(issuers["disc_wrong_issuer"], KEY_HOST.jwks_uri, doc_issuer="https://someone.else")
        providers = {}
        for n in names:
            if n.startswith("disc_"):
                disc = {"cluster": n, "timeout_ms": 1000}
                if n == "disc_jwks_cluster":
                    disc["jwks_cluster"] = KEY_HOST_CLUSTER
                    # Not the issuer's host: keys come from it only when listed.
                    disc["jwks_hosts"] = ["keys.idp.example"]
                providers[n] = {"issuer": issuers[n].issuer, "audiences": ["api"], "oidc_discovery": disc}
            else:
                providers[n] = remote_provider(issuers[n], n, timeout_ms=1000,
                                               cache_duration_seconds=1 if n in AFTER else 60)
        # Held requests bring retries forward (tests/integration/test_held_requests.py); these two
        # measure the back-off itself, so their requests are never held.
        for n in ("backoff", "backoff_down"):
            providers[n]["hold_for_keys_ms"] = 0
        # Never any usable keys: a request waits 1 s for them, not the 5 s default, to keep the suite quick.
        for n in UNUSABLE:
            providers[n]["hold_for_keys_ms"] = 1000
        st.start({"providers": providers, "rules": per_path_rules(*names)}, down=("backoff_down",))
        yield st
    finally:
        st.stop()


def _token(st, name, key=KEY):
    return sign(key, claims(st.issuers[name].issuer))


def test_backoff_doubles_from_one_second(stack):
    """Runs first, from Envoy's start: a JWKS endpoint answering 500 is retried after ~1 s, ~2 s, ~4 s
    (jitter shortens each by at most a quarter), however many requests arrive meanwhile."""
    issuer = stack.issuers["backoff"]
    start = time.monotonic()
    statuses = set()
    while time.monotonic() - start < BACKOFF_WINDOW:
        statuses.add(stack.request("/backoff", _token(stack, "backoff")).status_code)
        statuses.add(stack.request("/backoff_down", _token(stack, "backoff_down")).status_code)
        time.sleep(0.1)
    assert statuses == {401}
    times = issuer.fetch_times()
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert 3 <= len(times) <= 5, f"{len(times)} fetches in {BACKOFF_WINDOW}s: gaps {gaps}"
    for n, gap in enumerate(gaps[:3]):
        expected = 2 ** n
        assert 0.75 * expected - 0.15 <= gap <= expected + 0.5, f"gap {n} is {gap:.2f}s: {gaps}"
    assert stack.envoy.counter(METRIC + "provider.backoff.jwks_fetch_failed") == len(times)
    # Connection refused backs off the same way: the counter is all that sees those attempts.
    down_failures = stack.envoy.counter(METRIC + "provider.backoff_down.jwks_fetch_failed")
    assert 3 <= down_failures <= 6


def test_failures_after_a_success_keep_the_last_good_keys(stack):
    for name in AFTER:
        assert_allowed(stack.request(f"/{name}/first", _token(stack, name)))
    for name, behaviour in AFTER.items():
        stack.issuers[name].set_behaviour(behaviour)
    failed = {n: f"provider.{n}.jwks_fetch_failed" for n in AFTER}
    with counts(stack, *failed.values()) as grown:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            for name in AFTER:
                assert_allowed(stack.request(f"/{name}/during", _token(stack, name)))
            time.sleep(0.2)
    assert all(grown[failed[n]] >= 1 for n in AFTER), grown
    for name in AFTER:
        assert stack.envoy.counter(METRIC + f"provider.{name}.denied.jwks_fetch_failed") == 0


@pytest.mark.parametrize("name", UNUSABLE)
def test_unusable_answers_fail_the_fetch(stack, name):
    with counts(stack, f"provider.{name}.denied.jwks_fetch_failed") as grown:
        resp = stack.request(f"/{name}", _token(stack, name))
    assert_invalid(stack, resp, f"/{name}", FAILED)
    assert grown == {f"provider.{name}.denied.jwks_fetch_failed": 1}
    assert stack.envoy.counter(METRIC + f"provider.{name}.jwks_fetch_failed") >= 1
    assert stack.envoy.counter(METRIC + f"provider.{name}.jwks_fetch_success") == 0


def test_unsupported_keys_never_verify_even_with_a_matching_kid(stack):
    """The 1024-bit key is in the document, but dropped: its own token is refused, never 5xx."""
    weak = make_key("RS256", kid="weak", rsa_bits=1024)
    resp = stack.request("/unsupported/weak", sign(weak, claims(stack.issuers["unsupported"].issuer)))
    assert resp.status_code == 401


@pytest.mark.parametrize("name", ["disc_other_host", "disc_jwks_cluster"])
def test_discovery_jwks_uri_on_another_host(stack, name):
    """Keys are fetched from the host discovery names: through its Istio-named cluster, or the configured one."""
    assert_allowed(stack.request(f"/{name}", _token(stack, name)))
    assert stack.envoy.counter(METRIC + f"provider.{name}.jwks_fetch_success") == 1
    # Both discovery providers that trust this host fetched their keys from it, once each.
    assert KEY_HOST.fetches() == 2
    assert stack.issuers[name].fetches() == 0, "the discovery host was asked for the keys"
    assert stack.issuers[name].fetches(DISCOVERY_PATH) >= 1


def test_duplicate_kids_each_key_verifies_as_native(stack):
    """Two RSA keys and an EC key share kid "dup": every one of them verifies its own token, as natively."""
    for i, key in enumerate((DUP_A, DUP_B, DUP_EC)):
        token = _token(stack, "dup", key)
        wasm = stack.request(f"/dup/{i}", token)
        native = stack.request(f"/dup/{i}", token, native=True)
        assert (wasm.status_code, native.status_code) == (200, 200), (i, wasm.text, native.text)
    forged = sign(_with_kid(make_key("RS256", kid="dup-forger"), "dup"), claims(stack.issuers["dup"].issuer))
    assert_invalid(stack, stack.request("/dup/forged", forged), "/dup/forged", "Jwt verification fails")
