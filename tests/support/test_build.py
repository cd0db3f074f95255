"""The module built with the test-only Cargo features: `simulate-host-without-verify-signature`
(HostCrypto answers "missing" without calling the host) and `simulate-host-failures` (a request
header `x-simulate-host-failure: <point>` makes that host call fail). One build serves every test
that needs either, in its own target directory (the unoptimised release build: Envoy loads it as
it is). Cargo does nothing when it is up to date."""
import subprocess
from pathlib import Path

from .paths import REPO

TARGET_DIR = REPO / "target" / "test-features"
MODULE = TARGET_DIR / "wasm32-wasip1" / "release" / "jwt_authn_wasm.wasm"
FEATURES = "simulate-host-without-verify-signature,simulate-host-failures"
BUILD = ["cargo", "build", "--release", "--target", "wasm32-wasip1", "--lib", "-p", "jwt-authn-wasm",
         "--features", FEATURES, "--target-dir", str(TARGET_DIR)]


def build_test_module() -> Path:
    done = subprocess.run(BUILD, cwd=REPO, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, f"{' '.join(BUILD)} failed:\n{done.stderr[-4000:]}"
    assert MODULE.is_file(), MODULE
    return MODULE
