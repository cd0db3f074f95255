"""`make run` as a user sees it: the printed curl lines give 200, 401 and 403, and Ctrl-C stops everything."""
import re
import signal
import subprocess
import sys
import time

from support.paths import REPO
from support.ports import wait_port_closed

DEMO = REPO / "tests" / "tools" / "demo.py"


def _read_until(proc, marker: str, timeout: float) -> list[str]:
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if marker in line:
            return lines
    raise AssertionError("demo did not get ready:\n" + "\n".join(lines) + proc.stderr.read())


def test_demo_prints_working_curl_lines_and_stops_on_ctrl_c(wasm_module):
    proc = subprocess.Popen([sys.executable, str(DEMO)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=REPO)
    try:
        lines = _read_until(proc, "Ctrl-C stops everything", timeout=60)
        exports = [ln for ln in lines if ln.startswith("export ")]
        curls = [ln for ln in lines if ln.startswith("curl -i ")]
        assert len(exports) == 2 and len(curls) == 3, lines
        got = []
        for line in curls:
            command, _, comment = line.partition("#")
            command = command.replace("curl -i ", "curl -s -o /dev/null -w %{http_code} ", 1)
            out = subprocess.run(["bash", "-c", "\n".join(exports + [command])], capture_output=True, text=True,
                                 timeout=30)
            got.append((out.stdout, comment.split()[0].rstrip(",")))
        assert got == [("200", "200"), ("401", "401"), ("403", "403")]
        ports = {int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", "\n".join(lines[:2]))}
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
        assert "stopped" in proc.stdout.read()
        assert all(wait_port_closed(p) for p in ports), ports
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
