"""The request as the upstream will read it, in real Envoy, next to native jwt_authn under the same
HttpConnectionManager settings: paths with dot segments or escaped slashes, and headers the filter
writes sent with underscores. With the settings we ship, Envoy itself normalises and refuses; on a
host that sets none of them, the filter still never matches a rule on a path the upstream reads
otherwise, and never lets an underscore spelling of a header it writes through."""
import http.client
import json
import re

import pytest
import yaml

from support.envoy_config import HCM
from support.paths import ENVOY_DIR, REPO
from support.keys import jwks, make_key
from support.plugin import remote_provider
from support.stack import Stack
from support.tokens import claims, sign

# What tests/envoy/envoy.template.yaml sets on the HttpConnectionManager (README, "Security").
SHIPPED = {
    "normalize_path": True,
    "merge_slashes": True,
    "path_with_escaped_slashes_action": "UNESCAPE_AND_REDIRECT",
}
UNDERSCORES = ("common_http_protocol_options", {"headers_with_underscores_action": "REJECT_REQUEST"})

# `/public` needs no token, everything else does: each path below reads as `/admin` to an
# upstream that resolves dot segments, escaped slashes or `;` parameters.
TRAVERSALS = [
    "/public/../admin",
    "/public/%2e%2e/admin",
    "/public/%2E%2E/admin",
    "/public%2F..%2Fadmin",
    "/public%2f%2e%2e%2fadmin",
    "/public/..;/admin",
]
CLAIM_HEADERS = [{"header_name": "x-sub", "claim_name": "sub"},
                 {"header_name": "x-groups", "claim_name": "groups"}]


class HostStack(Stack):
    """A stack whose listeners (the filter's and native's) carry the given HCM settings only."""

    def __init__(self, hcm: dict, **kw):
        super().__init__(native_listener=True, **kw)
        self.hcm = hcm

    def config(self, plugin_config, native_config=None):
        doc = yaml.safe_load(super().config(plugin_config, native_config))
        for listener in doc["static_resources"]["listeners"]:
            hcm = listener["filter_chains"][0]["filters"][0]
            assert hcm["name"] == HCM
            typed = hcm["typed_config"]
            for key in (*SHIPPED, UNDERSCORES[0]):
                typed.pop(key, None)
            typed.update(self.hcm)
        return yaml.safe_dump(doc, sort_keys=False)


