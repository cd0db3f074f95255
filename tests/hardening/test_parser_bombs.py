"""Inputs other JWT filters choked on, in real Envoy: JSON nested 100,000 levels deep in a token's header,
in its payload and in a JWKS, and a 20 KB signature segment. Each is refused with a 401 (or, for the
JWKS, a failed fetch that keeps the last good keys); the worker never traps and keeps verifying.

To let such tokens reach the filter at all, this Envoy takes 1 MiB of request headers and the filter
`max_token_bytes: 1048576`; with the defaults (60 KiB of headers, 8 KiB tokens) they are refused sooner."""
import json
import secrets
import time

import pytest
import requests
import yaml

from support.keys import b64url, jwks, make_key
from support.plugin import remote_provider
from support.stack import Stack
from support.tokens import claims, raw_token, sign

KEY = make_key("ES256", kid="good")
OTHER = make_key("ES256", kid="rotated-in")
DEPTH = 100_000
METRIC = "wasmcustom.jwt_authn_wasm"


class _BigHeaders(Stack):
    def config(self, plugin_config, native_config=None):
        doc = yaml.safe_load(super().config(plugin_config, native_config))
        for listener in doc["static_resources"]["listeners"]:
            for chain in listener["filter_chains"]:
                for f in chain["filters"]:
                    f["typed_config"]["max_request_headers_kb"] = 1024
        return yaml.safe_dump(doc)


@pytest.fixture(scope="module")
def stack(each_build, wasm_module):
    st = _BigHeaders()
    try:
        st.issuer.set_jwks(jwks(KEY))
        provider = remote_provider(st.issuer, "issuer", timeout_ms=3000, kid_refetch_interval_seconds=1)
        st.start({"max_token_bytes": 1 << 20, "providers": {"p": provider}})
        assert _good(st).status_code == 200, st.envoy.log_tail()
        yield st
    finally:
        st.stop()


def _good(st: Stack) -> requests.Response:
    return st.request("/ok", sign(KEY, claims(st.issuer.issuer, sub=secrets.token_hex(4))))


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _send(st: Stack, token: str) -> requests.Response:
    return requests.get(st.url("/x"), headers={"authorization": f"Bearer {token}"}, timeout=30)


def _assert_alive(st: Stack):
    assert _good(st).status_code == 200
    log = st.envoy.log()
    for sign_of_a_trap in ("panicked", "wasm trap", "Function: proxy_on_", "failed to call"):
        assert sign_of_a_trap not in log, st.envoy.log_tail()


def test_a_deeply_nested_header_is_an_invalid_header(stack):
    header = b64url(('{"alg":"ES256","x":' + _nested(DEPTH) + "}").encode())
    payload = b64url(json.dumps(claims(stack.issuer.issuer)).encode())
    resp = _send(stack, f"{header}.{payload}.{b64url(b'x' * 64)}")
    assert (resp.status_code, resp.text) == (401, "Jwt header is an invalid JSON")
    _assert_alive(stack)


def test_a_deeply_nested_payload_is_an_invalid_payload(stack):
    header = b64url(b'{"alg":"ES256","kid":"good"}')
    payload = b64url(('{"iss":"x","deep":' + _nested(DEPTH) + "}").encode())
    resp = _send(stack, f"{header}.{payload}.{b64url(b'x' * 64)}")
    assert (resp.status_code, resp.text) == (401, "Jwt payload is an invalid JSON")
    _assert_alive(stack)


def test_a_20_kb_signature_is_refused_without_a_check(stack):
    checks = stack.envoy.counter(f"{METRIC}.verify_host") + stack.envoy.counter(f"{METRIC}.verify_module")
    token = raw_token({"alg": "ES256", "kid": "good"}, claims(stack.issuer.issuer), secrets.token_bytes(20 * 1024))
    resp = _send(stack, token)
    assert (resp.status_code, resp.text) == (401, "Jwt verification fails")
    # An ES256 signature is 64 bytes: the wrong length is no signature, and no backend is asked.
    after = stack.envoy.counter(f"{METRIC}.verify_host") + stack.envoy.counter(f"{METRIC}.verify_module")
    assert after == checks
    _assert_alive(stack)


def test_a_deeply_nested_jwks_fails_the_fetch_and_keeps_the_last_good_keys(stack):
    st = stack
    failed = st.envoy.counter(f"{METRIC}.provider.p.jwks_fetch_failed")
    fetches = st.issuer.fetches()
    st.issuer.serve("/jwks", ('{"keys":' + _nested(DEPTH) + "}").encode())
    try:
        # An unknown kid makes the filter fetch again: the nested document it gets is refused.
        resp = st.request("/x", sign(OTHER, claims(st.issuer.issuer)))
        assert resp.status_code == 401
        # Every fetch of it failed (retries follow the backoff); none replaced the keys. A fetch may
        # still be answering: the counts are compared once they settle.
        deadline = time.monotonic() + 5
        while True:
            refetches = st.issuer.fetches() - fetches
            counted = st.envoy.counter(f"{METRIC}.provider.p.jwks_fetch_failed") - failed
            if counted == refetches or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert refetches >= 1 and counted == refetches
        _assert_alive(st)
    finally:
        st.issuer.serve("/jwks", json.dumps(jwks(KEY)).encode())
