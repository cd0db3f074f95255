"""`make bench-budget` at its smallest scale, so the script cannot rot between runs: it finds every
worker's VM start in Envoy's log and prints the memory table with the goals."""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def test_budget_prints_start_and_memory(wasm_module):
    subprocess.run(["make", "bench-noop"], cwd=REPO, check=True, timeout=900)
    run = subprocess.run([sys.executable, str(HERE / "vm_budget.py"), "--rounds", "1", "--workers", "2"],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    rows = {line.split()[0]: line.split() for line in run.stdout.splitlines()
            if line.split() and line.split()[0] in ("plain", "noop", "jwt_authn")}
    assert set(rows) == {"plain", "noop", "jwt_authn"}, run.stdout
    # base VM, the main thread's copy and one per worker; no VM without a wasm filter
    assert rows["plain"][1] == "0" and rows["jwt_authn"][1] == "4", run.stdout
    # one VM start found for each of the 1 + 2 workers of the two runs
    assert "over 3 workers" in run.stdout, run.stdout
    assert "goals: worker VM start <= 50 ms" in run.stdout
