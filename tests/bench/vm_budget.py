#!/usr/bin/env python3
"""VM start and memory per Envoy worker for the wasm build, with a 100-key JWKS (50 RSA-2048,
50 P-256) inline (`local_jwks`).

Envoy 1.40 (V8) compiles the module once per process (the base VM, on the main thread) and gives
every worker its own instance of the compiled module: instantiate, `proxy_on_vm_start`, then
`on_configure`, which parses the configuration and the keys. Envoy's debug log marks the start
of each worker's VM ("Thread-Local Wasm created") and the filter logs one line when
`on_configure` is done: the time between the two, on the worker's thread, is that worker's VM
start.

Memory per worker is the growth of Envoy's resident set from `--concurrency 1` to
`--concurrency N`, divided by N-1, less the same growth with no wasm filter (worker threads,
their dispatchers and connection pools cost memory without any filter). The no-op wasm filter is
the floor any proxy-wasm filter pays. V8 maps each instance's linear memory outside tcmalloc, so
the resident set, not the admin `/memory` figure, is what counts.
"""
import argparse
import json
import os
import re
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

import requests
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import bench_config  # noqa: E402
from support.envoy import Envoy  # noqa: E402
from support.keys import jwks_text, make_key  # noqa: E402
from support.paths import REPO, WASM  # noqa: E402
from support.ports import free_port  # noqa: E402
from support.tokens import claims, sign  # noqa: E402

ISSUER = "https://bench.example"
NOOP = REPO / "build" / "noop_filter.wasm"
START_GOAL_MS = 50
MEMORY_GOAL_MIB = 8
LINE = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\]\[(\d+)\]\[\w+\]\[\w+\] \[[^\]]*\] (.*)$")


def keys_and_token():
    keys = [make_key("RS256", kid=f"rsa-{i}") for i in range(50)]
    keys += [make_key("ES256", kid=f"ec-{i}") for i in range(50)]
    return jwks_text(*keys), sign(keys[-1], claims(ISSUER, aud=None, lifetime=3600))


def config(admin: int, port: int, filters: list) -> str:
    doc = {"admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": admin}}},
           "static_resources": {"listeners": [bench_config._listener("budget", port, filters)]}}
    return yaml.safe_dump(doc, sort_keys=False, width=120)


def filters_for(kind: str, jwks: str) -> list:
    if kind == "plain":
        return []
    if kind == "noop":
        return [bench_config._wasm_filter("noop", str(NOOP), "")]
    plugin = bench_config.plugin_config(ISSUER, jwks)
    return [bench_config._wasm_filter("jwt_authn_wasm", str(WASM), json.dumps(plugin))]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SystemExit(f"no VmRSS for pid {pid}")


