"""Two things chart/README.md says about the filter in an Istio proxy, shown with real Envoy and the
built filter, a demo issuer and an echo backend.

1. Istio proxies keep only the stats their bootstrap's inclusion list names. That list always
   holds the prefixes below (istio/istio pkg/bootstrap/config.go, requiredEnvoyStatsMatcherInclusionPrefixes,
   and "reporter=" from tools/packaging/common/envoy_bootstrap.json), whatever proxyStatsMatcher says;
   with only those, the filter's counters still reach Prometheus.
2. A gateway that lacks the JWKS cluster (istiod with PILOT_FILTER_GATEWAY_CLUSTER_CONFIG=true)
   shows the symptoms the README lists.
"""
import contextlib
import time

import requests
import yaml

from support.demo import DemoIssuer, plugin_config
from support.envoy import Envoy
from support.stack import Stack

ISTIO_ALWAYS_INCLUDED = ["reporter=", "cluster_manager", "listener_manager", "server", "cluster.xds-grpc", "wasm"]
MISSING_CLUSTER = "outbound|443||issuer.example.com"


@contextlib.contextmanager
def demo_envoy(cluster: str = "issuer", stats_prefixes: list | None = None):
    """Envoy with the demo provider fetching JWKS through `cluster`, optionally with a stats inclusion list."""
    issuer = DemoIssuer()
    st = Stack(issuers={"issuer": issuer})
    try:
        st.echo.start()
        issuer.start()
        doc = yaml.safe_load(st.config(plugin_config(issuer.issuer, cluster=cluster)))
        if stats_prefixes is not None:
            doc["stats_config"] = {"stats_matcher": {"inclusion_list": {
                "patterns": [{"prefix": p} for p in stats_prefixes]}}}
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


def _until(condition, timeout: float = 10):
    """The filter hands its counters to Envoy, and Envoy its log lines to the file, on timers: poll, bounded."""
    deadline = time.monotonic() + timeout
    while not (result := condition()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return result


def test_filter_counters_pass_istios_default_inclusion_list(wasm_module):
    with demo_envoy(stats_prefixes=ISTIO_ALWAYS_INCLUDED) as (st, issuer):
        assert st.request("/headers", token=issuer.token(sub="alice")).status_code == 200
        assert st.request("/headers").status_code == 401
        wanted = ("jwt_authn_wasm_allowed", "jwt_authn_wasm_denied")
        _until(lambda: all(_prometheus(st.envoy).get(w, 0) >= 1 for w in wanted))
        values = _prometheus(st.envoy)
        assert all(values.get(w, 0) >= 1 for w in wanted), {k: v for k, v in values.items() if "jwt" in k}
        # The matcher is in force: a stat outside the list (downstream requests) is not exported.
        assert not any(name.startswith("envoy_http_downstream_rq") for name in values)


def test_missing_jwks_cluster_symptoms(wasm_module):
    with demo_envoy(cluster=MISSING_CLUSTER) as (st, issuer):
        assert st.request("/headers", token=issuer.token(sub="alice")).status_code == 401
        line = f'JWKS fetch failed: could not send the request: BadArgument for cluster "{MISSING_CLUSTER}"'
        assert _until(lambda: line in st.envoy.log()), st.envoy.log_tail()
        assert st.envoy.counter("wasmcustom.jwt_authn_wasm.provider.demo.jwks_fetch_failed") >= 1
