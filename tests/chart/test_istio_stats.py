"""Istio proxies keep only the stats their bootstrap's inclusion list names. That list always holds
the prefixes below (istio/istio pkg/bootstrap/config.go, requiredEnvoyStatsMatcherInclusionPrefixes,
and "reporter=" from tools/packaging/common/envoy_bootstrap.json), whatever proxyStatsMatcher says.
Real Envoy with only that list, and the built filter, still exports the filter's counters to
Prometheus: no proxyStatsMatcher is needed for the dashboard and the alerts."""
import time

import pytest
import requests
import yaml

from support.demo import DemoIssuer, plugin_config
from support.envoy import Envoy
from support.stack import Stack

ISTIO_ALWAYS_INCLUDED = ["reporter=", "cluster_manager", "listener_manager", "server", "cluster.xds-grpc", "wasm"]


@pytest.fixture
def istio_like_envoy(wasm_module):
    issuer = DemoIssuer()
    st = Stack(issuers={"issuer": issuer})
    try:
        st.echo.start()
        issuer.start()
        doc = yaml.safe_load(st.config(plugin_config(issuer.issuer)))
        doc["stats_config"] = {"stats_matcher": {"inclusion_list": {
            "patterns": [{"prefix": p} for p in ISTIO_ALWAYS_INCLUDED]}}}
        st.envoy = Envoy(yaml.safe_dump(doc), st.ports.admin)
        st.envoy.start()
        yield st, issuer
    finally:
        st.stop()


def _prometheus_text(envoy: Envoy, wanted: list[str], timeout: float = 10) -> str:
    """The filter hands its counters to Envoy on a timer: poll until the wanted series show up."""
    deadline = time.monotonic() + timeout
    while True:
        text = requests.get(envoy.admin + "/stats/prometheus", timeout=5).text
        if all(w in text for w in wanted) or time.monotonic() > deadline:
            return text
        time.sleep(0.2)


def test_filter_counters_pass_istios_default_inclusion_list(istio_like_envoy):
    st, issuer = istio_like_envoy
    assert st.request("/headers", token=issuer.token(sub="alice")).status_code == 200
    assert st.request("/headers").status_code == 401
    text = _prometheus_text(st.envoy, ["jwt_authn_wasm_allowed", "jwt_authn_wasm_denied"])
    values = {line.split()[0]: float(line.split()[1]) for line in text.splitlines()
              if line and not line.startswith("#")}
    assert values.get("jwt_authn_wasm_allowed", 0) >= 1, text[-2000:]
    assert values.get("jwt_authn_wasm_denied", 0) >= 1, text[-2000:]
    # The matcher is in force: a stat outside the list (downstream requests) is not exported.
    assert not any(name.startswith("envoy_http_downstream_rq") for name in values)
