"""The WasmPlugin is on the listener that serves the chart's route, replayed as istiod 1.31 decides
it (support/istio_listeners.py: Gateway server port -> the gateway Service's targetPort, Gateway API
listener -> istiod's own Service, sidecar inbound -> the container port; support/istio_filters.py:
a plugin's match against a listener's port and class). The AuthorizationPolicy holds only where the
filter runs. Each documented values set is checked with the gateway it is written for."""
import json

import pytest

import helmfile_values
from chartlib import VALUE_SETS, named, one, render, render_set, template
from support.istio_filters import GATEWAY, SIDECAR_INBOUND, SIDECAR_OUTBOUND, plugin_matches_listener
from support.istio_listeners import (ISTIO_GATEWAY_CHART_PORTS, gateway_api_service_ports, gateway_listener_ports,
                                     sidecar_inbound_port)

GATEWAY_RELEASE = "istio-ingress/istio-ingressgateway"
# The legacy istio-ingressgateway Service (and any gateway without privileged ports): 80 -> 8080.
REMAPPED_PORTS = [{"name": "status-port", "port": 15021, "targetPort": 15021},
                  {"name": "http2", "port": 80, "targetPort": 8080},
                  {"name": "https", "port": 443, "targetPort": 8443}]
ALICE_ONLY = [{"when": [{"key": "request.headers[x-jwt-sub]", "values": ["alice"]}]}]


def helmfile_gateway_ports(env: str) -> list[dict]:
    """The Service ports of the gateway chart/helmfile.yaml installs: the istio/gateway chart's
    defaults unless the helmfile's values set service.ports."""
    ports = ISTIO_GATEWAY_CHART_PORTS
    for doc in helmfile_values.release_values(GATEWAY_RELEASE, env):
        ports = ((doc or {}).get("service") or {}).get("ports", ports)
    return ports


def documented_gateway(value_set: str) -> list[dict]:
    """The Service ports of the Istio gateway a values set is written for."""
    return REMAPPED_PORTS if value_set == "remapped-gateway" else helmfile_gateway_ports("default")


def route_listeners(docs: list[dict], gateway_service: list[dict]) -> list[tuple[int, str]]:
    """(port, class) of every listener that serves the chart's route to the echo backend."""
    selector = (one(docs, "WasmPlugin")["spec"].get("selector") or {}).get("matchLabels", {})
    pod = named(docs, "Deployment", "echo")["spec"]["template"]
    if selector and selector.items() <= pod["metadata"]["labels"].items():
        # Sidecar mode: the echo pods' inbound side, reached through the echo Service's port 80.
        echo = named(docs, "Service", "echo")
        container = pod["spec"]["containers"][0]
        names = {p["name"]: p["containerPort"] for p in container["ports"] if "name" in p}
        return [(sidecar_inbound_port(echo["spec"]["ports"], 80, names), SIDECAR_INBOUND)]
    gw = one(docs, "Gateway")
    if gw["apiVersion"].startswith("gateway.networking.k8s.io"):
        service = gateway_api_service_ports(gw)
        ports = {p for lst in gw["spec"]["listeners"]
                 for p in gateway_listener_ports(lst["port"], [service], by_label=False)}
    else:
        ports = {p for s in gw["spec"]["servers"]
                 for p in gateway_listener_ports(s["port"]["number"], [gateway_service])}
    assert ports, "the route is served on no listener"
    return [(p, GATEWAY) for p in sorted(ports)]


def uncovered(docs: list[dict], gateway_service: list[dict]) -> list[tuple[int, str]]:
    match = one(docs, "WasmPlugin")["spec"].get("match")
    return [(p, c) for p, c in route_listeners(docs, gateway_service) if not plugin_matches_listener(match, p, c)]


@pytest.mark.parametrize("value_set", sorted(VALUE_SETS))
def test_every_documented_values_set_puts_the_filter_where_the_route_is_served(value_set):
    docs = render_set(value_set)
    assert uncovered(docs, documented_gateway(value_set)) == []


@pytest.mark.parametrize("env", helmfile_values.ENVIRONMENTS)
def test_the_helmfile_gateway_maps_the_chart_default_to_the_listener_the_plugin_matches(env):
    docs = render_set("default")
    assert route_listeners(docs, helmfile_gateway_ports(env)) == [(80, GATEWAY)]
    assert uncovered(docs, helmfile_gateway_ports(env)) == []


def test_a_gateway_service_mapping_80_to_8080_gets_the_filter_on_8080():
    docs = render_set("remapped-gateway")
    assert route_listeners(docs, REMAPPED_PORTS) == [(8080, GATEWAY)]
    assert one(docs, "Gateway")["spec"]["servers"][0]["port"]["number"] == 80  # the Service port, as written
    assert one(docs, "WasmPlugin")["spec"]["match"] == [{"ports": [{"number": 8080}]}]
    # Not on the shared gateway's other listeners (8443 behind its 443).
    assert not plugin_matches_listener(one(docs, "WasmPlugin")["spec"]["match"], 8443, GATEWAY)


def test_without_target_port_a_remapped_gateway_gets_no_filter():
    """What ingress.targetPort is for: the route works (istiod binds 8080) and a match on the Service
    port reaches no listener. Only `istioctl proxy-config` (chart/README.md) shows it on a cluster."""
    assert uncovered(render_set("default"), REMAPPED_PORTS) == [(8080, GATEWAY)]