def linear_memories(pid: int) -> list[tuple[int, int]]:
    """(size KiB, resident KiB) of each wasm instance's linear memory. V8 reserves 8 GiB of
    address space per memory (guard regions); the accessible part is the read-write mapping
    right below that reservation."""
    vmas = []
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        parts = line.split()
        if parts and re.fullmatch(r"[0-9a-f]+-[0-9a-f]+", parts[0]):
            start, end = (int(x, 16) for x in parts[0].split("-"))
            vmas.append([start, end, parts[1], 0])
        elif parts and parts[0] == "Rss:" and vmas:
            vmas[-1][3] = int(parts[1])
    found = []
    for below, vma in zip(vmas, vmas[1:]):
        if vma[1] - vma[0] >= 4 << 30 and vma[2] == "---p" and below[1] == vma[0] and below[2] == "rw-p":
            found.append(((below[1] - below[0]) // 1024, below[3]))
    return found


def parse_log(text: str) -> list[tuple[float, int, str]]:
    events = []
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            at = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
            events.append((at, int(m.group(2)), m.group(3)))
    return events


def vm_starts(events) -> tuple[float | None, list[float]]:
    """(base VM: compile and first start, ms; each worker thread's VM start, ms)."""
    if not events:
        return None, []
    main = events[0][1]
    base_at = next((at for at, _, msg in events if msg.startswith("Base Wasm created")), None)
    first_clone = next((at for at, tid, msg in events if tid == main and msg.startswith("Thread-Local Wasm created")),
                       None)
    base = (first_clone - base_at) * 1000 if base_at is not None and first_clone is not None else None
    started: dict[int, float] = {}
    workers = []
    for at, tid, msg in events:
        if tid == main:
            continue
        if msg.startswith("Thread-Local Wasm created"):
            started[tid] = at
        elif "wasm log jwt_authn_wasm" in msg and "crypto" in msg and tid in started:
            workers.append((at - started.pop(tid)) * 1000)
    return base, workers


def measure(kind: str, concurrency: int, jwks: str, token: str, settle: float) -> dict:
    admin, port = free_port(), free_port()
    with Envoy(config(admin, port, filters_for(kind, jwks)), admin, concurrency=concurrency,
               log_level="info", component_log_level="wasm:debug") as envoy:
        # Every worker has configured its VM (the base, the main thread's and one per worker).
        deadline = time.monotonic() + 30
        while kind == "jwt_authn" and time.monotonic() < deadline:
            if len(vm_starts(parse_log(envoy.log()))[1]) >= concurrency:
                break
            time.sleep(0.05)
        # A few requests, so each worker has served some and its VM holds a cached token.
        # One connection per request: Envoy spreads connections over its workers.
        for _ in range(4 * concurrency):
            r = requests.get(f"http://127.0.0.1:{port}/", headers={"Authorization": f"Bearer {token}"}, timeout=5)
            if r.status_code != 200:
                raise SystemExit(f"{kind}: valid token got {r.status_code} {r.text!r}")
        time.sleep(settle)
        rss = rss_kib(envoy.proc.pid)
        linear = linear_memories(envoy.proc.pid)
        heap = int(requests.get(envoy.admin + "/memory", timeout=5).json()["allocated"])
        vms = envoy.stats(filter=r"wasm\.envoy\.wasm\.runtime\.v8\.active$").get("wasm.envoy.wasm.runtime.v8.active", 0)
        base, workers = vm_starts(parse_log(envoy.log()))
        return {"rss_kib": rss, "linear": linear, "heap": heap, "vms": vms, "base_ms": base, "workers_ms": workers}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=4, help="the larger --concurrency (default 4)")
    parser.add_argument("--rounds", type=int, default=2, help="runs per cell; medians reported")
    parser.add_argument("--settle", type=float, default=0.5, help="seconds between the last request and the reading")
    args = parser.parse_args()
    if args.workers < 2:
        raise SystemExit("--workers must be at least 2")
    for path in (WASM, NOOP):
        if not path.exists():
            raise SystemExit(f"{path} missing: make wasm bench-noop")
    jwks, token = keys_and_token()
    print(f"cores {os.cpu_count()}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
          f"module {WASM.name} {WASM.stat().st_size // 1024} KiB, JWKS 100 keys ({len(jwks) // 1024} KiB)")
    cells = {}
    for _ in range(args.rounds):
        for kind in ("plain", "noop", "jwt_authn"):
            for conc in (1, args.workers):
                cells.setdefault((kind, conc), []).append(measure(kind, conc, jwks, token, args.settle))

    def med(kind, conc, key):
        return statistics.median(c[key] for c in cells[(kind, conc)])

    n = args.workers - 1
    plain_rss = (med("plain", args.workers, "rss_kib") - med("plain", 1, "rss_kib")) / n
    plain_heap = (med("plain", args.workers, "heap") - med("plain", 1, "heap")) / n
    print()
    print(f"{'filter':<10} {'VMs at --concurrency ' + str(args.workers):>24} {'RSS/worker MiB':>15} "
          f"{'heap/worker MiB':>16} {'over no filter MiB':>19} {'linear memory/VM KiB':>21}")
    per_worker = {}
    for kind in ("plain", "noop", "jwt_authn"):
        rss = (med(kind, args.workers, "rss_kib") - med(kind, 1, "rss_kib")) / n
        heap = (med(kind, args.workers, "heap") - med(kind, 1, "heap")) / n
        per_worker[kind] = (rss - plain_rss) / 1024
        vms = int(med(kind, args.workers, "vms"))
        linear = [m for c in cells[(kind, args.workers)] for m in c["linear"]]
        sizes = f"{max(m[0] for m in linear)} ({max(m[1] for m in linear)} resident)" if linear else ""
        print(f"{kind:<10} {vms:>24} {rss / 1024:>15.2f} {heap / 2**20:>16.2f} "
              f"{'' if kind == 'plain' else f'{per_worker[kind]:.2f}':>19} {sizes:>21}")
    starts = [ms for c in cells[("jwt_authn", args.workers)] + cells[("jwt_authn", 1)] for ms in c["workers_ms"]]
    bases = [c["base_ms"] for c in cells[("jwt_authn", args.workers)] + cells[("jwt_authn", 1)]
             if c["base_ms"] is not None]
    noop_bases = [c["base_ms"] for c in cells[("noop", args.workers)] + cells[("noop", 1)] if c["base_ms"] is not None]
    print()
    if not starts:
        raise SystemExit("no worker VM start found in Envoy's log")
    print(f"worker VM start (instantiate, on_vm_start, on_configure with 100 keys): median "
          f"{statistics.median(starts):.1f} ms, max {max(starts):.1f} ms over {len(starts)} workers")
    if bases and noop_bases:
        print(f"V8 compile and base VM start, once per process on the main thread: jwt_authn "
              f"{statistics.median(bases):.0f} ms, no-op {statistics.median(noop_bases):.0f} ms")
    print("memory per worker: the resident set's growth per added worker over Envoy without a filter "
          "(V8 isolate, compiled-code copies, linear memory); it moves by about 1 MiB from run to run")
    start_ok = max(starts) <= START_GOAL_MS
    mem_ok = per_worker["jwt_authn"] <= MEMORY_GOAL_MIB
    print(f"goals: worker VM start <= {START_GOAL_MS} ms {'met' if start_ok else 'NOT met'}; "
          f"memory per worker <= {MEMORY_GOAL_MIB} MiB {'met' if mem_ok else 'NOT met'}")


if __name__ == "__main__":
    main()
