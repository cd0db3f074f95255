"""Each documented way to install the chart uses only kinds that way provides.

A cluster refuses a release that names a kind it does not serve ("no matches for kind"). Each path
is rendered with helm's view of such a cluster (--api-versions: the custom kinds the path installs)
and every object must be a Kubernetes built-in or one of those kinds:
- the helmfile's stack (chart/helmfile.yaml: Istio's CRDs, Kiali's; no prometheus-operator), which
  the walk-through and every example in ci/ install onto;
- plus Gateway API's CRDs, for ci/gateway-api-values.yaml (chart/README.md: the cluster needs them);
- plus the prometheus-operator's CRDs (kube-prometheus-stack), for ci/prometheus-operator-values.yaml.
"""
import functools

import pytest
import yaml

from chartlib import CHART, CHART_DIR, VALUE_SETS, helm, value_args
from helmfile_facts import FACTS, builtin_kinds


def crd_kinds(paths) -> frozenset:
    kinds = set()
    for path in paths:
        for d in yaml.safe_load_all(path.read_text()):
            if d and d.get("kind") == "CustomResourceDefinition":
                for v in d["spec"]["versions"]:
                    if v.get("served"):
                        kinds.add(f"{d['spec']['group']}/{v['name']}/{d['spec']['names']['kind']}")
    return frozenset(kinds)


HELMFILE_STACK = frozenset(k for f in FACTS.values() for k in f["defines"] + f["crds_folder"])
GATEWAY_API = crd_kinds(sorted((CHART_DIR / "crds" / "gateway-api").glob("*.yaml")))
PROMETHEUS_OPERATOR = crd_kinds(sorted((CHART_DIR / "crds" / "prometheus-operator").glob("*.yaml")))

# value set -> the custom kinds its documented cluster has.
PATHS = {name: HELMFILE_STACK for name in VALUE_SETS}
PATHS["gateway-api"] = HELMFILE_STACK | GATEWAY_API
PATHS["prometheus-operator"] = HELMFILE_STACK | PROMETHEUS_OPERATOR


@functools.cache
def rendered(value_set: str, provided: frozenset, sets: tuple = ()) -> tuple:
    """(apiVersion/Kind, name) of what `helm install` would create on a cluster serving `provided`."""
    api = []
    for kind in sorted(provided):
        api += ["--api-versions", kind, "--api-versions", kind.rsplit("/", 1)[0]]
    extra = []
    for k, v in sets:
        extra += ["--set-json", f"{k}={v}"]
    out = helm("template", "jwt-authn", str(CHART), "--namespace", "jwt-demo",
               *value_args(VALUE_SETS[value_set]), *extra, *api).stdout
    return tuple((f"{d['apiVersion']}/{d['kind']}", d["metadata"]["name"]) for d in yaml.safe_load_all(out) if d)


def foreign(value_set: str, provided: frozenset, sets: tuple = ()) -> list:
    return [o for o in rendered(value_set, provided, sets) if o[0] not in builtin_kinds() | provided]


def test_every_value_set_has_a_documented_path():
    readme = (CHART_DIR / "README.md").read_text()
    assert set(PATHS) == set(VALUE_SETS)
    for name in VALUE_SETS:
        assert name == "default" or f"ci/{name}-values.yaml" in readme, name


def test_the_facts_give_istio_and_the_vendored_crds_kinds():
    assert {"extensions.istio.io/v1alpha1/WasmPlugin", "security.istio.io/v1/AuthorizationPolicy",
            "networking.istio.io/v1/Gateway"} <= HELMFILE_STACK
    assert not any(k.startswith("monitoring.coreos.com/") for k in HELMFILE_STACK)
    assert "gateway.networking.k8s.io/v1/HTTPRoute" in GATEWAY_API
    assert {"monitoring.coreos.com/v1/PodMonitor", "monitoring.coreos.com/v1/PrometheusRule"} <= PROMETHEUS_OPERATOR


@pytest.mark.parametrize("value_set", sorted(PATHS))
def test_install_path_uses_only_what_it_provides(value_set):
    assert foreign(value_set, PATHS[value_set]) == []


def test_walkthrough_release_on_the_helmfile_stack_has_no_operator_kinds():
    kinds = {k for k, _ in rendered("default", HELMFILE_STACK)}
    assert "extensions.istio.io/v1alpha1/WasmPlugin" in kinds
    assert not any(k.startswith("monitoring.coreos.com/") for k in kinds)


@pytest.mark.parametrize("value_set,kind", [("external-issuer", "monitoring.coreos.com/v1/PrometheusRule"),
                                            ("gateway-api", "monitoring.coreos.com/v1/PodMonitor")])
def test_monitoring_objects_follow_the_operator(value_set, kind):
    """The same values give the operator's kinds where it is installed, and none where it is not."""
    without = {k for k, _ in rendered(value_set, PATHS[value_set])}
    with_operator = {k for k, _ in rendered(value_set, PATHS[value_set] | PROMETHEUS_OPERATOR)}
    assert kind not in without and kind in with_operator


def test_forcing_an_operator_kind_on_the_helmfile_stack_is_caught():
    """What the check finds when a path is given a kind it does not have (the examples did, once)."""
    found = foreign("default", HELMFILE_STACK, (("monitoring.prometheusRule.enabled", "true"),))
    assert [k for k, _ in found] == ["monitoring.coreos.com/v1/PrometheusRule"]


def test_off_means_off_even_with_the_operator():
    sets = (("monitoring.prometheusRule.enabled", "false"), ("monitoring.podMonitor.enabled", "false"))
    kinds = {k for k, _ in rendered("default", HELMFILE_STACK | PROMETHEUS_OPERATOR, sets)}
    assert not any(k.startswith("monitoring.coreos.com/") for k in kinds)
