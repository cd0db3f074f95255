"""`make push` then `make wasmplugin-render`: the rendered WasmPlugins and the chart values name the
pushed image by its manifest digest (oci://REPO@sha256:...), which the registry serves even after
the tag has been moved to another image, and stay valid."""
import json
import subprocess

import pytest
import yaml

from oci import istio_schema, tool
from oci.istio_fetch import fetch
from support.paths import REPO

MANIFESTS = REPO / "wasmplugin" / "manifests"
HELM = REPO / ".tools" / "bin" / "helm"
IMAGE = "jwt-authn-wasm"


def push(registry, path: str, image_dir, variant: str, module, tag: str | None = None) -> tuple[str, str]:
    """(digest, pinned url) that `make push` recorded, after checking that it printed both."""
    args = [f"REGISTRY={registry.host}/{path}", f"IMAGE_DIR={image_dir}", f"VARIANT={variant}", f"WASM={module}"]
    out = tool.make("push", *args, *([f"IMAGE_TAG={tag}"] if tag else [])).stdout
    digest = (image_dir / f"pushed-{variant}.digest").read_text().strip()
    url = (image_dir / f"pushed-{variant}.url").read_text().strip()
    assert tool.DIGEST_RE.match(digest), digest
    assert url == f"oci://{registry.host}/{path}/{IMAGE}@{digest}"
    assert digest in out.splitlines() and f"WasmPlugin url (plugin.url): {url}" in out.splitlines(), out
    return digest, url


def by_digest(registry, url: str) -> tuple[str, bytes]:
    """What Istio gets for a pinned url: the manifest fetched by its digest, checked, and the module."""
    repo, digest = url.removeprefix(f"oci://{registry.host}/").split("@")
    got, _, module = fetch(registry, repo, digest)
    assert got == digest
    return got, module


@pytest.mark.parametrize("variant", ["wasm", "compat"])
def test_rendered_wasmplugin_pins_the_pushed_digest(oci_push, module, open_registry, tmp_path, variant):
    image_dir, render_dir = tmp_path / "image", tmp_path / "rendered"
    pushed, url = push(open_registry, "rendered", image_dir, variant, module)
    tool.make("wasmplugin-render", f"IMAGE_DIR={image_dir}", f"RENDER_DIR={render_dir}", f"VARIANT={variant}")

    for name in ("gateway", "sidecar"):
        original = [d for d in yaml.safe_load_all((MANIFESTS / f"{name}.yaml").read_text()) if d]
        rendered = [d for d in yaml.safe_load_all((render_dir / f"{name}.yaml").read_text()) if d]
        [plugin] = [d for d in rendered if d["kind"] == "WasmPlugin"]
        istio_schema.validate(plugin)
        spec = plugin["spec"]
        assert spec["url"] == url and f"sha256:{spec['sha256']}" == pushed
        assert by_digest(open_registry, url) == (pushed, module.read_bytes())
        assert json.loads(tool.run("pull", "--image", url.removeprefix("oci://")).out)["digest"] == pushed

        for before, after in zip(original, rendered):
            if before["kind"] == "WasmPlugin":
                before["spec"].update(url=spec["url"], sha256=spec["sha256"])
            assert before == after


def test_pinned_url_outlives_a_moved_tag(oci_push, module, open_registry, tmp_path):
    """The point of the digest: pushing something else under the same tag changes nothing for the plugin."""
    first, url = push(open_registry, "moved", tmp_path / "a", "wasm", module, tag="demo")
    second, _ = push(open_registry, "moved", tmp_path / "b", "compat", module, tag="demo")
    assert first != second
    tag_now = open_registry.manifest(f"moved/{IMAGE}", "demo")
    assert tag_now.headers["Docker-Content-Digest"] == second
    assert by_digest(open_registry, url) == (first, module.read_bytes())


def test_helm_values_pin_the_chart_to_the_pushed_image(oci_push, module, open_registry, tmp_path):
    image_dir, render_dir = tmp_path / "image", tmp_path / "rendered"
    pushed, url = push(open_registry, "chart", image_dir, "wasm", module)
    tool.make("wasmplugin-render", f"IMAGE_DIR={image_dir}", f"RENDER_DIR={render_dir}")
    values = yaml.safe_load((render_dir / "helm-values.yaml").read_text())
    assert values == {"plugin": {"url": url, "sha256": pushed.removeprefix("sha256:")}}
    assert HELM.is_file(), f"{HELM} is missing: run `bash tests/tools/setup.sh`"
    out = subprocess.run([str(HELM), "template", "jwt", str(REPO / "chart" / "jwt-authn"), "-f",
                          str(render_dir / "helm-values.yaml")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    [plugin] = [d for d in yaml.safe_load_all(out.stdout) if d and d["kind"] == "WasmPlugin"]
    assert plugin["spec"]["url"] == url and f"sha256:{plugin['spec']['sha256']}" == pushed
    assert by_digest(open_registry, url) == (pushed, module.read_bytes())


def test_render_without_a_push_says_what_to_do(oci_push, tmp_path):
    p = tool.make("wasmplugin-render", f"IMAGE_DIR={tmp_path}", check=False)
    assert p.returncode != 0 and "run make push first" in p.stderr


def test_pin_refuses_what_is_not_a_digest(oci_push):
    r = tool.run("pin", "--image", "localhost:5000/f:1", "--digest", "sha256:abc")
    assert r.code == 1 and "not a sha256 digest" in r.err
