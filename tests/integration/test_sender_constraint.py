"""Certificate-bound tokens (RFC 8705) in real Envoy over mutual TLS: with `sender_constraint`, a token whose
`cnf["x5t#S256"]` names a client certificate passes only on a connection that presented that certificate
(Envoy's `connection.sha256_peer_certificate_digest`); another client's connection, or a stolen token replayed
with another certificate, gets 401. `required` refuses unbound tokens too; `optional` lets them through. Both
builds (proxy-wasm and dynamic module) must answer alike."""
import base64
import datetime
import hashlib

import pytest
import requests
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from support import build
from support.envoy import Envoy
from support.envoy_config import render_dict
from support.keys import jwks, make_key
from support.plugin import remote_provider
from support.stack import Stack
from support.tokens import claims, sign

KEY = make_key("ES256", kid="mtls-1")

pytestmark = build.BOTH


def _cert(name: str, issuer_key, issuer_name, key=None, ca=False, san=None):
    key = key or ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
               .issuer_name(issuer_name or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(hours=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(__import__("ipaddress")
                                                                                   .ip_address(san))]), False)
    return builder.sign(issuer_key or key, hashes.SHA256()), key


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca, _ = _cert("test-ca", None, None, key=ca_key, ca=True)
    files = {"ca": ca}
    server, server_key = _cert("server", ca_key, ca.subject, san="127.0.0.1")
    files.update(server=server, server_key=server_key)
    for client in ("alice", "mallory"):
        cert, key = _cert(client, ca_key, ca.subject)
        files.update({client: cert, f"{client}_key": key})
    paths = {}
    for name, obj in files.items():
        path = d / f"{name}.pem"
        if name.endswith("_key"):
            path.write_bytes(obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        else:
            path.write_bytes(obj.public_bytes(serialization.Encoding.PEM))
        paths[name] = str(path)
    thumbprints = {c: base64.urlsafe_b64encode(hashlib.sha256(files[c].public_bytes(serialization.Encoding.DER))
                                                .digest()).rstrip(b"=").decode() for c in ("alice", "mallory")}
    return paths, thumbprints


def _tls(pki_paths) -> dict:
    # A client certificate is checked against the CA when presented, not demanded: a client without one
    # reaches the filter, which must refuse a bound token on its own.
    return {"name": "envoy.transport_sockets.tls", "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
        "require_client_certificate": False,
        "common_tls_context": {
            "tls_certificates": [{"certificate_chain": {"filename": pki_paths["server"]},
                                  "private_key": {"filename": pki_paths["server_key"]}}],
            "validation_context": {"trusted_ca": {"filename": pki_paths["ca"]}}}}}


@pytest.fixture(scope="module", params=["required", "optional"])
def stack(request, filter_build, wasm_module, pki):
    paths, thumbprints = pki
    st = Stack()
    try:
        st.issuer.set_jwks(jwks(KEY))
        plugin = {"providers": {"p": {**remote_provider(st.issuer, "issuer", timeout_ms=2000),
                                      "sender_constraint": request.param}}}
        doc = render_dict(st.layout(), plugin)
        doc["static_resources"]["listeners"][0]["filter_chains"][0]["transport_socket"] = _tls(paths)
        st.echo.start()
        st.issuer.start()
        st.envoy = Envoy(yaml.safe_dump(doc, sort_keys=False), st.ports.admin)
        st.envoy.start()
        yield st, request.param, paths, thumbprints
    finally:
        st.stop()


def _get(st, paths, client: str | None, token: str):
    cert = (paths[client], paths[f"{client}_key"]) if client else None
    return requests.get(f"https://127.0.0.1:{st.ports.listen}/x", headers={"authorization": f"Bearer {token}"},
                        cert=cert, verify=paths["ca"], timeout=15)


def _bound(st, thumbprint: str) -> str:
    return sign(KEY, claims(st.issuer.issuer, cnf={"x5t#S256": thumbprint}))


def test_a_token_passes_with_the_certificate_it_is_bound_to(stack):
    st, _, paths, thumbprints = stack
    token = _bound(st, thumbprints["alice"])
    for _ in range(2):  # the second answer comes from the token cache, checked against the connection again
        resp = _get(st, paths, "alice", token)
        assert resp.status_code == 200, resp.text


def test_a_stolen_token_with_another_certificate_is_refused(stack):
    st, _, paths, thumbprints = stack
    token = _bound(st, thumbprints["alice"])
    resp = _get(st, paths, "mallory", token)
    assert (resp.status_code, resp.text) == (401, "Jwt is not bound to this client")
    assert resp.headers["www-authenticate"].endswith('error="invalid_token"')
    assert st.envoy.counter("wasmcustom.jwt_authn_wasm.provider.p.denied.sender") >= 1


def test_a_malformed_binding_is_refused(stack):
    st, _, paths, thumbprints = stack
    for cnf in ({"x5t#S256": thumbprints["alice"][:-2]}, {"x5t#S256": 5}, {"jkt": thumbprints["alice"]}):
        token = sign(KEY, claims(st.issuer.issuer, cnf=cnf))
        assert _get(st, paths, "alice", token).status_code == 401, cnf


def test_an_unbound_token_passes_only_when_optional(stack):
    st, mode, paths, _ = stack
    resp = _get(st, paths, "alice", sign(KEY, claims(st.issuer.issuer)))
    if mode == "required":
        assert (resp.status_code, resp.text) == (401, "Jwt is not bound to this client")
    else:
        assert resp.status_code == 200, resp.text


def test_a_bound_token_without_a_client_certificate_is_refused(stack):
    st, _, paths, thumbprints = stack
    resp = _get(st, paths, None, _bound(st, thumbprints["alice"]))
    assert (resp.status_code, resp.text) == (401, "Jwt is not bound to this client")
    assert resp.headers["www-authenticate"].endswith('error="invalid_token"')


def test_an_unbound_token_without_a_client_certificate_passes_only_when_optional(stack):
    st, mode, paths, _ = stack
    resp = _get(st, paths, None, sign(KEY, claims(st.issuer.issuer)))
    if mode == "required":
        assert (resp.status_code, resp.text) == (401, "Jwt is not bound to this client")
    else:
        assert resp.status_code == 200, resp.text


def test_a_bound_token_over_plain_http_is_refused(filter_build, wasm_module, pki):
    """No TLS at all: the host has no certificate digest to give, and a bound token fails closed."""
    _, thumbprints = pki
    st = Stack()
    try:
        st.issuer.set_jwks(jwks(KEY))
        st.start({"providers": {"p": {**remote_provider(st.issuer, "issuer", timeout_ms=2000),
                                      "sender_constraint": "optional"}}})
        resp = st.request("/x", token=_bound(st, thumbprints["alice"]))
        assert (resp.status_code, resp.text) == (401, "Jwt is not bound to this client")
        assert st.request("/x", token=sign(KEY, claims(st.issuer.issuer))).status_code == 200
    finally:
        st.stop()
