"""`make push` then `make wasmplugin-render`: the rendered WasmPlugins carry the pushed image
and the manifest digest the registry reports, and stay valid."""
import json
import subprocess

import pytest
import yaml

from oci import istio_schema, tool
from oci.istio_fetch import fetch
from support.paths import REPO

MANIFESTS = REPO / "wasmplugin" / "manifests"
HELM = REPO / ".tools" / "bin" / "helm"


@pytest.mark.parametrize("variant", ["wasm", "compat"])
def test_rendered_wasmplugin_pins_the_pushed_digest(oci_push, module, open_registry, tmp_path, variant):
    image_dir, render_dir = tmp_path / "image", tmp_path / "rendered"
    common = [f"IMAGE_DIR={image_dir}", f"RENDER_DIR={render_dir}", f"VARIANT={variant}", f"WASM={module}"]
    pushed = tool.make("push", f"REGISTRY={open_registry.host}/rendered", *common).stdout.strip().splitlines()[-1]
    assert tool.DIGEST_RE.match(pushed), pushed
    assert (image_dir / f"pushed-{variant}.digest").read_text().strip() == pushed
    tool.make("wasmplugin-render", *common)

    for name in ("gateway", "sidecar"):
        original = [d for d in yaml.safe_load_all((MANIFESTS / f"{name}.yaml").read_text()) if d]
        rendered = [d for d in yaml.safe_load_all((render_dir / f"{name}.yaml").read_text()) if d]
        [plugin] = [d for d in rendered if d["kind"] == "WasmPlugin"]
        istio_schema.validate(plugin)
        spec = plugin["spec"]
        assert f"sha256:{spec['sha256']}" == pushed
        ref = spec["url"].removeprefix("oci://")
        assert ref.startswith(f"{open_registry.host}/rendered/jwt-authn-wasm:")

        repo, tag = ref.split("/", 1)[1].rsplit(":", 1)
        digest, _, fetched = fetch(open_registry, repo, tag)
        assert digest == pushed and fetched == module.read_bytes()
        assert json.loads(tool.run("pull", "--image", ref).out)["digest"] == pushed

        for before, after in zip(original, rendered):
            if before["kind"] == "WasmPlugin":
                before["spec"].update(url=spec["url"], sha256=spec["sha256"])
            assert before == after


def test_helm_values_pin_the_chart_to_the_pushed_image(oci_push, module, open_registry, tmp_path):
    image_dir, render_dir = tmp_path / "image", tmp_path / "rendered"
    common = [f"IMAGE_DIR={image_dir}", f"RENDER_DIR={render_dir}", f"WASM={module}"]
    pushed = tool.make("push", f"REGISTRY={open_registry.host}/chart", *common).stdout.strip().splitlines()[-1]
    tool.make("wasmplugin-render", *common)
    assert HELM.is_file(), f"{HELM} is missing: run `bash tests/tools/setup.sh`"
    out = subprocess.run([str(HELM), "template", "jwt", str(REPO / "chart" / "jwt-authn"), "-f",
                          str(render_dir / "helm-values.yaml")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    [plugin] = [d for d in yaml.safe_load_all(out.stdout) if d and d["kind"] == "WasmPlugin"]
    assert f"sha256:{plugin['spec']['sha256']}" == pushed
    ref = plugin["spec"]["url"].removeprefix("oci://")
    assert json.loads(tool.run("pull", "--image", ref).out)["digest"] == pushed


def test_render_without_a_push_says_what_to_do(oci_push, tmp_path):
    p = tool.make("wasmplugin-render", f"IMAGE_DIR={tmp_path}", check=False)
    assert p.returncode != 0 and "run make push first" in p.stderr
