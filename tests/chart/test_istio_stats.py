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


def _prometheus(envoy: Envoy) -> dict[str, float]:
    """/stats/prometheus as series name -> value, summed over labels."""
    values = {}
    for line in requests.get(envoy.admin + "/stats/prometheus", timeout=5).text.splitlines():
        if line and not line.startswith("#"):
            series, value = line.rsplit(" ", 1)
            name = series.split("{", 1)[0]
            values[name] = values.get(name, 0) + float(value)
    return values


def test_filter_counters_pass_istios_default_inclusion_list(istio_like_envoy):
    st, issuer = istio_like_envoy
    assert st.request("/headers", token=issuer.token(sub="alice")).status_code == 200
    assert st.request("/headers").status_code == 401
    wanted = ("jwt_authn_wasm_allowed", "jwt_authn_wasm_denied")
    # The filter hands its increments to Envoy on a timer: poll, bounded.
    deadline = time.monotonic() + 10
    while True:
        values = _prometheus(st.envoy)
        if all(values.get(w, 0) >= 1 for w in wanted) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert all(values.get(w, 0) >= 1 for w in wanted), {k: v for k, v in values.items() if "jwt" in k}
    # The matcher is in force: a stat outside the list (downstream requests) is not exported.
    assert not any(name.startswith("envoy_http_downstream_rq") for name in values)
