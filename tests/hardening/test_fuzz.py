"""Each cargo-fuzz target runs for a short bounded time from its seeds and must not crash.
`make fuzz` runs the same targets for minutes (fuzz/run.sh installs cargo-fuzz when missing)."""
import re
import subprocess

import pytest

from support.paths import REPO

TARGETS = ("token", "jwks", "fetch", "config", "rules", "engine")
SECONDS = 10


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_target_does_not_crash(target):
    assert (REPO / "fuzz" / "corpus" / target).is_dir(), "seed corpus missing"
    # The first target also builds them all (a few minutes on a fresh machine), hence the generous bound.
    proc = subprocess.run(["bash", str(REPO / "fuzz" / "run.sh"), str(SECONDS), target],
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    m = re.search(rf"fuzz {target}: (\d+) executions", proc.stdout)
    assert m and int(m.group(1)) > 1000, proc.stdout
