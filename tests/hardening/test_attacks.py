"""Hostile tokens in real Envoy: every one ends in 401/403 and none reaches the upstream."""
import json
import time

import pytest
import requests

from support.attack_stack import A_KEYS, ATTACKER, B_KEY
from support.attacks import (ALG_NONE_SPELLINGS, ecdsa_variants, hmac_confusions, padded, sign_bytes,
                             to_standard_alphabet, with_header)
from support.tokens import claims, hmac_with_secret, raw_token, sign, swap_payload

RS = A_KEYS["RS256"]


def _send(st, prefix: str, cases: dict) -> dict:
    """name -> status; each case on its own path under `prefix`, so the upstream's count per
    path says which, if any, got through."""
    out = {}
    for name, token in cases.items():
        value = token if isinstance(token, bytes) else f"Bearer {token}".encode()
        resp = requests.get(st.url(f"{prefix}/{name}"), headers={"authorization": value}, timeout=15)
        out[name] = resp.status_code
    return out


def _assert_refused(st, cases: dict, prefix: str):
    statuses = _send(st, prefix, cases)
    let_through = {n: s for n, s in statuses.items() if s not in (401, 403)}
    assert not let_through, f"not refused: {let_through}"
    assert st.echo.requests(prefix + "/") == 0, "a refused request reached the upstream"


def _good(st, **kw) -> dict:
    return claims(st.issuer.issuer, **kw)


def test_alg_none_every_spelling(attack_stack):
    st, cases = attack_stack, {}
    valid = sign(RS, _good(st))
    for alg in ALG_NONE_SPELLINGS:
        cases[f"{alg}_unsigned"] = raw_token({"alg": alg, "typ": "JWT"}, _good(st))
        cases[f"{alg}_kid"] = raw_token({"alg": alg, "kid": RS.kid}, _good(st))
        # A real RS256 signature glued on: the filter must not fall back to the key's alg.
        cases[f"{alg}_with_signature"] = with_header(valid, {"alg": alg, "kid": RS.kid})
    _assert_refused(st, cases, "/none")


def test_hmac_signed_with_public_keys(attack_stack):
    """HS256/384/512 keyed with the RSA or EC public key as PEM, DER or JWK JSON, with and without the kid."""
    cases = {}
    for key in (RS, A_KEYS["ES256"], A_KEYS["ES384"]):
        cases.update(hmac_confusions(key, _good(attack_stack)))
    assert len(cases) >= 90
    _assert_refused(attack_stack, cases, "/hmac")


def test_hostile_kids(attack_stack):
    st = attack_stack
    good = _good(st)
    cases = {
        # The classic: a kid that a naive key lookup reads as a file or a query, HMAC over what it "finds".
        "traversal_devnull_hs256": hmac_with_secret("HS256", b"", good, kid="../../../../../../dev/null"),
        "traversal_rs256": sign(ATTACKER, good, kid="../../../../etc/passwd"),
        "sql_hs256": hmac_with_secret("HS256", b"secret", good, kid="x' UNION SELECT 'secret' --"),
        "sql_rs256": sign(ATTACKER, good, kid=f"{RS.kid}' OR '1'='1"),
        "very_long": sign(RS, good, kid="k" * 5000),
        "nul_byte": sign(RS, good, kid=RS.kid + "\u0000"),
    }
    for label, kid in {"number": 1, "object": {"kid": RS.kid}, "array": [RS.kid], "null": None, "bool": True}.items():
        cases[f"non_string_{label}"] = sign_bytes(RS, {"alg": "RS256", "kid": kid}, good)
    _assert_refused(st, cases, "/kid")


