"""`--concurrency 2` Envoy under wrk while the issuer rotates keys: no wrong decision, no 5xx, bounded
memory, and JWKS fetches within what the refresh schedule allows. `make soak` runs it for 10 minutes."""
import os
import re
import tempfile
import time
from pathlib import Path

import pytest
import requests

from support.asserts import METRIC
from support.plugin import remote_provider
from support.soak import Rotation, Tally, run_wrk
from support.stack import Stack

SECONDS = float(os.environ.get("JWT_SOAK_SECONDS", "60"))
CACHE_SECONDS, TIMEOUT_MS = 2, 1000
GRACE = CACHE_SECONDS + TIMEOUT_MS / 1000
PHASE = int(GRACE) + 1  # a key is valid or retired one phase after the step that changed it
WARMUP = 2 * PHASE
# Growth allowed between the end of warm-up and the end of the run. Every distinct token lands in a
# bounded LRU (token_cache_size) and keys are re-parsed per JWKS version, so nothing should grow with
# time; 8 MiB leaves room for allocator slack in V8 and Envoy (measured: under 1 MiB in 60 s).
MEMORY_GROWTH_BOUND = 8 * 1024 * 1024


def _rss(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) * 1024


def _allocated(st) -> int:
    return int(requests.get(st.envoy.admin + "/memory", timeout=5).json()["allocated"])


@pytest.fixture(scope="module")
def stack(wasm_module):
    st = Stack(concurrency=2)
    try:
        st.rotation = Rotation(st.issuer, GRACE)
        st.start({"providers": {"rot": remote_provider(st.issuer, "issuer", timeout_ms=TIMEOUT_MS,
                                                       cache_duration_seconds=CACHE_SECONDS)}})
        yield st
    finally:
        st.stop()


def _phases(st, seconds: float, token_dir: Path) -> Tally:
    tally = Tally()
    end = time.monotonic() + seconds
    while time.monotonic() + 1 < end:
        st.rotation.step()
        path = token_dir / f"phase-{st.rotation.step_no}.txt"
        path.write_text("\n".join(st.rotation.token_lines()) + "\n")
        tally.add(run_wrk(st.ports.listen, path, max(1, min(PHASE, int(end - time.monotonic()))), threads=4))
    return tally


def test_rotation_under_load(stack):
    st = stack
    with tempfile.TemporaryDirectory() as tmp:
        warm = _phases(st, WARMUP, Path(tmp))
        mem0, rss0, fetches0 = _allocated(st), _rss(st.envoy.proc.pid), st.issuer.fetches()
        t0 = time.monotonic()
        tally = _phases(st, SECONDS, Path(tmp))
        elapsed = time.monotonic() - t0
    mem1, rss1, fetches = _allocated(st), _rss(st.envoy.proc.pid), st.issuer.fetches() - fetches0
    tally.add(warm)
    wasm_stats = st.envoy.stats(filter="wasm")
    print(f"\nsoak {elapsed:.0f}s, {tally.phases} phases, {st.rotation.step_no} rotation steps, "
          f"{tally.total()} responses, {tally.errors} socket errors")
    for (cls, status), n in sorted(tally.counts.items()):
        print(f"  {cls:10} {status}: {n}")
    print(f"  envoy allocated {mem0 / 2**20:.1f} -> {mem1 / 2**20:.1f} MiB, rss {rss0 / 2**20:.1f} -> "
          f"{rss1 / 2**20:.1f} MiB, jwks fetches {fetches} in {elapsed:.0f}s")
    print("  " + ", ".join(f"{k}={v}" for k, v in sorted(wasm_stats.items()) if "jwt_authn_wasm" not in k))

    assert tally.wrong() == {}, f"wrong decisions: {tally.wrong()}"
    assert tally.server_errors() == {}
    assert tally.errors == 0
    for cls in ("valid", "retired", "garbage"):
        assert sum(n for (c, _), n in tally.counts.items() if c == cls) > 100, f"too few {cls} requests"
    assert mem1 - mem0 <= MEMORY_GROWTH_BOUND and rss1 - rss0 <= MEMORY_GROWTH_BOUND
    # One fetch per refresh (every 0.9 x cache duration, at least 1 s) across both workers, plus at most
    # one unknown-kid refetch per 30 s; at least one per cache duration + timeout.
    refresh = max(0.9 * CACHE_SECONDS, 1.0)
    assert elapsed / (CACHE_SECONDS + TIMEOUT_MS / 1000) - 2 <= fetches <= elapsed / refresh + elapsed / 30 + 3
    assert st.envoy.counter(METRIC + "provider.rot.jwks_fetch_failed") == 0
