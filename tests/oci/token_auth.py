"""Docker distribution token auth for the registry: a self-signed CA the registry trusts and
JWT bearer tokens signed with its key (x5c header), minted offline, so no token server runs."""
import base64
import datetime
import time
import uuid
from pathlib import Path

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SERVICE, ISSUER = "jwt-authn-test-registry", "jwt-authn-test-token-issuer"


class TokenIssuer:
    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    def registry_auth(self, workdir: Path) -> dict:
        bundle = workdir / "token-ca.pem"
        bundle.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        # The realm is only advertised in the 401 challenge; bearer clients never call it here.
        return {"token": {"realm": "http://127.0.0.1:9/token", "service": SERVICE, "issuer": ISSUER,
                          "rootcertbundle": str(bundle)}}

    def token(self, repository: str, actions: list[str], ttl: int = 300) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": "ci", "aud": SERVICE, "iat": now, "nbf": now - 5, "exp": now + ttl,
                  "jti": str(uuid.uuid4()),
                  "access": [{"type": "repository", "name": repository, "actions": actions}]}
        x5c = [base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()]
        return jwt.encode(claims, self.key, algorithm="ES256", headers={"x5c": x5c})