def test_key_url_headers_ignored_and_never_fetched(attack_stack):
    """jku/x5u/jwk name the attacker's key: refused, and nothing but the configured JWKS is requested."""
    st = attack_stack
    stray = st.issuers["stray"]
    before = {name: i.requests() for name, i in st.issuers.items()}
    good = _good(st)
    embedded = dict(ATTACKER.jwk)
    cases = {
        "jku": sign(ATTACKER, good, headers={"jku": stray.jwks_uri}),
        "jku_real_kid": sign(ATTACKER, good, kid=RS.kid, headers={"jku": stray.jwks_uri}),
        "x5u": sign(ATTACKER, good, headers={"x5u": stray.issuer + "/cert.pem"}),
        "jwk_embedded": sign(ATTACKER, good, headers={"jwk": embedded}),
        "jwk_embedded_real_kid": sign(ATTACKER, good, kid=RS.kid, headers={"jwk": embedded}),
        "x5c": sign(ATTACKER, good, headers={"x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]}),
    }
    _assert_refused(st, cases, "/keyurl")
    time.sleep(0.5)
    assert stray.requests() == before["stray"], "a URL from a token was fetched"
    # Provider a may refetch its own JWKS once for the unknown kid; nothing else.
    assert st.issuer.requests() == st.issuer.fetches() and st.issuer.fetches() - before["issuer"] <= 1


def test_crit_headers_we_do_not_understand(attack_stack):
    good = _good(attack_stack)
    cases = {
        "crit_exp": sign(RS, good, headers={"crit": ["exp"], "exp": 1}),
        "crit_b64": sign(RS, good, headers={"crit": ["b64"], "b64": True}),
        "crit_unknown": sign(RS, good, headers={"crit": ["http://example.com/x"]}),
        "crit_empty": sign(RS, good, headers={"crit": []}),
        "crit_string": sign(RS, good, headers={"crit": "exp"}),
    }
    _assert_refused(attack_stack, cases, "/crit")


def test_shapes_that_are_not_one_signed_jws(attack_stack):
    st = attack_stack
    valid = sign(RS, _good(st))
    other = sign(RS, _good(st, sub="admin"))
    head, payload, sig = valid.split(".")
    jwe_header = {"alg": "RSA-OAEP", "enc": "A256GCM", "kid": RS.kid}
    cases = {
        "jwe_5_segments": raw_token(jwe_header, {})[:-1].split(".")[0] + ".ZW5j.aXY.Y2lwaGVy.dGFn",
        "four_segments": f"{valid}.dGFn",
        "signature_stripped": f"{head}.{payload}.",
        "signature_and_dot_stripped": f"{head}.{payload}",
        "signature_of_another_token": f"{head}.{payload}.{other.split('.')[2]}",
        "payload_changed": swap_payload(valid, _good(st, sub="admin")),
        "header_changed": with_header(valid, {"alg": "RS256", "kid": RS.kid, "typ": "JWT", "x": 1}),
        "nested_jwt_payload": sign_bytes(RS, {"alg": "RS256", "kid": RS.kid, "cty": "JWT"}, valid.encode()),
        "padded_header": f"{padded(head)}.{payload}.{sig}",
        "padded_payload": f"{head}.{padded(payload)}.{sig}",
        "space_inside": f"{head}.{payload[:10]} {payload[10:]}.{sig}",
        "tab_inside": f"{head}.{payload[:10]}\t{payload[10:]}.{sig}",
        "space_around_dots": f"{head} . {payload} . {sig}",
        "percent_encoded": valid.replace(".", "%2E"),
    }
    # The standard alphabet only differs where the signature has '-' or '_'; mint until it does.
    for i in range(50):
        t = sign(RS, _good(st, sub=f"user-{i}"))
        if "-" in t or "_" in t:
            cases["standard_alphabet"] = to_standard_alphabet(t)
            break
    assert "standard_alphabet" in cases
    _assert_refused(st, cases, "/shape")


def test_nested_jwt_content_type(attack_stack):
    """Intended: `cty: JWT` is not unwrapped (Envoy does not either). A signed token whose payload is a JSON
    claims object verifies whatever its cty; a payload that is itself a JWT string is no claims object: 401."""
    st = attack_stack
    inner = sign(RS, _good(st))
    outer_ok = sign(RS, _good(st), headers={"cty": "JWT"})
    statuses = _send(st, "/nested", {"claims_object": outer_ok})
    native = {"claims_object": requests.get(st.url("/nested/claims_object", native=True),
                                            headers={"authorization": f"Bearer {outer_ok}"}, timeout=15).status_code}
    assert statuses == native == {"claims_object": 200}
    _assert_refused(st, {"jwt_string_payload": sign_bytes(RS, {"alg": "RS256", "kid": RS.kid, "cty": "JWT"},
                                                          inner.encode())}, prefix="/nested-string")


def test_duplicate_json_keys(attack_stack):
    st = attack_stack
    iss, now = st.issuer.issuer, int(time.time())
    body = {"sub": "u", "aud": "api", "iat": now, "exp": now + 300}

    def dup(first: str, second: str, extra: str = "") -> bytes:
        rest = json.dumps(body)[1:-1]
        return f'{{{first},{second},{rest}{extra}}}'.encode()

    hdr = json.dumps({"alg": "RS256", "kid": RS.kid})[1:-1]
    cases = {
        "iss_then_evil": sign_bytes(RS, {"alg": "RS256", "kid": RS.kid}, dup(f'"iss":"{iss}"', '"iss":"https://evil"')),
        "evil_then_iss": sign_bytes(RS, {"alg": "RS256", "kid": RS.kid}, dup('"iss":"https://evil"', f'"iss":"{iss}"')),
        "exp_twice": sign_bytes(RS, {"alg": "RS256", "kid": RS.kid},
                                dup(f'"iss":"{iss}"', f'"exp":{now - 3600}', f',"exp":{now + 300}')),
        "header_alg_twice": sign_bytes(RS, f'{{"alg":"none",{hdr}}}'.encode(), _good(st)),
        "header_kid_twice": sign_bytes(RS, f'{{{hdr},"kid":"other"}}'.encode(), _good(st)),
    }
    _assert_refused(st, cases, "/dup")


def test_time_and_audience_claims_of_the_wrong_type(attack_stack):
    st = attack_stack
    now = int(time.time())
    bad = {
        # Fractional NumericDates are valid (RFC 7519 §2; tests/differential); 1e10 is past max_lifetime_seconds.
        "exp_string": {"exp": str(now + 300)}, "exp_exponent": {"exp": 1e10},
        "exp_2_64": {"exp": 2 ** 64}, "exp_2_63": {"exp": 2 ** 63}, "exp_negative": {"exp": -1},
        "exp_bool": {"exp": True}, "exp_null": {"exp": None, "_keep_null": True},
        "nbf_string": {"nbf": str(now - 10)}, "nbf_2_64": {"nbf": 2 ** 64},
        "nbf_2_63": {"nbf": 2 ** 63}, "nbf_negative": {"nbf": -1},
        "aud_number": {"aud": 123}, "aud_object": {"aud": {"api": True}}, "aud_array_number": {"aud": ["api", 1]},
        "aud_array_object": {"aud": [{"aud": "api"}]}, "aud_empty_array": {"aud": []}, "aud_null": {"aud": None, "_keep_null": True},
        "iss_array": {"iss": [st.issuer.issuer]}, "sub_number": {"sub": 1},
    }
    cases = {}
    for name, change in bad.items():
        keep_null = change.pop("_keep_null", False)
        payload = {**_good(st), **change}
        if keep_null:
            payload.update(change)
        cases[name] = sign_bytes(RS, {"alg": "RS256", "kid": RS.kid}, payload)
    _assert_refused(st, cases, "/claims")


def test_size_and_encoding(attack_stack):
    st = attack_stack
    valid = sign(RS, _good(st))
    head, payload, sig = valid.split(".")
    cases = {
        "over_max_token_bytes": sign(RS, _good(st, blob="x" * 9000)),
        "zero_bytes": b"Bearer ",
        "non_ascii_utf8": f"{head}.{payload[:5]}é{payload[5:]}.{sig}".encode(),
        "non_ascii_latin1": b"Bearer " + f"{head}.{payload}".encode() + b".\xff\xfe" + sig.encode(),
        "non_ascii_in_kid": sign(RS, _good(st), kid=RS.kid + "é"),
    }
    _assert_refused(st, cases, "/size")


def test_issuer_mix_up(attack_stack):
    """Both JWKS are trusted, but each rule names one provider: B's token is no good where A is required."""
    st = attack_stack
    b_iss = st.issuers["b"].issuer
    cases_a = {
        "b_token_on_a": sign(B_KEY, claims(b_iss)),
        "a_issuer_signed_by_b": sign(B_KEY, _good(st)),
        "a_issuer_b_key_a_kid": sign(B_KEY, _good(st), kid=RS.kid),
    }
    _assert_refused(st, cases_a, "/mixup")
    _assert_refused(st, {"a_token_on_b": sign(RS, _good(st)),
                         "b_issuer_signed_by_a": sign(RS, claims(b_iss))}, prefix="/b")
    # And each token is fine where it belongs, so the refusals above are about the mix-up.
    assert st.request("/b/own", sign(B_KEY, claims(b_iss))).status_code == 200
    assert st.request("/own", sign(RS, _good(st))).status_code == 200


@pytest.mark.parametrize("alg", ["ES256", "ES384"])
def test_ecdsa_signature_values_as_native_jwt_authn(attack_stack, alg):
    """r or s zero or >= n are refused; the high-S twin gets what Envoy's native filter (BoringSSL) gives it."""
    st = attack_stack
    token = sign(A_KEYS[alg], _good(st))
    variants = ecdsa_variants(token, alg)
    wasm = _send(st, f"/ecdsa-{alg}", {**variants, "original": token})
    native = {n: requests.get(st.url(f"/native-ecdsa-{alg}/{n}", native=True),
                              headers={"authorization": f"Bearer {t}"}, timeout=15).status_code
              for n, t in {**variants, "original": token}.items()}
    assert wasm == native, f"wasm {wasm} native {native}"
    assert wasm["original"] == 200
    out_of_range = {n: s for n, s in wasm.items() if n not in ("original", "high_s")}
    assert set(out_of_range.values()) == {401}
    for n in out_of_range:
        assert st.echo.requests(f"/ecdsa-{alg}/{n}") == 0


# Native jwt_authn bounds exp - now by max_lifetime: it refuses a future iat whose exp is far ahead,
# and accepts an old iat with a near exp. The filter must answer the same.
@pytest.mark.parametrize("iat_offset,exp_offset", [(100_000, 100_010), (2 ** 62, 2 ** 62 + 10), (-7000, 300)],
                         ids=["future_iat", "far_future_iat", "old_iat_near_exp"])
def test_max_lifetime_as_native(attack_stack, iat_offset, exp_offset):
    """Provider a allows 3600 s. Only the issuer can sign these tokens; the answer must equal native's."""
    st = attack_stack
    now = int(time.time())
    token = sign_bytes(RS, {"alg": "RS256", "kid": RS.kid}, {**_good(st), "iat": now + iat_offset,
                                                              "exp": now + exp_offset})
    wasm = st.request(f"/lifetime/{iat_offset}", token).status_code
    native = st.request(f"/lifetime/{iat_offset}", token, native=True).status_code
    assert wasm == native
