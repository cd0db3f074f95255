"""What a client sees from the filter: status, body, WWW-Authenticate, and the filter's counters."""
import contextlib

from .stack import Stack

METRIC = "wasmcustom.jwt_authn_wasm."


def realm(stack: Stack, path: str) -> str:
    return f'Bearer realm="http://127.0.0.1:{stack.ports.listen}{path}"'


def assert_allowed(resp):
    assert resp.status_code == 200, f"{resp.status_code} {resp.text[:300]!r}"
    return resp.json()


def assert_missing(stack: Stack, resp, path: str):
    assert (resp.status_code, resp.text) == (401, "Jwt is missing")
    assert resp.headers.get("www-authenticate") == realm(stack, path)


def assert_invalid(stack: Stack, resp, path: str, body: str | None = None, status: int = 401):
    """401 (or 403) with the reason as body and error="invalid_token"."""
    assert resp.status_code == status, f"{resp.status_code} {resp.text[:300]!r}"
    if body is not None:
        assert resp.text == body
    if status == 401:
        assert resp.headers.get("www-authenticate") == realm(stack, path) + ', error="invalid_token"'


@contextlib.contextmanager
def counts(stack: Stack, *names: str):
    """Yields a dict filled, on exit, with how much each filter counter grew."""
    before = {n: stack.envoy.counter(METRIC + n) for n in names}
    grown: dict = {}
    yield grown
    for n in names:
        grown[n] = stack.envoy.counter(METRIC + n) - before[n]
