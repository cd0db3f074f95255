"""The filter image: no placeholder default, and a pinned digest is what Istio pulls."""
import pytest
import yaml

from chartlib import CHART, CI_VALUES, helm, one, render, template, value_args

DIGEST = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"


def plugin(url: str, sha256: str = "") -> dict:
    return one(render(sets={"plugin.url": f'"{url}"', "plugin.sha256": f'"{sha256}"'}), "WasmPlugin")["spec"]


def test_the_chart_has_no_default_image():
    assert yaml.safe_load((CHART / "values.yaml").read_text())["plugin"]["url"] == ""


def test_rendering_without_an_image_says_how_to_get_one():
    proc = helm("template", "jwt-authn", str(CHART), check=False)
    assert proc.returncode != 0
    assert "plugin.url is required" in proc.stderr
    assert "make push" in proc.stderr and "wasmplugin/README.md" in proc.stderr
    # helm lint reports a template's fail() without failing (lint mode); it still names it.
    assert "plugin.url is required" in helm("lint", "--strict", str(CHART), check=False).stderr


def test_every_ci_values_set_names_its_own_image():
    for path in CI_VALUES:
        assert yaml.safe_load(path.read_text())["plugin"]["url"].startswith("oci://"), path.name
        proc = helm("template", "jwt-authn", str(CHART), *value_args([path], image=False), check=False)
        assert proc.returncode == 0, f"{path.name}: {proc.stderr}"


@pytest.mark.parametrize("url,pinned", [
    ("oci://ghcr.io/acme/jwt-authn-wasm:0.1.0", "oci://ghcr.io/acme/jwt-authn-wasm"),
    ("oci://registry.local:5000/team/jwt-authn-wasm:v2", "oci://registry.local:5000/team/jwt-authn-wasm"),
    ("oci://registry.local:5000/jwt-authn-wasm", "oci://registry.local:5000/jwt-authn-wasm"),
    (f"oci://ghcr.io/acme/jwt-authn-wasm:0.1.0@sha256:{DIGEST}", "oci://ghcr.io/acme/jwt-authn-wasm"),
])
def test_a_digest_pins_the_url(url, pinned):
    spec = plugin(url, DIGEST)
    # The tag is gone: re-pushing it can never give a new replica another module.
    assert spec["url"] == f"{pinned}@sha256:{DIGEST}"
    assert spec["sha256"] == DIGEST


def test_without_a_digest_the_url_is_left_as_given():
    spec = plugin("oci://ghcr.io/acme/jwt-authn-wasm:0.1.0")
    assert spec["url"] == "oci://ghcr.io/acme/jwt-authn-wasm:0.1.0" and "sha256" not in spec


def test_a_module_over_https_keeps_its_url_and_checksum():
    spec = plugin("https://example.com/jwt_authn_wasm.wasm", DIGEST)
    assert spec["url"] == "https://example.com/jwt_authn_wasm.wasm" and spec["sha256"] == DIGEST


def test_a_url_pinning_another_digest_is_refused():
    other = "1" * 64
    proc = template(sets={"plugin.url": f'"oci://ghcr.io/acme/jwt-authn-wasm@sha256:{other}"',
                          "plugin.sha256": f'"{DIGEST}"'}, check=False)
    assert proc.returncode != 0 and "must name the same image" in proc.stderr


@pytest.mark.parametrize("bad", [DIGEST[:-1], DIGEST + "0", DIGEST.upper(), f"sha256:{DIGEST}", "g" * 64])
def test_a_digest_that_is_not_64_lowercase_hex_is_refused(bad):
    proc = template(sets={"plugin.sha256": f'"{bad}"'}, check=False)
    assert proc.returncode != 0
    assert "plugin.sha256: Does not match pattern" in proc.stderr
