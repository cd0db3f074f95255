"""The demo set-up shared by `make run` and docker-compose: a demo issuer with a token endpoint,
and the plugin configuration in front of the echo upstream."""
import argparse
import json
from urllib.parse import parse_qs

from .issuer import Issuer
from .keys import jwks, make_key
from .tokens import claims, sign

AUDIENCE = "demo-api"
COMPOSE_ISSUER = "http://issuer:8082"


def plugin_config(issuer_url: str, cluster: str = "issuer") -> dict:
    return {
        "providers": {"demo": {
            "issuer": issuer_url, "audiences": [AUDIENCE],
            "remote_jwks": {"uri": issuer_url + "/jwks", "cluster": cluster, "timeout_ms": 5000,
                            "cache_duration_seconds": 300},
            "forward_payload_header": "x-jwt-payload",
            "claim_to_headers": [{"header_name": "x-sub", "claim_name": "sub"}],
        }},
        "rules": [{"match": {"prefix": "/public"}, "requires": {"allow_missing": {}}},
                  {"match": {"prefix": "/"}, "requires": {"provider_name": "demo"}}],
    }


class DemoIssuer(Issuer):
    """An issuer with one RS256 key and `GET /token?aud=..&sub=..` that mints a one-hour token."""

    def __init__(self, port: int | None = None, host: str = "127.0.0.1", public_url: str | None = None):
        self.key = make_key("RS256", kid="demo-1")
        super().__init__(port, jwks(self.key), host, public_url)
        self.serve_dynamic("/token", self._token_endpoint)

    def token(self, aud: str = AUDIENCE, sub: str = "demo-user") -> str:
        return sign(self.key, claims(self.issuer, aud=aud, sub=sub, lifetime=3600))

    def _token_endpoint(self, query: str) -> bytes:
        q = {k: v[0] for k, v in parse_qs(query).items()}
        return json.dumps({"access_token": self.token(q.get("aud", AUDIENCE), q.get("sub", "demo-user"))}).encode()


if __name__ == "__main__":
    import threading

    ap = argparse.ArgumentParser(description="demo issuer (docker-compose)")
    ap.add_argument("--host", default="0.0.0.0")
    ap.add_argument("--port", type=int, default=8082)
    ap.add_argument("--public-url", default=COMPOSE_ISSUER)
    args = ap.parse_args()
    DemoIssuer(args.port, args.host, args.public_url).start()
    print(f"demo issuer {args.public_url} on {args.host}:{args.port}", flush=True)
    threading.Event().wait()
