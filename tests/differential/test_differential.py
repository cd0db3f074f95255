"""The same requests against this filter and Envoy's native jwt_authn, configured alike in one Envoy.
Every case must get the same status from both, except the intended differences listed in the README.
The corpus runs once per crypto backend: `auto` (Envoy's BoringSSL through verify_signature, ring for
PS*/EdDSA), `module` (ring alone) and `cross_check` (both, where both can); and once more with the
dynamic-module build, where aws-lc-rs is the only backend (as `module`, but with P-521)."""
import base64
import json

import pytest

from support import build as builds

from support.corpus import INTENDED_DIFFERENCES, Ctx, build, expected
from support.keys import ASYMMETRIC_ALGS, HMAC_ALGS, jwks, jwks_text, make_key
from support.paths import REPO
from support.plugin import remote_provider
from support.stack import Stack
from support.tokens import claims, sign

WEAK = make_key("RS256", kid="weak-1024", rsa_bits=1024)
ENC = make_key("RS256", kid="enc-1")
ENC.jwk = {**ENC.jwk, "use": "enc"}
ENC.jwk.pop("alg", None)


CRYPTO_MODES = ("auto", "module", "cross_check")

# Rules that match on headers (Envoy's HeaderMatcher spelling); the corpus's header_rule_* cases.
HEADER_RULES = [
    {"match": {"prefix": "/hdr", "headers": [{"name": "x-env", "string_match": {"exact": "public"}}]}},
    {"match": {"prefix": "/hdr", "headers": [{"name": "x-env", "present_match": True, "invert_match": True}]},
     "requires": {"allow_missing": {}}},
    {"match": {"prefix": "/inv", "headers": [{"name": "x-env", "string_match": {"exact": "secret"},
                                              "invert_match": True}]}},
    {"match": {"prefix": "/pre", "headers": [{"name": "x-env", "string_match": {"prefix": "pub"}}]}},
    {"match": {"prefix": "/host", "headers": [{"name": ":authority", "string_match": {"exact": "public.example"}}]}},
]

# Claims written to headers by provider `claims`, on both listeners (corpus `_claim_headers`).
CLAIM_HEADERS = [{"header_name": f"x-c-{n.replace('.', '-')}", "claim_name": n}
                 for n in ("sub", "roles", "org", "org.team", "org.n", "level", "admin", "ratio", "note")]

# ring has no P-521: with `crypto: module` the wasm build drops P-521 keys when the JWKS is parsed.
# The dynamic module (aws-lc-rs) verifies them: no difference there.
MODULE_ONLY_DIFFERENCES = {"valid_ES512": (200, 401)}


# (build, crypto mode): the dynamic module verifies natively with aws-lc-rs whatever the mode says.
RUNS = [("wasm", mode) for mode in CRYPTO_MODES] + [("dynamic", "module")]


def _label(which: str, mode: str) -> str:
    """The run as the tests below tell runs apart: the crypto mode, or `dynamic-module`."""
    return mode if which == "wasm" else f"{which}-{mode}"


@pytest.fixture(scope="module", params=RUNS, ids=[f"{b}-{m}" for b, m in RUNS])
def diff(request, wasm_module, keys):
    which, mode = request.param
    st = Stack(native_listener=True)
    try:
        st.issuer.set_jwks(jwks(*(keys[a] for a in ASYMMETRIC_ALGS), WEAK, ENC))
        hs = {"issuer": st.issuer.issuer + "/hs", "audiences": ["api"],
              "local_jwks": {"inline_string": jwks_text(*(keys[a] for a in HMAC_ALGS))},
              "from_headers": [{"name": "x-hs-token"}]}
        subj = {**remote_provider(st.issuer, "issuer", timeout_ms=3000, cache_duration_seconds=600),
                "issuer": st.issuer.issuer + "/subj", "subjects": {"suffix": "@example.com"},
                "forward": True, "forward_payload_header": "x-jwt-payload", "pad_forward_payload_header": True}
        loc = {**remote_provider(st.issuer, "issuer", timeout_ms=3000, cache_duration_seconds=600),
               "issuer": st.issuer.issuer + "/loc", "from_params": ["tok"], "from_cookies": ["jwt"]}
        claim_headers = {**remote_provider(st.issuer, "issuer", timeout_ms=3000, cache_duration_seconds=600),
                         "issuer": st.issuer.issuer + "/claims", "claim_to_headers": CLAIM_HEADERS}
        other_audience = {"provider_and_audiences": {"provider_name": "rs", "audiences": ["other"]}}
        with builds.use(which):
            st.start({
                "crypto": mode,
                "providers": {"rs": remote_provider(st.issuer, "issuer", timeout_ms=3000, cache_duration_seconds=600),
                              "hs": hs, "subj": subj, "loc": loc, "claims": claim_headers},
                "rules": [{"match": {"prefix": "/hs"}, "requires": {"provider_name": "hs"}},
                          {"match": {"prefix": "/subj"}, "requires": {"provider_name": "subj"}},
                          {"match": {"prefix": "/loc"}, "requires": {"provider_name": "loc"}},
                          {"match": {"prefix": "/claims"}, "requires": {"provider_name": "claims"}},
                          {"match": {"prefix": "/pa/"}, "requires": other_audience},
                          {"match": {"prefix": "/pany/"},
                           "requires": {"requires_any": [other_audience, {"provider_name": "rs"}]}},
                          *HEADER_RULES,
                          {"match": {"prefix": "/"}, "requires": {"provider_name": "rs"}}],
            })
        ctx = Ctx(iss=st.issuer.issuer, keys=keys, weak_rsa=WEAK, enc_key=ENC)
        yield st, build(ctx), _label(which, mode)
    finally:
        st.stop()


