#!/usr/bin/env python3
"""`make bench`: one Envoy (--concurrency 1) with six listeners, each loaded in turn by wrk
(-t1 -c8), cells alternated A B A B; prints req/s, p50/p99 latency and ratios to native jwt_authn.

Cases: RS256, PS256, ES256, ES384, EdDSA, each with one repeated token (cache hits) and with more
distinct tokens than either cache holds (cache misses, so every request is verified).
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import bench_config  # noqa: E402
import wrk  # noqa: E402
from support.envoy import Envoy  # noqa: E402
from support.keys import jwks_text, make_key  # noqa: E402
from support.paths import REPO, WASM, envoy_binary  # noqa: E402
from support.ports import free_port  # noqa: E402
from support.tokens import claims, sign  # noqa: E402

ALGS = ("RS256", "PS256", "ES256", "ES384", "EdDSA")
ISSUER = "https://bench.example"
NOOP = REPO / "build" / "noop_filter.wasm"
JWT_LISTENERS = ("native", "native_cache", "wasm", "dynamic")
# Goals: (alg or None for all, mode, listener compared, minimum ratio). Misses against native
# jwt_authn (BoringSSL); the cached path against the no-op wasm filter, the floor every
# proxy-wasm filter pays.
GOALS = [("RS256", "miss", "native", 0.9), ("ES256", "miss", "native", 0.9), ("ES384", "miss", "native", 0.9),
         ("PS256", "miss", "native", 0.3), ("EdDSA", "miss", "native", 0.7), (None, "hit", "noop", 0.9)]
# The dynamic module has no VM floor: it is measured against native jwt_authn alone.
DYNAMIC_GOALS = [("RS256", "miss", "native", 1.0), ("ES256", "miss", "native", 1.0), ("PS256", "miss", "native", 1.0),
                 ("EdDSA", "miss", "native", 1.0), (None, "hit", "native_cache", 1.0)]


def mint(key, count: int) -> list[str]:
    """`count` distinct valid tokens (distinct subject), valid for the whole run."""
    return [sign(key, claims(ISSUER, aud=None, sub=f"user-{i}", lifetime=3600)) for i in range(count)]


def write_tokens(workdir: Path, name: str, tokens: list[str]) -> Path:
    path = workdir / f"{name}.txt"
    path.write_text("\n".join(tokens) + "\n")
    return path


def check_listeners(ports: dict, token: str, listeners: list[str]):
    """Each listener answers 200 with a valid token, and the JWT ones 401 without: a fast
    listener that rejects everything would otherwise look like a win."""
    for name in listeners:
        url = f"http://127.0.0.1:{ports[name]}/"
        ok = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)
        if ok.status_code != 200:
            raise SystemExit(f"{name}: valid token got {ok.status_code} {ok.text!r}")
        if name in JWT_LISTENERS:
            missing = requests.get(url, timeout=5)
            if missing.status_code != 401:
                raise SystemExit(f"{name}: request without a token got {missing.status_code}")


def cache_counters(envoy: Envoy, listener: str) -> tuple[int, int]:
    """(hits, misses) of the listener's token cache so far; (0, 0) where there is none."""
    prefix = {"native": "http.native.jwt_authn.jwt_cache_", "native_cache": "http.native_cache.jwt_authn.jwt_cache_",
              "wasm": "wasmcustom.jwt_authn_wasm.provider.bench.token_cache_",
              "dynamic": f"{bench_config.DYNAMIC_NAMESPACE}.jwt_authn_wasm.provider.bench.token_cache_"}.get(listener)
    if prefix is None:
        return 0, 0
    stats = envoy.stats(filter="cache_(hit|miss)$")
    return stats.get(prefix + "hit", 0), stats.get(prefix + "miss", 0)


def cpu_ns(pid: int) -> int:
    """CPU time Envoy's threads have used so far (scheduler run time, nanoseconds). Per request,
    it is steadier than req/s when the load generator shares the machine."""
    total = 0
    task_dir = Path(f"/proc/{pid}/task")
    for task in task_dir.iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total


