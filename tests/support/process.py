"""Starting and stopping the helper servers tests run (registry, Prometheus, demo issuer)."""
import subprocess
import time
from typing import Callable

import requests


def wait_ready(proc: subprocess.Popen, probe: Callable[[], bool], timeout: float, what: str,
               log: Callable[[], str]) -> None:
    """Polls `probe` until it says ready; fails at once if the process exits, and at `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"{what} exited:\n{log()}"
        try:
            if probe():
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} did not become ready in {timeout} s:\n{log()}")


def stop(proc: subprocess.Popen | None, timeout: float = 10) -> None:
    """Terminates, then kills if it does not exit in time."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)
