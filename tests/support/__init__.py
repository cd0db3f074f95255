"""Test harness: real Envoy, a loopback issuer, an echo upstream, keys and tokens."""
