"""The Envoy hostile tokens are sent to: provider `a` (RSA, P-256, P-384 and Ed25519 keys) on every
path but /b, provider `b` (its own issuer and RSA key) on /b, and a native jwt_authn listener with
the same configuration to measure what Envoy itself does. A third server, `stray`, publishes an
attacker's JWKS and counts every request, so a filter that followed a token's jku/x5u would show."""
from .keys import jwks, make_key
from .plugin import remote_provider
from .stack import Stack

A_KEYS = {alg: make_key(alg, kid=f"a-{alg.lower()}") for alg in ("RS256", "ES256", "ES384", "EdDSA")}
B_KEY = make_key("RS256", kid="b-rs256")
ATTACKER = make_key("RS256", kid="attacker")


def start_attack_stack(crypto: str = "auto") -> Stack:
    st = Stack(issuer_names=("issuer", "b", "stray"), native_listener=True)
    try:
        st.issuer.set_jwks(jwks(*A_KEYS.values()))
        st.issuers["b"].set_jwks(jwks(B_KEY))
        st.issuers["stray"].set_jwks(jwks(ATTACKER))
        st.start({"crypto": crypto, "providers": {
            "a": remote_provider(st.issuer, "issuer", timeout_ms=2000, max_lifetime_seconds=3600),
            "b": remote_provider(st.issuers["b"], "b", timeout_ms=2000),
        }, "rules": [{"match": {"prefix": "/b"}, "requires": {"provider_name": "b"}},
                     {"match": {"prefix": "/"}, "requires": {"provider_name": "a"}}]})
    except BaseException:
        st.stop()
        raise
    return st