def schedule(algs, listeners: list[str], rounds: int) -> list[tuple]:
    """Cells as (alg, mode, listener); the cells of one case alternate A B C A B C."""
    groups = []
    floor = [name for name in ("plain", "noop") if name in listeners]
    if floor:
        groups.append([("-", "floor", name) for name in floor])
    jwt = [name for name in JWT_LISTENERS if name in listeners]
    for alg in algs:
        for mode in ("hit", "miss"):
            groups.append([(alg, mode, name) for name in jwt])
    return [cell for group in groups for _ in range(rounds) for cell in group]


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    envoy = subprocess.run([envoy_binary(), "--version"], capture_output=True, text=True).stdout.strip()
    envoy = envoy.split("version:", 1)[-1].strip().split("/")[1] if "/" in envoy else envoy
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    return (f"{os.cpu_count()} cores, {cpu}; Envoy {envoy} (--concurrency 1); "
            f"{wrk_version.split(' [')[0]} -t1 -c8; load average before the run {os.getloadavg()[0]:.2f}")


def table(results: dict, order: list[tuple], hits: dict, cpu_us: dict) -> list[str]:
    head = ("case", "listener", "req/s", "p50 ms", "p99 ms", "Envoy CPU us/req", "vs native", "vs native+cache",
            "vs no-op wasm", "cache hits")
    rows = [head]
    for alg, mode, name in order:
        runs = results[(alg, mode, name)]
        rps = statistics.mean(r.rps for r in runs)
        ratio = {}
        for base, key in (("native", (alg, mode, "native")), ("native_cache", (alg, mode, "native_cache")),
                          ("noop", ("-", "floor", "noop"))):
            if results.get(key):
                ratio[base] = f"{rps / statistics.mean(r.rps for r in results[key]):.2f}"
        case = "no token check" if mode == "floor" else f"{alg} {'1 token (hits)' if mode == 'hit' else 'distinct (misses)'}"
        cpu = cpu_us.get((alg, mode, name))
        rows.append((case, name, f"{rps:.0f}", f"{statistics.mean(r.p50_ms for r in runs):.2f}",
                     f"{statistics.mean(r.p99_ms for r in runs):.2f}", f"{cpu:.1f}" if cpu else "-",
                     ratio.get("native", "-"),
                     ratio.get("native_cache", "-"), ratio.get("noop", "-"), hit_rate(hits.get((alg, mode, name)))))
    return rows


def hit_rate(counts: tuple[int, int] | None) -> str:
    if not counts or sum(counts) == 0:
        return "-"
    return f"{100 * counts[0] / sum(counts):.0f}%"


def markdown(rows: list) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows[1:]])


def plain_text(rows: list) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                     for r in rows)


