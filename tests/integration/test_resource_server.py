"""A resource server in real Envoy: a provider's `algorithms` and `token_types` allow-lists (RFC 8725,
RFC 9068), rule `scopes` and `claims` answered with RFC 6750's 403 `insufficient_scope`, claims named by
`claim_path`, and list and object claims written to headers as base64 of their JSON, as native does."""
import base64
import json
import subprocess

import pytest

from support.asserts import assert_allowed, assert_invalid, assert_missing, counts, realm
from support.envoy import EnvoyExited
from support.keys import jwks, make_key
from support.paths import VALIDATOR
from support.plugin import remote_provider
from support.stack import Stack
from support.tokens import claims, raw_token, sign

ES = make_key("ES256", kid="rs-es")
RS = make_key("RS256", kid="rs-rs")
ROLES = ["https://example.com/claims", "roles"]


def plugin_config(st: Stack) -> dict:
    at = {**remote_provider(st.issuer, "issuer", timeout_ms=2000),
          "algorithms": ["ES256"], "token_types": ["at+jwt"],
          "claim_to_headers": [{"header_name": "x-roles", "claim_path": ROLES},
                               {"header_name": "x-scp", "claim_name": "scp"},
                               {"header_name": "x-org", "claim_name": "org"},
                               {"header_name": "x-team", "claim_name": "org.team"}]}
    loose = {**remote_provider(st.issuer, "issuer", timeout_ms=2000), "issuer": st.issuer.issuer + "/loose",
             "token_types": ["application/at+jwt", ""], "from_headers": [{"name": "x-loose"}]}
    return {
        "providers": {"at": at, "loose": loose},
        "rules": [
            {"match": {"prefix": "/orders", "methods": ["POST"]}, "requires": {"provider_name": "at"},
             "scopes": ["orders:write"]},
            {"match": {"prefix": "/admin"}, "requires": {"provider_name": "at"},
             "claims": [{"claim_path": ROLES, "exact": "admin"}]},
            {"match": {"prefix": "/team"}, "requires": {"provider_name": "at"}, "scopes": ["read", "team"],
             "claims": [{"claim_name": "org.team", "any_of": ["ops", "sre"]}]},
            {"match": {"prefix": "/loose"}, "requires": {"provider_name": "loose"}},
            {"match": {"prefix": "/"}, "requires": {"provider_name": "at"}},
        ],
    }


@pytest.fixture(scope="module")
def stack(each_build, wasm_module):
    st = Stack()
    try:
        st.issuer.set_jwks(jwks(ES, RS))
        st.start(plugin_config(st))
        yield st
    finally:
        st.stop()


def _token(st, key=ES, typ="at+jwt", iss_suffix="", **claim) -> str:
    return sign(key, claims(st.issuer.issuer + iss_suffix, **claim), headers={"typ": typ})


