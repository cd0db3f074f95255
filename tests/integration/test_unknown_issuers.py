"""`ignore_unknown_issuers` in real Envoy (istio#40718, #48244, #54654): a token minted for another service,
whose `iss` no provider of the requirement knows, counts as no token. `allow_missing` passes it untouched, a
required provider answers `Jwt is missing`; a bad token of a known issuer is still refused. Off, the default,
keeps native's answer."""
import pytest

from support.asserts import assert_allowed, assert_invalid, assert_missing, counts
from support.keys import jwks, make_key
from support.plugin import remote_provider
from support.stack import Stack
from support.tokens import claims, sign

KEY = make_key("ES256", kid="uk-1")
FOREIGN = make_key("ES256", kid="foreign-1")


def plugin_config(st: Stack, ignore: bool) -> dict:
    return {"ignore_unknown_issuers": ignore,
            "providers": {"p": {**remote_provider(st.issuer, "issuer", timeout_ms=2000), "forward": False},
                          "q": {**remote_provider(st.issuer, "issuer", timeout_ms=2000),
                                "issuer": st.issuer.issuer + "/q"}},
            "rules": [{"match": {"prefix": "/open"}, "requires": {"allow_missing": {}}},
                      {"match": {"prefix": "/"}, "requires": {"provider_name": "p"}}]}


@pytest.fixture(scope="module", params=[True, False], ids=["ignore", "default"])
def stack(request, each_build, wasm_module):
    st = Stack()
    try:
        st.issuer.set_jwks(jwks(KEY))
        st.start(plugin_config(st, request.param))
        yield st, request.param
    finally:
        st.stop()


def _foreign() -> str:
    return sign(FOREIGN, claims("https://login.other.example/"))


def test_a_required_provider_answers_missing(stack):
    st, ignore = stack
    with counts(st, "provider.p.denied.missing", "provider.p.denied.issuer") as grown:
        resp = st.request("/x", _foreign())
    if ignore:
        assert_missing(st, resp, "/x")
        assert grown == {"provider.p.denied.missing": 1, "provider.p.denied.issuer": 0}
    else:
        assert_invalid(st, resp, "/x", "Jwt issuer is not configured")
        assert grown == {"provider.p.denied.missing": 0, "provider.p.denied.issuer": 1}


def test_a_token_of_a_provider_the_requirement_does_not_ask_is_foreign_too(stack):
    st, ignore = stack
    resp = st.request("/x", sign(KEY, claims(st.issuer.issuer + "/q")))
    if ignore:
        assert_missing(st, resp, "/x")
    else:
        assert_invalid(st, resp, "/x", "Jwt issuer is not configured")


def test_allow_missing_passes_the_foreign_token_untouched_only_when_ignored(stack):
    st, ignore = stack
    token = _foreign()
    resp = st.request("/open/x", token)
    if ignore:
        seen = assert_allowed(resp)
        assert seen["headers"].get("authorization") == f"Bearer {token}"
    else:
        # As native jwt_authn: under allow_missing a token no provider claims is a bad token.
        assert_invalid(st, resp, "/open/x", "Jwt issuer is not configured")


def test_a_bad_token_of_a_known_issuer_is_still_refused(stack):
    st, _ = stack
    expired = sign(KEY, claims(st.issuer.issuer, lifetime=-3600))
    assert_invalid(st, st.request("/open/x", expired), "/open/x", "Jwt is expired")
    assert_allowed(st.request("/x", sign(KEY, claims(st.issuer.issuer))))
