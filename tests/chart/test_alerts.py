"""The JWKS alert rules: valid for Prometheus, and firing only when fetches fail without success."""
import yaml

from chartlib import CHART
from promtools import promtool

RULES = CHART / "files" / "alerts.yaml"


def test_rule_file_is_valid():
    proc = promtool("check", "rules", str(RULES))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS: 2 rules found" in proc.stdout


def test_alerts_fire_for_the_failing_provider_only(tmp_path):
    # Counters as the filter emits them (see test_metrics_envoy.py for the real names):
    # corp always fails; shop fails but also succeeds; a denial for reason jwks_fetch_failed
    # (same name ending) must not count as a fetch failure.
    tests = {
        "rule_files": [str(RULES)],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": [
                {"series": 'jwt_authn_wasm_provider_corp_jwks_fetch_failed{pod="gw-1"}', "values": "0+2x40"},
                {"series": 'jwt_authn_wasm_provider_corp_jwks_fetch_success{pod="gw-1"}', "values": "1+0x40"},
                {"series": 'jwt_authn_wasm_provider_shop_jwks_fetch_failed{pod="gw-1"}', "values": "0+1x40"},
                {"series": 'jwt_authn_wasm_provider_shop_jwks_fetch_success{pod="gw-1"}', "values": "0+1x40"},
                {"series": 'jwt_authn_wasm_provider_edge_denied_jwks_fetch_failed{pod="gw-1"}', "values": "0+50x40"},
            ],
            "alert_rule_test": [
                {"eval_time": "3m", "alertname": "JwtAuthnJwksFetchFailing", "exp_alerts": []},
                {"eval_time": "25m", "alertname": "JwtAuthnJwksFetchFailing", "exp_alerts": [{
                    "exp_labels": {"severity": "warning", "provider": "corp"},
                    "exp_annotations": {
                        "summary": "JWKS fetches for provider corp keep failing",
                        "description": yaml.safe_load(RULES.read_text())["groups"][0]["rules"][0]["annotations"]
                        ["description"].replace("{{ $labels.provider }}", "corp"),
                    }}]},
                {"eval_time": "25m", "alertname": "JwtAuthnJwksFetchFailuresHigh", "exp_alerts": []},
            ],
        }],
    }
    path = tmp_path / "alerts_test.yaml"
    path.write_text(yaml.safe_dump(tests, sort_keys=False))
    proc = promtool("test", "rules", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
