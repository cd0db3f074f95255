"""Push both image forms to a real registry, read them back as Istio would, and with the tool."""
import gzip
import json
import tarfile

import pytest

from oci import tool
from oci.istio_fetch import fetch, sha256

REPO = "jwt/jwt-authn-wasm"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


@pytest.mark.parametrize("variant", ["wasm", "compat"])
def test_pushed_image_is_what_istio_fetches(oci_push, module, open_registry, variant):
    ref = f"{open_registry.host}/{REPO}:{variant}"
    pushed = tool.run("push", "--wasm", str(module), "--variant", variant, "--image", ref).digest

    digest, manifest, fetched = fetch(open_registry, REPO, variant)
    assert digest == pushed
    assert fetched == module.read_bytes()
    by_digest = open_registry.manifest(REPO, pushed)
    assert by_digest.status_code == 200 and sha256(by_digest.content) == pushed


@pytest.mark.parametrize("variant", ["wasm", "compat"])
def test_pull_subcommand_reports_and_saves_the_module(oci_push, module, open_registry, variant, tmp_path):
    ref = f"{open_registry.host}/{REPO}:pull-{variant}"
    pushed = tool.run("push", "--wasm", str(module), "--variant", variant, "--image", ref).digest
    out = tmp_path / "pulled.wasm"
    pulled = tool.run("pull", "--image", ref, "--out", str(out))
    assert pulled.code == 0, pulled.err
    report = json.loads(pulled.out)
    assert report["digest"] == pushed
    assert report["variant"] == variant
    assert report["module_sha256"] == sha256(module.read_bytes())
    assert out.read_bytes() == module.read_bytes()


def test_same_module_gives_same_digest_on_every_push(oci_push, module, open_registry):
    digests = {
        tool.run("push", "--wasm", str(module), "--image", f"{open_registry.host}/{REPO}:{tag}").digest
        for tag in ("again-1", "again-2")
    }
    assert len(digests) == 1


def test_non_wasm_input_is_refused_before_any_upload(oci_push, open_registry, tmp_path):
    bogus = tmp_path / "not.wasm"
    bogus.write_bytes(b"#!/bin/sh\n")
    r = tool.run("push", "--wasm", str(bogus), "--image", f"{open_registry.host}/{REPO}:bogus")
    assert r.code != 0 and "not a WebAssembly module" in r.err
    assert open_registry.manifest(REPO, "bogus").status_code == 404


def test_pull_reads_an_image_built_with_the_dockerfile(oci_push, module, open_registry, tmp_path):
    """What `docker build` with wasmplugin/Dockerfile and `docker push` store (classic builder):
    a Docker schema 2 manifest with one rootfs tar.gzip layer holding plugin.wasm."""
    tar_path = tmp_path / "layer.tar"
    with tarfile.open(tar_path, "w") as tar:
        tar.add(module, arcname="plugin.wasm")
    layer = gzip.compress(tar_path.read_bytes())
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": [sha256(tar_path.read_bytes())]}}).encode()
    repo = "docker/built"
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": len(config),
                   "digest": open_registry.upload(repo, config)},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": len(layer),
                    "digest": open_registry.upload(repo, layer)}],
    }).encode()
    open_registry.put_manifest(repo, "1", manifest, DOCKER_MANIFEST)

    out = tmp_path / "pulled.wasm"
    pulled = tool.run("pull", "--image", f"{open_registry.host}/{repo}:1", "--out", str(out))
    assert pulled.code == 0, pulled.err
    report = json.loads(pulled.out)
    assert (report["variant"], report["digest"]) == ("docker", sha256(manifest))
    assert out.read_bytes() == module.read_bytes()
