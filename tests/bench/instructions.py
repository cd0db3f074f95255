"""`make bench-instructions`: what each listener of `make bench` costs Envoy per request, in
instructions counted by valgrind's callgrind. Counting instructions does not depend on what
else runs on the machine, so the ratios come out the same on a busy two-core box as on a
quiet one, where req/s and CPU time move with the load (`make bench` prints both, for the
throughput a user sees).

One Envoy (`--concurrency 1`) runs under callgrind with counting off. For each case (an
algorithm, one repeated token or a new token per request) and each listener in turn: a
warm-up, then counting on for N requests on one keep-alive connection, off, and the count
read. Only the worker thread that served the requests is counted (callgrind counts each
thread apart): the main thread's timers (stats flushes, the dynamic module's fetch loop) fire
whenever they are due, and counted with the requests they moved a cell by up to 2,000
instructions per request; the worker's own timers (each wasm VM's tick) stay in. `over plain` is what the filter adds to an Envoy without one. The ratios are those of
`make bench`: the base's instructions per request over the listener's, so above 1.0 is
cheaper than the base. The Python client runs outside Envoy and is not counted."""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import bench_config  # noqa: E402
import run_bench  # noqa: E402
from support.envoy import Envoy  # noqa: E402
from support.keys import jwks_text, make_key  # noqa: E402
from support.paths import WASM  # noqa: E402
from support.ports import free_port  # noqa: E402

LISTENERS = ("plain", "native", "native_cache", "noop", "wasm", "dynamic")


class Callgrind:
    """Counting on and off in a running Envoy, and the count of each stretch (callgrind_control
    reaches the process through files valgrind polls)."""

    def __init__(self, pid: int, out_dir: Path):
        self.pid = pid
        self.out_dir = out_dir
        self.dumps = 0

    def _control(self, *args: str):
        done = subprocess.run(["callgrind_control", *args, str(self.pid)], capture_output=True, text=True,
                              timeout=120)
        if done.returncode != 0:
            raise SystemExit(f"callgrind_control {' '.join(args)} failed: {done.stderr or done.stdout}")

    def measure(self, run) -> int:
        """Instructions Envoy's busiest thread (the worker that served `run()`'s requests)
        executed while `run()` ran."""
        self._control("--zero")
        self._control("--instr=on")
        try:
            run()
        finally:
            self._control("--instr=off")
        self.dumps += 1
        trigger = f"stretch-{self.dumps}"
        self._control(f"--dump={trigger}")
        totals = []
        # One file per thread and dump (`--separate-threads=yes`), each naming its trigger.
        for dump in self.out_dir.glob("callgrind.out.*"):
            text = dump.read_text(errors="replace")
            if not re.search(rf"^desc: Trigger: dump {re.escape(trigger)}$", text, re.M):
                continue
            match = re.search(r"^totals:\s+(\d+)", text, re.M)
            if not match:
                raise SystemExit(f"no totals in {dump}")
            totals.append(int(match.group(1)))
        if not totals:
            raise SystemExit(f"no callgrind dump for {trigger} in {self.out_dir}")
        return max(totals)