def _hcm(doc: dict) -> dict:
    hcm = doc["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
    assert hcm["name"] == HCM
    return hcm["typed_config"]


def test_every_shipped_envoy_config_normalises_paths_and_refuses_underscore_headers():
    # The tests' and `make run`'s template, and docker-compose's rendering of it.
    template = re.sub(r"\$\{\w+\}", "0", (ENVOY_DIR / "envoy.template.yaml").read_text())
    compose = (ENVOY_DIR / "compose" / "envoy.yaml").read_text()
    for text in (template, compose):
        typed = _hcm(yaml.safe_load(text))
        assert {k: typed.get(k) for k in SHIPPED} == SHIPPED
        assert typed.get(UNDERSCORES[0]) == UNDERSCORES[1]
    # The README's EnvoyFilter for Istio gateways sets the same value.
    readme = (REPO / "README.md").read_text()
    [envoy_filter] = [re.sub(r"^  ", "", b, flags=re.M) for b in
                      re.findall(r"  ```yaml\n(.*?)  ```", readme, re.S) if "kind: EnvoyFilter" in b]
    patch = yaml.safe_load(envoy_filter)["spec"]["configPatches"][0]
    assert patch["match"]["listener"]["filterChain"]["filter"]["name"] == HCM
    assert patch["patch"]["value"]["typed_config"][UNDERSCORES[0]] == UNDERSCORES[1]


def _plugin_config(stack: Stack) -> dict:
    provider = remote_provider(stack.issuer, "issuer", claim_to_headers=CLAIM_HEADERS,
                               forward_payload_header="x-jwt-payload")
    return {"providers": {"main": provider},
            "rules": [{"match": {"prefix": "/public"}},
                      {"match": {"prefix": "/"}, "requires": {"provider_name": "main"}}]}


def _raw(stack: Stack, path: str, headers: list | None = None, native: bool = False):
    """(status, what the upstream saw or None) for a GET sent with the path exactly as written."""
    port = stack.ports.native if native else stack.ports.listen
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        for name, value in headers or []:
            conn.putheader(name, value)
        conn.endheaders()
        resp = conn.getresponse()
        body = resp.read()
        seen = json.loads(body) if resp.getheader("content-type") == "application/json" else None
        return resp.status, seen
    finally:
        conn.close()


@pytest.fixture(scope="module")
def key():
    return make_key("ES256", kid="path-1")


def _stack(key, hcm: dict):
    stack = HostStack(hcm)
    stack.issuer.set_jwks(jwks(key))
    return stack.start(_plugin_config(stack))


@pytest.fixture(scope="module")
def bare_host(each_build, wasm_module, key):
    """Envoy's defaults: no normalisation, escaped slashes kept, underscore headers allowed."""
    stack = _stack(key, {})
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def shipped_host(each_build, wasm_module, key):
    stack = _stack(key, {**SHIPPED, UNDERSCORES[0]: UNDERSCORES[1]})
    try:
        yield stack
    finally:
        stack.stop()


def _token(stack, key, **extra):
    return sign(key, claims(stack.issuer.issuer, sub="user-1", **extra))


@pytest.mark.parametrize("path", TRAVERSALS)
def test_without_normalisation_native_passes_the_traversal_and_the_filter_refuses_it(bare_host, path):
    status, seen = _raw(bare_host, path, native=True)
    # Native matched `/public` on the raw path: the upstream got a path it may serve as /admin.
    assert (status, seen and seen["path"]) == (200, path)
    before = bare_host.echo.requests()
    assert _raw(bare_host, path) == (400, None)
    assert bare_host.echo.requests() == before, "an ambiguous path reached the upstream"


def test_without_normalisation_agreeing_readings_are_decided_as_usual(bare_host, key):
    token = [("authorization", "Bearer " + _token(bare_host, key))]
    # Every reading is under `/` (token needed) or every one under `/public` (none needed).
    assert _raw(bare_host, "/api/%2e%2e/admin")[0] == 401
    status, seen = _raw(bare_host, "/api/%2e%2e/admin", token)
    assert (status, seen["path"]) == (200, "/api/%2e%2e/admin")
    assert _raw(bare_host, "/public//x/../y")[0] == 200
    assert _raw(bare_host, "/public/plain")[0] == 200
    # A traversal out of /public is refused with a token too: it is the path, not the token.
    assert _raw(bare_host, "/public/../admin", token)[0] == 400


@pytest.mark.parametrize("path", TRAVERSALS)
def test_with_the_shipped_settings_both_filters_see_the_normalised_path(shipped_host, key, path):
    token = [("authorization", "Bearer " + _token(shipped_host, key))]
    for native in (True, False):
        status, seen = _raw(shipped_host, path, native=native)
        if "%2f" in path.lower():
            # UNESCAPE_AND_REDIRECT: Envoy sends the client to the unescaped path first.
            assert status == 307, (native, status)
            continue
        assert status == 401, (native, status, seen)
        status, seen = _raw(shipped_host, path, token, native=native)
        assert (status, seen["path"]) == (200, "/admin"), native


def test_with_the_shipped_settings_a_parameter_dot_segment_still_reaches_native_upstreams(shipped_host):
    # normalize_path resolves `/..;/` but decodes `%2e%2e;` to a `..;` it leaves in place: native
    # matches `/public` and passes the path on, which Tomcat or Spring serve as /admin.
    path = "/public/%2e%2e;/admin"
    status, seen = _raw(shipped_host, path, native=True)
    assert (status, seen["path"]) == (200, "/public/..;/admin")
    before = shipped_host.echo.requests()
    assert _raw(shipped_host, path) == (400, None)
    assert shipped_host.echo.requests() == before


def test_without_envoys_guard_underscore_spellings_of_written_headers_never_reach_the_upstream(bare_host, key):
    forged = [("x_sub", "admin"), ("x_groups", "admins"), ("x-sub_", "kept"), ("x_jwt_payload", "e30")]
    token = ("authorization", "Bearer " + _token(bare_host, key, groups=["staff"]))
    status, seen = _raw(bare_host, "/api/me", [token, *forged])
    assert status == 200
    headers = seen["headers"]
    # A list claim is written as native writes it: base64 of its JSON (`["staff"]`).
    assert (headers.get("x-sub"), headers.get("x-groups")) == ("user-1", "WyJzdGFmZiJd")
    assert not {"x_sub", "x_groups", "x_jwt_payload"} & set(headers), headers
    # Not a spelling of a written header: left alone.
    assert headers.get("x-sub_") == "kept"
    # On a path needing no token, the forged spellings go too.
    status, seen = _raw(bare_host, "/public/me", forged)
    assert status == 200
    assert not {"x_sub", "x_groups", "x-sub", "x-groups", "x_jwt_payload"} & set(seen["headers"])
    # Native only replaces the header it writes: `x_sub: admin` reaches the upstream next to it.
    status, seen = _raw(bare_host, "/public/me", forged, native=True)
    assert (status, seen["headers"].get("x_sub")) == (200, "admin")


def test_with_the_shipped_settings_envoy_refuses_underscore_headers(shipped_host, key):
    token = ("authorization", "Bearer " + _token(shipped_host, key))
    for native in (True, False):
        assert _raw(shipped_host, "/api/me", [token, ("x_sub", "admin")], native=native)[0] == 400
        assert _raw(shipped_host, "/api/me", [token], native=native)[0] == 200