def test_gateway_api_binds_the_listener_port_and_the_plugin_matches_it():
    docs = render_set("gateway-api")
    assert route_listeners(docs, []) == [(80, GATEWAY)]
    docs = render(VALUE_SETS["gateway-api"], sets={"ingress.port": "8000"})
    assert route_listeners(docs, []) == [(8000, GATEWAY)] and uncovered(docs, []) == []


def test_gateway_api_refuses_a_target_port():
    proc = template(VALUE_SETS["gateway-api"], sets={"ingress.targetPort": "8080"}, check=False)
    assert proc.returncode != 0 and "ingress.targetPort" in proc.stderr


def test_a_sidecar_runs_the_filter_on_the_container_port_not_the_service_port():
    docs = render_set("sidecar")
    assert route_listeners(docs, []) == [(8080, SIDECAR_INBOUND)]
    match = one(docs, "WasmPlugin")["spec"]["match"]
    assert uncovered(docs, []) == []
    # Inbound only: the same port on the outbound side (a CLIENT listener) has no filter.
    assert not plugin_matches_listener(match, 80, SIDECAR_OUTBOUND)


def test_a_sidecar_match_on_the_container_port_covers_the_route():
    docs = render(VALUE_SETS["sidecar"], sets={"plugin.match": '[{"mode": "SERVER", "ports": [{"number": 8080}]}]'})
    assert uncovered(docs, []) == []


@pytest.mark.parametrize("sets, message", [
    # A sidecar's inbound listener binds the container port (echo.port 8080), not the Service's 80.
    ({"plugin.target": '"sidecar"', "plugin.match": '[{"mode": "SERVER", "ports": [{"number": 80}]}]'},
     "not the Service port"),
    ({"plugin.target": '"sidecar"', "plugin.match": '[{"mode": "CLIENT"}]'}, "must run on inbound traffic"),
    # The gateway binds the route's listener on 8080: a match on 80 would leave it without the filter.
    ({"ingress.targetPort": "8080", "plugin.match": '[{"ports": [{"number": 80}]}]'}, "does not reach"),
])
def test_a_match_that_misses_the_route_listener_is_refused(sets, message):
    proc = template(sets=sets, check=False)
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr


def _policy_ports(policy: dict) -> set[int]:
    """The ports an AuthorizationPolicy's rules hold on ({0}: every port)."""
    ports = set()
    for rule in policy["spec"]["rules"]:
        tos = rule.get("to") or [{}]
        for to in tos:
            ports |= {int(p) for p in (to.get("operation") or {}).get("ports") or [0]}
    return ports


@pytest.mark.parametrize("value_set", sorted(VALUE_SETS))
def test_the_authorization_policy_holds_only_where_the_filter_runs(value_set):
    # A header each set's providers write (external-issuer's write x-team).
    header = "x-team" if value_set == "external-issuer" else "x-jwt-sub"
    rules = [{"when": [{"key": f"request.headers[{header}]", "values": ["alice"]}]}]
    docs = render(VALUE_SETS[value_set], sets={"authorization.enabled": "true",
                                               "authorization.rules": json.dumps(rules)})
    policy, match = one(docs, "AuthorizationPolicy"), one(docs, "WasmPlugin")["spec"]["match"]
    routes = route_listeners(docs, documented_gateway(value_set))
    cls = routes[0][1]
    ports = _policy_ports(policy)
    if ports == {0}:
        # Unscoped only where the filter runs on every listener the policy can see (a sidecar's
        # RBAC runs on its inbound side, where mode SERVER puts the filter on every port).
        assert all(plugin_matches_listener(match, p, cls) for p in (1, 80, 8080, 15006, 65535)), match
    else:
        assert 0 not in ports
        assert all(plugin_matches_listener(match, p, cls) for p in ports)
        # ... and on the listener of the route, where the claim headers are the filter's.
        assert {p for p, _ in routes} <= ports


def test_a_policy_on_every_listener_needs_no_ports():
    docs = render(sets={"plugin.match": "[{}]", "authorization.enabled": "true",
                        "authorization.rules": json.dumps(ALICE_ONLY)})
    assert one(docs, "AuthorizationPolicy")["spec"]["rules"] == ALICE_ONLY


def test_a_rule_port_the_filter_does_not_cover_is_refused():
    rules = [{**ALICE_ONLY[0], "to": [{"operation": {"ports": ["443"]}}]}]
    proc = template(sets={"authorization.enabled": "true", "authorization.rules": json.dumps(rules)}, check=False)
    assert proc.returncode != 0 and "none the filter runs on" in proc.stderr


def test_a_rule_with_its_own_operation_keeps_it_and_gets_the_port():
    rules = [{**ALICE_ONLY[0], "to": [{"operation": {"methods": ["GET"], "ports": ["80", "443"]}}]}]
    docs = render(sets={"authorization.enabled": "true", "authorization.rules": json.dumps(rules)})
    assert one(docs, "AuthorizationPolicy")["spec"]["rules"][0]["to"] == [
        {"operation": {"methods": ["GET"], "ports": ["80"]}}]


def test_the_readme_check_names_the_filter_as_istio_does():
    """chart/README.md lists the listeners holding the filter by the name istiod 1.31 gives it."""
    from chartlib import CHART
    from support.istio_filters import resource_name

    wp = one(render_set("default"), "WasmPlugin")
    readme = (CHART.parent / "README.md").read_text()
    # The walk-through's release, jwt-authn, on the helmfile's gateway in istio-ingress.
    assert wp["metadata"]["namespace"] == "istio-ingress"
    assert f"F='{resource_name('istio-ingress', 'jwt-authn')}'" in readme
