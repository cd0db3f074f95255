"""CustomResourceDefinitions as strict JSON schemas, one per (apiVersion, kind) served.

Shared by the Istio CRDs (istio_crds.py) and the other vendored ones under chart/crds/ (Gateway
API, prometheus-operator), so every custom object the chart renders is held to its CRD the same way.
The CEL rules the strict schemas drop are kept in `rules_from_text` and evaluated by crd_cel.py.
"""
import copy
import functools

import yaml


def strict(schema):
    """OpenAPI v3 (Kubernetes flavour) -> JSON schema that refuses unknown fields.

    Objects with declared properties get additionalProperties: false unless Kubernetes is told to
    keep unknown fields there; `nullable` becomes a null type; CEL rules are dropped (not evaluated).
    """
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key in ("x-kubernetes-validations", "description"):
            continue
        if key in ("properties", "patternProperties", "definitions"):
            out[key] = {k: strict(v) for k, v in value.items()}
        else:
            out[key] = strict(value)
    preserve = schema.get("x-kubernetes-preserve-unknown-fields")
    if "properties" in schema and not preserve and "additionalProperties" not in schema:
        out["additionalProperties"] = False
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def from_text(text: str) -> dict:
    """{(apiVersion, kind): JSON schema of the whole object} for every CRD in a YAML stream."""
    return {key: strict(body) for key, body in _served(text).items()}


def rules_from_text(text: str) -> dict:
    """{(apiVersion, kind): the openAPIV3Schema as the CRD has it, CEL rules included}."""
    return _served(text)


@functools.lru_cache(maxsize=8)
def _served(text: str) -> dict:
    schemas = {}
    # Some files are large; the C loader parses them several times faster when PyYAML has it.
    for crd in yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        if not crd or crd.get("kind") != "CustomResourceDefinition":
            continue
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if not version.get("served", True):
                continue
            body = copy.deepcopy(version["schema"]["openAPIV3Schema"])
            body.setdefault("properties", {})
            # The CRD schema leaves the envelope out; the API server checks it.
            body["properties"].update({
                "apiVersion": {"type": "string", "enum": [f"{group}/{version['name']}"]},
                "kind": {"type": "string", "enum": [kind]},
                "metadata": {"type": "object"},
            })
            body["required"] = sorted(set(body.get("required", [])) | {"apiVersion", "kind", "metadata"})
            schemas[(f"{group}/{version['name']}", kind)] = body
    return schemas


def from_files(paths) -> dict:
    schemas = {}
    for path in paths:
        schemas.update(from_text(path.read_text()))
    return schemas


def rules_from_files(paths) -> dict:
    schemas = {}
    for path in paths:
        schemas.update(rules_from_text(path.read_text()))
    return schemas
