"""Strict validation of Istio objects against Istio's own CRD schemas (no field the CRD does not
declare) and their CEL rules (x-kubernetes-validations, tests/chart/crd_cel.py), with the CRD loading
and schema conversion the chart tests use (tests/chart/istio_crds.py)."""
import functools
import sys

import jsonschema

from support.paths import REPO

sys.path.insert(0, str(REPO / "tests" / "chart"))
import crd_cel  # noqa: E402
import istio_crds  # noqa: E402


@functools.cache
def _schemas() -> dict:
    return istio_crds.load()[0]


@functools.cache
def _rules() -> dict:
    return istio_crds.load_rules()


def is_istio(obj: dict) -> bool:
    return obj.get("apiVersion", "").split("/")[0].endswith("istio.io")


def validate(obj: dict) -> None:
    key = (obj["apiVersion"], obj["kind"])
    schema = _schemas().get(key)
    assert schema is not None, f"{key} is not served by the Istio CRDs"
    jsonschema.validate(obj, schema)
    assert obj["metadata"].get("name"), "metadata.name is missing"
    rules = _rules()[key]
    broken = crd_cel.violations(crd_cel.defaulted(obj, rules), rules)
    assert not broken, "CEL: " + "; ".join(broken)
