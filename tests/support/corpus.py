"""Token corpus for the differential test: each case is (path, request headers) built against one issuer."""
import base64
import json
import time
from dataclasses import dataclass

from jwt.api_jws import PyJWS

from .keys import ASYMMETRIC_ALGS, HMAC_ALGS, SigningKey, b64url, make_key
from .tokens import alg_none, claims, hmac_with_secret, raw_token, sign, swap_payload, tamper_signature


@dataclass
class Ctx:
    iss: str
    keys: dict  # alg -> SigningKey, all published (asymmetric in the remote JWKS, HMAC in local_jwks)
    weak_rsa: SigningKey  # 1024-bit RSA key, published
    enc_key: SigningKey  # RSA key published with use=enc


def bearer(token: str) -> dict:
    return {"authorization": f"Bearer {token}"}


def _now() -> int:
    return int(time.time())


def _seg(obj) -> str:
    return b64url(json.dumps(obj).encode())


def _rs(c: Ctx, **kw) -> str:
    return sign(c.keys["RS256"], claims(c.iss, **kw))


def _rs_json(c: Ctx, payload_json: str) -> str:
    """RS256 over exactly this payload text, for number spellings no encoder picks."""
    key = c.keys["RS256"]
    signing_input = f"{_seg({'alg': 'RS256', 'kid': key.kid})}.{b64url(payload_json.encode())}"
    algo = PyJWS().get_algorithm_by_name("RS256")
    return f"{signing_input}.{b64url(algo.sign(signing_input.encode(), algo.prepare_key(key.private)))}"


def _numeric_dates(c: Ctx) -> dict:
    """NumericDate (RFC 7519 §2) is any JSON number: fractions and exponents pass both filters."""
    now = _now()
    base = f'"iss":"{c.iss}","aud":"api","sub":"u"'
    exponent = f"{(now + 300) / 1e9:.9f}e9"
    return {
        "valid_exp_fractional": ("/x", bearer(_rs_json(c, f'{{{base},"exp":{now + 300}.5}}'))),
        "valid_exp_exponent_form": ("/x", bearer(_rs_json(c, f'{{{base},"exp":{exponent}}}'))),
        "valid_nbf_and_iat_fractional": ("/x", bearer(_rs_json(c, f'{{{base},"exp":{now + 300},"nbf":{now - 10}.75,'
                                                                f'"iat":{now - 10}.25}}'))),
        "exp_fraction_in_the_past": ("/x", bearer(_rs_json(c, f'{{{base},"exp":{now - 3600}.9}}'))),
        "exp_negative_fraction": ("/x", bearer(_rs_json(c, f'{{{base},"exp":-0.5}}'))),
        "nbf_fraction_in_the_future": ("/x", bearer(_rs_json(c, f'{{{base},"exp":{now + 7200},"nbf":{now + 3600}.5}}'))),
    }


def _header_forms(c: Ctx) -> dict:
    """Envoy 1.40 finds `value_prefix` anywhere in the header (its case matters) and takes the rest of
    the value, as it is, as the token."""
    t = _rs(c)
    auth = lambda value: ("/x", {"authorization": value})  # noqa: E731
    return {
        "bearer_token_quoted": auth(f'Bearer "{t}"'),
        "bearer_token_with_trailing_text": auth(f"Bearer {t} trailing"),
        "bearer_token_then_a_comma": auth(f"Bearer {t},x"),
        "valid_bearer_after_another_scheme": auth(f"Basic dXNlcjpwdw==, Bearer {t}"),
        "lowercase_bearer_scheme": auth(f"bearer {t}"),
        "bearer_followed_by_no_jwt_characters": auth("Bearer ;;;"),
    }


