"""On `helm install`/`upgrade` the chart reads the gateway namespace's Pods and Services (helm's
lookup) and refuses a gateway whose Service sends ingress.port to another pod port than the one
the WasmPlugin matches. helm template has no cluster, so the objects are handed to the same
template code by a probe, in the form the API server returns them; support/istio_listeners.py
is the reference for what istiod binds."""
import json
import shutil

import pytest
import yaml

from chartlib import CHART, helm, value_args
from support.istio_listeners import gateway_listener_ports

PROBE = """apiVersion: v1
kind: ConfigMap
metadata: {name: probe}
data:
  live: {{ include "jwt-authn.liveGatewayPort" (dict "pods" (`PODS` | fromJsonArray) "services" (`SERVICES` | fromJsonArray) "selector" .Values.ingress.gatewaySelector "port" .Values.ingress.port) | quote }}
  check: {{ include "jwt-authn.checkGatewayObjects" (dict "ctx" $ "pods" (`PODS` | fromJsonArray) "services" (`SERVICES` | fromJsonArray)) | quote }}
"""
LABELS = {"app": "istio-ingressgateway", "istio": "ingressgateway"}


def pod(labels=None, ports=None) -> dict:
    return {"kind": "Pod", "metadata": {"name": "gw-0", "labels": labels or LABELS},
            "spec": {"containers": [{"name": "istio-proxy", "ports": ports or [
                {"name": "http-envoy-prom", "containerPort": 15090, "protocol": "TCP"}]}]}}


def service(name="istio-ingressgateway", selector=None, ports=((80, 80), (443, 443))) -> dict:
    return {"kind": "Service", "metadata": {"name": name},
            "spec": {"selector": selector or LABELS,
                     "ports": [{"name": f"p{p}", "port": p, "targetPort": t, "protocol": "TCP"} for p, t in ports]}}


@pytest.fixture(scope="module")
def chart_copy(tmp_path_factory):
    dest = tmp_path_factory.mktemp("chart") / "jwt-authn"
    shutil.copytree(CHART, dest)
    return dest


def probe(chart_copy, pods, services, sets=None, check=True):
    text = PROBE.replace("PODS", json.dumps(pods)).replace("SERVICES", json.dumps(services))
    (chart_copy / "templates" / "zz-probe.yaml").write_text(text)
    proc = helm("template", "jwt-authn", str(chart_copy), "--show-only", "templates/zz-probe.yaml",
                *value_args(sets=sets), check=check)
    return yaml.safe_load(proc.stdout)["data"]["live"] if check else proc


def _istiod(pods, services, port=80):
    """What istiod binds (by-label Gateway), for the cases the reference models (numeric targetPorts)."""
    svcs = [s["spec"]["ports"] for s in services
            if any(s["spec"]["selector"].items() <= p["metadata"]["labels"].items() for p in pods)]
    return str(gateway_listener_ports(port, svcs)[0])


@pytest.mark.parametrize("services", [
    [service()],                                                   # the istio/gateway chart: 80 -> 80
    [service(ports=((80, 8080), (443, 8443)))],                    # legacy charts, unprivileged gateways
    [service(ports=((443, 443),))],                                # no Service port 80: bound as is
    [service(selector={"app": "other"}, ports=((80, 9090),)), service()],  # another workload's Service
])
def test_the_live_port_is_the_one_istiod_binds(chart_copy, services):
    pods = [pod()]
    bound = _istiod(pods, services)
    # ingress.targetPort as it must be set for that gateway, so that the check passes.
    assert probe(chart_copy, pods, services, sets={"ingress.targetPort": bound}) == bound


def test_a_named_target_port_is_the_pod_container_port(chart_copy):
    pods = [pod(ports=[{"name": "http", "containerPort": 8080}])]
    assert probe(chart_copy, pods, [service(ports=((80, "http"),))], sets={"ingress.targetPort": "8080"}) == "8080"


def test_no_gateway_pod_yet_means_nothing_to_compare(chart_copy):
    assert probe(chart_copy, [pod(labels={"app": "echo"})], [service(ports=((80, 8080),))]) == ""
    assert probe(chart_copy, [], []) == ""


def test_a_remapped_live_gateway_is_refused_unless_target_port_says_so(chart_copy):
    pods, services = [pod()], [service(ports=((80, 8080),))]
    proc = probe(chart_copy, pods, services, check=False)
    assert proc.returncode != 0 and "set ingress.targetPort: 8080" in proc.stderr, proc.stderr
    assert probe(chart_copy, pods, services, sets={"ingress.targetPort": "8080"}) == "8080"
    # ... and a targetPort the live Service does not use is refused too.
    proc = probe(chart_copy, pods, [service()], sets={"ingress.targetPort": "8080"}, check=False)
    assert proc.returncode != 0 and "pod port 80" in proc.stderr


def test_services_that_disagree_are_refused(chart_copy):
    services = [service(ports=((80, 8080),)), service(name="second", ports=((80, 9090),))]
    proc = probe(chart_copy, [pod()], services, check=False)
    assert proc.returncode != 0 and "different pod ports" in proc.stderr
