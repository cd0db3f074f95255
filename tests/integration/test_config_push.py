"""A configuration pushed while Envoy serves, as Istio does whenever a WasmPlugin changes: real Envoy
(two workers) reads its listener from a file (LDS) and is under steady load, with some requests held
for keys of an issuer that is down. A new configuration is pushed, then a bad one. Nothing passes
unverified, every request gets an answer, the bad configuration is refused while the previous one
keeps serving, and the JWKS is fetched once for the whole process."""
import json
import os
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
import yaml

from support.asserts import METRIC
from support.burst import Burst
from support.keys import jwks, make_key
from support.plugin import remote_provider
from support.stack import NATIVE_UNDER_TEST, Stack
from support.tokens import claims, sign

pytestmark = pytest.mark.skipif(NATIVE_UNDER_TEST, reason="the wasm module's configuration is pushed")

# OTHER forges KEY's kid: its tokens fail the signature check without asking for a refetch (an
# unknown kid would start one, rate-limited by kid_refetch_interval_seconds).
KEY, OTHER = make_key("ES256", kid="push-1"), make_key("ES256", kid="push-1")
DOWN_KEY = make_key("ES256", kid="push-down")
HOLD_MS = 2500
FAILED = "Jwks remote fetch is failed"


class LdsStack(Stack):
    """The tests' Envoy config with its listener served from a watched file instead of inline."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.lds_dir = None

    def config(self, plugin_config, native_config=None):
        doc = yaml.safe_load(super().config(plugin_config, native_config))
        self.listener = doc["static_resources"].pop("listeners")[0]
        self.write_listener(plugin_config)
        doc["node"] = {"id": "config-push", "cluster": "config-push"}
        doc["dynamic_resources"] = {"lds_config": {
            "resource_api_version": "V3",
            "path_config_source": {"path": str(self.lds_dir / "lds.yaml"),
                                   "watched_directory": {"path": str(self.lds_dir)}}}}
        return yaml.safe_dump(doc)

    def write_listener(self, plugin_config: dict):
        """Replaces the listener file at once (a rename), with `plugin_config` as the filter's."""
        if self.lds_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="lds-")
            self.lds_dir = Path(self._tmp.name)
        hcm = self.listener["filter_chains"][0]["filters"][0]["typed_config"]
        wasm = hcm["http_filters"][0]["typed_config"]["config"]
        wasm["configuration"]["value"] = json.dumps(plugin_config)
        listener = {"@type": "type.googleapis.com/envoy.config.listener.v3.Listener", **self.listener}
        tmp = self.lds_dir / "lds.tmp"
        tmp.write_text(yaml.safe_dump({"resources": [listener]}))
        os.rename(tmp, self.lds_dir / "lds.yaml")

    def stop(self):
        try:
            super().stop()
        finally:
            if self.lds_dir is not None:
                self._tmp.cleanup()


def _plugin(st: Stack, open_path: bool = False, bad: bool = False) -> dict:
    main = remote_provider(st.issuer, "issuer", timeout_ms=2000, cache_duration_seconds=600)
    down = {**remote_provider(st.issuers["down"], "down", timeout_ms=500), "hold_for_keys_ms": HOLD_MS}
    if bad:
        # Refused at on_configure: a provider with neither key source.
        down = {"issuer": "https://nowhere.example", "audiences": ["api"]}
    rules = [{"match": {"prefix": "/held"}, "requires": {"provider_name": "down"}},
             {"match": {"prefix": "/"}, "requires": {"provider_name": "main"}}]
    if open_path:
        rules.insert(0, {"match": {"prefix": "/open"}, "requires": {"allow_missing": {}}})
    return {"providers": {"main": main, "down": down}, "rules": rules}


