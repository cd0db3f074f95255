"""JWKS endpoint outages: down at start then up, down after a success."""
import threading
import time

import pytest

from support import build
from support.asserts import assert_allowed, counts
from support.keys import jwks, make_key
from support.plugin import remote_provider
from support.stack import Stack
from support.tokens import claims, sign

# Both builds hold requests for keys alike.
pytestmark = build.BOTH


@pytest.fixture
def key():
    return make_key("ES256", kid="avail-1")


def test_paused_request_outlives_outage_at_start(wasm_module, key):
    """Issuer down while Envoy starts; requests sent then are held and answered 200 once the issuer is up."""
    with Stack() as st:
        st.issuer.set_jwks(jwks(key))
        st.start({"providers": {"main": remote_provider(st.issuer, "issuer", timeout_ms=5000)}}, down=("issuer",))
        results = {}

        def call(i):
            t0 = time.monotonic()
            resp = st.request(f"/early/{i}", sign(key, claims(st.issuer.issuer)))
            results[i] = (resp, time.monotonic() - t0)

        callers = [threading.Thread(target=call, args=(i,)) for i in range(5)]
        for c in callers:
            c.start()
        time.sleep(0.5)
        st.issuer.up()
        for c in callers:
            c.join(timeout=15)
        assert len(results) == 5, "requests never answered"
        for resp, elapsed in results.values():
            assert_allowed(resp)
            assert elapsed < 5.5
        assert st.issuer.fetches() >= 1


def test_old_keys_kept_when_endpoint_goes_down(wasm_module, key):
    with Stack() as st:
        st.issuer.set_jwks(jwks(key))
        st.start({"providers": {"main": remote_provider(st.issuer, "issuer", cache_duration_seconds=1)}})
        assert_allowed(st.request("/before", sign(key, claims(st.issuer.issuer))))
        with counts(st, "provider.main.jwks_fetch_failed") as grown:
            st.issuer.down()
            time.sleep(2.5)  # at least one refresh is due and fails
            for i in range(3):
                assert_allowed(st.request(f"/during/{i}", sign(key, claims(st.issuer.issuer))))
        assert grown["provider.main.jwks_fetch_failed"] >= 1


def test_rotated_out_key_refused_after_refresh(wasm_module, key):
    """A token verified (and cached) under the old JWKS is refused once the refreshed JWKS drops its key."""
    new = make_key("ES256", kid="avail-2")
    with Stack() as st:
        st.issuer.set_jwks(jwks(key))
        st.start({"providers": {"main": remote_provider(st.issuer, "issuer", cache_duration_seconds=1)}})
        old_token = sign(key, claims(st.issuer.issuer))
        for _ in range(2):
            assert_allowed(st.request("/old", old_token))
        st.issuer.set_jwks(jwks(new))
        fetched = st.issuer.fetches()
        deadline = time.monotonic() + 5
        while st.issuer.fetches() == fetched and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.3)  # let the workers pick up the new version
        assert st.request("/old", old_token).status_code == 401
        assert_allowed(st.request("/new", sign(new, claims(st.issuer.issuer))))


def test_request_body_does_not_resume_a_paused_request(wasm_module, key):
    """A POST held for keys stays held when its body arrives: a forged token is refused and the
    upstream never sees it, a good one reaches the upstream with its body."""
    forger = make_key("ES256", kid="avail-1")
    with Stack() as st:
        st.issuer.set_jwks(jwks(key))
        st.start({"providers": {"main": remote_provider(st.issuer, "issuer", timeout_ms=5000)}}, down=("issuer",))
        results = {}

        def call(name, signer):
            results[name] = st.request(f"/body/{name}", sign(signer, claims(st.issuer.issuer)), method="POST",
                                       data=b"x" * 70000)

        callers = [threading.Thread(target=call, args=a) for a in (("forged", forger), ("good", key))]
        for c in callers:
            c.start()
        time.sleep(1.0)
        assert st.echo.requests("/body/") == 0, "a request waiting for keys reached the upstream"
        st.issuer.up()
        for c in callers:
            c.join(timeout=15)
        assert results["forged"].status_code == 401
        assert st.echo.requests("/body/forged") == 0
        assert_allowed(results["good"])
        assert results["good"].json()["method"] == "POST"
