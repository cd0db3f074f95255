"""The signature work one request can cause is bounded by the filter, not by the JWKS (real Envoy 1.40,
V8, `crypto: module`: ring in the module, the slowest backend). Each case is a JWKS built to be as costly
as the rules admit, and a token without a matching signature that makes the filter try its keys.

Asserted: the structure of the bound (keys refused at parse, signature checks per request, counted by
`verify_module`). Reported, not asserted: Envoy's CPU time per request (scheduler run time of all its
threads), printed with `-s` and in the test's properties. Before the bound, the JWKS of ten 8192-bit keys
with e = 2^33 - 1 and a kid-less PS512 token cost 130 ms per request."""
import json
from pathlib import Path

import pytest
import requests

from support.keys import b64url, jwks, make_key
from support.plugin import remote_provider
from support.stack import Stack
from support.tokens import claims, raw_token, sign

METRIC = "wasmcustom.jwt_authn_wasm"
GOOD = make_key("ES256", kid="good")  # fits none of the tokens below
ES384 = [make_key("ES384", kid=f"es384-{i}") for i in range(10)]
ES384_OTHER = make_key("ES384", kid="es384-other")
REQUESTS = 20


def _rsa_jwk(bits: int, e: int, i: int, kid: str | None = None) -> dict:
    """An RSA public key of exactly `bits` bits. Only its size and exponent matter: the signatures sent
    are never right, so each check costs a full modular exponentiation and then fails."""
    n = (1 << (bits - 1)) | (0x5A5A5A << 64) | (i << 8) | 1
    jwk = {"kty": "RSA", "n": b64url(n.to_bytes(bits // 8, "big")),
           "e": b64url(e.to_bytes((e.bit_length() + 7) // 8, "big"))}
    if kid is not None:
        jwk["kid"] = kid
    return jwk


def _rsa_token(iss: str, bits: int, alg: str = "PS512", kid: str | None = None) -> str:
    """A signature of the modulus' length and below it, so no backend can refuse it before the work."""
    header = {"alg": alg, "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    signature = ((1 << (bits - 2)) | 12345).to_bytes(bits // 8, "big")
    return raw_token(header, claims(iss), signature)


E33 = (1 << 33) - 1
E17 = (1 << 17) - 1

# name: (JWKS keys besides GOOD, provider settings, token maker, signature checks per request)
CASES = {
    # The review's case: every key is refused at parse (the exponent), none is tried.
    "rsa8192-e33": ([_rsa_jwk(8192, E33, i) for i in range(10)], {"max_rsa_key_bits": 8192},
                    lambda iss: _rsa_token(iss, 8192), 0),
    # Admitted when configured: one try fits in the request's budget (72 of 80 units).
    "rsa8192-e17": ([_rsa_jwk(8192, E17, i) for i in range(10)], {"max_rsa_key_bits": 8192},
                    lambda iss: _rsa_token(iss, 8192), 1),
    # The same keys without max_rsa_key_bits: never tried.
    "rsa8192-default": ([_rsa_jwk(8192, E17, i) for i in range(10)], {},
                        lambda iss: _rsa_token(iss, 8192), 0),
    # The costliest keys admitted by default: 4 tries (18 units each).
    "rsa4096-e17": ([_rsa_jwk(4096, E17, i) for i in range(10)], {},
                    lambda iss: _rsa_token(iss, 4096), 4),
    # Ten keys sharing the token's kid: the same bound as no kid.
    "rsa4096-same-kid": ([_rsa_jwk(4096, E17, i, kid="same") for i in range(10)], {},
                         lambda iss: _rsa_token(iss, 4096, kid="same"), 4),
    # The most expensive curve in ring: 2 tries (40 units each).
    "es384": ([k.jwk for k in ES384], {},
              lambda iss: sign(ES384_OTHER, claims(iss), kid=None), 2),
    # Cheap keys: MAX_KEYS_TRIED (10) bounds a token first.
    "rsa2048-e65537": ([_rsa_jwk(2048, 65537, i) for i in range(10)], {},
                       lambda iss: _rsa_token(iss, 2048), 10),
}
# Three providers in requires_any, each with the rsa4096-e17 JWKS: the budget is the request's, not each
# provider's, so still 4 checks in all.
ANY = ("any-a", "any-b", "any-c")


def _cpu_ns(pid: int) -> int:
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total


@pytest.fixture(scope="module")
def stack(each_build, wasm_module):
    st = Stack(concurrency=1)
    try:
        providers, rules = {}, []
        for name, (keys, settings, _, _) in CASES.items():
            st.issuer.serve(f"/jwks-{name}", json.dumps(jwks(GOOD, extra=keys)).encode())
            providers[name] = {**_provider(st, name), **settings}
            rules.append({"match": {"prefix": f"/{name}/"}, "requires": {"provider_name": name}})
        st.issuer.serve("/jwks-any", json.dumps(jwks(GOOD, extra=CASES["rsa4096-e17"][0])).encode())
        for name in ANY:
            providers[name] = _provider(st, "any")
        rules.append({"match": {"prefix": "/any/"},
                      "requires": {"requires_any": {"requirements": [{"provider_name": n} for n in ANY]}}})
        st.start({"crypto": "module", "providers": providers, "rules": rules})
        good = sign(GOOD, claims(st.issuer.issuer))
        for name in [*CASES, "any"]:
            resp = st.request(f"/{name}/warm", good)
            assert resp.status_code == 200, (name, resp.text, st.envoy.log_tail())
        yield st
    finally:
        st.stop()


def _provider(st: Stack, jwks_name: str) -> dict:
    p = remote_provider(st.issuer, "issuer", timeout_ms=5000, cache_duration_seconds=600)
    p["remote_jwks"]["uri"] = f"{st.issuer.issuer}/jwks-{jwks_name}"
    return p


def _measure(st: Stack, path: str, token: str) -> tuple[requests.Response, float, float]:
    """(last answer, signature checks per request, Envoy CPU ms per request)."""
    session = requests.Session()
    headers = {"authorization": f"Bearer {token}"}
    session.get(st.url(path), headers=headers, timeout=15)  # connection set up outside the measure
    checks = st.envoy.counter(f"{METRIC}.verify_module")
    cpu = _cpu_ns(st.envoy.proc.pid)
    for _ in range(REQUESTS):
        resp = session.get(st.url(path), headers=headers, timeout=15)
    cpu = _cpu_ns(st.envoy.proc.pid) - cpu
    checks = st.envoy.counter(f"{METRIC}.verify_module") - checks
    return resp, checks / REQUESTS, cpu / REQUESTS / 1e6


def test_keys_with_costly_exponents_are_refused_at_parse(stack):
    log = stack.envoy.log()
    assert "RSA exponent of 33 bits is above the 17-bit maximum (65537 has 17)" in log


@pytest.mark.parametrize("name", list(CASES))
def test_signature_checks_per_request_are_bounded(stack, name, record_property):
    _, _, make_token, checks = CASES[name]
    resp, per_request, cpu_ms = _measure(stack, f"/{name}/x", make_token(stack.issuer.issuer))
    record_property("envoy_cpu_ms_per_request", round(cpu_ms, 2))
    print(f"\n{name}: {per_request:g} signature checks, Envoy CPU {cpu_ms:.2f} ms per request")
    assert resp.status_code == 401
    expected = "Jwt verification fails" if checks else "Jwks doesn't have key to match kid or alg from Jwt"
    assert resp.text == expected
    assert per_request == checks


def test_the_budget_is_the_requests_across_providers(stack, record_property):
    token = CASES["rsa4096-e17"][2](stack.issuer.issuer)
    resp, per_request, cpu_ms = _measure(stack, "/any/x", token)
    record_property("envoy_cpu_ms_per_request", round(cpu_ms, 2))
    print(f"\nrequires_any of 3 providers: {per_request:g} signature checks, Envoy CPU {cpu_ms:.2f} ms per request")
    assert resp.status_code == 401
    assert per_request == 4


def test_a_good_token_still_verifies_with_its_kid(stack):
    good = sign(GOOD, claims(stack.issuer.issuer, sub="after"))
    for name in [*CASES, "any"]:
        assert stack.request(f"/{name}/again", good).status_code == 200, name
