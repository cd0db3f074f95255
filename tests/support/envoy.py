"""Runs a real Envoy: free admin port, log capture, readiness wait, stats, guaranteed teardown."""
import atexit
import ctypes
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from . import build
from .paths import envoy_binary

_running: set = set()


@atexit.register
def _kill_leftovers():
    for proc in list(_running):
        _terminate(proc)


def _terminate(proc: subprocess.Popen):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        except ProcessLookupError:
            pass
    _running.discard(proc)


def _die_with_parent():
    """Envoy runs in its own session (so a terminal's Ctrl-C reaches only us); this makes it
    exit with us too, even when we are killed without a chance to clean up."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


# Longer than the wasm filter's tick (100 ms), with room for a busy machine. The dynamic module
# increments its counters at once, from the hook that counts.
FILTER_COUNTER_FLUSH_S = 0.3


class EnvoyExited(RuntimeError):
    pass


class Envoy:
    """One Envoy process. `config` is the YAML text; `admin_port` must match the config's admin address."""

    def __init__(self, config: str, admin_port: int, concurrency: int = 1, log_level: str = "info",
                 component_log_level: str = "wasm:debug,jwt:debug,dynamic_modules:debug", workdir: str | None = None,
                 wrapper: list[str] | None = None):
        self.config = config
        # A command Envoy runs under (the instruction-count benchmark's valgrind).
        self.wrapper = list(wrapper or [])
        self.admin_port = admin_port
        self.concurrency = concurrency
        self.log_level = log_level
        self.component_log_level = component_log_level
        self._tmp = tempfile.TemporaryDirectory(prefix="envoy-") if workdir is None else None
        self.workdir = Path(workdir or self._tmp.name)
        self.config_path = self.workdir / "envoy.yaml"
        self.log_path = self.workdir / "envoy.log"
        self.proc: subprocess.Popen | None = None
        self.filter_build = build.current()  # the build it loads, as of its start

    @property
    def admin(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    def start(self, wait: bool = True, timeout: float = 30):
        self.config_path.write_text(self.config)
        args = [*self.wrapper, envoy_binary(), "-c", str(self.config_path), "--concurrency", str(self.concurrency),
                "--disable-hot-restart", "--log-level", self.log_level,
                "--component-log-level", self.component_log_level]
        self._log = open(self.log_path, "wb")
        env = {**os.environ, **build.envoy_env()}
        self.filter_build = build.current()
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True, preexec_fn=_die_with_parent)
        _running.add(self.proc)
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise EnvoyExited(f"envoy exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(self.admin + "/ready", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"envoy not ready after {timeout}s:\n{self.log_tail()}")

    def wait_exit(self, timeout: float = 20) -> int | None:
        """Exit code, or None if still running after `timeout`."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc is not None:
            _terminate(self.proc)
        if getattr(self, "_log", None):
            self._log.close()

    def close(self):
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def stats(self, filter: str | None = None) -> dict[str, int]:
        """Counters and gauges from the admin /stats (text form), as ints."""
        params = {"filter": filter} if filter else {}
        text = requests.get(self.admin + "/stats", params=params, timeout=5).text
        out = {}
        for line in text.splitlines():
            name, sep, value = line.rpartition(": ")
            if sep and value.strip().lstrip("-").isdigit():
                out[name] = int(value)
        return out

    def counter(self, name: str) -> int:
        """A counter by exact name; 0 when Envoy has not created it yet. The wasm filter hands its
        increments to Envoy on each worker's 100 ms tick, so this first waits for one to pass."""
        if self.filter_build != "dynamic":
            time.sleep(FILTER_COUNTER_FLUSH_S)
        return self.stats(filter=f"^{_re_escape(name)}$").get(name, 0)

    def listeners(self) -> list[str]:
        text = requests.get(self.admin + "/listeners", timeout=5).text
        return [line.split("::", 1)[0] for line in text.splitlines() if line]


def _re_escape(name: str) -> str:
    import re

    return re.escape(name)
