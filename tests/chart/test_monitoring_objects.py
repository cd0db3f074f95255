"""monitoring.podMonitor: the prometheus-operator scrapes the Envoy stats of exactly the pods that
run the filter, so the dashboard and the alerts have data."""
import pytest

from chartlib import VALUE_SETS, objects, one, render, template


def podmonitor(value_set: str) -> tuple[dict, list[dict]]:
    docs = render(VALUE_SETS[value_set], sets={"monitoring.podMonitor.enabled": "true"})
    return one(docs, "PodMonitor"), docs


@pytest.mark.parametrize("value_set,expected", [
    ("default", {"istio": "ingressgateway"}),
    ("gateway-api", {"gateway.networking.k8s.io/gateway-name": "jwt-authn-gateway"}),
])
def test_podmonitor_selects_the_gateway_pods(value_set, expected):
    pm, docs = podmonitor(value_set)
    wp = one(docs, "WasmPlugin")
    assert pm["spec"]["selector"] == {"matchLabels": expected}
    assert pm["spec"]["namespaceSelector"] == {"matchNames": [wp["metadata"]["namespace"]]}
    if value_set == "default":
        assert wp["spec"]["selector"]["matchLabels"] == expected


def test_podmonitor_selects_the_sidecars_that_run_the_filter():
    pm, docs = podmonitor("sidecar")
    wp = one(docs, "WasmPlugin")
    assert pm["spec"]["selector"] == wp["spec"]["selector"]
    selected = [d["metadata"]["name"] for d in objects(docs, "Deployment")
                if pm["spec"]["selector"]["matchLabels"].items() <= d["spec"]["template"]["metadata"]["labels"].items()]
    assert selected == ["jwt-authn-echo"]


def test_podmonitor_scrapes_envoys_prometheus_endpoint():
    pm, _ = podmonitor("gateway-api")
    assert pm["apiVersion"] == "monitoring.coreos.com/v1"
    # The port Istio names on every istio-proxy container (sidecars and gateways), 15090.
    assert pm["spec"]["podMetricsEndpoints"] == [{"port": "http-envoy-prom", "path": "/stats/prometheus",
                                                  "interval": "15s"}]
    assert pm["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_podmonitor_is_off_by_default():
    """Off where the cluster has no prometheus-operator; tests/chart/test_install_paths.py renders it
    where it has (enabled: auto)."""
    assert objects(render(), "PodMonitor") == []


@pytest.mark.parametrize("enabled", ['"yes"', '"Auto"', "1"])
def test_enabled_is_true_false_or_auto(enabled):
    proc = template(sets={"monitoring.podMonitor.enabled": enabled}, check=False)
    assert proc.returncode != 0 and "monitoring.podMonitor.enabled" in proc.stderr
