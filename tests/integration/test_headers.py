"""What reaches the upstream: token stripped or forwarded, payload header, claim headers, no forgery."""
import base64
import json

from support import build
from support.asserts import assert_allowed
from support.tokens import claims, sign

# Both builds: each has a main stack of its own (integration/conftest.py).
pytestmark = build.BOTH


def _token(stack, keys, **extra):
    return sign(keys["RS256"], claims(stack.issuer.issuer, sub="alice", **extra))


def test_token_removed_before_upstream_by_default(main_stack, keys):
    seen = assert_allowed(main_stack.request("/api/strip", _token(main_stack, keys)))
    assert "authorization" not in seen["headers"]


def test_token_in_query_removed_before_upstream(main_stack, keys):
    token = _token(main_stack, keys)
    seen = assert_allowed(main_stack.request(f"/api/strip?access_token={token}&keep=1"))
    assert token not in seen["path"]
    assert "keep=1" in seen["path"]


def test_token_forwarded_when_configured(main_stack, keys):
    token = sign(keys["RS256"], claims(main_stack.issuer.issuer + "/fwd"))
    seen = assert_allowed(main_stack.request("/forward/x", token))
    assert seen["headers"]["authorization"] == f"Bearer {token}"


def test_payload_header_is_base64url_payload(main_stack, keys):
    payload = claims(main_stack.issuer.issuer, sub="alice", org={"team": "blue"})
    seen = assert_allowed(main_stack.request("/api/payload", sign(keys["ES256"], payload)))
    encoded = seen["headers"]["x-jwt-payload"]
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded
    assert json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))) == payload


def test_claims_to_headers_nested_number_bool(main_stack, keys):
    token = _token(main_stack, keys, org={"team": "blue", "unit": {"x": 1}}, level=7, admin=True)
    seen = assert_allowed(main_stack.request("/api/claims", token))
    h = seen["headers"]
    assert (h["x-sub"], h["x-team"], h["x-level"], h["x-admin"]) == ("alice", "blue", "7", "true")


def test_absent_claim_writes_no_header(main_stack, keys):
    seen = assert_allowed(main_stack.request("/api/claims", _token(main_stack, keys)))
    assert "x-team" not in seen["headers"] and "x-level" not in seen["headers"]


def test_client_forged_claim_headers_replaced(main_stack, keys):
    forged = {"x-sub": "root", "x-team": "admins", "x-level": "99", "x-admin": "true", "x-jwt-payload": "e30"}
    seen = assert_allowed(main_stack.request("/api/forge", _token(main_stack, keys), headers=forged))
    h = seen["headers"]
    assert h["x-sub"] == "alice"
    assert "x-team" not in h and "x-level" not in h and "x-admin" not in h
    assert h["x-jwt-payload"] != "e30"


def test_client_forged_claim_headers_removed_without_token(main_stack):
    forged = {"x-sub": "root", "x-team": "admins", "x-jwt-payload": "e30"}
    for path in ("/public/forge", "/optional/forge"):
        seen = assert_allowed(main_stack.request(path, headers=forged))
        assert not {"x-sub", "x-team", "x-jwt-payload"} & set(seen["headers"]), path


def test_client_forged_claim_headers_removed_on_unprotected_path(main_stack):
    seen = assert_allowed(main_stack.request("/unprotected", headers={"x-sub": "root", "x-jwt-payload": "e30"}))
    assert not {"x-sub", "x-jwt-payload"} & set(seen["headers"])
