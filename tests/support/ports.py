"""Free loopback ports."""
import random
import socket

# Ports the kernel hands out itself (outgoing connections, bind to 0) come from the ephemeral
# range (32768-60999 by default). A port picked there, released, then bound by Envoy a moment
# later can meanwhile become the source port of some client connection. Picking below that range,
# and never the same port twice in one run, removes that race.
_LOW, _HIGH = 20000, 32000
_given: set[int] = set()
_rng = random.Random()


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    for _ in range(1000):
        port = _rng.randrange(_LOW, _HIGH)
        if port not in _given and _bindable(port):
            _given.add(port)
            return port
    raise RuntimeError(f"no free loopback port in {_LOW}-{_HIGH}")


def wait_port_closed(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) != 0
