"""Where the filter runs: failStrategy, the WasmPlugin's match, and per-host scoping by rules."""
import json

import pytest

import istio_crds
from chartlib import CHART, chart_values, one, render, render_set, template


def wasm_crd_spec() -> dict:
    schemas, _ = istio_crds.load()
    return schemas[("extensions.istio.io/v1alpha1", "WasmPlugin")]["properties"]["spec"]["properties"]


def test_fail_strategies_are_the_ones_istio_accepts():
    schema = json.loads((CHART / "values.schema.json").read_text())
    ours = schema["properties"]["plugin"]["properties"]["failStrategy"]["enum"]
    assert set(ours) == set(wasm_crd_spec()["failStrategy"]["enum"]) >= {"FAIL_CLOSE", "FAIL_OPEN", "FAIL_RELOAD"}
    assert chart_values()["plugin"]["failStrategy"] == "FAIL_CLOSE"


@pytest.mark.parametrize("strategy", ["FAIL_CLOSE", "FAIL_OPEN", "FAIL_RELOAD"])
def test_each_fail_strategy_renders(strategy):
    assert one(render(sets={"plugin.failStrategy": f'"{strategy}"'}), "WasmPlugin")["spec"]["failStrategy"] == strategy


def test_fail_close_is_explained_where_it_is_set():
    comment = (CHART / "values.yaml").read_text().split("failStrategy:")[0].rsplit("phase:", 1)[1]
    assert "FAIL_CLOSE" in comment and "FAIL_OPEN" in comment and "unauthenticated" in comment


def test_a_given_match_is_passed_through():
    match = [{"mode": "CLIENT", "ports": [{"number": 8080}, {"number": 8443}]}]
    spec = one(render(sets={"plugin.match": json.dumps(match), "ingress.targetPort": "8080"}), "WasmPlugin")["spec"]
    assert spec["match"] == match


def test_server_mode_on_a_gateway_is_refused():
    # Istio classes gateway listeners as CLIENT: such a plugin would silently never run.
    proc = template(sets={"plugin.match": '[{"mode": "SERVER"}]'}, check=False)
    assert proc.returncode != 0 and "never matches on a gateway" in proc.stderr


def test_tenant_host_rules_exempt_the_other_tenants_and_enforce_the_rest():
    docs = render_set("tenant-host")
    assert one(docs, "Gateway")["spec"]["servers"][0]["hosts"] == ["tenant-a.example.com"]
    rules = one(docs, "WasmPlugin")["spec"]["pluginConfig"]["rules"]
    exempt = [r["match"]["headers"] for r in rules[:-1]]
    assert exempt == [[{"name": ":authority", "string_match": {"exact": f"tenant-{t}.example.com"}}] for t in "bc"]
    assert all(r["requires"] == {"allow_missing_or_failed": {}} for r in rules[:-1])
    # The last rule catches every other spelling of every host: it can only refuse more.
    assert rules[-1] == {"match": {"prefix": "/"}, "requires": {"provider_name": "demo"}}


def test_a_header_name_the_filter_refuses_is_refused_by_the_schema():
    proc = template(sets={"plugin.config.rules": '[{"match": {"prefix": "/", "headers": '
                                                 '[{"name": "x tenant", "present_match": true}]}, '
                                                 '"requires": {"allow_missing": {}}}]'}, check=False)
    assert proc.returncode != 0 and "plugin.config.rules.0.match.headers.0.name" in proc.stderr
