"""Runs the chart's demo issuer script (files/demo_issuer.py) on loopback, as its pod would."""
import os
import re
import subprocess
import sys
import time

import requests

from chartlib import CHART
from support import process

SCRIPT = CHART / "files" / "demo_issuer.py"


class DemoIssuer:
    def __init__(self, issuer: str, audience: str = "demo-api", ttl: int = 3600):
        self.env = {**os.environ, "ISSUER": issuer, "AUDIENCE": audience, "TOKEN_TTL_SECONDS": str(ttl),
                    "PORT": "0", "BIND": "127.0.0.1"}
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60):
        self.proc = subprocess.Popen([sys.executable, "-u", str(SCRIPT)], env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, start_new_session=True)
        # Key generation happens before the banner line that carries the bound port.
        deadline = time.monotonic() + timeout
        line = ""
        while time.monotonic() < deadline and self.proc.poll() is None:
            line = self.proc.stdout.readline()
            m = re.search(r"on port (\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        assert self.port, f"demo issuer did not start: {line!r} (exit {self.proc.poll()})"
        assert requests.get(self.url + "/healthz", timeout=5).status_code == 200
        return self

    def token(self, **params) -> str:
        r = requests.get(self.url + "/token", params=params, timeout=5)
        r.raise_for_status()
        return r.text.strip()

    def stop(self):
        process.stop(self.proc, timeout=5)
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
