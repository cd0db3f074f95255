"""The dashboard and the alerts read metric names that the filter really emits.

Real Envoy runs the built filter with the pluginConfig the chart renders, the chart's demo issuer
as JWKS source, a second provider whose JWKS endpoint is down, and only the stats an Istio
proxy always keeps. A real Prometheus scrapes /stats/prometheus, and every dashboard query and alert
expression is evaluated there.
"""
import copy
import json
import re
import time

import jwt
import pytest
import requests
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa

from chartlib import CHART, one, render_set
from test_istio_proxy import ISTIO_ALWAYS_INCLUDED
from demo_issuer_proc import DemoIssuer
from promql_names import alert_exprs, dashboard_exprs, extractions, plain_names, selected, selectors
from promtools import Prometheus
from support.echo import echo_server
from support.envoy import Envoy
from support.envoy_config import Layout, Ports, render_dict
from support.ports import free_port

# Every reason the filter counts (src/error.rs REASONS; the dashboard test holds the panel to it).
REASONS = set(re.findall(r'"([a-z_]+)" =>', re.search(r"^reasons! \{$(.*?)^\}$",
                                                      (CHART.parent.parent / "src" / "error.rs").read_text(),
                                                      re.S | re.M).group(1)))
BACKUP_ISSUER = "https://backup.example"
DASHBOARD = json.loads((CHART / "files" / "dashboard.json").read_text())
RULES = yaml.safe_load((CHART / "files" / "alerts.yaml").read_text())


def plugin_config(demo: DemoIssuer, dead_port: int) -> dict:
    """The chart's config, with the in-cluster JWKS URL pointed at loopback, plus a provider that cannot fetch."""
    cfg = copy.deepcopy(one(render_set("default"), "WasmPlugin")["spec"]["pluginConfig"])
    cfg["providers"]["demo"]["remote_jwks"] = {"uri": demo.url + "/jwks", "cluster": "issuer", "timeout_ms": 2000}
    cfg["providers"]["backup"] = {"issuer": BACKUP_ISSUER, "audiences": ["demo-api"], "remote_jwks": {
        "uri": f"http://127.0.0.1:{dead_port}/jwks", "cluster": "backup", "timeout_ms": 500}}
    return cfg


def envoy_config(demo: DemoIssuer, echo_port: int, dead_port: int, wasm) -> tuple[str, int, int]:
    ports = Ports(admin=free_port(), listen=free_port(), echo=echo_port, issuer=demo.port)
    doc = render_dict(Layout(ports=ports, wasm_path=str(wasm), clusters={"backup": ("127.0.0.1", dead_port)}),
                      plugin_config(demo, dead_port))
    # An Istio proxy keeps only the stats its bootstrap's inclusion list names.
    doc["stats_config"] = {"stats_matcher": {"inclusion_list": {"patterns": [
        {"prefix": p} for p in ISTIO_ALWAYS_INCLUDED]}}}
    return yaml.safe_dump(doc, sort_keys=False), ports.admin, ports.listen


def drive(listen: int, demo: DemoIssuer):
    url = f"http://127.0.0.1:{listen}/headers"
    good = demo.token(sub="alice")
    head, payload, sig = good.split(".")
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    backup = jwt.encode({"iss": BACKUP_ISSUER, "aud": "demo-api", "sub": "x", "exp": now + 600}, other_key,
                        algorithm="RS256", headers={"kid": "k1"})
    cases = [(good, 200), (good, 200), (demo.token(sub="bob"), 200), (None, 401), ("not-a-jwt", 401),
             (demo.token(ttl="-600"), 401), (demo.token(aud="someone-else"), 403),
             (f"{head}.{payload}.{sig[:-6]}AAAAAA", 401), (backup, 401)]
    for token, status in cases:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        resp = requests.get(url, headers=headers, timeout=15)
        assert resp.status_code == status, f"token {token and token[:20]}...: {resp.status_code} != {status}"
    # What NOTES.txt promises: the backend sees the demo provider's claim header, not the token.
    seen = requests.get(url, headers={"authorization": f"Bearer {good}"}, timeout=15).json()["headers"]
    assert seen["x-jwt-sub"] == "alice" and "authorization" not in seen