def _case_names():
    return list(build(Ctx(iss="http://x", keys=_placeholder_keys(), weak_rsa=WEAK, enc_key=ENC)))


def _placeholder_keys():
    from support.keys import ALL_ALGS

    return {alg: make_key(alg, kid=f"{alg.lower()}-main") for alg in ALL_ALGS}


CASES = _case_names()


def test_corpus_is_large_enough():
    assert len(CASES) >= 50


@pytest.mark.parametrize("name", CASES)
def test_same_status_as_native(diff, name):
    st, cases, mode = diff
    path, headers = cases[name]
    native = st.raw_status(path, headers, native=True)
    ours = st.raw_status(path, headers)
    if mode == "module" and name in MODULE_ONLY_DIFFERENCES:
        want_native, want_ours = MODULE_ONLY_DIFFERENCES[name]
    elif name in INTENDED_DIFFERENCES:
        want_native, want_ours, _ = INTENDED_DIFFERENCES[name]
    else:
        want_native = want_ours = expected(name)
    assert (native, ours) == (want_native, want_ours), f"{name}: native {native}, ours {ours}"


def test_padded_payload_header_as_native(diff, keys):
    """`pad_forward_payload_header`: the upstream gets the payload with base64url padding, as from native.
    Three payload lengths, so that every padding (none, one or two `=`) is seen."""
    st, _, _ = diff
    seen = set()
    for k in range(3):
        token = sign(keys["RS256"], claims(st.issuer.issuer + "/subj", sub="alice@example.com", fill="x" * k))
        got = [st.request("/subj/pad", token, native=native).json()["headers"].get("x-jwt-payload")
               for native in (True, False)]
        assert got[0] and got[0] == got[1], got
        seen.add(len(got[0]) - len(got[0].rstrip("=")))
    assert seen == {0, 1, 2}, seen


def test_claim_headers_as_native(diff, keys):
    """Strings, integers, booleans, and lists and objects as base64 of their JSON: the same header values as
    native. Floats are the intended difference (README): native prints six decimals, this filter JSON's."""
    st, _, _ = diff
    claim = {"roles": ["read", "write"], "org": {"team": "a", "n": [1, 2]}, "level": 3, "admin": True,
             "ratio": 2.5}
    token = sign(keys["ES256"], claims(st.issuer.issuer + "/claims", **claim))
    native, ours = ({k: v for k, v in st.request("/claims/x", token, native=n).json()["headers"].items()
                     if k.startswith("x-c-")} for n in (True, False))
    assert native.pop("x-c-ratio") == "2.500000" and ours.pop("x-c-ratio") == "2.5"
    # An object's members come out in no set order in native (a protobuf map), in key order here:
    # the same JSON object either way.
    native_org, ours_org = (json.loads(base64.b64decode(h.pop("x-c-org"))) for h in (native, ours))
    assert native_org == ours_org == claim["org"]
    assert native == ours, (native, ours)
    assert ours["x-c-roles"] == "WyJyZWFkIiwid3JpdGUiXQ==" and ours["x-c-org-team"] == "a"
    assert set(ours) == {"x-c-sub", "x-c-roles", "x-c-org-team", "x-c-org-n", "x-c-level", "x-c-admin"}


STARTUP_LINES = {
    "auto": "crypto auto: RS256/384/512, ES256/384 by Envoy's BoringSSL (verify_signature);",
    "module": "crypto module: RS256/384/512, ES256/384 by ring in the module; ES512 by refused",
    "cross_check": "crypto cross_check: RS256/384/512, ES256/384 by Envoy's BoringSSL (verify_signature) "
                   "checked against ring in the module;",
    "dynamic-module": "crypto module: RS256/384/512, ES256/384 by aws-lc-rs in the module; "
                      "ES512 by aws-lc-rs in the module; PS256/384/512, EdDSA by aws-lc-rs in the module;",
}


def test_backends_did_the_work_and_never_disagreed(diff):
    """Runs after the corpus of its backend: the counters say which code verified."""
    st, _, mode = diff
    c = {n: st.envoy.counter(f"wasmcustom.jwt_authn_wasm.{n}")
         for n in ("verify_host", "verify_module", "verify_host_error", "verify_backend_disagreement")}
    assert c["verify_host_error"] == 0 and c["verify_backend_disagreement"] == 0, c
    assert c["verify_module"] > 0, c  # PS*, EdDSA and HS* are the module's in every mode
    if mode in ("module", "dynamic-module"):
        assert c["verify_host"] == 0, c
    else:
        assert c["verify_host"] > 20, c
    if mode == "cross_check":
        # Every RS*/ES256/ES384 check ran twice; ES512 is the host's alone.
        assert c["verify_module"] > c["verify_host"] - 10, c
    assert STARTUP_LINES[mode] in st.envoy.log(), st.envoy.log_tail()


def test_readme_lists_every_intended_difference():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Differences from Envoy jwt_authn", 1)[1].split("\n## ", 1)[0]
    for name, (native, ours, _) in INTENDED_DIFFERENCES.items():
        row = next((ln for ln in section.splitlines() if ln.startswith(f"| `{name}`")), None)
        assert row is not None, f"README lacks intended difference {name}"
        assert f"| {native} | {ours} |" in row, row
    for name in MODULE_ONLY_DIFFERENCES:
        assert f"`{name}`" in section, f"README lacks the crypto: module difference {name}"
