"""Plugin configuration snippets."""
from .issuer import Issuer


def remote_provider(issuer: Issuer, cluster: str, timeout_ms: int = 1000, cache_duration_seconds: int = 60,
                    **extra) -> dict:
    """A provider whose keys come from `issuer`'s /jwks through Envoy cluster `cluster`."""
    return {"issuer": issuer.issuer, "audiences": ["api"],
            "remote_jwks": {"uri": issuer.jwks_uri, "cluster": cluster, "timeout_ms": timeout_ms,
                            "cache_duration_seconds": cache_duration_seconds},
            **extra}


def per_path_rules(*names: str) -> list:
    """`/<name>...` requires provider `<name>`."""
    return [{"match": {"prefix": f"/{n}"}, "requires": {"provider_name": n}} for n in names]