@pytest.fixture(scope="module")
def stack(wasm_module):
    demo = DemoIssuer(one(render_set("default"), "WasmPlugin")["spec"]["pluginConfig"]["providers"]["demo"]["issuer"])
    echo = echo_server()
    envoy = prom = None
    try:
        demo.start()
        echo.start()
        config, admin, listen = envoy_config(demo, echo.port, free_port(), wasm_module)
        envoy = Envoy(config, admin).start()
        prom = Prometheus([f"127.0.0.1:{admin}"], "/stats/prometheus").start()
        # Two rounds with scrapes between, so that rate() has increases to show.
        for _ in range(2):
            drive(listen, demo)
            prom.wait_scrapes(3)
        names = prometheus_names(requests.get(envoy.admin + "/stats/prometheus", timeout=5).text)
        yield {"envoy": envoy, "prom": prom, "names": names}
    finally:
        for part in (prom, envoy, echo, demo):
            if part is not None:
                part.stop()


def prometheus_names(text: str) -> set[str]:
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}


def test_filter_counters_reach_prometheus_format(stack):
    names = stack["names"]
    assert {"jwt_authn_wasm_allowed", "jwt_authn_wasm_denied"} <= names, sorted(names)
    assert "jwt_authn_wasm_provider_demo_jwks_fetch_success" in names
    assert "jwt_authn_wasm_provider_backup_jwks_fetch_failed" in names


@pytest.mark.parametrize("source,title,expr", [("dashboard", *e) for e in dashboard_exprs(DASHBOARD)] +
                         [("alert", *e) for e in alert_exprs(RULES)])
def test_names_in_queries_are_emitted(stack, source, title, expr):
    names = stack["names"]
    missing = plain_names(expr) - names
    assert not missing, f"{source} {title!r} reads {missing}, Envoy has {sorted(names)}"
    for sel in selectors(expr):
        matched = selected(sel, names)
        assert matched, f"{source} {title!r}: {sel} matches none of {sorted(names)}"
        for label, group, regex in extractions(expr):
            values = {re.fullmatch(regex, n).group(group) for n in matched if re.fullmatch(regex, n)}
            allowed = {"provider": {"demo", "backup"}, "reason": REASONS}[label]
            assert values <= allowed, f"{source} {title!r}: {label} would be {values - allowed}"


@pytest.mark.parametrize("title,expr", dashboard_exprs(DASHBOARD))
def test_dashboard_queries_return_series(stack, title, expr):
    result = stack["prom"].query(expr.replace("$__rate_interval", "1m"))
    assert result, f"{title!r} returns nothing"


def series(stack, title: str) -> dict[tuple, float]:
    panel = next(p for p in DASHBOARD["panels"] if p["title"] == title)
    out = {}
    for t in panel["targets"]:
        for r in stack["prom"].query(t["expr"].replace("$__rate_interval", "1m")):
            out[tuple(sorted(r["metric"].items()))] = float(r["value"][1])
    return out


def test_denials_are_split_by_provider_and_reason(stack):
    got = {dict(k)["provider"] + ":" + dict(k)["reason"] for k, v in series(stack, "Denied by provider and reason").items()
           if v > 0}
    assert {"demo:expired", "demo:audience", "demo:bad_signature"} <= got, got


def test_allowed_by_provider_and_cache_hits(stack):
    allowed = {dict(k)["provider"]: v for k, v in series(stack, "Allowed by provider").items()}
    assert allowed.get("demo", 0) > 0 and allowed.get("backup", 0) == 0, allowed
    ratio = {dict(k)["provider"]: v for k, v in series(stack, "Token cache hit ratio by provider").items()}
    assert 0 < ratio["demo"] < 1, ratio  # the repeated token hits, the others miss


def test_jwks_alert_expression_selects_the_failing_provider(stack):
    expr = next(e for name, e in alert_exprs(RULES) if name == "JwtAuthnJwksFetchFailing")
    # The rule looks back 15 minutes at 1-minute steps; this Envoy has lived seconds, scraped every
    # second, so the window covers its whole life. increase() needs a failure after the first
    # scrape, and the failing provider's retries back off (1 s, 2 s, 4 s, 8 s ...): on a slow
    # machine the first ones can all come before it, so wait for the next one, within bounds.
    assert "[15m:1m]" in expr
    expr = expr.replace("[15m:1m]", "[10m:1s]")
    deadline = time.monotonic() + 40
    providers = set()
    while time.monotonic() < deadline:
        providers = {r["metric"]["provider"] for r in stack["prom"].query(expr)}
        if providers:
            break
        time.sleep(1)
    assert providers == {"backup"}
