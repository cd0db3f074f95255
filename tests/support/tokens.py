"""Token minting: valid tokens, and the broken shapes attackers and bad clients send."""
import hashlib
import hmac
import json
import time

import jwt

from .keys import HMAC_ALGS, SigningKey, b64url


def claims(iss: str, aud="api", sub="user-1", lifetime: int = 300, **extra) -> dict:
    now = int(time.time())
    body = {"iss": iss, "sub": sub, "iat": now, "exp": now + lifetime}
    if aud is not None:
        body["aud"] = aud
    body.update(extra)
    return {k: v for k, v in body.items() if v is not None}


def sign(key: SigningKey, payload: dict, alg: str | None = None, kid="__key__", headers: dict | None = None) -> str:
    """Sign with `key`; kid defaults to the key's own kid, None leaves it out."""
    hdr = dict(headers or {})
    if kid == "__key__":
        kid = key.kid
    if kid is not None:
        hdr["kid"] = kid
    return jwt.encode(payload, key.private, algorithm=alg or key.alg, headers=hdr)


def _seg(obj) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def raw_token(header: dict, payload: dict, signature: bytes = b"") -> str:
    """A token assembled by hand, for shapes PyJWT refuses to produce."""
    return f"{_seg(header)}.{_seg(payload)}.{b64url(signature)}"


def alg_none(payload: dict, kid: str | None = None) -> str:
    header = {"alg": "none", "typ": "JWT"}
    if kid:
        header["kid"] = kid
    return raw_token(header, payload)


def hmac_with_secret(alg: str, secret: bytes, payload: dict, kid: str | None = None) -> str:
    """HS* signed with arbitrary bytes, e.g. an RSA public key's PEM (the classic alg-confusion attack)."""
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    assert alg in HMAC_ALGS
    header = {"alg": alg, "typ": "JWT"}
    if kid:
        header["kid"] = kid
    signing_input = f"{_seg(header)}.{_seg(payload)}"
    sig = hmac.new(secret, signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64url(sig)}"


def tamper_signature(token: str) -> str:
    head, payload, sig = token.split(".")
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    return f"{head}.{payload}.{flipped}"


def swap_payload(token: str, payload: dict) -> str:
    """Keep header and signature, replace the payload: the signature no longer matches."""
    head, _, sig = token.split(".")
    return f"{head}.{b64url(json.dumps(payload).encode())}.{sig}"