def _subjects(c: Ctx) -> dict:
    """Provider `subj` (paths /subj...) takes only subjects ending in @example.com; its payload header
    is padded. A sub of 2 characters makes a payload whose base64url needs padding."""
    iss = c.iss + "/subj"
    rs = c.keys["RS256"]
    return {
        "valid_subject_suffix": ("/subj/x", bearer(sign(rs, claims(iss, sub="alice@example.com")))),
        "subject_not_matching": ("/subj/x", bearer(sign(rs, claims(iss, sub="mallory@example.org")))),
        "subject_missing": ("/subj/x", bearer(sign(rs, claims(iss, sub=None)))),
        "subject_suffix_in_the_middle": ("/subj/x", bearer(sign(rs, claims(iss, sub="a@example.com.evil")))),
    }


def _audiences(c: Ctx) -> dict:
    """Envoy compares audiences without an http(s):// scheme and one trailing slash. Route /pa requires
    provider rs with audience `other` instead of its own (`provider_and_audiences`); /pany accepts that
    or rs as configured. The plain valid token is cached by then, under rs's own audience."""
    return {
        "valid_aud_https_scheme": ("/x", bearer(_rs(c, aud="https://api"))),
        "valid_aud_http_scheme_and_slash": ("/x", bearer(_rs(c, aud="http://api/"))),
        "valid_aud_trailing_slash": ("/x", bearer(_rs(c, aud="api/"))),
        "aud_scheme_in_capitals": ("/x", bearer(_rs(c, aud="HTTPS://api"))),
        "aud_two_trailing_slashes": ("/x", bearer(_rs(c, aud="api//"))),
        "valid_provider_and_audiences": ("/pa/x", bearer(_rs(c, aud="https://other/"))),
        "provider_and_audiences_cached_token_own_audience": ("/pa/x", bearer(_rs(c))),
        "valid_provider_and_audiences_either": ("/pany/x", bearer(_rs(c))),
    }


def _locations(c: Ctx) -> dict:
    """Provider `loc` (paths /loc...) reads parameter `tok` and cookie `jwt`. Parameters are
    percent-decoded and the first of a name counts, even empty; cookies as Envoy's cookie parser reads
    them. Whitespace inside the signature is skipped by Envoy's base64 decoder."""
    t = sign(c.keys["RS256"], claims(c.iss + "/loc"))
    signed, sig = t.rsplit(".", 1)
    cookie = lambda value: ("/loc/x", {"cookie": value})  # noqa: E731
    return {
        "valid_param": (f"/loc/x?tok={t}", {}),
        "valid_param_percent_encoded_dots": (f"/loc/x?tok={t.replace('.', '%2e')}", {}),
        "valid_param_percent_encoded_name": (f"/loc/x?t%6Fk={t}", {}),
        "valid_param_first_of_two": (f"/loc/x?tok={t}&tok=garbage", {}),
        "param_garbage_before_valid": (f"/loc/x?tok=garbage&tok={t}", {}),
        "param_empty_before_valid": (f"/loc/x?tok=&tok={t}", {}),
        "param_without_value_before_valid": (f"/loc/x?tok&tok={t}", {}),
        "param_plus_sign_after_token": (f"/loc/x?tok={t}+", {}),
        "param_name_in_capitals": (f"/loc/x?TOK={t}", {}),
        "valid_param_space_in_signature": (f"/loc/x?tok={signed}.{sig[:8]}%20{sig[8:]}", {}),
        "param_space_in_payload": (f"/loc/x?tok={signed}%20.{sig}", {}),
        "valid_cookie": cookie(f"a=b; jwt={t}"),
        "valid_cookie_without_space": cookie(f"a=b;jwt={t}"),
        "valid_cookie_quoted": cookie(f'jwt="{t}"'),
        "valid_cookie_space_before_semicolon": cookie(f"jwt={t} ; a=b"),
        "cookie_quote_on_one_side": cookie(f'jwt="{t}'),
        "cookie_empty_before_valid": cookie(f"jwt=; jwt={t}"),
        "cookie_tab_before_name": cookie(f"a=b;\tjwt={t}"),
        "cookie_name_in_capitals": cookie(f"JWT={t}"),
        "valid_cookie_in_second_header": ("/loc/x", [("cookie", "a=b"), ("cookie", f"jwt={t}")]),
    }


