"""Prometheus' own tools (Debian package `prometheus`): promtool and a loopback server."""
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import requests
import yaml

from support import process
from support.ports import free_port


def binary(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: `apt-get install prometheus` (tests/tools/setup.sh installs it)"
    return path


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary("promtool"), *args], capture_output=True, text=True, timeout=120)


class Prometheus:
    """A Prometheus server on loopback that scrapes `targets` (host:port) at `metrics_path` every second."""

    def __init__(self, targets: list[str], metrics_path: str = "/metrics"):
        self._tmp = tempfile.TemporaryDirectory(prefix="prometheus-")
        self.dir = Path(self._tmp.name)
        self.port = free_port()
        cfg = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
               "scrape_configs": [{"job_name": "envoy", "metrics_path": metrics_path,
                                   "static_configs": [{"targets": targets}]}]}
        (self.dir / "prometheus.yml").write_text(yaml.safe_dump(cfg))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30):
        self._log = open(self.dir / "prometheus.log", "wb")
        self.proc = subprocess.Popen(
            [binary("prometheus"), f"--config.file={self.dir / 'prometheus.yml'}",
             f"--storage.tsdb.path={self.dir / 'data'}", f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        process.wait_ready(self.proc, lambda: requests.get(self.url + "/-/ready", timeout=1).status_code == 200,
                           timeout, "prometheus", self.log)
        return self

    def log(self) -> str:
        return (self.dir / "prometheus.log").read_text(errors="replace")[-4000:]

    def query(self, expr: str) -> list[dict]:
        r = requests.get(self.url + "/api/v1/query", params={"query": expr}, timeout=10)
        body = r.json()
        assert body.get("status") == "success", f"{expr}\n{body.get('error')}"
        return body["data"]["result"]

    def scrapes(self) -> int:
        """How many scrapes of the target have been stored so far."""
        res = self.query("count_over_time(up[10m])")
        return int(float(res[0]["value"][1])) if res else 0

    def wait_scrapes(self, n: int = 2, timeout: float = 30):
        start = self.scrapes()
        deadline = time.monotonic() + timeout
        while self.scrapes() < start + n:
            assert time.monotonic() < deadline, f"prometheus did not scrape:\n{self.log()}"
            time.sleep(0.2)

    def stop(self):
        process.stop(self.proc)
        if getattr(self, "_log", None):
            self._log.close()
        self._tmp.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
