"""`make run`: Envoy with the filter in front of an echo upstream, a demo issuer, all on localhost.
Prints a valid token and curl lines for 200, 401 and 403; runs until Ctrl-C, then stops everything."""
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support.demo import DemoIssuer, plugin_config  # noqa: E402
from support.paths import WASM  # noqa: E402
from support.ports import free_port  # noqa: E402
from support.stack import Stack  # noqa: E402


def _port(preferred: int) -> int:
    """The usual port when free, so the printed lines look familiar; any free one otherwise."""
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            return free_port()


def main() -> int:
    if not WASM.is_file():
        print(f"{WASM} is missing: run `make wasm`", file=sys.stderr)
        return 1
    issuer = DemoIssuer(port=_port(8082))
    stack = Stack(issuers={"issuer": issuer})
    stack.ports.listen, stack.ports.admin = _port(8080), _port(9901)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        stack.start(plugin_config(issuer.issuer))
        url = stack.url("/hello")
        print(f"Envoy with jwt_authn_wasm on {stack.url('/')} (admin {stack.envoy.admin}, log {stack.envoy.log_path})")
        print(f"Demo issuer {issuer.issuer} (JWKS {issuer.jwks_uri}, fresh tokens at {issuer.issuer}/token)\n")
        print(f"export TOKEN={issuer.token()}")
        print(f"export OTHER_AUDIENCE_TOKEN={issuer.token(aud='other-api')}\n")
        print(f'curl -i -H "Authorization: Bearer $TOKEN" {url}   # 200, upstream echoes x-sub and x-jwt-payload')
        print(f"curl -i {url}   # 401 Jwt is missing")
        print(f'curl -i -H "Authorization: Bearer $OTHER_AUDIENCE_TOKEN" {url}'
              "   # 403 Audiences in Jwt are not allowed")
        print(f"curl -s {stack.envoy.admin}/stats | grep jwt_authn_wasm   # the filter's counters")
        print("\nCtrl-C stops everything.", flush=True)
        while not stop.wait(0.5):
            if stack.envoy.proc.poll() is not None:
                print(f"Envoy exited:\n{stack.envoy.log_tail()}", file=sys.stderr)
                return 1
        return 0
    finally:
        stack.stop()
        print("stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
