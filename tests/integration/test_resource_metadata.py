"""RFC 9728 protected-resource metadata in real Envoy: the filter serves the document on its well-known path
(no token needed, whatever the rules), and every challenge names it with `resource_metadata=`, so a client
such as an MCP client finds the authorization server from a 401 alone (the discovery a client performs is
replayed here step by step: 401 → its `resource_metadata` URL → the document → the authorization server)."""
import json
import re
import subprocess

import pytest
import requests

from support.keys import jwks, make_key
from support.paths import VALIDATOR
from support.plugin import remote_provider
from support.stack import Stack
from support.tokens import claims, sign

KEY = make_key("ES256", kid="prm-1")
WELL_KNOWN = "/.well-known/oauth-protected-resource"


def plugin_config(st: Stack, **metadata) -> dict:
    resource = f"http://127.0.0.1:{st.ports.listen}/mcp"
    return {
        "providers": {"as": remote_provider(st.issuer, "issuer", timeout_ms=2000)},
        "resource_metadata": {"resource": resource, "authorization_servers": [st.issuer.issuer],
                              "scopes_supported": ["tools:call", "tools:list"],
                              "bearer_methods_supported": ["header"], **metadata},
        "rules": [{"match": {"prefix": "/mcp"}, "requires": {"provider_name": "as"}, "scopes": ["tools:call"]},
                  {"match": {"prefix": "/"}, "requires": {"provider_name": "as"}}],
    }


@pytest.fixture(scope="module")
def stack(each_build, wasm_module):
    st = Stack()
    try:
        st.issuer.set_jwks(jwks(KEY))
        st.start(plugin_config(st))
        yield st
    finally:
        st.stop()


def _challenge_params(header: str) -> dict:
    assert header.startswith("Bearer "), header
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


def test_a_401_leads_a_client_to_the_authorization_server(stack):
    resp = stack.request("/mcp", method="POST", data=b"{}")
    assert resp.status_code == 401
    params = _challenge_params(resp.headers["www-authenticate"])
    url = params["resource_metadata"]
    assert url == f"http://127.0.0.1:{stack.ports.listen}{WELL_KNOWN}/mcp"
    doc = requests.get(url, timeout=10)
    assert doc.status_code == 200 and doc.headers["content-type"] == "application/json"
    metadata = doc.json()
    assert metadata == {"resource": f"http://127.0.0.1:{stack.ports.listen}/mcp",
                        "authorization_servers": [stack.issuer.issuer],
                        "scopes_supported": ["tools:call", "tools:list"], "bearer_methods_supported": ["header"]}
    # RFC 9728 §3.3: the document's resource is the one the client asked for.
    assert metadata["resource"] == stack.url("/mcp")


def test_every_challenge_names_the_metadata(stack):
    url = f"http://127.0.0.1:{stack.ports.listen}{WELL_KNOWN}/mcp"
    expired = sign(KEY, claims(stack.issuer.issuer, lifetime=-3600))
    no_scope = sign(KEY, claims(stack.issuer.issuer, scope="tools:list"))
    for path, token, status, error in [("/other", None, 401, None), ("/other", expired, 401, "invalid_token"),
                                       ("/mcp", no_scope, 403, "insufficient_scope")]:
        resp = stack.request(path, token)
        assert resp.status_code == status, resp.text
        params = _challenge_params(resp.headers["www-authenticate"])
        assert params.get("error") == error and params["resource_metadata"] == url, params


def test_a_token_with_the_scope_passes(stack):
    token = sign(KEY, claims(stack.issuer.issuer, scope="tools:list tools:call"))
    assert stack.request("/mcp", token, method="POST", data=b"{}").status_code == 200


def test_only_get_and_head_of_the_exact_path_are_answered(stack):
    path = f"{WELL_KNOWN}/mcp"
    assert stack.request(path + "?x=1").status_code == 200
    assert stack.request(path, method="HEAD").status_code == 200
    assert stack.request(path, method="POST").status_code == 401
    assert stack.request(WELL_KNOWN).status_code == 401
    assert stack.request(path + "/more").status_code == 401


