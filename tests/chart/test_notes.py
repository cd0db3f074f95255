"""NOTES.txt tells how to get a token and call the gateway, for the values given.

helm prints NOTES only on install, which needs a cluster; a copy of the chart with one extra
template that includes NOTES.txt renders it offline."""
import shutil

import pytest
import yaml

from chartlib import CHART, VALUE_SETS, helm, value_args

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


def test_default_notes_get_a_token_and_call_the_gateway(chart_copy):
    text = notes(chart_copy, "default")
    assert "kubectl -n jwt-demo port-forward svc/demo-issuer 8081:8080" in text
    assert "export TOKEN=$(curl -s 'http://localhost:8081/token?sub=alice')" in text
    assert "kubectl -n istio-ingress port-forward svc/istio-ingressgateway" in text
    assert 'curl -i http://$GATEWAY/headers -H "Authorization: Bearer $TOKEN"' in text
    assert "403" in text and "401" in text
    for ui in ("svc/kiali", "svc/grafana", "svc/jaeger-query"):
        assert ui in text


def test_external_issuer_notes_name_the_providers(chart_copy):
    text = notes(chart_copy, "external-issuer")
    assert "demo-issuer" not in text
    assert "corp, partners" in text


def test_sidecar_notes_say_where_the_filter_runs(chart_copy):
    text = notes(chart_copy, "sidecar")
    assert 'the sidecars of {"app":"echo"} in shop' in text
