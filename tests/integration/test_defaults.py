"""Defaults that do not surprise, in real Envoy next to native jwt_authn where it has the feature:
a CORS preflight needs a token unless the operator says otherwise, HMAC keys shorter than their
hash are not used, a key whose `key_ops` lacks `verify` is not used, and OIDC discovery fetches
keys only from the issuer's host or hosts the configuration lists. (`issuer_template` without
`allowed_tenants` is refused at start: test_bad_config.py.)"""
import base64
import json

import pytest

from support.asserts import assert_allowed, assert_invalid, assert_missing
from support.issuer import DISCOVERY_PATH, JWKS_PATH
from support.keys import jwks, make_key
from support.plugin import remote_provider
from support.stack import Stack
from support.tokens import claims, hmac_with_secret, sign

PREFLIGHT = {"origin": "https://app.example", "access-control-request-method": "POST"}
SHORT = b"sixteen byte key"          # under HS256's 32 bytes
K32 = b"a shared secret of 32 bytes!!!!!"  # HS256 only


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def stack(each_build, wasm_module):
    """Provider `rsa` (remote JWKS with a verify key and an encrypt-only one) on `/`, provider
    `hs` (local HMAC keys) on `/hs`; the same configuration on native's listener."""
    st = Stack(native_listener=True)
    verify_key = make_key("ES256", kid="verify")
    encrypt_only = make_key("ES256", kid="encrypt-only")
    verify_key.jwk["key_ops"] = ["verify"]
    encrypt_only.jwk["key_ops"] = ["encrypt"]
    st.issuer.set_jwks(jwks(verify_key, encrypt_only))
    hs_keys = {"keys": [{"kty": "oct", "kid": "short", "k": _b64(SHORT)},
                        {"kty": "oct", "kid": "k32", "k": _b64(K32)}]}
    cfg = {"providers": {
        "rsa": remote_provider(st.issuer, "issuer"),
        "hs": {"issuer": st.issuer.issuer + "/hs", "audiences": ["api"],
               "local_jwks": {"inline_string": json.dumps(hs_keys)}, "from_headers": [{"name": "x-hs"}]}},
        "rules": [{"match": {"prefix": "/hs"}, "requires": {"provider_name": "hs"}},
                  {"match": {"prefix": "/"}, "requires": {"provider_name": "rsa"}}]}
    st.keys = {"verify": verify_key, "encrypt-only": encrypt_only}
    try:
        yield st.start(cfg)
    finally:
        st.stop()


def test_a_cors_preflight_needs_a_token_by_default_as_in_native(stack):
    for native in (True, False):
        resp = stack.request("/api", headers=PREFLIGHT, method="OPTIONS", native=native)
        assert (resp.status_code, resp.text) == (401, "Jwt is missing"), native
    assert_missing(stack, stack.request("/api", headers=PREFLIGHT, method="OPTIONS"), "/api")


def test_hmac_keys_shorter_than_their_hash_are_not_used(stack):
    iss = stack.issuer.issuer + "/hs"

    def status(alg, secret, kid, native):
        token = hmac_with_secret(alg, secret, claims(iss), kid=kid)
        return stack.request("/hs", headers={"x-hs": token}, native=native).status_code

    # Both take HS256 with a 32-byte key.
    assert [status("HS256", K32, "k32", n) for n in (True, False)] == [200, 200]
    # Native takes a 16-byte HS256 key and a 32-byte key for HS512; RFC 7518 §3.2 does not.
    assert [status("HS256", SHORT, "short", n) for n in (True, False)] == [200, 401]
    assert [status("HS512", K32, "k32", n) for n in (True, False)] == [200, 401]
    resp = stack.request("/hs", headers={"x-hs": hmac_with_secret("HS256", SHORT, claims(iss), kid="short")})
    assert_invalid(stack, resp, "/hs", "Jwks doesn't have key to match kid or alg from Jwt")


def test_a_key_whose_key_ops_lack_verify_is_not_used(stack):
    iss = stack.issuer.issuer
    good = sign(stack.keys["verify"], claims(iss), kid="verify")
    encrypt_only = sign(stack.keys["encrypt-only"], claims(iss), kid="encrypt-only")
    assert [stack.request("/api", good, native=n).status_code for n in (True, False)] == [200, 200]
    # Native ignores key_ops.
    assert stack.request("/api", encrypt_only, native=True).status_code == 200
    assert_invalid(stack, stack.request("/api", encrypt_only), "/api",
                   "Jwks doesn't have key to match kid or alg from Jwt")


def test_discovery_takes_keys_only_from_the_issuers_host_or_listed_ones(each_build, wasm_module):
    """The discovery document (on 127.0.0.1) names a jwks_uri on `localhost`: another host."""
    with Stack(issuer_names=("issuer", "keys")) as st:
        key = make_key("ES256", kid="d1")
        keys = st.issuers["keys"]
        keys.set_jwks(jwks(key))
        elsewhere = f"http://localhost:{keys.port}{JWKS_PATH}"
        st.issuer.serve(DISCOVERY_PATH, json.dumps({"issuer": st.issuer.issuer, "jwks_uri": elsewhere}).encode())

        def provider(**discovery):
            return {"issuer": st.issuer.issuer, "audiences": ["api"], "hold_for_keys_ms": 3000,
                    "oidc_discovery": {"cluster": "issuer", "jwks_cluster": "keys", "timeout_ms": 1000,
                                       **discovery}}

        st.start({"providers": {"strict": provider(), "listed": provider(jwks_hosts=["localhost"])},
                  "rules": [{"match": {"prefix": "/listed"}, "requires": {"provider_name": "listed"}},
                            {"match": {"prefix": "/"}, "requires": {"provider_name": "strict"}}]})
        token = sign(key, claims(st.issuer.issuer), kid="d1")
        assert_allowed(st.request("/listed", token))
        fetched = keys.fetches()
        assert fetched >= 1
        assert_invalid(st, st.request("/strict", token), "/strict", "Jwks remote fetch is failed")
        # The strict provider read the document but never fetched from the host it named.
        assert st.issuer.fetches(DISCOVERY_PATH) >= 2
        assert keys.fetches() == fetched
        assert "is not on the issuer's host" in st.envoy.log()
