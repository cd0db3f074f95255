"""Remote JWKS fetches racing the request and the configuration, at an Istio gateway in real Envoy (the
WasmPlugin of wasmplugin/manifests/gateway.yaml, loaded over ECDS as istiod sends it):

- requests held for a fetch in flight whose clients reset, while the route cache is cleared for the
  claim headers the filter writes (Envoy CVE-2024-45809: native jwt_authn used a freed stream);
- a fetch reset, timed out or answered with garbage while a new plugin configuration is pushed (Envoy
  CVE-2025-64527: native jwt_authn crashed on a fetch failing during a reload).

Envoy keeps serving, every request gets an answer, nothing reaches the upstream unverified, and no
reset stream is ever forwarded."""
import copy
import socket
import struct
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests

from support import build
from support.istio_gateway import IstioGateway, load_wasmplugin
from support.keys import make_key
from support.tokens import claims, sign

KEY = make_key("ES256", kid="race-1")
STRANGER = make_key("ES256", kid="race-unknown")
TRAPS = ("panicked", "wasm trap", "Function: proxy_on_", "failed to call")

# Both builds: with the dynamic module the same ECDS resource carries its filter (support/istio_gateway.py),
# and a pushed configuration replaces one whose main-thread fetch is in flight.
pytestmark = build.BOTH


def _manifest(**provider_changes) -> dict:
    plugin = load_wasmplugin()
    provider = next(iter(plugin["spec"]["pluginConfig"]["providers"].values()))
    provider["remote_jwks"].update(provider_changes)
    return plugin


def _jwks_path(plugin: dict) -> str:
    provider = next(iter(plugin["spec"]["pluginConfig"]["providers"].values()))
    return urlsplit(provider["remote_jwks"]["uri"]).path


def _send_then_reset(port: int, token: str) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(f"GET /reset HTTP/1.1\r\nhost: gw\r\nauthorization: Bearer {token}\r\n\r\n".encode())
    return s


def _reset(s: socket.socket):
    # SO_LINGER 0: close sends RST, as a client that gives up does.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def _assert_serving(gw: IstioGateway):
    assert requests.get(gw.envoy.admin + "/ready", timeout=5).status_code == 200
    log = gw.envoy.log()
    assert not [t for t in TRAPS if t in log], gw.envoy.log_tail()


def _eventually(check, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_clients_resetting_while_their_requests_wait_for_a_fetch(wasm_module):
    plugin = _manifest()
    gw = IstioGateway(plugin, wasm_module, KEY)
    issuer = gw.stack.issuer
    # The fetch at start hangs: the first requests are held for it (hold_for_keys_ms: 5 s by default).
    issuer.hang_seconds = 3
    issuer.set_behaviour("hang", _jwks_path(plugin))
    with gw:
        port = gw.stack.ports.listen
        doomed = [_send_then_reset(port, gw.token(sub=f"gone-{i}")) for i in range(6)]
        kept = {}
        waiter = threading.Thread(target=lambda: kept.update(r=gw.request("/kept", gw.token(sub="kept"))))
        waiter.start()
        time.sleep(0.3)
        assert issuer.fetches(_jwks_path(plugin)) == 1 and gw.echo.requests() == 0, "not held"
        for s in doomed:
            _reset(s)
        waiter.join(timeout=15)
        # The fetch ended after the resets: the held request that stayed is answered, with its claim header
        # (the route cache is cleared for it), and the reset ones never reach the upstream.
        assert kept["r"].status_code == 200, gw.envoy.log_tail()
        assert kept["r"].json()["headers"]["x-jwt-sub"] == "kept"
        assert gw.echo.requests("/reset") == 0
        issuer.set_behaviour("ok", _jwks_path(plugin))
        assert gw.request("/after", gw.token(sub="after")).status_code == 200
        _assert_serving(gw)


@pytest.mark.parametrize("failure", ["reset", "hang", "garbage"])
def test_a_fetch_failing_while_a_new_configuration_is_pushed(wasm_module, failure):
    plugin = _manifest(timeout_ms=1000)
    path = _jwks_path(plugin)
    with IstioGateway(plugin, wasm_module, KEY) as gw:
        issuer = gw.stack.issuer
        assert gw.request("/warm", gw.token(sub="warm")).status_code == 200, gw.envoy.log_tail()
        issuer.hang_seconds = 3  # past timeout_ms
        issuer.set_behaviour(failure, path)
        fetches = issuer.fetches(path)
        # An unknown kid starts a refetch, which fails while the new configuration arrives.
        held = {}
        unknown = sign(STRANGER, claims("https://issuer.example.com", aud="api"))
        t = threading.Thread(target=lambda: held.update(r=gw.request("/held", unknown)))
        t.start()
        assert _eventually(lambda: issuer.fetches(path) > fetches, 5)
        pushed = copy.deepcopy(plugin)
        provider = next(iter(pushed["spec"]["pluginConfig"]["providers"].values()))
        provider["audiences"] = ["api", "api-v2"]
        gw.publish(pushed)
        answers = []
        while t.is_alive() or not answers:
            for path_, token in (("/none", None), ("/forged", unknown), ("/good", gw.token(sub="during"))):
                answers.append((path_, gw.request(path_, token).status_code))
            time.sleep(0.05)
        t.join(timeout=15)
        assert _eventually(lambda: gw.ecds_stat("version_text") == "2"), gw.envoy.log_tail()
        assert held["r"].status_code == 401
        # Every request answered; nothing unverified passed; good tokens pass or are refused, never 5xx.
        assert all(code == 401 for p, code in answers if p in ("/none", "/forged")), answers
        assert all(code in (200, 401) for p, code in answers if p == "/good"), answers
        assert gw.echo.requests("/none") == gw.echo.requests("/forged") == gw.echo.requests("/held") == 0
        issuer.set_behaviour("ok", path)
        assert _eventually(lambda: gw.request("/after", gw.token(sub="after")).status_code == 200), gw.envoy.log_tail()
        assert gw.request("/none").status_code == 401
        _assert_serving(gw)
