"""A bad plugin configuration is refused by Envoy with one log line naming the field,
and by the validator CLI with `invalid config: <field path>: <reason>`."""
import json
import subprocess

import pytest
import requests

from support.envoy import EnvoyExited
from support.keys import jwks, make_key
from support.paths import VALIDATOR
from support.plugin import remote_provider
from support.stack import Stack

from support.main_config import main_plugin_config


def _good(stack):
    return {"providers": {"main": remote_provider(stack.issuer, "issuer")}}


def _unknown_top(cfg):
    cfg["bogus_field"] = 1


def _unknown_provider_field(cfg):
    cfg["providers"]["main"]["issuer_url"] = "https://x"


def _bad_mode(cfg):
    cfg["mode"] = "strict"


def _negative_timeout(cfg):
    cfg["providers"]["main"]["remote_jwks"]["timeout_ms"] = -5


def _two_key_sources(cfg):
    cfg["providers"]["main"]["local_jwks"] = {"inline_string": json.dumps(jwks(make_key("ES256")))}


def _hold_too_long(cfg):
    cfg["providers"]["main"]["hold_for_keys_ms"] = 60001


def _unknown_rule_provider(cfg):
    cfg["rules"] = [{"match": {"prefix": "/"}, "requires": {"provider_name": "nobody"}}]


def _template_without_tenants(cfg):
    provider = cfg["providers"]["main"]
    del provider["issuer"]
    provider["issuer_template"] = "https://login.example/{tid}/v2.0"


def _short_hmac_key(cfg):
    # 31 bytes: RFC 7518 §3.2 asks HS256 keys for at least 32.
    short = {"kty": "oct", "kid": "short", "k": "c2hvcnQtc2hhcmVkLXNlY3JldC1vZi0zMS1ieXRlcw"}
    provider = cfg["providers"]["main"]
    del provider["remote_jwks"]
    provider["local_jwks"] = {"inline_string": json.dumps({"keys": [short]})}


# (mutation, the text that names the offending field)
BAD = {
    "unknown_top_level_field": (_unknown_top, "bogus_field"),
    "unknown_provider_field": (_unknown_provider_field, "issuer_url"),
    "bad_mode": (_bad_mode, "mode"),
    "negative_timeout": (_negative_timeout, "timeout_ms"),
    "hold_too_long": (_hold_too_long, "providers.main.hold_for_keys_ms"),
    "two_key_sources": (_two_key_sources, "providers.main"),
    "unknown_rule_provider": (_unknown_rule_provider, "provider_name"),
    "issuer_template_without_allowed_tenants": (_template_without_tenants, "providers.main.allowed_tenants"),
    "hmac_key_shorter_than_its_hash": (_short_hmac_key, "providers.main.local_jwks.inline_string"),
}


def _wasm_lines_naming(log: str, field: str) -> list[str]:
    return [line for line in log.splitlines() if field in line and "wasm" in line.lower()]


@pytest.mark.parametrize("case", list(BAD))
def test_envoy_refuses_bad_config(wasm_module, case):
    mutate, field = BAD[case]
    with Stack() as st:
        cfg = _good(st)
        mutate(cfg)
        try:
            st.start(cfg, wait=False)
            code = st.envoy.wait_exit(timeout=20)
            if code is None:  # still running: then the listener must not be serving
                st.envoy.wait_ready(timeout=10)
                assert "jwt" not in st.envoy.listeners()
                with pytest.raises(requests.ConnectionError):
                    st.request("/x", timeout=2)
            else:
                assert code != 0
        except EnvoyExited:
            pass
        log = st.envoy.log()
    lines = _wasm_lines_naming(log, field)
    assert len(lines) == 1, f"expected one wasm log line naming {field!r}, got {lines}\n{log[-3000:]}"


def _validate(tmp_path, cfg) -> subprocess.CompletedProcess:
    assert VALIDATOR.is_file(), f"{VALIDATOR} is missing: run `make validator`"
    path = tmp_path / "plugin.json"
    path.write_text(json.dumps(cfg))
    return subprocess.run([str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=30)


def test_validator_accepts_good_configs(tmp_path, keys):
    st = Stack(issuer_names=("issuer", "oidc"))
    for cfg in (_good(st), main_plugin_config(st, keys), {**_good(st), "mode": "audit", "token_cache_size": 0}):
        out = _validate(tmp_path, cfg)
        assert (out.returncode, out.stderr) == (0, ""), out.stderr


@pytest.mark.parametrize("case", list(BAD))
def test_validator_refuses_bad_configs(tmp_path, case):
    mutate, field = BAD[case]
    cfg = _good(Stack())
    mutate(cfg)
    out = _validate(tmp_path, cfg)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("invalid config: "), out.stderr
    assert field in lines[0]


def test_validator_refuses_non_json(tmp_path):
    path = tmp_path / "plugin.json"
    path.write_text("providers: {}")
    out = subprocess.run([str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and out.stderr.startswith("invalid config: ")
