"""Runs the oci-push command under test, built from the workspace once per session."""
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from support.paths import REPO

BINARY = REPO / "target" / "debug" / "oci-push"
DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")


def make(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """The project's make targets; -o wasm/setup because `make test` built the module (given as WASM)."""
    p = subprocess.run(["make", "-s", "-o", "wasm", "-o", "setup", *args], cwd=REPO, capture_output=True,
                       text=True, timeout=900)
    assert not check or p.returncode == 0, f"make {' '.join(args)} failed:\n{p.stdout}\n{p.stderr}"
    return p


def build() -> Path:
    subprocess.run(["cargo", "build", "-q", "-p", "oci-push"], cwd=REPO, check=True, timeout=1200)
    assert BINARY.is_file()
    return BINARY


@dataclass
class Result:
    code: int
    out: str
    err: str
    seconds: float

    @property
    def digest(self) -> str:
        """The single stdout line a successful push or build prints."""
        assert self.code == 0, f"oci-push failed ({self.code}): {self.err}"
        line = self.out.strip()
        assert DIGEST_RE.match(line), f"not a digest: {line!r}"
        return line


def run(*args: str, stdin: str | None = None, env: dict | None = None, timeout: float = 120) -> Result:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("OCI_PUSH_")}
    full_env.update(env or {})
    start = time.monotonic()
    p = subprocess.run([str(BINARY), *args], input=stdin, env=full_env, capture_output=True, text=True, timeout=timeout)
    return Result(p.returncode, p.stdout, p.stderr, time.monotonic() - start)
