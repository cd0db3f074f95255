"""What chart/README.md tells to look for when a gateway lacks the JWKS cluster (istiod with
PILOT_FILTER_GATEWAY_CLUSTER_CONFIG=true): real Envoy and the built filter, a provider whose
cluster Envoy does not define."""
import time

import pytest

from support.demo import DemoIssuer, plugin_config
from support.envoy import Envoy
from support.stack import Stack

CLUSTER = "outbound|443||issuer.example.com"


@pytest.fixture
def stack_without_jwks_cluster(wasm_module):
    issuer = DemoIssuer()
    st = Stack(issuers={"issuer": issuer})
    try:
        st.echo.start()
        issuer.start()
        st.envoy = Envoy(st.config(plugin_config(issuer.issuer, cluster=CLUSTER)), st.ports.admin)
        st.envoy.start()
        yield st, issuer
    finally:
        st.stop()


def test_missing_jwks_cluster_symptoms(stack_without_jwks_cluster):
    st, issuer = stack_without_jwks_cluster
    assert st.request("/headers", token=issuer.token(sub="alice")).status_code == 401
    line = f'JWKS fetch failed: could not send the request: BadArgument for cluster "{CLUSTER}"'
    deadline = time.monotonic() + 10
    while line not in st.envoy.log() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert line in st.envoy.log(), st.envoy.log_tail()
    assert st.envoy.counter("wasmcustom.jwt_authn_wasm.provider.demo.jwks_fetch_failed") >= 1
