"""The air-gapped path: an OCI image layout written offline, carried over, pushed as it is."""
import hashlib
import json

import pytest

from oci import tool
from oci.istio_fetch import fetch


@pytest.mark.parametrize("variant", ["wasm", "compat"])
def test_layout_push_keeps_the_offline_digest(oci_push, module, open_registry, tmp_path, variant):
    layout = tmp_path / "layout"
    offline = tool.run("build", "--wasm", str(module), "--variant", variant, "--out", str(layout), "--tag", "0.1.0").digest

    assert json.loads((layout / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads((layout / "index.json").read_text())
    [entry] = index["manifests"]
    assert entry["digest"] == offline and entry["annotations"]["org.opencontainers.image.ref.name"] == "0.1.0"
    for blob in (layout / "blobs" / "sha256").iterdir():
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name

    repo = f"airgap/{variant}"
    pushed = tool.run("push", "--layout", str(layout), "--image", f"{open_registry.host}/{repo}:0.1.0").digest
    assert pushed == offline
    digest, _, fetched = fetch(open_registry, repo, "0.1.0")
    assert digest == offline and fetched == module.read_bytes()


def test_damaged_layout_is_refused(oci_push, module, open_registry, tmp_path):
    layout = tmp_path / "layout"
    tool.run("build", "--wasm", str(module), "--variant", "compat", "--out", str(layout)).digest
    manifest = json.loads((layout / "index.json").read_text())["manifests"][0]["digest"]
    layer = json.loads((layout / "blobs" / "sha256" / manifest.split(":")[1]).read_text())["layers"][0]["digest"]
    (layout / "blobs" / "sha256" / layer.split(":")[1]).write_bytes(b"truncated")
    r = tool.run("push", "--layout", str(layout), "--image", f"{open_registry.host}/airgap/damaged:1")
    assert r.code == 1 and "damaged" in r.err
    assert open_registry.manifest("airgap/damaged", "1").status_code == 404


def test_make_image_writes_both_layouts_and_a_docker_context(oci_push, module, open_registry, tmp_path):
    image_dir = tmp_path / "image"
    printed = tool.make("image", f"IMAGE_DIR={image_dir}", f"WASM={module}").stdout
    for variant in ("wasm", "compat"):
        offline = (image_dir / f"{variant}.digest").read_text().strip()
        assert tool.DIGEST_RE.match(offline) and offline in printed
        repo = f"made/{variant}"
        pushed = tool.run("push", "--layout", str(image_dir / variant), "--image", f"{open_registry.host}/{repo}:1").digest
        assert pushed == offline
        assert fetch(open_registry, repo, "1")[2] == module.read_bytes()

    docker = image_dir / "docker"
    assert (docker / "plugin.wasm").read_bytes() == module.read_bytes()
    steps = [line.split()[0] for line in (docker / "Dockerfile").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    # Istio reads the last layer only when there is one: FROM scratch and a single COPY.
    assert steps == ["FROM", "COPY"] and "FROM scratch" in (docker / "Dockerfile").read_text()
