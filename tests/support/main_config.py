"""The shared Envoy for the behaviour tests: several providers and rules on one listener.

Paths: /api* needs provider `main`; /forward* `fwd` (issuer <main>/fwd, forward: true); /hs* `hs` (HMAC, local
JWKS, token in x-hs-token, ?hs_token= or cookie hs_jwt); /oidc* `oidc` (OIDC discovery); /any* main or hs;
/all* main and hs; /public* allow_missing; /optional* allow_missing_or_failed; POST /exact needs main;
anything else needs no token.
"""
from .keys import HMAC_ALGS, jwks_text
from .stack import Stack

AUD = ["api", "api2"]
CLAIM_HEADERS = [
    {"header_name": "x-sub", "claim_name": "sub"},
    {"header_name": "x-team", "claim_name": "org.team"},
    {"header_name": "x-level", "claim_name": "level"},
    {"header_name": "x-admin", "claim_name": "admin"},
]
MAIN, HS = {"provider_name": "main"}, {"provider_name": "hs"}


def main_plugin_config(stack: Stack, keys: dict) -> dict:
    iss = stack.issuer.issuer
    remote = {"uri": stack.issuer.jwks_uri, "cluster": "issuer", "timeout_ms": 2000, "cache_duration_seconds": 60}
    hs_keys = [keys[a] for a in HMAC_ALGS]
    return {
        "providers": {
            "main": {"issuer": iss, "audiences": AUD, "remote_jwks": remote, "max_lifetime_seconds": 3600,
                     "forward_payload_header": "x-jwt-payload", "claim_to_headers": CLAIM_HEADERS},
            # its own issuer (same keys), so a token names exactly one provider
            "fwd": {"issuer": iss + "/fwd", "audiences": AUD, "remote_jwks": remote, "forward": True},
            "hs": {"issuer": iss + "/hs", "audiences": AUD, "local_jwks": {"inline_string": jwks_text(*hs_keys)},
                   "from_headers": [{"name": "x-hs-token"}], "from_params": ["hs_token"], "from_cookies": ["hs_jwt"]},
            "oidc": {"issuer": stack.issuers["oidc"].issuer, "oidc_discovery": {"cluster": "oidc"}},
        },
        # As the chart sets it; the default (false, as native) is checked in test_defaults.py.
        "bypass_cors_preflight": True,
        "rules": [
            {"match": {"prefix": "/public"}, "requires": {"allow_missing": {}}},
            {"match": {"prefix": "/optional"}, "requires": {"allow_missing_or_failed": {}}},
            {"match": {"prefix": "/any"}, "requires": {"requires_any": [MAIN, HS]}},
            {"match": {"prefix": "/all"}, "requires": {"requires_all": [MAIN, HS]}},
            {"match": {"prefix": "/forward"}, "requires": {"provider_name": "fwd"}},
            {"match": {"prefix": "/hs"}, "requires": {"provider_name": "hs"}},
            {"match": {"prefix": "/oidc"}, "requires": {"provider_name": "oidc"}},
            {"match": {"path": "/exact", "methods": ["POST"]}, "requires": {"provider_name": "main"}},
            {"match": {"prefix": "/api"}, "requires": {"provider_name": "main"}},
        ],
    }
