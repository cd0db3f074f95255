"""Reads an image straight from the registry's HTTP API and applies the checks Istio's Wasm image
fetcher applies (pkg/wasm/imagefetcher.go): compat = last layer tar+gzip holding plugin.wasm;
Wasm variant = exactly two layers, the module picked by its media type."""
import gzip
import hashlib
import io
import json
import tarfile

from oci.registry import Registry

WASM_CONFIG = "application/vnd.module.wasm.config.v1+json"
WASM_CONTENT = "application/vnd.module.wasm.content.layer.v1+wasm"
TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def fetch(reg: Registry, repo: str, ref: str, **kw) -> tuple[str, dict, bytes]:
    """(digest, manifest, module) after checking every digest on the way."""
    r = reg.manifest(repo, ref, **kw)
    assert r.status_code == 200, f"manifest {repo}:{ref}: HTTP {r.status_code} {r.text}"
    digest = sha256(r.content)
    assert r.headers["Docker-Content-Digest"] == digest
    manifest = json.loads(r.content)
    assert manifest["schemaVersion"] == 2 and manifest["mediaType"] == OCI_MANIFEST

    def blob(desc: dict) -> bytes:
        data = reg.blob(repo, desc["digest"], **kw)
        assert sha256(data) == desc["digest"] and len(data) == desc["size"]
        return data

    layers = manifest["layers"]
    if layers and layers[-1]["mediaType"] == TAR_GZIP:
        assert len(layers) == 1
        assert manifest["annotations"]["module.wasm.image/variant"] == "compat"
        tar_bytes = gzip.decompress(blob(layers[-1]))
        config = json.loads(blob(manifest["config"]))
        assert config["rootfs"]["diff_ids"] == [sha256(tar_bytes)]
        with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
            members = tar.getmembers()
            assert [m.name for m in members] == ["plugin.wasm"]
            module = tar.extractfile(members[0]).read()
    else:
        assert len(layers) == 2, f"Istio needs exactly two layers in the Wasm variant, got {len(layers)}"
        assert manifest["config"]["mediaType"] == WASM_CONFIG
        assert sorted(layer["mediaType"] for layer in layers) == sorted([WASM_CONFIG, WASM_CONTENT])
        runtime = json.loads(blob(next(x for x in layers if x["mediaType"] == WASM_CONFIG)))
        assert runtime["type"] == "envoy_proxy"
        module = blob(next(x for x in layers if x["mediaType"] == WASM_CONTENT))
    assert module[:4] == b"\0asm"
    return digest, manifest, module
