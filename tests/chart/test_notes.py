"""NOTES.txt tells how to get a token and call the gateway, for the values given.

helm prints NOTES only on install, which needs a cluster; a copy of the chart with one extra
template that includes NOTES.txt renders it offline."""
import re
import shutil

import pytest
import yaml

from chartlib import CHART, VALUE_SETS, helm, one, render_set, value_args

PROBE = '''apiVersion: v1
kind: ConfigMap
metadata:
  name: notes
data:
  notes: {{ include "jwt-authn/templates/NOTES.txt" . | quote }}
'''


@pytest.fixture(scope="module")
def chart_copy(tmp_path_factory):
    dest = tmp_path_factory.mktemp("chart") / "jwt-authn"
    shutil.copytree(CHART, dest)
    (dest / "templates" / "zz-notes-probe.yaml").write_text(PROBE)
    return dest


def notes(chart_copy, value_set: str) -> str:
    out = helm("template", "jwt-authn", str(chart_copy), "--show-only", "templates/zz-notes-probe.yaml",
               *value_args(VALUE_SETS[value_set])).stdout
    return yaml.safe_load(out)["data"]["notes"]


def rendered_names(value_set: str) -> dict:
    """{kind: {(namespace, name)}} of what the same values render, to check the notes against."""
    out = {}
    for d in render_set(value_set):
        out.setdefault(d["kind"], set()).add((d["metadata"].get("namespace"), d["metadata"]["name"]))
    return out


def kubectl_targets(text: str, kind: str) -> set:
    """(namespace, name) of every `kubectl -n NS ... KIND/NAME` the notes tell the user to run."""
    return set(re.findall(rf"kubectl -n (\S+) [^\n]*?\b{kind}/([a-z0-9-]+)", text))


@pytest.mark.parametrize("value_set", sorted(VALUE_SETS))
def test_every_object_the_notes_name_is_rendered(chart_copy, value_set):
    text = notes(chart_copy, value_set)
    names = rendered_names(value_set)
    for ns, name in kubectl_targets(text, "svc"):
        if name.startswith("jwt-authn"):
            # <gateway>-istio is made by Istio from the rendered Gateway, the rest by the chart.
            name = name.removesuffix("-istio")
            assert (ns, name) in names.get("Service", set()) | names.get("Gateway", set()), (ns, name)
    for ns, name in kubectl_targets(text, "gateway"):
        assert (ns, name) in names["Gateway"]
    assert one(render_set(value_set), "WasmPlugin")["spec"]["url"] in text


def test_default_notes_get_a_token_and_call_the_gateway(chart_copy):
    text = notes(chart_copy, "default")
    assert "kubectl -n default port-forward svc/jwt-authn-demo-issuer 8081:8080" in text
    assert "export TOKEN=$(curl -s 'http://localhost:8081/token?sub=alice')" in text
    assert "kubectl -n istio-ingress get svc -l istio=ingressgateway" in text
    assert 'curl -i http://$GATEWAY/headers -H "Authorization: Bearer $TOKEN"' in text
    assert "403" in text and "401" in text
    for ui in ("svc/kiali", "svc/grafana", "svc/jaeger"):
        assert ui in text


def test_external_issuer_notes_name_the_providers(chart_copy):
    text = notes(chart_copy, "external-issuer")
    assert "demo-issuer" not in text
    assert "corp, partners" in text


def test_sidecar_notes_say_where_the_filter_runs(chart_copy):
    text = notes(chart_copy, "sidecar")
    assert 'the sidecars of {"app.kubernetes.io/component":"echo",' in text and "in shop." in text
    assert "kubectl -n shop logs deploy/jwt-authn-echo -c istio-proxy" in text


def test_gateway_api_notes_use_the_gateway_istio_deploys(chart_copy):
    text = notes(chart_copy, "gateway-api")
    assert "kubectl -n edge wait --for=condition=programmed gateway/jwt-authn-gateway" in text
    assert "kubectl -n edge port-forward svc/jwt-authn-gateway-istio 8080:80" in text
    # The Gateway listens for one host only.
    assert 'curl -i http://$GATEWAY/headers -H "Host: api.example.com"' in text


def test_authorization_notes_show_the_denied_subject(chart_copy):
    text = notes(chart_copy, "authorization")
    assert "token?sub=bob" in text and "403 RBAC: access denied" in text
    assert "RBAC" not in notes(chart_copy, "default")


@pytest.mark.parametrize("value_set", sorted(VALUE_SETS))
def test_notes_list_the_listeners_that_hold_the_filter(chart_copy, value_set):
    """By the name istiod 1.31 gives the filter; on a gateway with the listener it must print."""
    from support.istio_filters import resource_name

    text = notes(chart_copy, value_set)
    wp = one(render_set(value_set), "WasmPlugin")
    assert f"--arg f '{resource_name(wp['metadata']['namespace'], wp['metadata']['name'])}'" in text
    if value_set in ("default", "remapped-gateway"):
        port = 8080 if value_set == "remapped-gateway" else 80
        assert f"# 0.0.0.0_{port}: the gateway listener of port 80" in text
