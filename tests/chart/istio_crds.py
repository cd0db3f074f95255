"""Istio's CRD schemas as strict JSON schemas, one per (apiVersion, kind).

Source: $ISTIO_CRDS (a crd-all.gen.yaml) if set, else the copy vendored in the repository,
chart/crds/istio/crd-all.gen.yaml (see the README beside it; `make istio-crds` refreshes it from the
pinned Istio base chart). Nothing outside the repository is read unless ISTIO_CRDS names it.
"""
import os
from pathlib import Path

import crd_schemas
from chartlib import CHART_DIR, istio_version  # noqa: F401  (istio_version: for callers' messages)

VENDORED = CHART_DIR / "crds" / "istio" / "crd-all.gen.yaml"


def source() -> Path:
    """The crd-all.gen.yaml the schemas are read from."""
    env = os.environ.get("ISTIO_CRDS")
    return Path(env) if env else VENDORED


def _crd_text() -> tuple[str, str]:
    path = source()
    if not path.is_file():
        why = "named by ISTIO_CRDS" if os.environ.get("ISTIO_CRDS") else "vendored; `make istio-crds` writes it"
        raise FileNotFoundError(f"Istio CRD schemas not found at {path} ({why})")
    return path.read_text(), str(path)


def load() -> tuple[dict, str]:
    """{(apiVersion, kind): JSON schema of the whole object}, and where the CRDs came from."""
    text, source = _crd_text()
    return crd_schemas.from_text(text), source


def load_rules() -> dict:
    """{(apiVersion, kind): openAPIV3Schema with its CEL rules (x-kubernetes-validations)}."""
    return crd_schemas.rules_from_text(_crd_text()[0])