class Load:
    """Requests without pause from two threads: a valid token, none, and a token with the right kid
    signed by a key the issuer never published. Each is recorded as (kind, status)."""

    def __init__(self, st: Stack):
        self.st, self.stop_at = st, None
        self.kinds = {"valid": sign(KEY, claims(st.issuer.issuer)), "none": None,
                      "forged": sign(OTHER, claims(st.issuer.issuer))}
        self.seen: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(2)]

    def _run(self, i: int):
        n = 0
        while not self._stop.is_set():
            kind = list(self.kinds)[n % 3]
            n += 1
            try:
                status = self.st.request(f"/load/{kind}/{i}-{n}", self.kinds[kind], timeout=5).status_code
            except requests.RequestException:
                status = 0
            with self._lock:
                self.seen.append((kind, status))

    def start(self):
        for t in self._threads:
            t.start()
        return self

    def finish(self) -> Counter:
        self._stop.set()
        for t in self._threads:
            t.join(10)
        assert not any(t.is_alive() for t in self._threads)
        return Counter(self.seen)


def _lds(st: Stack, what: str) -> int:
    return st.envoy.counter(f"listener_manager.lds.{what}")


def _wait(what: str, check, seconds: float = 8):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {seconds} s")


def test_a_configuration_pushed_under_load(wasm_module):
    st = LdsStack(issuer_names=("issuer", "down"), concurrency=2)
    try:
        st.issuer.set_jwks(jwks(KEY))
        st.issuers["down"].set_jwks(jwks(DOWN_KEY))
        st.start(_plugin(st), down=("down",))
        assert st.request("/load/warm", sign(KEY, claims(st.issuer.issuer))).status_code == 200
        assert st.request("/open/x").status_code == 401
        load = Load(st).start()
        time.sleep(0.5)
        # Held for keys of the issuer that is down, across both pushes.
        held = Burst(st.ports.listen, 10, lambda i: f"/held/{i}", sign(DOWN_KEY, claims(st.issuers["down"].issuer)),
                     timeout=HOLD_MS / 1000 + 5).start()
        time.sleep(0.3)
        ok_before = _lds(st, "update_success")
        pushed = time.monotonic()
        st.write_listener(_plugin(st, open_path=True))
        _wait("the new configuration", lambda: st.request("/open/x").status_code == 200)
        took_new = time.monotonic() - pushed
        assert _lds(st, "update_success") == ok_before + 1
        time.sleep(0.3)
        rejected_before = _lds(st, "update_rejected")
        st.write_listener(_plugin(st, bad=True))
        _wait("the bad configuration to be refused", lambda: _lds(st, "update_rejected") == rejected_before + 1)
        # The previous configuration still serves, new behaviour included.
        assert st.request("/open/x").status_code == 200
        assert st.request("/x").status_code == 401
        assert "invalid config" in st.envoy.log(), st.envoy.log_tail()
        time.sleep(0.5)
        seen = load.finish()
        answers = held.wait()
        fetched = st.envoy.stats(filter=METRIC.replace(".", r"\.") + r"provider\.main\.jwks_fetch_success")
    finally:
        st.stop()
    held_answers = Counter((a.status, a.body) for a in answers)
    statuses = {kind: {s: c for (k, s), c in seen.items() if k == kind} for kind in ("valid", "none", "forged")}
    print(f"load: {sum(seen.values())} requests {statuses}; held: {dict(held_answers)}; "
          f"new configuration serving {took_new * 1000:.0f} ms after the push; "
          f"JWKS fetches: {st.issuer.fetches()}")
    # Every request answered, each as its token deserves, before, during and after both pushes.
    assert statuses["valid"] == {200: statuses["valid"].get(200, 0)} and statuses["valid"][200] > 0, statuses
    assert set(statuses["none"]) == {401} and set(statuses["forged"]) == {401}, statuses
    assert st.echo.requests("/load/none") == 0 and st.echo.requests("/load/forged") == 0
    assert held_answers == {(401, FAILED): 10}, held_answers
    assert st.echo.requests("/held") == 0
    # Keys are per process: the pushes did not fetch them again.
    assert st.issuer.fetches() == 1
    assert sum(fetched.values()) == 1, fetched
