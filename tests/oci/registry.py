"""A real Docker distribution registry (Debian's docker-registry) on a free loopback port."""
import hashlib
import shutil
import subprocess
import time
from pathlib import Path

import requests
import yaml

from support import process
from support.ports import free_port

MANIFEST_ACCEPT = "application/vnd.oci.image.manifest.v1+json"


class Registry:
    """Started by `start()`, always stopped by `stop()`; `auth` is the registry's auth section."""

    def __init__(self, workdir: Path, auth: dict | None = None):
        self.workdir = workdir
        self.auth = auth
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.log_path = workdir / "registry.log"
        self.proc: subprocess.Popen | None = None

    def config(self) -> dict:
        cfg = {
            "version": 0.1,
            "log": {"level": "info", "accesslog": {"disabled": False}},
            "storage": {"filesystem": {"rootdirectory": str(self.workdir / "data")}},
            "http": {"addr": self.host, "secret": "loopback-test-only"},
        }
        if self.auth:
            cfg["auth"] = self.auth
        return cfg

    def start(self) -> "Registry":
        binary = shutil.which("docker-registry")
        assert binary, "docker-registry is missing: run `bash tests/tools/setup.sh`"
        cfg_path = self.workdir / "config.yml"
        cfg_path.write_text(yaml.safe_dump(self.config()))
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([binary, "serve", str(cfg_path)], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        process.wait_ready(self.proc, lambda: requests.get(self.url("/v2/"), timeout=1).status_code in (200, 401),
                           15, f"registry on {self.host}", lambda: self.log_path.read_text()[-2000:])
        return self

    def stop(self) -> None:
        process.stop(self.proc)

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    def manifest(self, repo: str, ref: str, headers: dict | None = None, **kw) -> requests.Response:
        """The manifest as any HTTP client sees it, without going through the tool under test."""
        headers = {"Accept": MANIFEST_ACCEPT, **(headers or {})}
        return requests.get(self.url(f"/v2/{repo}/manifests/{ref}"), headers=headers, timeout=10, **kw)

    def blob(self, repo: str, digest: str, **kw) -> bytes:
        r = requests.get(self.url(f"/v2/{repo}/blobs/{digest}"), timeout=10, **kw)
        assert r.status_code == 200, f"blob {digest}: HTTP {r.status_code}"
        return r.content

    def upload(self, repo: str, data: bytes) -> str:
        """Monolithic blob upload straight through the HTTP API; returns the digest."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        start = requests.post(self.url(f"/v2/{repo}/blobs/uploads/"), timeout=10)
        assert start.status_code == 202, start.text
        location = start.headers["Location"]
        location = location if location.startswith("http") else self.url(location)
        put = requests.put(location, params={"digest": digest}, data=data,
                           headers={"Content-Type": "application/octet-stream"}, timeout=10)
        assert put.status_code == 201, put.text
        return digest

    def put_manifest(self, repo: str, ref: str, manifest: bytes, media_type: str) -> None:
        r = requests.put(self.url(f"/v2/{repo}/manifests/{ref}"), data=manifest,
                         headers={"Content-Type": media_type}, timeout=10)
        assert r.status_code == 201, r.text
