"""The module on a host without Envoy's verify_signature foreign function (Envoy before 1.31,
other proxy-wasm hosts), simulated by the test-only Cargo feature
`simulate-host-without-verify-signature` (HostCrypto answers "missing" without calling the
host; support/test_build.py). With `crypto: auto` the start-up probe must fail, the log must say so, ring must verify
RS*, ES256/384, PS* and EdDSA, and P-521 keys must be dropped (ring has no P-521) with the
reason logged, so ES512 tokens are refused."""
import time
from pathlib import Path

import pytest

from support.keys import jwks
from support.plugin import remote_provider
from support.stack import NATIVE_UNDER_TEST, Stack
from support.test_build import build_test_module
from support.tokens import claims, sign, tamper_signature

pytestmark = pytest.mark.skipif(NATIVE_UNDER_TEST, reason="a build of the wasm module is under test")

VERIFIED_BY_RING = ("RS256", "ES256", "ES384", "PS256", "EdDSA")
WARN_LINE = "the host's verify_signature is not used"
WHY = "the host has no verify_signature function"
START_LINE = "crypto auto: RS256/384/512, ES256/384 by ring in the module"
P521_DROPPED = "P-521 (ES512) keys need the host's verify_signature"
COUNTER = "wasmcustom.jwt_authn_wasm.{}"


@pytest.fixture(scope="module")
def no_host_module() -> Path:
    return build_test_module()


@pytest.fixture(scope="module")
def stack(no_host_module, keys):
    st = Stack(wasm_path=str(no_host_module))
    try:
        st.issuer.set_jwks(jwks(*(keys[a] for a in VERIFIED_BY_RING + ("ES512",))))
        st.start({"crypto": "auto", "providers": {"main": remote_provider(st.issuer, "issuer", timeout_ms=3000)}})
        yield st
    finally:
        st.stop()


def wait_for_log(st: Stack, text: str, timeout: float = 5) -> bool:
    """Envoy writes its log a moment after the event; bounded in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in st.envoy.log():
            return True
        time.sleep(0.05)
    return text in st.envoy.log()


def test_start_says_the_host_is_not_used_and_ring_verifies(stack):
    assert wait_for_log(stack, WARN_LINE), stack.envoy.log_tail()
    warn = next(ln for ln in stack.envoy.log().splitlines() if WARN_LINE in ln)
    assert "warn" in warn and WHY in warn, warn
    assert wait_for_log(stack, START_LINE), stack.envoy.log_tail()


@pytest.mark.parametrize("alg", VERIFIED_BY_RING)
def test_valid_token_allowed(stack, keys, alg):
    resp = stack.request("/ok", sign(keys[alg], claims(stack.issuer.issuer)))
    assert resp.status_code == 200, f"{alg}: {resp.status_code} {resp.text}\n{stack.envoy.log_tail()}"


@pytest.mark.parametrize("alg", VERIFIED_BY_RING)
def test_tampered_token_refused(stack, keys, alg):
    token = tamper_signature(sign(keys[alg], claims(stack.issuer.issuer)))
    resp = stack.request("/tampered", token)
    assert resp.status_code == 401, f"{alg}: {resp.status_code} {resp.text}\n{stack.envoy.log_tail()}"


def test_es512_refused_because_p521_keys_are_dropped(stack, keys):
    resp = stack.request("/es512", sign(keys["ES512"], claims(stack.issuer.issuer)))
    assert resp.status_code == 401, f"{resp.status_code} {resp.text}\n{stack.envoy.log_tail()}"
    assert wait_for_log(stack, P521_DROPPED), stack.envoy.log_tail()
    line = next(ln for ln in stack.envoy.log().splitlines() if P521_DROPPED in ln)
    # The ES512 key is the JWKS's last.
    assert f"keys[{len(VERIFIED_BY_RING)}]" in line and "ring has no P-521" in line, line


def test_counters_say_only_the_module_verified(stack, keys):
    """Runs after the requests above, and sends its own so that it holds alone too."""
    for alg in VERIFIED_BY_RING:
        assert stack.request("/count", sign(keys[alg], claims(stack.issuer.issuer))).status_code == 200
    c = {n: stack.envoy.counter(COUNTER.format(n))
         for n in ("verify_host", "verify_module", "verify_host_error", "verify_backend_disagreement")}
    assert c["verify_host"] == 0, c
    assert c["verify_module"] >= len(VERIFIED_BY_RING), c
    assert c["verify_host_error"] == 0 and c["verify_backend_disagreement"] == 0, c
