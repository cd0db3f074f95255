"""DPoP (RFC 9449) in real Envoy, with proofs made by PyJWT (an independent implementation): a token bound to
a key (`cnf.jkt`) passes only with a `DPoP` proof signed by that key for this method and URI, made moments
ago, for this very token (`ath`), and never used before on the worker. Every failure answers 401 with
`WWW-Authenticate: DPoP error="invalid_dpop_proof"` and is counted as `denied.dpop`."""
import base64
import hashlib
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from support import build
from support.keys import jwks, make_key
from support.plugin import remote_provider
from support.stack import Stack
from support.tokens import claims, sign

KEY = make_key("ES256", kid="dpop-as")
HOLDER = ec.generate_private_key(ec.SECP256R1())
THIEF = ec.generate_private_key(ec.SECP256R1())

pytestmark = build.BOTH


def _jwk(key) -> dict:
    return json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))


def _jkt(key) -> str:
    jwk = _jwk(key)
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def _ath(token: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def stack(filter_build, wasm_module):
    st = Stack()
    try:
        st.issuer.set_jwks(jwks(KEY))
        st.start({"providers": {"p": {**remote_provider(st.issuer, "issuer", timeout_ms=2000),
                                      "sender_constraint": "optional"}}})
        yield st
    finally:
        st.stop()


def _token(st) -> str:
    return sign(KEY, claims(st.issuer.issuer, cnf={"jkt": _jkt(HOLDER)}))


def _proof(st, token, key=HOLDER, method="GET", path="/x", iat=None, jti=None, typ="dpop+jwt", ath=None,
           alg="ES256") -> str:
    body = {"htm": method, "htu": st.url(path), "iat": int(time.time()) if iat is None else iat,
            "jti": jti or str(uuid.uuid4()), "ath": ath or _ath(token)}
    return jwt.encode(body, key, algorithm=alg, headers={"typ": typ, "jwk": _jwk(key)})


def _send(st, token, proof, path="/x?page=2", method="GET", scheme="DPoP"):
    headers = {"authorization": f"{scheme} {token}"}
    if proof is not None:
        headers["dpop"] = proof
    return st.request(path, headers=headers, method=method)


def test_a_fresh_proof_from_the_key_holder_passes(stack):
    token = _token(stack)
    for _ in range(2):  # a new proof each time; the token itself comes from the cache the second time
        resp = _send(stack, token, _proof(stack, token))
        assert resp.status_code == 200, resp.text
        assert "dpop" in resp.json()["headers"]  # the proof is the application's to see too


def _assert_invalid(stack, resp):
    assert (resp.status_code, resp.text) == (401, "DPoP proof is invalid")
    assert resp.headers["www-authenticate"] == 'DPoP error="invalid_dpop_proof"'


def test_a_replayed_proof_is_refused(stack):
    token = _token(stack)
    proof = _proof(stack, token)
    assert _send(stack, token, proof).status_code == 200
    with_counts = stack.envoy.counter("wasmcustom.jwt_authn_wasm.provider.p.denied.dpop")
    _assert_invalid(stack, _send(stack, token, proof))
    assert stack.envoy.counter("wasmcustom.jwt_authn_wasm.provider.p.denied.dpop") == with_counts + 1


@pytest.mark.parametrize("change", ["no_proof", "other_key", "other_method", "other_uri", "stale", "future",
                                    "other_token", "wrong_typ", "two_proofs"])
def test_a_wrong_proof_is_refused(stack, change):
    st = stack
    token = _token(st)
    proof = {
        "no_proof": None,
        "other_key": _proof(st, token, key=THIEF),
        "other_method": _proof(st, token, method="POST"),
        "other_uri": _proof(st, token, path="/y"),
        "stale": _proof(st, token, iat=int(time.time()) - 600),
        "future": _proof(st, token, iat=int(time.time()) + 600),
        "other_token": _proof(st, token, ath=_ath(_token(st) + "x")),
        "wrong_typ": _proof(st, token, typ="JWT"),
        "two_proofs": None,
    }[change]
    if change == "two_proofs":
        p1, p2 = _proof(st, token), _proof(st, token)
        status = st.raw_status("/x", [("authorization", f"DPoP {token}"), ("dpop", p1), ("dpop", p2)])
        assert status == 401
        return
    _assert_invalid(st, _send(st, token, proof))


def test_a_stolen_token_with_the_thiefs_own_proof_is_refused(stack):
    token = _token(stack)
    jwk_thief = _proof(stack, token, key=THIEF)
    _assert_invalid(stack, _send(stack, token, jwk_thief, scheme="Bearer"))


def test_unbound_tokens_pass_when_optional_but_not_as_dpop(stack):
    unbound = sign(KEY, claims(stack.issuer.issuer))
    assert stack.request("/x", unbound).status_code == 200
    # The DPoP scheme promises a DPoP-bound token (RFC 9449 §7.1).
    _assert_invalid(stack, _send(stack, unbound, _proof(stack, unbound)))
