"""The filter's debug line for a denied request follows Envoy's log level for the filter (`wasm`
for the wasm build, `dynamic_modules` for the dynamic module), also when an operator changes it
at runtime through the admin /logging endpoint."""
import time

import requests

from support.keys import jwks, make_key
from support.plugin import remote_provider
from support.stack import Stack


def _denied_lines(st: Stack, path: str) -> list[str]:
    return [line for line in st.envoy.log().splitlines() if "denied" in line and path in line]


def _wait_for_line(st: Stack, path: str, timeout: float = 5) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = _denied_lines(st, path)
        if lines:
            return lines
        time.sleep(0.1)
    return []


LOGGER = {"wasm": "wasm", "dynamic": "dynamic_modules"}


def test_denial_reason_logged_only_at_debug(each_build, wasm_module):
    logger = LOGGER[each_build]
    key = make_key("ES256", kid="log-1")
    with Stack() as st:
        st.issuer.set_jwks(jwks(key))
        st.start({"providers": {"main": remote_provider(st.issuer, "issuer")}})
        assert st.request("/at-debug").status_code == 401
        lines = _wait_for_line(st, "/at-debug")
        assert lines and "Jwt is missing" in lines[0], st.envoy.log_tail()

        requests.post(f"{st.envoy.admin}/logging?{logger}=warning", timeout=5).raise_for_status()
        time.sleep(0.5)  # the filter reads the level on its next tick (100 ms)
        assert st.request("/at-warning").status_code == 401
        requests.post(f"{st.envoy.admin}/logging?{logger}=debug", timeout=5).raise_for_status()
        time.sleep(0.5)
        assert st.request("/back-at-debug").status_code == 401
        assert _wait_for_line(st, "/back-at-debug"), st.envoy.log_tail()
        assert _denied_lines(st, "/at-warning") == []
