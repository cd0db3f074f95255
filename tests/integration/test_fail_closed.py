"""Every host call the filter needs to judge a request or to carry out its judgement may fail; then
the request is refused and counted (`internal_error`), never passed upstream. The failures are made
by the test-only Cargo feature `simulate-host-failures` (support/test_build.py, and
support/build.py for the dynamic module): a request header `x-simulate-host-failure: <point>`
makes that host call fail for that request alone. Both builds fail closed alike."""
import http.client
import time

import pytest
import requests
import yaml

from support import build
from support.keys import jwks, make_key
from support.plugin import remote_provider
from support.stack import NATIVE_UNDER_TEST, Stack
from support.test_build import build_test_module
from support.tokens import claims, sign

pytestmark = pytest.mark.skipif(NATIVE_UNDER_TEST, reason="a build of the wasm module is under test")

KEY = make_key("ES256", kid="fail-closed-1")
INTERNAL = "Jwt authentication could not be completed"
COUNTER = "wasmcustom.jwt_authn_wasm.internal_error"
FAULT = "x-simulate-host-failure"


@pytest.fixture(scope="module", params=build.BUILDS)
def stack(request):
    module = build_test_module() if request.param == "wasm" else None
    st = Stack(wasm_path=str(module) if module else None)
    try:
        st.issuer.set_jwks(jwks(KEY))
        provider = {**remote_provider(st.issuer, "issuer", timeout_ms=3000),
                    "claim_to_headers": [{"header_name": "x-jwt-sub", "claim_name": "sub"}]}
        with build.use(request.param, test_features=True):
            st.start({"providers": {"p": provider},
                      "rules": [{"match": {"prefix": "/public"}, "requires": {"allow_missing": {}}},
                                {"match": {"prefix": "/"}, "requires": {"provider_name": "p"}}]})
        yield st
    finally:
        st.stop()


def _token(st) -> str:
    return sign(KEY, claims(st.issuer.issuer, sub="alice"))


def test_the_faults_need_the_header(stack):
    """Without the header the test build behaves as the filter does, and keys are in place."""
    assert stack.request("/x", _token(stack)).status_code == 200
    assert stack.request("/x").status_code == 401


# point -> the request that reaches it: each needs a decision that rewrites the request
# (a valid token is removed and x-jwt-sub written; the forged x-jwt-sub is removed).
POINTS = {
    "read_headers": ("/x", True),
    "clock": ("/x", True),
    "worker": ("/x", True),
    "remove_header": ("/x", True),
    "set_header": ("/x", True),
    "clear_route_cache": ("/x", True),
    # No token on a path that allows it: only the client's forged claim header is removed.
    "remove_header_on_public": ("/public/x", False),
}


@pytest.mark.parametrize("point", POINTS)
def test_a_failed_host_call_is_a_500_and_never_goes_upstream(stack, point):
    path, with_token = POINTS[point]
    fault = point.removesuffix("_on_public")
    before_upstream = stack.echo.requests(path)
    before = stack.envoy.counter(COUNTER)
    headers = {FAULT: fault, "x-jwt-sub": "forged"}
    resp = stack.request(path, _token(stack) if with_token else None, headers=headers)
    assert (resp.status_code, resp.text) == (500, INTERNAL), f"{point}: {resp.status_code} {resp.text}"
    assert stack.echo.requests(path) == before_upstream, f"{point}: the request reached the upstream"
    assert stack.envoy.counter(COUNTER) == before + 1


def test_a_denial_that_cannot_be_sent_leaves_the_request_paused(stack):
    """No response can be sent: the request is held until the client gives up, and never passes."""
    path = "/unsent"
    before_upstream = stack.echo.requests(path)
    conn = http.client.HTTPConnection("127.0.0.1", stack.ports.listen, timeout=1.5)
    try:
        conn.request("GET", path, headers={FAULT: "send_response"})
        with pytest.raises(TimeoutError):
            conn.getresponse()
    finally:
        conn.close()
    assert stack.echo.requests(path) == before_upstream
    assert "could not send the 401 response" in stack.envoy.log(), stack.envoy.log_tail()
    # The filter is still serving.
    assert stack.request("/x", _token(stack)).status_code == 200


