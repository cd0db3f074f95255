"""The chart's demo issuer: its tokens verify against its JWKS, as the filter will check them."""
import time

import jwt
import pytest
import requests

from chartlib import named, one, render_set
from demo_issuer_proc import DemoIssuer


@pytest.fixture(scope="module")
def issuer():
    deploy = named(render_set("default"), "Deployment", "demo-issuer")
    env = {e["name"]: e["value"] for e in deploy["spec"]["template"]["spec"]["containers"][0]["env"]}
    with DemoIssuer(env["ISSUER"], env["AUDIENCE"], int(env["TOKEN_TTL_SECONDS"])) as i:
        yield i


def public_key(issuer: DemoIssuer, token: str):
    jwks = jwt.PyJWKSet.from_dict(requests.get(issuer.url + "/jwks", timeout=5).json())
    kid = jwt.get_unverified_header(token)["kid"]
    return next(k for k in jwks.keys if k.key_id == kid)


def test_token_verifies_with_the_provider_the_chart_renders(issuer):
    provider = one(render_set("default"), "WasmPlugin")["spec"]["pluginConfig"]["providers"]["demo"]
    token = issuer.token(sub="alice")
    key = public_key(issuer, token)
    assert key.key_type == "RSA" and key.key.key_size == 2048  # the filter drops smaller RSA keys
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=provider["audiences"][0],
                        issuer=provider["issuer"])
    assert claims["sub"] == "alice"
    assert 3500 <= claims["exp"] - time.time() <= 3600


def test_token_parameters(issuer):
    token = issuer.token(sub="bob", aud="other", ttl="5")
    claims = jwt.decode(token, public_key(issuer, token).key, algorithms=["RS256"], audience="other")
    assert claims["sub"] == "bob" and claims["exp"] - claims["iat"] == 5


def test_tampered_token_does_not_verify(issuer):
    token = issuer.token(sub="alice")
    head, payload, sig = token.split(".")
    forged = jwt.utils.base64url_encode(jwt.utils.base64url_decode(payload).replace(b"alice", b"mallo")).decode()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(f"{head}.{forged}.{sig}", public_key(issuer, token).key, algorithms=["RS256"], audience="demo-api")


def test_discovery_document_points_at_the_jwks(issuer):
    doc = requests.get(issuer.url + "/.well-known/openid-configuration", timeout=5).json()
    assert doc["issuer"] == issuer.env["ISSUER"]
    assert doc["jwks_uri"] == issuer.env["ISSUER"] + "/jwks"


def test_bad_ttl_is_a_400(issuer):
    assert requests.get(issuer.url + "/token", params={"ttl": "soon"}, timeout=5).status_code == 400
