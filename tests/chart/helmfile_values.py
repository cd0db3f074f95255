"""The values helmfile gives each release of chart/helmfile.yaml in each of its environments.

helmfile renders `*.gotmpl` values files as Go templates with the environment's values as .Values.
Ours use two actions only, rendered here as helmfile does; any other action fails the tests
instead of being passed over.
"""
import functools
import re

import yaml

from chartlib import CHART_DIR, HELMFILE

JAEGER_NS = "istio-system"
# The Jaeger v2 chart (4.x) names its one Service after the release ("jaeger" when the release name
# contains the chart name) and exposes OTLP/gRPC 4317, Zipkin 9411, the UI 16686, the gRPC query 16685.
JAEGER_SERVICE = "jaeger"
JAEGER_PORTS = {"otlp": 4317, "zipkin": 9411, "ui": 16686, "query_grpc": 16685}
# Services the other releases make, as the pinned charts name them: (namespace, name) -> port.
UI_SERVICES = {("istio-system", "grafana"): 80, ("istio-system", "kiali"): 20001,
               (JAEGER_NS, JAEGER_SERVICE): JAEGER_PORTS["ui"], ("istio-ingress", "istio-ingressgateway"): 80}

ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")
VALUE = re.compile(r"\.Values\.(\w+)")
READ_FILE = re.compile(r'readFile "([^"]+)" \| indent (\d+)')


@functools.cache
def helmfile() -> dict:
    """The helmfile's parts (YAML documents) merged; helmfile wants environments in a part of their own."""
    parts = [d for d in yaml.safe_load_all(HELMFILE.read_text()) if d]
    merged = {}
    for part in parts:
        assert not set(part) & set(merged), f"a key in two parts of the helmfile: {set(part) & set(merged)}"
        merged.update(part)
    # helmfile 1.x refuses environments and releases in one part, and reads environments only
    # from parts before the releases.
    assert set(parts[0]) == {"environments"} and all("environments" not in p for p in parts[1:])
    return merged


def releases() -> dict:
    return {f"{r['namespace']}/{r['name']}": r for r in helmfile()["releases"]}


ENVIRONMENTS = tuple(helmfile().get("environments", {}))


def environment_values(env: str) -> dict:
    out = {}
    for entry in helmfile()["environments"][env]["values"]:
        assert isinstance(entry, dict), f"environment {env}: only inline values are read here"
        out.update(entry)
    return out


def render(text: str, env: str) -> str:
    env_values = environment_values(env)

    def action(m: re.Match) -> str:
        expr = m.group(1)
        if v := VALUE.fullmatch(expr):
            assert v.group(1) in env_values, f"environment {env} does not set {v.group(1)}"
            return str(env_values[v.group(1)])
        if r := READ_FILE.fullmatch(expr):
            # helmfile reads files relative to the helmfile's folder.
            lines = (CHART_DIR / r.group(1)).read_text().splitlines()
            return "\n".join(" " * int(r.group(2)) + line for line in lines)
        raise AssertionError(f"template action not understood by the tests: {{{{ {expr} }}}}")

    return ACTION.sub(action, text)


def release_values(key: str, env: str) -> list:
    """The parsed values documents of one release, in order, as helmfile passes them in `env`."""
    docs = []
    for name in releases()[key].get("values", []):
        path = CHART_DIR / name
        assert path.is_file(), f"{key}: {name} is missing"
        text = path.read_text()
        docs.append(yaml.safe_load(render(text, env) if path.suffix == ".gotmpl" else text))
    return docs


def values(name: str) -> dict:
    return yaml.safe_load((CHART_DIR / "values" / name).read_text())
