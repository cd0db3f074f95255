"""Runs helm on the jwt-authn chart with a private helm home, and picks objects out of its output."""
import functools
import os
import subprocess
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
CHART_DIR = REPO / "chart"
CHART = CHART_DIR / "jwt-authn"
HELMFILE = CHART_DIR / "helmfile.yaml"
HELM = REPO / ".tools" / "bin" / "helm"
CI_VALUES = sorted((CHART / "ci").glob("*.yaml"))
# plugin.url has no default: every render names this image first (value_args), so "default" is
# the chart's values.yaml plus only that; each ci set names its own.
IMAGE_VALUES = Path(__file__).parent / "values" / "image.yaml"
# name -> values files.
VALUE_SETS = {"default": [], **{p.stem.removesuffix("-values"): [p] for p in CI_VALUES}}

# The release every test render uses; the chart names objects <release>-<part>.
RELEASE = "jwt-authn"

_home = tempfile.TemporaryDirectory(prefix="helm-home-")


def helm_env() -> dict:
    """helm writes caches and repository config under these; keep them out of the user's home."""
    env = dict(os.environ)
    for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        env[var] = os.path.join(_home.name, var.lower())
    return env


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    assert HELM.is_file(), f"{HELM} is missing: run `bash tests/tools/setup.sh`"
    proc = subprocess.run([str(HELM), *args], capture_output=True, text=True, env=helm_env(), timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def value_args(files=(), sets: dict | None = None, image: bool = True) -> list[str]:
    """helm's value flags; image=True names a filter image first (a values set may override it)."""
    args = ["-f", str(IMAGE_VALUES)] if image else []
    for f in files:
        args += ["-f", str(f)]
    for k, v in (sets or {}).items():
        args += ["--set-json", f"{k}={v}"]
    return args


def template(files=(), sets: dict | None = None, check: bool = True, release: str = RELEASE,
             namespace: str = "default", image: bool = True) -> subprocess.CompletedProcess:
    return helm("template", release, str(CHART), "--namespace", namespace, *value_args(files, sets, image),
                check=check)


def render(files=(), sets: dict | None = None, release: str = RELEASE, namespace: str = "default") -> list[dict]:
    return [d for d in yaml.safe_load_all(template(files, sets, release=release, namespace=namespace).stdout) if d]


@functools.lru_cache(maxsize=None)
def render_set(name: str) -> list[dict]:
    """The objects of one of VALUE_SETS, rendered once per test run (callers must not modify them)."""
    return render(VALUE_SETS[name])


def objects(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: list[dict], kind: str) -> dict:
    found = objects(docs, kind)
    assert len(found) == 1, f"expected one {kind}, got {len(found)}"
    return found[0]


def named(docs: list[dict], kind: str, part: str) -> dict:
    """The object of a kind that the chart names <release>-<part>."""
    found = [d for d in objects(docs, kind) if d["metadata"]["name"] == f"{RELEASE}-{part}"]
    assert len(found) == 1, f"expected one {kind} {RELEASE}-{part}, got {len(found)}"
    return found[0]


def chart_values() -> dict:
    return yaml.safe_load((CHART / "values.yaml").read_text())


def istio_version() -> str:
    """The Istio release the chart targets (its CRD schemas are what the manifests are checked against)."""
    return yaml.safe_load((CHART / "Chart.yaml").read_text())["annotations"]["istio.io/version"]
