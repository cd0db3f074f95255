"""Signature and claim checks through real Envoy, answered like Envoy's jwt_authn."""
import time

import pytest

from support import build
from support.asserts import assert_allowed, assert_invalid, assert_missing, counts
from support.keys import ASYMMETRIC_ALGS, HMAC_ALGS, make_key
from support.tokens import alg_none, claims, hmac_with_secret, raw_token, sign, swap_payload, tamper_signature

# Both builds verify every algorithm alike (the dynamic module's ES512 by aws-lc-rs).
pytestmark = [pytest.mark.usefixtures("main_stack"), build.BOTH]


@pytest.mark.parametrize("alg", ASYMMETRIC_ALGS)
def test_valid_token_for_each_asymmetric_algorithm(main_stack, keys, alg):
    token = sign(keys[alg], claims(main_stack.issuer.issuer))
    with counts(main_stack, "allowed", "provider.main.allowed") as grown:
        seen = assert_allowed(main_stack.request("/api/alg", token))
    assert seen["path"] == "/api/alg"
    assert grown == {"allowed": 1, "provider.main.allowed": 1}


@pytest.mark.parametrize("alg", HMAC_ALGS)
def test_valid_hmac_token_with_local_oct_key(main_stack, keys, alg):
    token = sign(keys[alg], claims(main_stack.issuer.issuer + "/hs"))
    assert_allowed(main_stack.request("/hs/alg", headers={"x-hs-token": token}))


def test_token_without_kid_tries_keys_fitting_its_alg(main_stack, keys):
    token = sign(keys["ES384"], claims(main_stack.issuer.issuer), kid=None)
    assert_allowed(main_stack.request("/api/nokid", token))


def test_token_in_access_token_query_parameter(main_stack, keys):
    token = sign(keys["RS256"], claims(main_stack.issuer.issuer))
    assert_allowed(main_stack.request(f"/api/q?access_token={token}"))


def test_missing_token(main_stack):
    with counts(main_stack, "denied", "provider.main.denied.missing") as grown:
        resp = main_stack.request("/api/missing")
    assert_missing(main_stack, resp, "/api/missing")
    assert grown == {"denied": 1, "provider.main.denied.missing": 1}


@pytest.mark.parametrize("token", [
    "not-a-jwt", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30", "....", "eyJ!!!.eyJ***.sig",
    raw_token({"alg": "RS256"}, {"iss": "x"})[:-1] + "." + "x",
])
def test_malformed_token(main_stack, token):
    assert_invalid(main_stack, main_stack.request("/api/malformed", token), "/api/malformed")


def test_expired(main_stack, keys):
    token = sign(keys["RS256"], claims(main_stack.issuer.issuer, exp=int(time.time()) - 3600))
    with counts(main_stack, "provider.main.denied.expired") as grown:
        resp = main_stack.request("/api/expired", token)
    assert_invalid(main_stack, resp, "/api/expired", "Jwt is expired")
    assert grown == {"provider.main.denied.expired": 1}


def test_expired_within_clock_skew_is_accepted(main_stack, keys):
    token = sign(keys["RS256"], claims(main_stack.issuer.issuer, exp=int(time.time()) - 20))
    assert_allowed(main_stack.request("/api/skew", token))


def test_missing_exp_refused_when_required(main_stack, keys):
    payload = claims(main_stack.issuer.issuer)
    del payload["exp"]
    assert_invalid(main_stack, main_stack.request("/api/noexp", sign(keys["RS256"], payload)), "/api/noexp")


def test_not_yet_valid(main_stack, keys):
    token = sign(keys["ES256"], claims(main_stack.issuer.issuer, nbf=int(time.time()) + 3600))
    with counts(main_stack, "provider.main.denied.not_yet_valid") as grown:
        resp = main_stack.request("/api/nbf", token)
    assert_invalid(main_stack, resp, "/api/nbf", "Jwt not yet valid")
    assert grown == {"provider.main.denied.not_yet_valid": 1}


