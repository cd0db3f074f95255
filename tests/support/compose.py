"""What differs in docker-compose: service names as hosts, fixed ports, and the module named relative
to Envoy's working directory (the container's /etc/envoy, where the compose file mounts it)."""
from .envoy_config import Layout, Ports

COMPOSE_LAYOUT = Layout(ports=Ports(admin=9901, listen=8080, echo=8081, issuer=8082), wasm_path="jwt_authn_wasm.wasm",
                        listen_address="0.0.0.0", admin_address="0.0.0.0", echo_host="echo", issuer_host="issuer")
