"""Writes the fixed key set the fuzz targets verify against and their seed corpora.

Run from the repository root with the test venv: `.venv/bin/python fuzz/make_seeds.py`.
The private keys are thrown away: the fuzzer only needs the public JWKS and some tokens
that verify against it, so that mutations start from inputs that reach the signature check.
"""
import json
import sys
import time
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
sys.path.insert(0, str(FUZZ.parent / "tests"))

from support.keys import ALL_ALGS, jwks, make_key  # noqa: E402
from support.tokens import alg_none, claims, hmac_with_secret, raw_token, sign  # noqa: E402

ISSUER = "https://fuzz.example"
# Far in the future: the targets use a fixed clock, and seeds should stay valid for it.
EXP = 4_000_000_000


def write(target: str, name: str, data: bytes):
    d = FUZZ / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def main():
    keys = {alg: make_key(alg, kid=f"{alg.lower()}-fuzz") for alg in ALL_ALGS}
    doc = jwks(*keys.values())
    (FUZZ / "fixtures" / "jwks.json").write_text(json.dumps(doc, indent=1) + "\n")

    good = claims(ISSUER, exp=EXP, iat=EXP - 100)
    tokens = {f"valid_{alg}": sign(k, good) for alg, k in keys.items()}
    rs = keys["RS256"]
    tokens.update({
        "alg_none": alg_none(good),
        "hs256_rsa_pem": hmac_with_secret("HS256", rs.public_pem(), good, kid=rs.kid),
        "crit": sign(rs, good, headers={"crit": ["exp"], "exp": 1}),
        "no_kid": sign(keys["ES256"], good, kid=None),
        "aud_list": sign(rs, claims(ISSUER, aud=["x", "api"], exp=EXP)),
        "raw_es512": raw_token({"alg": "ES512", "kid": "x"}, good, b"s" * 132),
    })
    for name, tok in tokens.items():
        write("token", name, tok.encode())

    for name, tok in tokens.items():
        req = f"GET\n/api/x?access_token=a\nauthorization: Bearer {tok}\ncookie: jwt={tok}; b=c\n"
        write("engine", name, b"\x00" + req.encode())
    write("engine", "wait", b"\x01GET\n/api\nauthorization: Bearer " + tokens["valid_RS256"].encode())
    write("engine", "preflight", b"\x00OPTIONS\n/api\norigin: x\naccess-control-request-method: GET\n")

    write("jwks", "all_algs", json.dumps(doc).encode())
    write("jwks", "empty", b'{"keys":[]}')
    write("jwks", "enc", json.dumps({"keys": [{**rs.jwk, "use": "enc"}]}).encode())
    write("jwks", "weak", json.dumps(jwks(make_key("RS256", kid="weak", rsa_bits=1024))).encode())
    write("jwks", "bad_entries", b'{"keys":[1,{"kty":"EC","crv":"P-521"},{"kty":"RSA","n":"!!","e":"AQAB"}]}')

    write("fetch", "discovery", json.dumps({"issuer": ISSUER, "jwks_uri": "https://keys.fuzz.example:8443/certs"}).encode())
    write("fetch", "discovery_ipv6", json.dumps({"issuer": ISSUER + "/", "jwks_uri": "http://[::1]:9000/j?x=1"}).encode())
    write("fetch", "status", b"200")
    write("fetch", "shared_record", b"7\n" + json.dumps(doc).encode())

    config_examples = {
        "full": json.loads((FUZZ / "fixtures" / "config.json").read_text()),
        "minimal": {"providers": {"p": {"issuer": "i", "local_jwks": {"inline_string": '{"keys":[]}'}}}},
        "remote": {"providers": {"p": {"issuer": "i", "remote_jwks": {"uri": "http://h:8080/j"}}},
                   "mode": "audit", "token_cache_size": 0, "max_token_bytes": 100},
        "oidc": {"providers": {"p": {"issuer": "https://a.example", "oidc_discovery": {"cluster": "c"}}},
                 "rules": [{"match": {"path": "/x", "methods": ["GET"]},
                            "requires": {"requires_all": [{"provider_name": "p"}, {"allow_missing": {}}]}}]},
    }
    for name, cfg in config_examples.items():
        write("config", name, json.dumps(cfg).encode())

    for name, req in {
        "api": "GET\n/api/x?access_token=t&a=b\nauthorization: Bearer t\n",
        "cookie": "POST\n/exact\ncookie: a=b; jwt=t\n",
        "hs": "GET\n/hs\nx-hs-token: t\n",
        "public": "DELETE\n/public/../api\n",
    }.items():
        write("rules", name, req.encode())
    print(f"seeds written, {len(tokens)} tokens, t={int(time.time())}", file=sys.stderr)


if __name__ == "__main__":
    main()