def send(port: int, tokens: list[str], requests_n: int):
    with requests.Session() as session:
        for i in range(requests_n):
            token = tokens[i % len(tokens)]
            answer = session.get(f"http://127.0.0.1:{port}/", headers={"Authorization": f"Bearer {token}"},
                                 timeout=60)
            if answer.status_code != 200:
                raise SystemExit(f"port {port}: {answer.status_code} {answer.text!r}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=300, help="requests counted per cell")
    ap.add_argument("--algs", default=",".join(run_bench.ALGS))
    ap.add_argument("--listeners", default=",".join(LISTENERS))
    ap.add_argument("--markdown", type=Path, help="also write the table as Markdown to this file")
    args = ap.parse_args()
    algs = [a for a in args.algs.split(",") if a]
    listeners = [n for n in args.listeners.split(",") if n]
    n = args.requests
    started = time.monotonic()

    keys = {alg: run_bench.make_key(alg, kid=f"bench-{alg.lower()}") for alg in algs}
    # Misses: a token never sent before for every counted request, on every listener.
    fresh = {alg: run_bench.mint(keys[alg], 1 + len(listeners) * (n + 10)) for alg in algs}
    ports = {name: free_port() for name in bench_config.LISTENERS}
    admin = free_port()
    config = bench_config.render(admin, ports, run_bench.ISSUER, jwks_text(*keys.values()), str(WASM),
                                 str(run_bench.NOOP))
    counts: dict = {}
    with tempfile.TemporaryDirectory(prefix="callgrind-") as tmp:
        out = Path(tmp)
        wrapper = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--separate-threads=yes",
                   f"--callgrind-out-file={out}/callgrind.out"]
        envoy = Envoy(config, admin, concurrency=1, log_level="warn", component_log_level="wasm:warn",
                      wrapper=wrapper)
        try:
            # Envoy starts some fifty times slower under callgrind.
            envoy.start(timeout=300)
            grind = Callgrind(envoy.proc.pid, out)
            for alg in algs:
                run_bench.check_listeners(ports, fresh[alg][0], listeners)
            # Envoy's own first-use work (the first requests of any listener) is not counted.
            for name in listeners:
                send(ports[name], [fresh[algs[0]][0]], 50)
            for alg in algs:
                unused = iter(fresh[alg][1:])
                for mode in ("hit", "miss"):
                    for name in listeners:
                        if mode == "miss" and name in ("plain", "noop"):
                            continue
                        if mode == "hit":
                            tokens = [fresh[alg][0]]
                            send(ports[name], tokens, 10)
                        else:
                            send(ports[name], [next(unused) for _ in range(10)], 10)
                            tokens = [next(unused) for _ in range(n)]
                        total = grind.measure(lambda: send(ports[name], tokens, n))
                        counts[(alg, mode, name)] = total / n
                        print(f"  {alg:6} {mode:4} {name:13} {total / n:10.0f} instructions/request", flush=True)
            if envoy.proc.poll() is not None:
                raise SystemExit("envoy exited during the run:\n" + envoy.log_tail())
        finally:
            envoy.close()

    rows = table(counts, algs, listeners)
    print()
    print(f"Envoy 1.40 (--concurrency 1) under callgrind; {n} requests per cell; instructions per request")
    print(run_bench.plain_text(rows))
    lines = goals(counts, algs)
    for line in lines:
        print(line)
    print(f"total time {time.monotonic() - started:.0f} s")
    if args.markdown:
        args.markdown.write_text(run_bench.markdown(rows) + "\n\n" + "\n".join(f"- {g}" for g in lines) + "\n")
    return 0


def table(counts: dict, algs, listeners) -> list[tuple]:
    rows = [("case", "listener", "instructions/req", "over plain", "vs native", "vs native+cache", "vs no-op wasm")]
    for alg in algs:
        plain = counts.get((alg, "hit", "plain"))
        noop = counts.get((alg, "hit", "noop"))
        for mode in ("hit", "miss"):
            for name in listeners:
                count = counts.get((alg, mode, name))
                if count is None:
                    continue
                native = counts.get((alg, mode, "native"))
                cached = counts.get((alg, mode, "native_cache"))
                ratio = lambda base: f"{base / count:.2f}" if base and name in run_bench.JWT_LISTENERS else "-"  # noqa: E731
                case = f"{alg} {'1 token (hits)' if mode == 'hit' else 'new tokens (misses)'}"
                rows.append((case, name, f"{count:.0f}", f"{count - plain:.0f}" if plain else "-", ratio(native),
                             ratio(cached), ratio(noop)))
    return rows


def goals(counts: dict, algs) -> list[str]:
    """The goals of `make bench`, with instructions in place of req/s."""
    out = []
    for listener, listener_goals in (("wasm", run_bench.GOALS), ("dynamic", run_bench.DYNAMIC_GOALS)):
        for alg_goal, mode, base, minimum in listener_goals:
            for alg in ([alg_goal] if alg_goal else algs):
                if alg not in algs:
                    continue
                base_key = (alg, "hit", "noop") if base == "noop" else (alg, mode, base)
                count, base_count = counts.get((alg, mode, listener)), counts.get(base_key)
                if not count or not base_count:
                    continue
                ratio = base_count / count
                verdict = "met" if ratio >= minimum else "NOT met"
                out.append(f"{alg} {mode}: {listener} / {base} = {ratio:.2f} (goal >= {minimum}) {verdict}")
    return out


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
