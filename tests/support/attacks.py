"""Hostile tokens, built by hand where no library would produce them: each takes a valid
token apart or re-signs attacker-chosen bytes."""
import base64
import json

from cryptography.hazmat.primitives import serialization
from jwt.api_jws import PyJWS

from .keys import SigningKey, b64url
from .tokens import hmac_with_secret

# Group orders of the curves we accept.
CURVE_ORDER = {
    "ES256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "ES384": int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973", 16),
    "ES512": int("01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5D03"
                 "BB5C9B8899C47AEBB6FB71E91386409", 16),
}
# Bytes of r and of s in a JWS signature (RFC 7518 §3.4).
COORDINATE_BYTES = {"ES256": 32, "ES384": 48, "ES512": 66}
ALG_NONE_SPELLINGS = ("none", "None", "NONE", "nOnE")


def _seg(part) -> str:
    if isinstance(part, (dict, list)):
        part = json.dumps(part, separators=(",", ":")).encode()
    return b64url(part)


def sign_bytes(key: SigningKey, header, payload, alg: str | None = None) -> str:
    """Signs exactly these header and payload bytes (dicts are serialised compactly), so a
    token can carry JSON no encoder would write, such as duplicate keys."""
    alg = alg or key.alg
    signing_input = f"{_seg(header)}.{_seg(payload)}"
    algo = PyJWS().get_algorithm_by_name(alg)
    sig = algo.sign(signing_input.encode(), algo.prepare_key(key.private))
    return f"{signing_input}.{b64url(sig)}"


def public_key_secrets(key: SigningKey) -> dict:
    """The spellings of a public key an HMAC-confusion attacker would try as the secret."""
    pub = key.private.public_key()
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    pem = pub.public_bytes(serialization.Encoding.PEM, spki)
    out = {
        "pem": pem,
        "pem_no_newline": pem.rstrip(b"\n"),
        "der": pub.public_bytes(serialization.Encoding.DER, spki),
        "jwk_json": json.dumps(key.jwk).encode(),
        "jwk_json_compact": json.dumps(key.jwk, separators=(",", ":")).encode(),
    }
    if key.jwk["kty"] == "RSA":
        out["der_pkcs1"] = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return out


def hmac_confusions(key: SigningKey, payload: dict) -> dict:
    out = {}
    for alg in ("HS256", "HS384", "HS512"):
        for form, secret in public_key_secrets(key).items():
            for kid in (key.kid, None):
                name = f"{alg}_{key.alg}_{form}_{'kid' if kid else 'nokid'}"
                out[name] = hmac_with_secret(alg, secret, payload, kid=kid)
    return out


def replace_signature(token: str, sig: bytes) -> str:
    return token.rsplit(".", 1)[0] + "." + b64url(sig)


def ecdsa_variants(token: str, alg: str) -> dict:
    """r||s signatures out of range, zero, or malleated to the high-S twin (n - s), which is
    still a mathematically valid signature."""
    n = CURVE_ORDER[alg]
    size = COORDINATE_BYTES[alg]
    sig = token.rsplit(".", 1)[1]
    raw = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
    r, s = int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big")
    top = 2 ** (8 * size) - 1
    pairs = {"r_zero": (0, s), "s_zero": (r, 0), "both_zero": (0, 0), "r_eq_n": (n, s), "s_eq_n": (r, n),
             "r_max": (top, s), "s_max": (r, top), "r_plus_n": (r + n, s) if r + n <= top else (top, s),
             "s_plus_n": (r, s + n) if s + n <= top else (r, top), "high_s": (r, n - s)}
    return {name: replace_signature(token, a.to_bytes(size, "big") + b.to_bytes(size, "big"))
            for name, (a, b) in pairs.items()}


def to_standard_alphabet(token: str) -> str:
    return token.replace("-", "+").replace("_", "/")


def padded(segment: str) -> str:
    """The segment with base64 '=' padding; '==' when its length needs none (invalid either way)."""
    return segment + "=" * (-len(segment) % 4 or 2)


def with_header(token: str, header: dict) -> str:
    """Another header over the same payload and signature."""
    _, payload, sig = token.split(".")
    return f"{_seg(header)}.{payload}.{sig}"
