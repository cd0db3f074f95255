"""Ed25519 keys and signatures at the edges of RFC 8032, next to Envoy's native jwt_authn (BoringSSL's
ED25519_verify). Native uses keys of small order as they are, so a forged signature (R = [S]B) passes
for every message; this filter refuses such keys when it parses the JWKS (an intended difference,
listed in the README). Both: a key that is not a point verifies nothing, S must be below the group
order and R must be the canonical encoding of [S]B - [k]A."""
import base64
import hashlib
import json
import secrets

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from support.keys import b64url, jwks, make_key
from support.plugin import remote_provider
from support.stack import Stack
from support.tokens import claims, raw_token, sign

L = 2**252 + 27742317777372353535851937790883648493
P = 2**255 - 19


def _le(n: int) -> bytes:
    return n.to_bytes(32, "little")


# Public keys given as raw bytes: the identity (y = 1) in three encodings, the point of order 2
# (0, -1), and y = 2, for which no x exists.
IDENTITY = _le(1)
IDENTITY_NEGATIVE_ZERO = _le(1 | 1 << 255)
IDENTITY_PLUS_P = _le(P + 1)
ORDER_2 = _le(P - 1)
NOT_A_POINT = _le(2)
ODD_KEYS = {"identity": IDENTITY, "identity-neg-zero": IDENTITY_NEGATIVE_ZERO, "identity-plus-p": IDENTITY_PLUS_P,
            "order-2": ORDER_2, "not-a-point": NOT_A_POINT}
NORMAL = make_key("EdDSA", kid="ed-normal")


def _jwk(kid: str, x: bytes) -> dict:
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(x), "kid": kid, "alg": "EdDSA", "use": "sig"}


def _scalar_and_point() -> tuple:
    """A random S below L and the encoding of [S]B (via an Ed25519 key whose secret scalar is S)."""
    seed = secrets.token_bytes(32)
    a = int.from_bytes(hashlib.sha512(seed).digest()[:32], "little")
    a = (a & ((1 << 254) - 8)) | (1 << 254)
    public = ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _le(a % L), public


def _token(kid: str, payload: dict, signature: bytes) -> str:
    return raw_token({"alg": "EdDSA", "kid": kid}, payload, signature)


def _k(r: bytes, key: bytes, token: str) -> int:
    signing_input = token.rsplit(".", 1)[0].encode()
    return int.from_bytes(hashlib.sha512(r + key + signing_input).digest(), "little") % L


@pytest.fixture(scope="module")
def stack(each_build, wasm_module):
    st = Stack(native_listener=True)
    try:
        st.issuer.set_jwks(jwks(NORMAL, extra=[_jwk(kid, x) for kid, x in ODD_KEYS.items()]))
        st.start({"providers": {"p": remote_provider(st.issuer, "issuer", timeout_ms=2000)}})
        yield st
    finally:
        st.stop()


def _both(st, name: str, token: str) -> tuple:
    return (st.request(f"/native/{name}", token, native=True).status_code,
            st.request(f"/wasm/{name}", token).status_code)


def test_small_order_keys_are_refused_where_native_accepts_forgeries(stack):
    """With A of order 1 or 2, R = [S]B verifies for every message (for order 2: when k is even)."""
    st = stack
    s, r = _scalar_and_point()
    want, got = {}, {}
    for kid in ("identity", "identity-neg-zero", "identity-plus-p", "not-a-point"):
        token = _token(kid, claims(st.issuer.issuer, sub=kid), r + s)
        got[kid] = _both(st, kid, token)
        want[kid] = (401, 401) if kid == "not-a-point" else (200, 401)
    # Order 2: [k]A is the identity for even k, A for odd k; one token of each.
    parity_seen = set()
    i = 0
    while len(parity_seen) < 2:
        payload = claims(st.issuer.issuer, sub=f"order-2-{i}")
        token = _token("order-2", payload, r + s)
        even = _k(r, ORDER_2, token) % 2 == 0
        if even not in parity_seen:
            parity_seen.add(even)
            name = "order-2-even-k" if even else "order-2-odd-k"
            got[name] = _both(st, name, token)
            want[name] = (200, 401) if even else (401, 401)
        i += 1
    assert got == want, json.dumps({"got": got, "want": want})


def test_r_must_be_canonical_and_s_below_l(stack):
    st = stack
    # Identity key, S = 0: [S]B - [k]A is the identity, canonically 01 00 … 00. Native checks R's
    # encoding; this filter never gets that far, having refused the key.
    cases = {"r-canonical": (IDENTITY, 200), "r-neg-zero": (IDENTITY_NEGATIVE_ZERO, 401),
             "r-plus-p": (IDENTITY_PLUS_P, 401)}
    got, want = {}, {}
    for name, (r, status) in cases.items():
        token = _token("identity", claims(st.issuer.issuer, sub=name), r + _le(0))
        got[name], want[name] = _both(st, name, token), (status, 401)
    # A normal signature, then with S + L (same point, refused) and S = L.
    token = sign(NORMAL, claims(st.issuer.issuer, sub="normal"))
    head, sig = token.rsplit(".", 1)
    raw = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
    s = int.from_bytes(raw[32:], "little")
    for name, new_s, status in (("s-original", s, 200), ("s-plus-l", s + L, 401), ("s-equals-l", L, 401)):
        t = f"{head}.{b64url(raw[:32] + _le(new_s))}"
        got[name], want[name] = _both(st, name, t), (status, status)
    assert got == want, json.dumps({"got": got, "want": want})
