"""`crypto: cross_check` promises two backends' opinions. Where only one can check (ES512: the host;
PS*, EdDSA, HS*: the module), the start line says so and each such check is counted in
`verify_single_backend`; a token both can check is not counted there."""
import time

import pytest

from support.asserts import METRIC, assert_allowed
from support.envoy import FILTER_COUNTER_FLUSH_S
from support.keys import jwks, make_key
from support.plugin import remote_provider
from support.stack import NATIVE_UNDER_TEST, Stack
from support.tokens import claims, sign

pytestmark = pytest.mark.skipif(NATIVE_UNDER_TEST, reason="the wasm module's crypto backends are under test")

KEYS = [make_key("ES256", kid="both"), make_key("PS256", kid="module-only"), make_key("ES512", kid="host-only")]


def test_single_backend_checks_are_stated_and_counted(wasm_module):
    with Stack() as st:
        st.issuer.set_jwks(jwks(*KEYS))
        st.start({"providers": {"p": remote_provider(st.issuer, "issuer")}, "crypto": "cross_check"})
        line = next(line for line in st.envoy.log().splitlines() if "crypto cross_check:" in line)
        assert "checked by one backend only, counted in verify_single_backend: ES512 (host only), " \
               "PS256/384/512, EdDSA, HS256/384/512 (module only)" in line, line
        single, both = METRIC + "verify_single_backend", METRIC + "verify_backend_disagreement"
        counts = []
        for key in KEYS:
            before = st.envoy.counter(single)
            # A fresh token each time: a cached one is not checked again.
            assert_allowed(st.request("/x", sign(key, claims(st.issuer.issuer, sub=key.kid))))
            time.sleep(FILTER_COUNTER_FLUSH_S)
            counts.append(st.envoy.counter(single) - before)
        assert counts == [0, 1, 1], counts
        assert st.envoy.counter(both) == 0
