"""The dynamic-module build (`build/libjwt_authn.so`) in the real Envoy 1.40, side by side with
the wasm build: same plugin JSON, same answers, same counter names, same config refusals."""
import re

import pytest

from support import build
from support.envoy import EnvoyExited
from support.keys import jwks_text, make_key
from support.stack import Stack
from support.tokens import claims, sign

METRIC = "wasmcustom.jwt_authn_wasm."
ISS = "https://local.example"
ES = make_key("ES256")
RS = make_key("RS256")
OTHER = make_key("ES256")


def _config() -> dict:
    return {"providers": {"local": {"issuer": ISS, "audiences": ["api"],
                                    "local_jwks": {"inline_string": jwks_text(ES, RS)},
                                    "claim_to_headers": [{"header_name": "x-sub", "claim_name": "sub"}]}}}


@pytest.fixture(scope="module", params=build.BUILDS)
def stack(request):
    with build.use(request.param), Stack() as s:
        s.start(_config())
        yield s


def test_the_module_loads_with_the_abi_version_envoy_expects():
    with build.use("dynamic"), Stack() as s:
        s.start(_config())
        log = s.envoy.log()
        assert "Dynamic module ABI version v0.2.0 matched" in log, s.envoy.log_tail()


@pytest.mark.parametrize("key", [ES, RS], ids=["ES256", "RS256"])
def test_a_valid_token_passes_with_its_claim_header(stack, key):
    r = stack.request("/get", token=sign(key, claims(ISS, sub="alice")))
    assert r.status_code == 200, r.text
    assert r.json()["headers"].get("x-sub") == "alice"


def test_a_forged_claim_header_never_reaches_the_upstream(stack):
    r = stack.request("/get", token=sign(ES, claims(ISS, sub="bob")), headers={"x-sub": "admin"})
    assert r.status_code == 200
    assert r.json()["headers"].get("x-sub") == "bob"


@pytest.mark.parametrize("case", ["missing", "unknown_key", "wrong_issuer", "expired", "garbage"])
def test_bad_tokens_are_denied_with_the_reason(stack, case):
    token = {
        "missing": None,
        "unknown_key": sign(OTHER, claims(ISS)),
        "wrong_issuer": sign(ES, claims("https://other.example")),
        "expired": sign(ES, claims(ISS, lifetime=-120)),
        "garbage": "not.a.jwt",
    }[case]
    r = stack.request("/get", token=token)
    assert r.status_code == 401, (case, r.status_code, r.text)
    assert r.headers.get("www-authenticate", "").startswith("Bearer"), r.headers


def test_counters_have_the_wasm_names(stack):
    before = stack.envoy.counter(METRIC + "provider.local.allowed")
    denied = stack.envoy.counter(METRIC + "denied")
    stack.request("/get", token=sign(ES, claims(ISS)))
    stack.request("/get", token=sign(OTHER, claims(ISS)))
    assert stack.envoy.counter(METRIC + "provider.local.allowed") == before + 1
    assert stack.envoy.counter(METRIC + "denied") == denied + 1


def test_both_builds_answer_alike():
    """The same requests through each build give the same statuses and upstream claim headers."""
    requests_ = [
        (sign(ES, claims(ISS, sub="a")), {}),
        (sign(RS, claims(ISS, aud="other")), {}),
        (sign(ES, claims(ISS, lifetime=-120)), {}),
        (sign(OTHER, claims(ISS)), {}),
        (None, {}),
        ("x.y.z", {}),
        (sign(ES, claims(ISS, sub="c")), {"x-sub": "forged"}),
    ]
    seen = {}
    for b in build.BUILDS:
        with build.use(b), Stack() as s:
            s.start(_config())
            out = []
            for token, headers in requests_:
                r = s.request("/get", token=token, headers=headers)
                sub = r.json()["headers"].get("x-sub") if r.status_code == 200 else None
                # The realm names the listener, whose port differs between the two runs.
                challenge = re.sub(r"127\.0\.0\.1:\d+", "listener", r.headers.get("www-authenticate", ""))
                out.append((r.status_code, challenge, sub))
            seen[b] = out
    assert seen["dynamic"] == seen["wasm"]


def test_a_bad_config_is_refused_naming_the_field():
    cfg = _config()
    cfg["providers"]["local"]["issuer_url"] = "https://x"
    with build.use("dynamic"), Stack() as s:
        with pytest.raises(EnvoyExited) as e:
            s.start(cfg)
        assert "issuer_url" in str(e.value)