def test_wrong_issuer(main_stack, keys):
    token = sign(keys["RS256"], claims("https://someone-else.example"))
    assert_invalid(main_stack, main_stack.request("/api/iss", token), "/api/iss", "Jwt issuer is not configured")


def test_wrong_audience_is_403(main_stack, keys):
    token = sign(keys["RS256"], claims(main_stack.issuer.issuer, aud="other"))
    with counts(main_stack, "provider.main.denied.audience") as grown:
        resp = main_stack.request("/api/aud", token)
    assert_invalid(main_stack, resp, "/api/aud", "Audiences in Jwt are not allowed", status=403)
    assert grown == {"provider.main.denied.audience": 1}


def test_audience_array_with_one_match(main_stack, keys):
    token = sign(keys["PS256"], claims(main_stack.issuer.issuer, aud=["nope", "api2"]))
    assert_allowed(main_stack.request("/api/aud2", token))


def test_alg_none_refused(main_stack, keys):
    for kid in (None, keys["RS256"].kid):
        resp = main_stack.request("/api/none", alg_none(claims(main_stack.issuer.issuer), kid=kid))
        assert_invalid(main_stack, resp, "/api/none")


def test_hs256_signed_with_rsa_public_key_bytes(main_stack, keys):
    rsa = keys["RS256"]
    for kid in (rsa.kid, None):
        token = hmac_with_secret("HS256", rsa.public_pem(), claims(main_stack.issuer.issuer), kid=kid)
        assert_invalid(main_stack, main_stack.request("/api/confusion", token), "/api/confusion")


def test_bad_signature(main_stack, keys):
    token = tamper_signature(sign(keys["RS256"], claims(main_stack.issuer.issuer)))
    with counts(main_stack, "provider.main.denied.bad_signature") as grown:
        resp = main_stack.request("/api/sig", token)
    assert_invalid(main_stack, resp, "/api/sig", "Jwt verification fails")
    assert grown == {"provider.main.denied.bad_signature": 1}


def test_payload_changed_after_signing(main_stack, keys):
    token = sign(keys["EdDSA"], claims(main_stack.issuer.issuer, sub="alice"))
    forged = swap_payload(token, claims(main_stack.issuer.issuer, sub="admin"))
    assert_invalid(main_stack, main_stack.request("/api/swap", forged), "/api/swap", "Jwt verification fails")


def test_known_kid_signed_by_another_key(main_stack, keys):
    impostor = make_key("ES256", kid=keys["ES256"].kid)
    token = sign(impostor, claims(main_stack.issuer.issuer))
    assert_invalid(main_stack, main_stack.request("/api/impostor", token), "/api/impostor", "Jwt verification fails")


def test_alg_must_fit_the_key(main_stack, keys):
    # RS384 token pointing at the key published for RS256 only.
    token = sign(keys["RS256"], claims(main_stack.issuer.issuer), alg="RS384")
    assert_invalid(main_stack, main_stack.request("/api/algfit", token), "/api/algfit")


def test_oversized_token(main_stack, keys):
    token = sign(keys["RS256"], claims(main_stack.issuer.issuer, blob="x" * 9000))
    assert_invalid(main_stack, main_stack.request("/api/big", token), "/api/big")


def test_lifetime_over_max_refused(main_stack, keys):
    token = sign(keys["RS256"], claims(main_stack.issuer.issuer, lifetime=7200))
    with counts(main_stack, "provider.main.denied.lifetime") as grown:
        resp = main_stack.request("/api/lifetime", token)
    assert_invalid(main_stack, resp, "/api/lifetime")
    assert grown == {"provider.main.denied.lifetime": 1}


def test_verified_token_cached(main_stack, keys):
    token = sign(keys["PS384"], claims(main_stack.issuer.issuer, jti="cache-me"))
    with counts(main_stack, "provider.main.token_cache_miss", "provider.main.token_cache_hit") as grown:
        for _ in range(3):
            assert_allowed(main_stack.request("/api/cache", token))
    assert grown == {"provider.main.token_cache_miss": 1, "provider.main.token_cache_hit": 2}
