"""Signing keys and their public JWKs for every algorithm the filter accepts."""
import base64
import json
import secrets
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

RSA_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
EC_ALGS = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1, "ES512": ec.SECP521R1}
EC_CRVS = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
HMAC_ALGS = {"HS256": 32, "HS384": 48, "HS512": 64}
ASYMMETRIC_ALGS = RSA_ALGS + tuple(EC_ALGS) + ("EdDSA",)
ALL_ALGS = ASYMMETRIC_ALGS + tuple(HMAC_ALGS)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _uint(n: int) -> str:
    return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


@dataclass
class SigningKey:
    alg: str
    kid: str
    private: object  # a cryptography private key, or bytes for HMAC
    jwk: dict = field(default_factory=dict)  # the public JWK (the secret itself for oct)

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


# RSA generation dominates test start-up; one key per (size, kid) is plenty.
_rsa_cache: dict = {}


def _rsa_private(bits: int, kid: str):
    key = _rsa_cache.get((bits, kid))
    if key is None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        _rsa_cache[(bits, kid)] = key
    return key


def make_key(alg: str, kid: str | None = None, rsa_bits: int = 2048, with_alg: bool = True) -> SigningKey:
    """A fresh key for `alg`; the JWK names `alg` unless with_alg is false."""
    kid = kid or f"{alg.lower()}-{secrets.token_hex(4)}"
    if alg in RSA_ALGS:
        priv = _rsa_private(rsa_bits, kid)
        nums = priv.public_key().public_numbers()
        jwk = {"kty": "RSA", "n": _uint(nums.n), "e": _uint(nums.e)}
    elif alg in EC_ALGS:
        curve = EC_ALGS[alg]()
        priv = ec.generate_private_key(curve)
        nums = priv.public_key().public_numbers()
        size = (curve.key_size + 7) // 8
        jwk = {
            "kty": "EC",
            "crv": EC_CRVS[alg],
            "x": b64url(nums.x.to_bytes(size, "big")),
            "y": b64url(nums.y.to_bytes(size, "big")),
        }
    elif alg == "EdDSA":
        priv = ed25519.Ed25519PrivateKey.generate()
        raw = priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
    elif alg in HMAC_ALGS:
        priv = secrets.token_bytes(HMAC_ALGS[alg])
        jwk = {"kty": "oct", "k": b64url(priv)}
    else:
        raise ValueError(f"unsupported alg {alg}")
    jwk["kid"] = kid
    if with_alg:
        jwk["alg"] = alg
    if alg not in HMAC_ALGS:
        jwk["use"] = "sig"
    return SigningKey(alg=alg, kid=kid, private=priv, jwk=jwk)


def jwks(*keys: SigningKey, extra: list | None = None) -> dict:
    return {"keys": [k.jwk for k in keys] + list(extra or [])}


def jwks_text(*keys: SigningKey) -> str:
    return json.dumps(jwks(*keys))
