"""Rules (first match wins), requirement kinds, CORS preflight bypass, OIDC discovery provider."""
from support import build
from support.asserts import assert_allowed, assert_invalid, assert_missing, counts
from support.issuer import DISCOVERY_PATH, JWKS_PATH
from support.tokens import claims, sign, tamper_signature

# Both builds: each has a main stack of its own (integration/conftest.py).
pytestmark = build.BOTH


def _main(stack, keys):
    return sign(keys["RS256"], claims(stack.issuer.issuer))


def _hs(stack, keys):
    return sign(keys["HS256"], claims(stack.issuer.issuer + "/hs"))


def test_path_without_rule_needs_no_token(main_stack):
    assert_allowed(main_stack.request("/unprotected/x"))


def test_allow_missing(main_stack, keys):
    assert_allowed(main_stack.request("/public/a"))
    seen = assert_allowed(main_stack.request("/public/a", _main(main_stack, keys)))
    assert seen["headers"].get("x-sub") == "user-1"
    bad = tamper_signature(_main(main_stack, keys))
    assert_invalid(main_stack, main_stack.request("/public/a", bad), "/public/a", "Jwt verification fails")


def test_allow_missing_or_failed(main_stack, keys):
    assert_allowed(main_stack.request("/optional/a"))
    assert_allowed(main_stack.request("/optional/a", tamper_signature(_main(main_stack, keys))))
    seen = assert_allowed(main_stack.request("/optional/a", _main(main_stack, keys)))
    assert seen["headers"].get("x-sub") == "user-1"


def test_requires_any(main_stack, keys):
    assert_allowed(main_stack.request("/any/a", _main(main_stack, keys)))
    assert_allowed(main_stack.request("/any/a", headers={"x-hs-token": _hs(main_stack, keys)}))
    assert_missing(main_stack, main_stack.request("/any/a"), "/any/a")
    resp = main_stack.request("/any/a", tamper_signature(_main(main_stack, keys)))
    assert_invalid(main_stack, resp, "/any/a")


def test_requires_all(main_stack, keys):
    both = main_stack.request("/all/a", _main(main_stack, keys), headers={"x-hs-token": _hs(main_stack, keys)})
    assert_allowed(both)
    assert main_stack.request("/all/a", _main(main_stack, keys)).status_code == 401
    assert main_stack.request("/all/a", headers={"x-hs-token": _hs(main_stack, keys)}).status_code == 401


def test_path_and_method_match(main_stack, keys):
    assert_missing(main_stack, main_stack.request("/exact", method="POST"), "/exact")
    assert_allowed(main_stack.request("/exact", _main(main_stack, keys), method="POST"))
    # GET /exact matches no rule; /exactly is not the exact path.
    assert_allowed(main_stack.request("/exact"))
    assert_allowed(main_stack.request("/exactly", method="POST"))


def test_first_matching_rule_wins(main_stack, keys):
    # /hs* is before /api*: an RS256 token from `main` does not satisfy `hs`.
    resp = main_stack.request("/hs/a", headers={"x-hs-token": _main(main_stack, keys)})
    assert resp.status_code == 401


def test_cors_preflight_bypassed(main_stack):
    preflight = {"origin": "https://app.example", "access-control-request-method": "POST"}
    with counts(main_stack, "cors_preflight_bypassed") as grown:
        seen = assert_allowed(main_stack.request("/api/cors", headers=preflight, method="OPTIONS"))
    assert seen["method"] == "OPTIONS"
    assert grown == {"cors_preflight_bypassed": 1}


def test_options_without_preflight_headers_needs_token(main_stack):
    resp = main_stack.request("/api/cors", headers={"origin": "https://app.example"}, method="OPTIONS")
    assert_missing(main_stack, resp, "/api/cors")


def test_oidc_discovery_provider(main_stack, oidc_key):
    oidc = main_stack.issuers["oidc"]
    token = sign(oidc_key, claims(oidc.issuer, aud="anything"))
    assert_allowed(main_stack.request("/oidc/a", token))
    assert oidc.fetches(DISCOVERY_PATH) >= 1
    assert oidc.fetches("/oauth2/v3/certs") >= 1
    assert oidc.fetches(JWKS_PATH) == 0


def test_token_from_configured_param_and_cookie(main_stack, keys):
    token = _hs(main_stack, keys)
    assert_allowed(main_stack.request(f"/hs/p?hs_token={token}"))
    assert_allowed(main_stack.request("/hs/c", headers={"cookie": f"other=1; hs_jwt={token}"}))
    # `hs` reads only its own locations.
    assert_missing(main_stack, main_stack.request("/hs/a", token), "/hs/a")