def goals(results: dict, algs) -> list[str]:
    out = []
    for listener, listener_goals in (("wasm", GOALS), ("dynamic", DYNAMIC_GOALS)):
        for alg_goal, mode, base, minimum in listener_goals:
            for alg in ([alg_goal] if alg_goal else algs):
                base_key = ("-", "floor", "noop") if base == "noop" else (alg, mode, base)
                runs, base_runs = results.get((alg, mode, listener)), results.get(base_key)
                if alg not in algs or not runs or not base_runs:
                    continue
                ratio = statistics.mean(r.rps for r in runs) / statistics.mean(r.rps for r in base_runs)
                verdict = "met" if ratio >= minimum else "NOT met"
                out.append(f"{alg} {mode}: {listener} / {base} = {ratio:.2f} (goal >= {minimum}) {verdict}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=3, help="wrk duration per cell")
    ap.add_argument("--rounds", type=int, default=2, help="times each cell runs, alternated")
    ap.add_argument("--algs", default=",".join(ALGS))
    ap.add_argument("--listeners", default=",".join(bench_config.LISTENERS),
                    help="subset of " + ",".join(bench_config.LISTENERS))
    ap.add_argument("--distinct", type=int, default=2 * bench_config.CACHE_SIZE,
                    help="distinct tokens per algorithm for the cache-miss case")
    ap.add_argument("--markdown", type=Path, help="also write the table as Markdown to this file")
    args = ap.parse_args()
    algs = [a for a in args.algs.split(",") if a]
    listeners = [name for name in args.listeners.split(",") if name]
    started = time.monotonic()
    header = machine()

    keys = {alg: make_key(alg, kid=f"bench-{alg.lower()}") for alg in algs}
    hit = {alg: mint(keys[alg], 1) for alg in algs}
    miss = {alg: mint(keys[alg], args.distinct) for alg in algs}
    ports = {name: free_port() for name in bench_config.LISTENERS}
    admin = free_port()
    config = bench_config.render(admin, ports, ISSUER, jwks_text(*keys.values()), str(WASM), str(NOOP))
    results: dict = {}
    hits: dict = {}  # cell -> (cache hits, cache misses) during its measured runs
    cpu: dict = {}  # cell -> (Envoy CPU ns, responses) over its measured runs
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, \
            Envoy(config, admin, concurrency=1, log_level="warn", component_log_level="wasm:warn") as envoy:
        workdir = Path(tmp)
        files = {(alg, "hit"): write_tokens(workdir, f"{alg}-hit", hit[alg]) for alg in algs}
        files.update({(alg, "miss"): write_tokens(workdir, f"{alg}-miss", miss[alg]) for alg in algs})
        floor_tokens = files[(algs[0], "hit")]
        for alg in algs:
            check_listeners(ports, hit[alg][0], listeners)
        # Warm-up, not measured: V8 tiers the filter up, caches and connections settle.
        for alg in algs:
            for name in listeners:
                if name in JWT_LISTENERS:
                    wrk.run(ports[name], files[(alg, "miss")], 1)
        for alg, mode, name in schedule(algs, listeners, args.rounds):
            tokens = floor_tokens if mode == "floor" else files[(alg, mode)]
            before = cache_counters(envoy, name)
            cpu_before = cpu_ns(envoy.proc.pid)
            result = wrk.run(ports[name], tokens, args.seconds)
            spent, responses = cpu.get((alg, mode, name), (0, 0))
            cpu[(alg, mode, name)] = (spent + cpu_ns(envoy.proc.pid) - cpu_before, responses + result.requests)
            after, total = cache_counters(envoy, name), hits.get((alg, mode, name), (0, 0))
            hits[(alg, mode, name)] = (total[0] + after[0] - before[0], total[1] + after[1] - before[1])
            results.setdefault((alg, mode, name), []).append(result)
            print(f"  {alg:6} {mode:5} {name:13} {result.rps:9.0f} req/s  p50 {result.p50_ms:6.2f} ms"
                  f"  p99 {result.p99_ms:6.2f} ms  bad {result.bad}", flush=True)
        check_listeners(ports, hit[algs[0]][0], listeners)
        if envoy.proc.poll() is not None:
            raise SystemExit("envoy exited during the run:\n" + envoy.log_tail())

    order = list(dict.fromkeys(schedule(algs, listeners, 1)))
    cpu_us = {cell: ns / 1000 / n for cell, (ns, n) in cpu.items() if n}
    rows = table(results, order, hits, cpu_us)
    print()
    print(header)
    print(plain_text(rows))
    for line in goals(results, algs):
        print(line)
    bad = sum(r.bad for runs in results.values() for r in runs)
    print(f"non-2xx responses or socket errors: {bad}; total time {time.monotonic() - started:.0f} s")
    if args.markdown:
        args.markdown.write_text(f"{header}\n\n{markdown(rows)}\n\n" + "\n".join(f"- {g}" for g in goals(results, algs)) + "\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
