"""`make bench` end to end at a tiny scale, so the harness cannot rot between benchmark runs:
every listener answers as it should and the table has every row with its ratios."""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def test_bench_prints_the_table(wasm_module):
    subprocess.run(["make", "bench-noop", "dynamic-module"], cwd=REPO, check=True, timeout=900)
    run = subprocess.run([sys.executable, str(HERE / "run_bench.py"), "--seconds", "1", "--rounds", "1",
                          "--algs", "RS256,EdDSA", "--distinct", "20"],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    table = run.stdout.split("\n\n", 1)[1]
    for case in ("no token check", "RS256 1 token (hits)", "RS256 distinct (misses)", "EdDSA distinct (misses)"):
        assert case in table
    rows = [line.split() for line in table.splitlines() if " 1 token " in line or " distinct " in line]
    assert len(rows) == 16  # 2 algorithms x 2 token modes x 4 JWT listeners
    # Misses are not asserted: --distinct 20 fits in the caches at this scale.
    wasm_hits = [r for r in rows if r[3] == "(hits)" and r[4] in ("wasm", "dynamic")]
    assert all(r[-1] == "100%" for r in wasm_hits), wasm_hits
    # case (4 words), listener, req/s, p50, p99, then Envoy's CPU time per request
    assert all(0 < float(r[8]) < 10_000 for r in wasm_hits), wasm_hits
    assert "non-2xx responses or socket errors: 0" in run.stdout


def test_instruction_counts_print_the_table(wasm_module):
    """`make bench-instructions` at a tiny scale: Envoy under callgrind, counting switched on
    around each cell, every cell a count that an HTTP request through Envoy could cost."""
    subprocess.run(["make", "dynamic-module"], cwd=REPO, check=True, timeout=900)
    run = subprocess.run([sys.executable, str(HERE / "instructions.py"), "--requests", "5", "--algs", "EdDSA",
                          "--listeners", "plain,native_cache,dynamic"],
                         cwd=REPO, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    table = run.stdout.split("\n\n", 1)[1]
    rows = [line.split() for line in table.splitlines() if line.startswith(("EdDSA 1 token", "EdDSA new"))]
    # plain, native_cache and dynamic with one token; native_cache and dynamic with new ones
    assert len(rows) == 5, table
    # case (4 words), listener, instructions per request, ...
    counts = {(r[1], r[4]): int(r[5]) for r in rows}
    assert all(10_000 < n < 50_000_000 for n in counts.values()), counts
    # A new token is verified (a signature check), a repeated one comes from the cache.
    assert counts[("new", "dynamic")] > counts[("1", "dynamic")], counts
    assert "dynamic / native_cache" in run.stdout