def _header_rules() -> dict:
    """Requests without a token against the differential test's HEADER_RULES: 200 where a rule that
    needs no token (or allows a missing one) matches, else the `/` rule's 401."""
    return {
        "valid_header_rule_exact": ("/hdr/x", {"x-env": "public"}),
        "valid_header_rule_absent_header": ("/hdr/x", {}),
        "header_rule_other_value": ("/hdr/x", {"x-env": "internal"}),
        "header_rule_value_extended": ("/hdr/x", {"x-env": "publicity"}),
        "valid_header_rule_inverted_value": ("/inv/x", {"x-env": "public"}),
        "header_rule_inverted_on_absent_header": ("/inv/x", {}),
        "header_rule_inverted_value_matching": ("/inv/x", {"x-env": "secret"}),
        "valid_header_rule_prefix": ("/pre/x", {"x-env": "public"}),
        "header_rule_prefix_case": ("/pre/x", {"x-env": "Public"}),
        "valid_authority_rule": ("/host/x", {"host": "public.example"}),
        "authority_rule_other_host": ("/host/x", {"host": "private.example"}),
        "authority_rule_host_with_port": ("/host/x", {"host": "public.example:80"}),
        "authority_rule_host_in_capitals": ("/host/x", {"host": "PUBLIC.example"}),
    }


def _allow_missing(c: Ctx) -> dict:
    """Tokens under the `allow_missing` header rule (`/hdr` without `x-env`): a token no provider
    claims fails there as any bad token does, in native jwt_authn as here."""
    rs = c.keys["RS256"]
    return {
        "valid_allow_missing_with_good_token": ("/hdr/x", bearer(_rs(c))),
        "allow_missing_unknown_issuer": ("/hdr/x", bearer(sign(rs, claims("https://evil.example")))),
        "allow_missing_expired": ("/hdr/x", bearer(_rs(c, exp=_now() - 3600))),
        "allow_missing_bad_signature": ("/hdr/x", bearer(tamper_signature(_rs(c)))),
    }


def _claim_headers(c: Ctx) -> dict:
    """Provider `claims` (issuer <iss>/claims) writes claims to headers; see CLAIM_HEADERS."""
    def req(**claim):
        return ("/claims/x", bearer(sign(c.keys["ES256"], claims(c.iss + "/claims", **claim))))

    return {
        "valid_claim_headers_lists_and_objects": req(roles=["read", "write"], org={"team": "a", "n": [1, 2]},
                                                     level=3, admin=True),
        "valid_claim_header_float": req(ratio=2.5),
        "claim_header_with_crlf": req(note="a\r\nx-admin: true"),
    }


def _hs_req(c: Ctx, alg: str, **kw) -> tuple:
    return ("/hs/x", {"x-hs-token": sign(c.keys[alg], claims(c.iss + "/hs", **kw))})


