"""The metric names a PromQL expression reads, in the forms the dashboard and the alerts use:
plain names, {__name__=~"..."} selectors (with optional !~ exclusions), and label_replace
extractions of provider/reason from __name__."""
import re

_SELECTOR = re.compile(r'\{__name__=~"([^"]+)"(?:,\s*__name__!~"([^"]+)")?\}')
_EXTRACT = re.compile(r'"(\w+)", "\$(\d)", "__name__", "([^"]+)"')
_STRING = re.compile(r'"[^"]*"')
# Any identifier that mentions the filter, so a wrongly prefixed name (envoy_wasmcustom_...) is caught too.
_NAME = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*(?:jwt|wasm)[a-zA-Z0-9_:]*)\b")


def plain_names(expr: str) -> set[str]:
    return set(_NAME.findall(_STRING.sub('""', expr)))


def selectors(expr: str) -> list[tuple[str, str | None]]:
    return [(m.group(1), m.group(2)) for m in _SELECTOR.finditer(expr)]


def selected(selector: tuple[str, str | None], names) -> set[str]:
    """Names a selector matches; Prometheus anchors regex matchers at both ends."""
    include, exclude = selector
    return {n for n in names if re.fullmatch(include, n) and not (exclude and re.fullmatch(exclude, n))}


def extractions(expr: str) -> list[tuple[str, int, str]]:
    """(label, capture group, regex) of each label_replace on __name__."""
    return [(m.group(1), int(m.group(2)), m.group(3)) for m in _EXTRACT.finditer(expr)]


def dashboard_exprs(dashboard: dict) -> list[tuple[str, str]]:
    return [(p["title"], t["expr"]) for p in dashboard["panels"] for t in p.get("targets", [])]


def alert_exprs(rules: dict) -> list[tuple[str, str]]:
    return [(r["alert"], r["expr"]) for g in rules["groups"] for r in g["rules"]]