def _validate(tmp_path, cfg) -> subprocess.CompletedProcess:
    path = tmp_path / "plugin.json"
    path.write_text(json.dumps(cfg))
    return subprocess.run([str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("metadata,field", [
    ({"resource": "urn:example:api"}, "resource_metadata.resource"),
    ({"resource": "https://api.example/mcp#x"}, "resource_metadata.resource"),
    ({"authorization_servers": []}, "resource_metadata.authorization_servers"),
    ({"authorization_servers": ["https://as.example", "as.example"]}, "resource_metadata.authorization_servers[1]"),
    ({"scopes_supported": ["a b"]}, "resource_metadata.scopes_supported"),
    ({"bearer_methods_supported": ["cookie"]}, "resource_metadata.bearer_methods_supported"),
    ({"path": "well-known"}, "resource_metadata.path"),
    ({"jwks_uri": "https://x"}, "resource_metadata.jwks_uri"),
])
def test_validator_names_the_field(tmp_path, metadata, field):
    assert VALIDATOR.is_file(), f"{VALIDATOR} is missing: run `make validator`"
    out = _validate(tmp_path, plugin_config(Stack(), **metadata))
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 1 and len(lines) == 1, out.stderr
    assert lines[0].startswith(f"invalid config: {field}"), lines[0]


def test_validator_accepts_a_custom_path(tmp_path):
    out = _validate(tmp_path, plugin_config(Stack(), path="/prm.json"))
    assert (out.returncode, out.stderr) == (0, ""), out.stderr


def test_the_mcp_sdk_oauth_client_discovers_and_gets_through(stack):
    """The MCP Python SDK's OAuth client (PyPI `mcp`) against the filter: from the 401 alone it finds the
    metadata, then the authorization server, and retries with the token it obtained. The authorization
    server's metadata comes from the test issuer over HTTP; its registration and token endpoints (POST) and
    the user's browser are stood in for here, since the filter is what is under test."""
    import urllib.parse

    import anyio
    import httpx2
    from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
    from mcp.shared.auth import OAuthClientMetadata

    st = stack
    issuer = st.issuer.issuer.rstrip("/")
    st.issuer.serve("/.well-known/oauth-authorization-server", json.dumps({
        "issuer": issuer, "authorization_endpoint": issuer + "/authorize", "token_endpoint": issuer + "/token",
        "registration_endpoint": issuer + "/register", "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"]}).encode())
    seen: list[str] = []
    authorize: dict = {}

    class AuthorizationServer(httpx2.AsyncBaseTransport):
        """Real HTTP for everything but the authorization server's POST endpoints."""

        def __init__(self):
            self.http = httpx2.AsyncHTTPTransport()

        async def handle_async_request(self, request):
            seen.append(f"{request.method} {request.url.path}")
            if request.method == "POST" and request.url.path == "/register":
                body = json.loads(request.content)
                return httpx2.Response(201, json={**body, "client_id": "mcp-test-client"})
            if request.method == "POST" and request.url.path == "/token":
                token = sign(KEY, claims(st.issuer.issuer, scope=authorize["scope"]))
                return httpx2.Response(200, json={"access_token": token, "token_type": "Bearer", "expires_in": 300})
            return await self.http.handle_async_request(request)

    class Storage:
        def __init__(self):
            self.tokens = self.client = None

        async def get_tokens(self):
            return self.tokens

        async def set_tokens(self, tokens):
            self.tokens = tokens

        async def get_client_info(self):
            return self.client

        async def set_client_info(self, info):
            self.client = info

    async def redirect(url: str):
        authorize.update({k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).items()})

    async def callback():
        return AuthorizationCodeResult(code="the-code", state=authorize["state"])

    async def run():
        provider = OAuthClientProvider(
            server_url=st.url("/mcp"),
            client_metadata=OAuthClientMetadata(redirect_uris=["http://127.0.0.1:9/callback"], client_name="test"),
            storage=Storage(), redirect_handler=redirect, callback_handler=callback)
        async with httpx2.AsyncClient(auth=provider, transport=AuthorizationServer(), timeout=15) as client:
            return await client.post(st.url("/mcp"), json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})

    resp = anyio.run(run)
    assert resp.status_code == 200, (resp.status_code, resp.text, seen)
    assert seen[:3] == ["POST /mcp", f"GET {WELL_KNOWN}/mcp", "GET /.well-known/oauth-authorization-server"], seen
    assert seen[-1] == "POST /mcp" and "POST /token" in seen, seen
    # The resource and scopes the client asked the authorization server for came from the filter.
    assert authorize["resource"] == st.url("/mcp")
    assert set(authorize["scope"].split()) == {"tools:call", "tools:list"}
    assert resp.json()["method"] == "POST" and "authorization" not in resp.json()["headers"]  # forward: false