def _untyped(st, iss_suffix="", **claim) -> str:
    """PyJWT always writes `typ`; this token has none (signed by hand with the same key)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    head, body, _ = raw_token({"alg": "ES256", "kid": ES.kid}, claims(st.issuer.issuer + iss_suffix, **claim)).split(".")
    der = ES.private.sign(f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    sig = base64.urlsafe_b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).rstrip(b"=").decode()
    return f"{head}.{body}.{sig}"


def _b64json(value) -> str:
    return base64.b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()


# --- algorithms and token_types (RFC 8725 §3.1, RFC 9068 §2.1) ---

def test_an_allowed_algorithm_and_type_pass(stack):
    assert_allowed(stack.request("/x", _token(stack)))
    assert_allowed(stack.request("/x", _token(stack, typ="application/AT+JWT")))


def test_another_algorithm_is_refused(stack):
    with counts(stack, "provider.at.denied.algorithm") as grown:
        resp = stack.request("/x", _token(stack, key=RS))
    assert_invalid(stack, resp, "/x", "Jwt header [alg] is not allowed")
    assert grown == {"provider.at.denied.algorithm": 1}


@pytest.mark.parametrize("typ", ["JWT", "jwt", "application/jwt", "at+jwt2", "dpop+jwt"])
def test_another_type_is_refused(stack, typ):
    with counts(stack, "provider.at.denied.token_type") as grown:
        resp = stack.request("/x", _token(stack, typ=typ))
    assert_invalid(stack, resp, "/x", "Jwt header [typ] is not allowed")
    assert grown == {"provider.at.denied.token_type": 1}


def test_a_token_without_typ_passes_only_where_empty_is_listed(stack):
    assert_invalid(stack, stack.request("/x", _untyped(stack)), "/x", "Jwt header [typ] is not allowed")
    untyped = _untyped(stack, iss_suffix="/loose")
    assert_allowed(stack.request("/loose/x", headers={"x-loose": untyped}))
    typed = _token(stack, iss_suffix="/loose", typ="AT+JWT")
    assert_allowed(stack.request("/loose/x", headers={"x-loose": typed}))
    jwt_typed = _token(stack, iss_suffix="/loose", typ="JWT")
    resp = stack.request("/loose/x", headers={"x-loose": jwt_typed})
    assert_invalid(stack, resp, "/loose/x", "Jwt header [typ] is not allowed")


# --- rule scopes and claims (RFC 6750 §3.1) ---

def _insufficient(stack, resp, path, scope: str | None):
    assert resp.status_code == 403, f"{resp.status_code} {resp.text[:300]!r}"
    want = realm(stack, path) + ', error="insufficient_scope"' + (f', scope="{scope}"' if scope else "")
    assert resp.headers.get("www-authenticate") == want


@pytest.mark.parametrize("grant", [{"scope": "orders:read orders:write"}, {"scp": ["orders:write"]},
                                   {"scp": "profile orders:write"}])
def test_a_granted_scope_passes(stack, grant):
    assert_allowed(stack.request("/orders", _token(stack, **grant), method="POST"))


@pytest.mark.parametrize("grant", [{"scope": "orders:read"}, {"scope": "orders:writer"}, {},
                                   {"scope": ["orders:write"]}, {"scp": {"orders:write": True}}])
def test_a_missing_scope_gets_403_insufficient_scope(stack, grant):
    with counts(stack, "provider.at.denied.scope", "denied") as grown:
        resp = stack.request("/orders", _token(stack, **grant), method="POST")
    _insufficient(stack, resp, "/orders", "orders:write")
    assert resp.text == "Jwt does not grant the required scopes"
    assert grown == {"provider.at.denied.scope": 1, "denied": 1}


def test_scopes_apply_only_to_their_rule(stack):
    # GET /orders matches the catch-all rule, which asks for no scope.
    assert_allowed(stack.request("/orders", _token(stack, scope="orders:read")))


def test_scopes_and_claims_come_after_the_token_is_valid(stack):
    assert_missing(stack, stack.request("/orders", method="POST"), "/orders")
    assert_invalid(stack, stack.request("/admin", _token(stack, key=RS, **{ROLES[0]: {"roles": ["admin"]}})),
                   "/admin", "Jwt header [alg] is not allowed")


def test_claims_by_path_match_any_element_of_a_list(stack):
    assert_allowed(stack.request("/admin", _token(stack, **{ROLES[0]: {"roles": ["user", "admin"]}})))
    assert_allowed(stack.request("/admin", _token(stack, **{ROLES[0]: {"roles": "admin"}})))
    with counts(stack, "provider.at.denied.claim") as grown:
        resp = stack.request("/admin", _token(stack, **{ROLES[0]: {"roles": ["user", "administrator"]}}))
    _insufficient(stack, resp, "/admin", None)
    assert resp.text == "Jwt claims do not satisfy the rule"
    assert grown == {"provider.at.denied.claim": 1}
    # A top-level claim named like the path's dotted spelling is another claim.
    _insufficient(stack, stack.request("/admin", _token(stack, **{"https://example.com/claims.roles": "admin"})),
                  "/admin", None)


def test_scopes_and_claims_together(stack):
    good = _token(stack, scope="read team", org={"team": "sre"})
    assert_allowed(stack.request("/team", good))
    _insufficient(stack, stack.request("/team", _token(stack, scope="read", org={"team": "sre"})), "/team", "read team")
    claim_fail = stack.request("/team", _token(stack, scope="read team", org={"team": "dev"}))
    _insufficient(stack, claim_fail, "/team", "read team")
    assert claim_fail.text == "Jwt claims do not satisfy the rule"


# --- claim headers: claim_path, and lists and objects as base64 of their JSON (as native) ---

def test_claim_headers_like_native(stack):
    token = _token(stack, scp=["read", "write"], org={"team": "ops"}, **{ROLES[0]: {"roles": ["admin", "user"]}})
    seen = assert_allowed(stack.request("/x", token))["headers"]
    assert seen.get("x-scp") == "WyJyZWFkIiwid3JpdGUiXQ==" == _b64json(["read", "write"])
    assert seen.get("x-roles") == _b64json(["admin", "user"])
    assert seen.get("x-org") == _b64json({"team": "ops"})
    assert seen.get("x-team") == "ops"
    assert json.loads(base64.b64decode(seen["x-org"])) == {"team": "ops"}


def test_a_comma_joined_string_and_a_list_stay_apart(stack):
    as_text = assert_allowed(stack.request("/x", _token(stack, scp="admin,user")))["headers"]
    as_list = assert_allowed(stack.request("/x", _token(stack, scp=["admin", "user"])))["headers"]
    # A string with a comma would read as a list upstream while RBAC matches the whole line: it
    # is not written at all (README, intended differences); the list is base64 of its JSON.
    assert "x-scp" not in as_text
    assert as_list["x-scp"] == _b64json(["admin", "user"])


# --- configuration: refused with the field named, by Envoy and by validate-config ---

def _validate(tmp_path, cfg) -> subprocess.CompletedProcess:
    assert VALIDATOR.is_file(), f"{VALIDATOR} is missing: run `make validator`"
    path = tmp_path / "plugin.json"
    path.write_text(json.dumps(cfg))
    return subprocess.run([str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=30)


def _mutations():
    def provider(**extra):
        return lambda cfg: cfg["providers"]["at"].update(extra)

    def rule(index, **extra):
        return lambda cfg: cfg["rules"][index].update(extra)

    def claim_to_header(entry):
        return lambda cfg: cfg["providers"]["at"]["claim_to_headers"].append(entry)

    return {
        "unknown_algorithm": (provider(algorithms=["ES256", "none"]), "providers.at.algorithms[1]"),
        "no_algorithm": (provider(algorithms=[]), "providers.at.algorithms"),
        "no_token_type": (provider(token_types=[]), "providers.at.token_types"),
        "unknown_sender_constraint": (provider(sender_constraint="dpop"), "providers.at.sender_constraint"),
        "token_type_with_space": (provider(token_types=["at jwt"]), "providers.at.token_types"),
        "scope_with_space": (rule(0, scopes=["orders write"]), "rules[0].scopes"),
        "no_scope": (rule(0, scopes=[]), "rules[0].scopes"),
        "scopes_without_requires": (lambda cfg: cfg["rules"].insert(0, {"match": {"prefix": "/p"}, "scopes": ["a"]}),
                                    "rules[0]"),
        "claim_two_matchers": (rule(1, claims=[{"claim_name": "a", "exact": "x", "prefix": "y"}]), "rules[1].claims[0]"),
        "claim_no_matcher": (rule(1, claims=[{"claim_name": "a"}]), "rules[1].claims[0]"),
        "claim_name_and_path": (rule(1, claims=[{"claim_name": "a", "claim_path": ["a"], "exact": "x"}]),
                                "rules[1].claims[0]"),
        "claim_empty_path": (rule(1, claims=[{"claim_path": [], "exact": "x"}]), "rules[1].claims[0].claim_path"),
        "claim_empty_any_of": (rule(1, claims=[{"claim_name": "a", "any_of": []}]), "rules[1].claims[0]"),
        "claim_unknown_matcher": (rule(1, claims=[{"claim_name": "a", "regex": "x"}]), "rules[1].claims[0].regex"),
        "header_path_with_empty_name": (claim_to_header({"header_name": "x-a", "claim_path": ["a", ""]}),
                                        "providers.at.claim_to_headers[4].claim_path"),
        "header_name_and_path": (claim_to_header({"header_name": "x-a", "claim_name": "a", "claim_path": ["a"]}),
                                 "providers.at.claim_to_headers[4]"),
    }


BAD = _mutations()


def test_validator_accepts_the_config(tmp_path):
    out = _validate(tmp_path, plugin_config(Stack()))
    assert (out.returncode, out.stderr) == (0, ""), out.stderr


@pytest.mark.parametrize("case", list(BAD))
def test_validator_names_the_field(tmp_path, case):
    mutate, field = BAD[case]
    cfg = plugin_config(Stack())
    mutate(cfg)
    out = _validate(tmp_path, cfg)
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 1 and len(lines) == 1, out.stderr
    assert lines[0].startswith(f"invalid config: {field}:"), lines[0]


def test_envoy_refuses_an_unknown_algorithm(each_build, wasm_module):
    with Stack() as st:
        cfg = plugin_config(st)
        BAD["unknown_algorithm"][0](cfg)
        try:
            st.start(cfg, wait=False)
            if st.envoy.wait_exit(timeout=20) is None:  # still running: the listener must not serve
                st.envoy.wait_ready(timeout=10)
                assert "jwt" not in st.envoy.listeners()
        except EnvoyExited:
            pass
        log = st.envoy.log()
    lines = [ln for ln in log.splitlines() if "providers.at.algorithms[1]" in ln and "wasm" in ln.lower()]
    assert len(lines) == 1, log[-3000:]
