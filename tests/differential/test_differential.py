"""The same requests against this filter and Envoy's native jwt_authn, configured alike in one Envoy.
Every case must get the same status from both, except the intended differences listed in the README."""
import pytest

from support.corpus import INTENDED_DIFFERENCES, Ctx, build, expected
from support.keys import ASYMMETRIC_ALGS, HMAC_ALGS, jwks, jwks_text, make_key
from support.paths import REPO
from support.plugin import remote_provider
from support.stack import Stack

WEAK = make_key("RS256", kid="weak-1024", rsa_bits=1024)
ENC = make_key("RS256", kid="enc-1")
ENC.jwk = {**ENC.jwk, "use": "enc"}
ENC.jwk.pop("alg", None)


@pytest.fixture(scope="module")
def diff(wasm_module, keys):
    st = Stack(native_listener=True)
    try:
        st.issuer.set_jwks(jwks(*(keys[a] for a in ASYMMETRIC_ALGS), WEAK, ENC))
        hs = {"issuer": st.issuer.issuer + "/hs", "audiences": ["api"],
              "local_jwks": {"inline_string": jwks_text(*(keys[a] for a in HMAC_ALGS))},
              "from_headers": [{"name": "x-hs-token"}]}
        st.start({
            "providers": {"rs": remote_provider(st.issuer, "issuer", timeout_ms=3000, cache_duration_seconds=600),
                          "hs": hs},
            "rules": [{"match": {"prefix": "/hs"}, "requires": {"provider_name": "hs"}},
                      {"match": {"prefix": "/"}, "requires": {"provider_name": "rs"}}],
        })
        ctx = Ctx(iss=st.issuer.issuer, keys=keys, weak_rsa=WEAK, enc_key=ENC)
        yield st, build(ctx)
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
    st, cases = diff
    path, headers = cases[name]
    native = st.request(path, headers=headers, native=True).status_code
    ours = st.request(path, headers=headers).status_code
    if name in INTENDED_DIFFERENCES:
        want_native, want_ours, _ = INTENDED_DIFFERENCES[name]
    else:
        want_native = want_ours = expected(name)
    assert (native, ours) == (want_native, want_ours), f"{name}: native {native}, wasm {ours}"


def test_readme_lists_every_intended_difference():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Differences from Envoy jwt_authn", 1)[1].split("\n## ", 1)[0]
    for name, (native, ours, _) in INTENDED_DIFFERENCES.items():
        row = next((ln for ln in section.splitlines() if ln.startswith(f"| `{name}`")), None)
        assert row is not None, f"README lacks intended difference {name}"
        assert f"| {native} | {ours} |" in row, row