def build(c: Ctx) -> dict:
    """name -> (path, headers)."""
    cases = {}
    for alg in ASYMMETRIC_ALGS:
        cases[f"valid_{alg}"] = ("/x", bearer(sign(c.keys[alg], claims(c.iss))))
    for alg in HMAC_ALGS:
        cases[f"valid_{alg}_local_oct"] = _hs_req(c, alg)
    rs = c.keys["RS256"]
    valid = _rs(c)
    other_rsa = make_key("RS256", kid=rs.kid + "-impostor")
    other_rsa.kid = rs.kid
    cases.update({
        "valid_without_kid": ("/x", bearer(sign(c.keys["ES256"], claims(c.iss), kid=None))),
        "valid_aud_array": ("/x", bearer(_rs(c, aud=["other", "api"]))),
        "valid_query_param": (f"/x?access_token={valid}", {}),
        "valid_header_and_same_query": (f"/x?access_token={valid}", bearer(valid)),
        "valid_header_and_other_valid_query": (f"/x?access_token={_rs(c, sub='other')}", bearer(valid)),
        "expired_query_next_to_valid_header": (f"/x?access_token={_rs(c, exp=_now() - 3600)}", bearer(valid)),
        "forged_query_next_to_valid_header": (f"/x?access_token={tamper_signature(_rs(c, sub='x'))}", bearer(valid)),
        "expired_header_and_valid_query": (f"/x?access_token={valid}", bearer(_rs(c, exp=_now() - 3600))),
        "valid_expired_within_skew": ("/x", bearer(_rs(c, exp=_now() - 30))),
        "valid_nbf_within_skew": ("/x", bearer(_rs(c, nbf=_now() + 30))),
        "valid_nbf_and_iat_past": ("/x", bearer(_rs(c, nbf=_now() - 60, iat=_now() - 60))),
        "valid_iat_in_future": ("/x", bearer(_rs(c, iat=_now() + 3600))),
        "valid_nested_claims": ("/x", bearer(_rs(c, org={"team": "a", "n": [1, 2]}, scope="read write"))),
        "valid_typ_at_jwt": ("/x", bearer(sign(rs, claims(c.iss), headers={"typ": "at+jwt"}))),
        "valid_signature_with_base64_padding": ("/x", bearer(valid + "=" * (-len(valid.split(".")[2]) % 4))),
        "lowercase_bearer_scheme": ("/x", {"authorization": f"bearer {valid}"}),
        "token_in_unconfigured_header": ("/x", {"x-token": valid}),
        "missing": ("/x", {}),
        "empty_bearer": ("/x", {"authorization": "Bearer "}),
        "other_auth_scheme": ("/x", {"authorization": f"Basic {base64.b64encode(b'u:p').decode()}"}),
        "expired": ("/x", bearer(_rs(c, exp=_now() - 3600))),
        "expired_past_skew": ("/x", bearer(_rs(c, exp=_now() - 120))),
        "nbf_future": ("/x", bearer(_rs(c, nbf=_now() + 3600))),
        "wrong_issuer": ("/x", bearer(sign(rs, claims("https://evil.example")))),
        "missing_issuer": ("/x", bearer(sign(rs, claims(None)))),
        "wrong_audience": ("/x", bearer(_rs(c, aud="other"))),
        "audience_array_no_match": ("/x", bearer(_rs(c, aud=["a", "b"]))),
        "missing_audience": ("/x", bearer(_rs(c, aud=None))),
        "missing_exp": ("/x", bearer(sign(rs, {k: v for k, v in claims(c.iss).items() if k != "exp"}))),
        "exp_not_a_number": ("/x", bearer(_rs(c, exp="tomorrow"))),
        "bad_signature": ("/x", bearer(tamper_signature(valid))),
        "signed_by_impostor_same_kid": ("/x", bearer(sign(other_rsa, claims(c.iss)))),
        "payload_swapped": ("/x", bearer(swap_payload(valid, claims(c.iss, sub="admin")))),
        "truncated": ("/x", bearer(valid[:-12])),
        "two_segments": ("/x", bearer(valid.rsplit(".", 1)[0])),
        "extra_dots": ("/x", bearer(valid + ".extra")),
        "only_dots": ("/x", bearer("..")),
        "not_a_jwt": ("/x", bearer("hello-world")),
        "garbage_base64_header": ("/x", bearer("!!!." + valid.split(".", 1)[1])),
        "garbage_base64_payload": ("/x", bearer(valid.split(".")[0] + ".@@@." + valid.split(".")[2])),
        "header_not_json": ("/x", bearer(b64url(b"not json") + "." + valid.split(".", 1)[1])),
        "payload_not_json": ("/x", bearer(raw_token({"alg": "RS256", "kid": rs.kid}, {})[:-1].split(".")[0]
                                          + "." + b64url(b"[1,2") + ".c2ln")),
        "payload_json_array": ("/x", bearer(valid.split(".")[0] + "." + _seg([1, 2]) + "." + valid.split(".")[2])),
        "empty_signature": ("/x", bearer(valid.rsplit(".", 1)[0] + ".")),
        "alg_none": ("/x", bearer(alg_none(claims(c.iss)))),
        "alg_none_with_kid": ("/x", bearer(alg_none(claims(c.iss), kid=rs.kid))),
        "hs256_with_rsa_public_pem_kid": ("/x", bearer(hmac_with_secret("HS256", rs.public_pem(), claims(c.iss),
                                                                        kid=rs.kid))),
        "hs256_with_rsa_public_pem_no_kid": ("/x", bearer(hmac_with_secret("HS256", rs.public_pem(), claims(c.iss)))),
        "unknown_kid": ("/x", bearer(sign(make_key("RS256", kid="nobody-knows"), claims(c.iss)))),
        "alg_not_fitting_key_alg": ("/x", bearer(sign(rs, claims(c.iss), alg="RS384"))),
        "es256_token_on_p384_key": ("/x", bearer(sign(c.keys["ES256"], claims(c.iss), kid=c.keys["ES384"].kid))),
        "ps256_token_on_rs256_key": ("/x", bearer(sign(rs, claims(c.iss), alg="PS256"))),
        "eddsa_token_on_rsa_kid": ("/x", bearer(sign(c.keys["EdDSA"], claims(c.iss), kid=rs.kid))),
        "es512_garbage_signature": ("/x", bearer(raw_token({"alg": "ES512", "kid": c.keys["ES512"].kid}, claims(c.iss),
                                                           b"s" * 132))),
        "es512_token_on_p384_key": ("/x", bearer(sign(c.keys["ES512"], claims(c.iss), kid=c.keys["ES384"].kid))),
        "hs_wrong_secret": ("/hs/x", {"x-hs-token": hmac_with_secret("HS256", b"0" * 32, claims(c.iss + "/hs"),
                                                                     kid=c.keys["HS256"].kid)}),
        "hs_token_on_rsa_route": ("/x", bearer(sign(c.keys["HS256"], claims(c.iss + "/hs")))),
        "rsa_token_on_hs_route": ("/hs/x", {"x-hs-token": valid}),
        "hs_expired": _hs_req(c, "HS384", exp=_now() - 3600),
        "hs_wrong_audience": _hs_req(c, "HS512", aud="other"),
        "oversized_token": ("/x", bearer(_rs(c, blob="x" * 9000))),
        "weak_rsa_1024_key": ("/x", bearer(sign(c.weak_rsa, claims(c.iss)))),
        "key_published_for_encryption": ("/x", bearer(sign(c.enc_key, claims(c.iss)))),
    })
    cases.update(_numeric_dates(c))
    cases.update(_header_forms(c))
    cases.update(_subjects(c))
    cases.update(_header_rules())
    cases.update(_audiences(c))
    cases.update(_locations(c))
    cases.update(_claim_headers(c))
    cases.update(_allow_missing(c))
    return cases


# Expected status per case, identical for both filters unless listed in INTENDED_DIFFERENCES.
def expected(name: str) -> int:
    if name.startswith("valid_"):
        return 200
    if name in ("wrong_audience", "audience_array_no_match", "missing_audience", "hs_wrong_audience",
                "aud_scheme_in_capitals", "aud_two_trailing_slashes",
                "provider_and_audiences_cached_token_own_audience"):
        return 403
    return 401


# case -> (native jwt_authn status, this filter's status, reason); README "Differences from Envoy jwt_authn".
INTENDED_DIFFERENCES = {
    "oversized_token": (200, 401, "max_token_bytes (8192 by default) refuses larger tokens before any parsing"),
    "weak_rsa_1024_key": (200, 401, "RSA keys under 2048 bits are dropped when the JWKS is parsed"),
    "key_published_for_encryption": (200, 401, "JWKs with use=enc are ignored for signature verification"),
    "claim_header_with_crlf": (
        503, 200, "a claim value with CR or LF cannot be a header value: this filter does not write it and the "
                  "request goes on; native writes it and Envoy answers 503"),
    "valid_signature_with_base64_padding": (
        200, 401, "token segments must be unpadded base64url (RFC 7515); Envoy's decoder also accepts '=' padding"),
}