def test_an_unsendable_500_also_stays_paused(stack):
    path = "/unsent-500"
    before_upstream = stack.echo.requests(path)
    before = stack.envoy.counter(COUNTER)
    conn = http.client.HTTPConnection("127.0.0.1", stack.ports.listen, timeout=1.5)
    try:
        conn.request("GET", path, headers={FAULT: "remove_header,send_response",
                                           "authorization": f"Bearer {_token(stack)}"})
        with pytest.raises(TimeoutError):
            conn.getresponse()
    finally:
        conn.close()
    assert stack.echo.requests(path) == before_upstream
    assert stack.envoy.counter(COUNTER) == before + 1
    assert requests.get(stack.url("/x"), headers={"authorization": f"Bearer {_token(stack)}"},
                        timeout=5).status_code == 200


# A trap: the VM itself fails (a bug, or an SDK call that panics). The test build panics on
# `x-simulate-host-failure: trap`; what follows is Envoy's `failure_policy` on the wasm filter.
SHIPPED_POLICY = "FAIL_RELOAD"


class PolicyStack(Stack):
    """The shipped config with its `failure_policy` replaced (None: the field removed)."""

    def __init__(self, policy: str | None, **kw):
        super().__init__(**kw)
        self.policy = policy

    def config(self, plugin_config, native_config=None):
        doc = yaml.safe_load(super().config(plugin_config, native_config))
        hcm = doc["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
        wasm = hcm["http_filters"][0]["typed_config"]["config"]
        assert wasm["failure_policy"] == SHIPPED_POLICY, "the shipped config sets its failure policy"
        if self.policy is None:
            del wasm["failure_policy"]
        else:
            wasm["failure_policy"] = self.policy
        return yaml.safe_dump(doc)


def _trap(st) -> int | None:
    """The trapping request's status; None when Envoy left it unanswered (it sometimes does, until
    the stream ends): either way it never goes upstream."""
    try:
        return st.request("/trapped", _token(st), headers={FAULT: "trap"}, timeout=3).status_code
    except requests.Timeout:
        return None


def _status_within(st, want: int, token: str | None, seconds: float = 5.0) -> list[int]:
    """Statuses of requests to /after until one is `want` or `seconds` pass."""
    seen, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen.append(st.request("/after", token).status_code)
        if seen[-1] == want:
            break
        time.sleep(0.1)
    return seen


@pytest.mark.parametrize("policy", ["FAIL_RELOAD", "FAIL_CLOSED", None])
def test_a_trap_under_each_failure_policy(policy):
    """FAIL_RELOAD (shipped): the trapped request is refused, and a fresh VM verifies the next ones.
    FAIL_CLOSED and no policy: refused, and so is everything after it until Envoy restarts.
    FAIL_OPEN (never shipped) would skip the filter for every request after the trap."""
    st = PolicyStack(policy, wasm_path=str(build_test_module()))
    try:
        st.issuer.set_jwks(jwks(KEY))
        st.start({"providers": {"p": remote_provider(st.issuer, "issuer", timeout_ms=3000)},
                  "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "p"}}]})
        good = _token(st)
        assert st.request("/before", good).status_code == 200
        trapped = _trap(st)
        assert "simulated trap" in st.envoy.log(), st.envoy.log_tail()
        assert trapped in (503, None), trapped
        assert st.echo.requests("/trapped") == 0
        if policy == "FAIL_RELOAD":
            seen = _status_within(st, 200, good)
            assert seen[-1] == 200 and set(seen) <= {200, 503}, seen
            print(f"after the trap: {seen}")
            # The new VM judges again: no token or a bad one, no entry.
            assert st.request("/after").status_code == 401
            assert st.request("/after", "not.a.jwt").status_code == 401
            # And it can be trapped and reloaded again.
            assert _trap(st) in (503, None)
            assert _status_within(st, 200, good)[-1] == 200
        else:
            # Closed for good: valid or not, nothing passes.
            for token in (good, None, good):
                assert st.request("/after", token).status_code == 503
            assert st.echo.requests("/after") == 0
        assert st.echo.requests("/trapped") == 0
    finally:
        st.stop()
