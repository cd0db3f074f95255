"""Which port an Istio proxy's listener binds for a route, as istiod 1.31 works it out; with
istio_filters.plugin_matches_listener, whether a WasmPlugin reaches that listener.

Sources read (istio/istio release-1.31):
- pilot/pkg/model/gateway.go, resolvePorts: an Istio Gateway's server port is translated through the
  Services of the gateway pod to their targetPort. A Gateway selecting pods by label takes the first
  Service port equal to the server port, or, when no Service has it, binds the server port as is; a
  Gateway API Gateway (istiod's internal gateway-service annotation) takes every matching Service
  port's targetPort and binds nothing without one. The gateway listener is <bind>_<port> at that
  port (networking/core/gateway.go), class gateway.
- pilot/pkg/config/kube/gatewaycommon/deploymentcontroller.go, extractServicePorts: the Service istiod
  deploys for a Gateway API Gateway has status-port 15021 and one port per listener port, without
  targetPort (so Kubernetes makes it the same port).
- pilot/pkg/networking/core/listener_inbound.go: a sidecar's inbound chain for a Service port binds its
  targetPort (the container port); a named targetPort is the container port of that name.
- manifests/charts/gateway/values.yaml: the istio/gateway chart's default Service ports.
"""

# The istio/gateway chart's `service.ports` (release-1.31), which chart/helmfile.yaml's gateway keeps.
ISTIO_GATEWAY_CHART_PORTS = [
    {"name": "status-port", "port": 15021, "protocol": "TCP", "targetPort": 15021},
    {"name": "http2", "port": 80, "protocol": "TCP", "targetPort": 80},
    {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443},
]
STATUS_PORT = 15021


def target_port(service_port: dict, container_ports: dict | None = None) -> int:
    """The port a Service port sends to: its targetPort, a container port's name resolved through
    the pod, or (absent) the port itself, as Kubernetes defaults it."""
    target = service_port.get("targetPort", service_port["port"])
    if isinstance(target, str) and not target.isdigit():
        if target not in (container_ports or {}):
            raise ValueError(f"targetPort {target!r} names no container port of the pod")
        return int(container_ports[target])
    return int(target)


def gateway_listener_ports(server_port: int, services: list[list[dict]], by_label: bool = True) -> list[int]:
    """The ports the gateway binds for a Gateway server port; `services` are the ports of each Service
    that selects the gateway pod, in istiod's order. Empty: the server is served nowhere."""
    found = []
    for ports in services:
        for sp in ports:
            if sp["port"] == server_port:
                if by_label:
                    return [target_port(sp)]
                found.append(target_port(sp))
    if not found and by_label:
        return [server_port]
    return sorted(set(found))


def gateway_api_service_ports(gateway: dict) -> list[dict]:
    """The ports of the Service istiod deploys for a Gateway API Gateway."""
    ports = [{"name": "status-port", "port": STATUS_PORT, "protocol": "TCP"}]
    for listener in gateway["spec"]["listeners"]:
        if all(p["port"] != listener["port"] for p in ports[1:]):
            ports.append({"name": listener["name"], "port": listener["port"], "protocol": "TCP"})
    return ports


def sidecar_inbound_port(service_ports: list[dict], port: int, container_ports: dict) -> int:
    """The port of the inbound listener chain that serves Service port `port` on a sidecar."""
    for sp in service_ports:
        if sp["port"] == port:
            return target_port(sp, container_ports)
    raise ValueError(f"the Service has no port {port}")
