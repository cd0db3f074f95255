"""ES512 (P-521) in the dynamic module, which verifies with aws-lc-rs (ring, the wasm build's
module backend, has no P-521, so there ES512 needs the host's BoringSSL). Envoy's native
jwt_authn (BoringSSL) in the same Envoy is the reference: a valid token passes, r or s zero or
>= n are refused, the high-S twin gets what native gives it, and nothing refused reaches the
upstream. The counters and the start-up line say the module verified, not a host."""
import pytest
import requests

from support import build
from support.attacks import ecdsa_variants
from support.keys import jwks, make_key
from support.plugin import remote_provider
from support.stack import Stack
from support.tokens import claims, sign

METRIC = "wasmcustom.jwt_authn_wasm."
P521 = make_key("ES512", kid="p521")
P256 = make_key("ES256", kid="p256")


@pytest.fixture(scope="module")
def stack():
    assert build.DYNAMIC_MODULE.is_file(), f"{build.DYNAMIC_MODULE} is missing: run `make dynamic-module`"
    st = Stack(native_listener=True)
    try:
        st.issuer.set_jwks(jwks(P521, P256))
        with build.use("dynamic"):
            st.start({"crypto": "module",
                      "providers": {"p": remote_provider(st.issuer, "issuer", timeout_ms=3000)},
                      "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "p"}}]})
        yield st
    finally:
        st.stop()


def _status(st, path: str, token: str, native: bool = False) -> int:
    return requests.get(st.url(path, native=native), headers={"authorization": f"Bearer {token}"},
                        timeout=15).status_code


def test_es512_signature_values_as_native_jwt_authn(stack):
    st = stack
    token = sign(P521, claims(st.issuer.issuer))
    cases = {**ecdsa_variants(token, "ES512"), "original": token}
    ours = {n: _status(st, f"/es512/{n}", t) for n, t in cases.items()}
    native = {n: _status(st, f"/native-es512/{n}", t, native=True) for n, t in cases.items()}
    assert ours == native, f"dynamic module {ours} native {native}"
    assert ours["original"] == 200
    out_of_range = {n: s for n, s in ours.items() if n not in ("original", "high_s")}
    assert set(out_of_range.values()) == {401}, out_of_range
    for n in out_of_range:
        assert st.echo.requests(f"/es512/{n}") == 0
    # An ES512 signature is no ES256 one: the P-521 signature under the P-256 key's kid.
    other = sign(P521, claims(st.issuer.issuer), kid=P256.kid)
    assert (_status(st, "/es512/kid-mixup", other), _status(st, "/x", other, native=True)) == (401, 401)


def test_the_module_verified_with_aws_lc(stack):
    st = stack
    assert _status(st, "/es512/again", sign(P521, claims(st.issuer.issuer))) == 200
    assert st.envoy.counter(METRIC + "verify_module") >= 2
    assert st.envoy.counter(METRIC + "verify_host") == 0
    line = "crypto module: RS256/384/512, ES256/384 by aws-lc-rs in the module; ES512 by aws-lc-rs in the module"
    assert line in st.envoy.log(), st.envoy.log_tail()
    # The P-521 key was kept, not dropped for want of a backend.
    assert "P-521 (ES512) keys need" not in st.envoy.log()
