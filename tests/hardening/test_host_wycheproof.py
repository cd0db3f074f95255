"""Wycheproof through Envoy's own verify_signature (BoringSSL): the test-only plugin
tests/host-crypto-check runs RSA PKCS#1 v1.5 (RS256/384/512, 2048 to 8192 bits) and ECDSA
P-256, P-384 and P-521 in P1363 form (ES256/384/512) through the filter's PublicKey
constructors and verify_raw with the host as the backend (`crypto: auto`), so our
SubjectPublicKeyInfo and r‖s→DER encodings meet the real BoringSSL. Every "valid" vector must
verify and every "invalid" one must not; "acceptable" ones are listed in the report."""
import json
import subprocess
from pathlib import Path

import pytest
import requests

from support.envoy import Envoy
from support.paths import REPO
from support.ports import free_port

PLUGIN = REPO / "target" / "wasm32-wasip1" / "release" / "host_crypto_check.wasm"
BUILD = ["cargo", "build", "--release", "--target", "wasm32-wasip1", "-p", "host-crypto-check"]

RSA_SETS = [f"Rsa{bits}Sha{sha}" for bits in (2048, 3072, 4096, 8192) for sha in (256, 384, 512)]
EC_SETS = {"EcdsaSecp256r1Sha256P1363": 250, "EcdsaSecp384r1Sha384P1363": 270,
           "EcdsaSecp521r1Sha512P1363": 300}


@pytest.fixture(scope="session")
def plugin() -> Path:
    """The plugin, built here (cargo does nothing when it is up to date)."""
    done = subprocess.run(BUILD, cwd=REPO, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, f"{' '.join(BUILD)} failed:\n{done.stderr[-4000:]}"
    assert PLUGIN.is_file(), PLUGIN
    return PLUGIN


def envoy_config(admin: int, listen: int, wasm: Path) -> str:
    """One listener: the plugin answers every request itself; the route is never reached."""
    wasm_filter = {
        "name": "host_crypto_check",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
            "config": {
                "name": "host_crypto_check",
                "vm_config": {"vm_id": "host_crypto_check", "runtime": "envoy.wasm.runtime.v8",
                              "code": {"local": {"filename": str(wasm)}}},
            },
        },
    }
    hcm = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3"
                 ".HttpConnectionManager",
        "stat_prefix": "check",
        "route_config": {"virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [
            {"match": {"prefix": "/"}, "direct_response": {"status": 404}}]}]},
        "http_filters": [wasm_filter, {"name": "envoy.filters.http.router", "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}],
    }
    doc = {
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": admin}}},
        "static_resources": {"listeners": [{
            "name": "check",
            "address": {"socket_address": {"address": "127.0.0.1", "port_value": listen}},
            "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager",
                                            "typed_config": hcm}]}],
        }]},
    }
    return json.dumps(doc, indent=1)  # JSON is YAML


@pytest.fixture(scope="module")
def report(plugin) -> tuple[dict, Envoy]:
    admin, listen = free_port(), free_port()
    envoy = Envoy(envoy_config(admin, listen, plugin), admin, component_log_level="wasm:info")
    try:
        envoy.start(timeout=120)
        try:
            resp = requests.get(f"http://127.0.0.1:{listen}/", timeout=300)
        except requests.RequestException as e:
            raise AssertionError(f"no answer from the plugin ({e}):\n{envoy.log_tail(80)}") from e
        assert resp.status_code == 200, f"{resp.status_code} {resp.text[:500]}\n{envoy.log_tail(80)}"
        try:
            body = resp.json()
        except ValueError as e:
            raise AssertionError(f"not JSON: {resp.text[:500]}\n{envoy.log_tail(80)}") from e
        yield body, envoy
    finally:
        envoy.close()


def test_host_passes_the_probe(report):
    body, envoy = report
    assert body["probe"] == "ok", envoy.log_tail(80)


def test_every_vector_holds_through_boringssl(report):
    body, envoy = report
    assert body["failures"] == [], (
        f"{len(body['failures'])} failures:\n" + "\n".join(body["failures"]) + "\n" + envoy.log_tail(40))
    assert body["refused_keys"] == [], body["refused_keys"]


def test_vector_counts_are_large(report):
    body, _ = report
    tested = body["tested"]
    assert sorted(tested) == sorted(RSA_SETS + list(EC_SETS)), tested
    for name in RSA_SETS:
        assert tested[name] >= 250, (name, tested)
    for name, least in EC_SETS.items():
        assert tested[name] >= least, (name, tested)
    assert sum(tested.values()) >= 3900, tested


def test_the_host_did_the_verifying(report):
    """Every RSA vector and every ECDSA one with a signature of the right length went to
    BoringSSL; ring was not asked, the host never failed."""
    body, _ = report
    tally, tested, calls = body["tally"], body["tested"], body["host_calls"]
    assert tally["module"] == 0 and tally["host_errors"] == 0 and tally["disagreements"] == 0, tally
    for name in RSA_SETS:
        assert calls[name] == tested[name], (name, calls, tested)
    for name in EC_SETS:
        # Wycheproof's wrong-length r‖s signatures are refused before any backend.
        assert calls[name] >= tested[name] - 30, (name, calls, tested)
    assert tally["host"] == sum(calls.values()), (tally, calls)
