"""values.schema.json refuses bad values before anything is rendered, naming the field."""
import pytest

from chartlib import template


def refused(sets: dict) -> str:
    proc = template(sets=sets, check=False)
    assert proc.returncode != 0, f"accepted {sets}"
    assert "don't meet the specifications of the schema" in proc.stderr, proc.stderr
    return proc.stderr


@pytest.mark.parametrize("sets,message", [
    ({"plugin.sha256": '"abc123"'}, "plugin.sha256: Does not match pattern"),
    ({"plugin.failStrategy": '"FAIL_CLOSED"'}, "plugin.failStrategy: plugin.failStrategy must be one of the following"),
    ({"plugin.phase": '"AUTHENTICATE"'}, "plugin.phase: plugin.phase must be one of the following"),
    ({"plugin.target": '"waypoint"'}, "plugin.target: plugin.target must be one of the following"),
    ({"plugin.url": '"registry.example.com/jwt:1"'}, "plugin.url: Does not match pattern"),
    ({"plugin.imagePullPolicy": '"Never"'}, "plugin.imagePullPolicy"),
    ({"plugin.imagePullPolicy2": '"Always"'}, "Additional property imagePullPolicy2 is not allowed"),
    ({"mtls.mode": '"DISABLE"'}, "mtls.mode"),
    ({"plugin.config.mode": '"permissive"'}, "plugin.config.mode"),
    ({"plugin.config.token_cache_size": "-1"}, "plugin.config.token_cache_size: Must be greater than or equal to 0"),
    ({"plugin.config.tokenCacheSize": "10"}, "Additional property tokenCacheSize is not allowed"),
    ({"plugin.config.providers": '{"p": {"issuer": "https://i", "remote_jwks": {"uri": "ftp://i/jwks"}}}'},
     "plugin.config.providers.p.remote_jwks.uri: Does not match pattern"),
    ({"plugin.config.providers": '{"p": {"issuer": "https://i", "remote_jwks": {"uri": "https://i/k"}, '
                                 '"local_jwks": {"inline_string": "{}"}}}'},
     "plugin.config.providers.p: Must validate one and only one schema"),
    ({"plugin.config.providers": '{"p": {"remote_jwks": {"uri": "https://i/k"}}}'},
     "plugin.config.providers.p: issuer is required"),
    ({"plugin.config.providers": '{"p": {"issuer": "https://i", "remote_jwks": {"url": "https://i/k"}}}'},
     "Additional property url is not allowed"),
    ({"plugin.config.providers": '{"p": {"issuer": "https://i", "remote_jwks": {"uri": "https://i/k"}, '
                                 '"hold_for_keys_ms": 60001}}'},
     "plugin.config.providers.p.hold_for_keys_ms: Must be less than or equal to 60000"),
    ({"plugin.config.providers": '{"p": {"issuer_template": "https://l.example/{tid}/v2.0", '
                                 '"remote_jwks": {"uri": "https://l.example/k"}}}'},
     "allowed_tenants"),
    ({"plugin.config.providers": '{"p": {"issuer_template": "https://l.example/{tid}/v2.0", '
                                 '"allowed_tenants": [], "remote_jwks": {"uri": "https://l.example/k"}}}'},
     "plugin.config.providers.p.allowed_tenants: Array must have at least 1 items"),
    ({"plugin.config.providers": '{"p": {"issuer": "https://i", '
                                 '"oidc_discovery": {"jwks_hosts": ["https://keys.example/"]}}}'},
     "plugin.config.providers.p.oidc_discovery.jwks_hosts.0: Does not match pattern"),
    ({"plugin.config.rules": '[{"match": {"prefix": "/"}, "requires": {"provider": "p"}}]'},
     "plugin.config.rules.0.requires: Must validate one and only one schema"),
    ({"plugin.config.rules": '[{"match": {"prefix": "/"}, "requires": {"provider_and_audiences": '
                             '{"provider_name": "demo", "audiences": []}}}]'},
     "plugin.config.rules.0.requires: Must validate one and only one schema"),
    ({"plugin.config.rules": '[{"match": {"prefix": "/", "path": "/x"}, "requires": {"allow_missing": {}}}]'},
     "plugin.config.rules.0.match: Must validate one and only one schema"),
    ({"plugin.workloadSelector": '{"bad key": "x"}'}, 'plugin.workloadSelector: Property name of "bad key" does not match'),
    ({"demoIssuer.port": "70000"}, "demoIssuer.port: Must be less than or equal to 65535"),
    ({"namespace.name": '"Jwt_Demo"'}, "namespace.name: Does not match pattern"),
    ({"namespace.revision": '"1.28"'}, "namespace.revision: Does not match pattern"),
    ({"ingress.api": '"gateway"'}, "ingress.api: ingress.api must be one of the following"),
    ({"ingress.hosts": '["tenant/a.example.com"]'}, "ingress.hosts.0: Does not match pattern"),
    ({"plugin.match": '[{"mode": "INBOUND"}]'}, "plugin.match.0.mode"),
    ({"plugin.match": '[{"ports": [{"number": 0}]}]'}, "plugin.match.0.ports.0.number"),
    ({"plugin.name": '"jwt"'}, "Additional property name is not allowed"),
    ({"authorization.action": '"CUSTOM"'}, "authorization.action"),
    ({"monitoring.podMonitor.interval": '"15"'}, "monitoring.podMonitor.interval: Does not match pattern"),
    ({"fullnameOverride": '"Edge_Auth"'}, "fullnameOverride: Does not match pattern"),
])
def test_bad_value_is_refused_with_its_path(sets, message):
    assert message in refused(sets)


def test_good_overrides_are_accepted():
    proc = template(sets={
        "plugin.sha256": '"' + "a" * 64 + '"',
        "plugin.config.rules": '[{"match": {"path": "/x", "methods": ["GET"]}, '
                               '"requires": {"requires_all": [{"provider_name": "demo"}, '
                               '{"provider_and_audiences": {"provider_name": "demo", "audiences": ["orders"]}}]}}]',
        "plugin.config.providers": '{"local": {"issuer": "me", "local_jwks": {"inline_string": "{\\"keys\\": []}"}}, '
                                   '"remote": {"issuer": "https://i", "remote_jwks": {"uri": "https://i/k"}, '
                                   '"hold_for_keys_ms": 0}}',
    })
    assert "kind: WasmPlugin" in proc.stdout
