"""Key-rotation soak: the issuer rotates keys while wrk sends tokens whose expected answer is exact.

Time runs in phases. Each phase first changes the JWKS (publish a new rotating key alongside the
current one, or drop the older one), then runs wrk for the phase with a token file in which every
token has a class:
  valid       its key has been published for longer than `grace` and is still published: must be 200
  retired     its key was removed more than `grace` ago: never 200
  garbage     never valid (alg none, tampered, expired, wrong issuer, ...): never 200
  transition  published or removed less than `grace` ago: either answer is right, only counted
`grace` = cache_duration + fetch timeout: by then every worker has the refreshed JWKS.
"""
import collections
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from .issuer import Issuer
from .keys import jwks, make_key
from .tokens import alg_none, claims, hmac_with_secret, sign, tamper_signature

SOAK_LUA = Path(__file__).resolve().parents[1] / "hardening" / "soak.lua"
MUST_ALLOW = ("valid",)
MUST_REFUSE = ("retired", "garbage")


@dataclass
class Tally:
    counts: collections.Counter = field(default_factory=collections.Counter)  # (class, status) -> n
    errors: int = 0
    phases: int = 0

    def add(self, other: "Tally"):
        self.counts.update(other.counts)
        self.errors += other.errors
        self.phases += other.phases

    def total(self) -> int:
        return sum(self.counts.values())

    def wrong(self) -> dict:
        return {k: n for k, n in self.counts.items()
                if (k[0] in MUST_ALLOW and k[1] != 200) or (k[0] in MUST_REFUSE and k[1] == 200)}

    def server_errors(self) -> dict:
        return {k: n for k, n in self.counts.items() if k[1] >= 500}


def run_wrk(port: int, token_file: Path, seconds: int, threads: int) -> Tally:
    cmd = ["wrk", f"-t{threads}", f"-c{threads}", f"-d{seconds}s", "--timeout", "10s", "-s", str(SOAK_LUA),
           f"http://127.0.0.1:{port}/", "--", str(token_file)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    tally = Tally(phases=1)
    for cls, status, n in re.findall(r"^COUNT (\S+):(\d+) (\d+)$", out, re.M):
        tally.counts[(cls, int(status))] += int(n)
    tally.errors = sum(int(n) for n in re.search(r"^ERRORS (.*)$", out, re.M).group(1).split()[:4])
    return tally


class Rotation:
    """The issuer's key schedule: one stable key, plus rotating keys replaced every two phases."""

    def __init__(self, issuer: Issuer, grace: float, alg: str = "ES256"):
        self.issuer = issuer
        self.grace = grace
        self.alg = alg
        self.stable = make_key("RS256", kid="soak-stable")
        self.published: dict = {}  # kid -> (key, published_at, removed_at | None)
        self.step_no = 0
        self._add(make_key(alg, kid="soak-r0"), time.monotonic() - 1e6)  # there from the start
        self._publish()
        self.garbage = self._garbage()

    def _add(self, key, at: float):
        self.published[key.kid] = [key, at, None]

    def _live(self) -> list:
        return [k for k, _, removed in self.published.values() if removed is None]

    def _publish(self):
        self.issuer.set_jwks(jwks(self.stable, *self._live()))

    def step(self):
        """Even steps publish a new key alongside the current one; odd steps drop the older one."""
        now = time.monotonic()
        live = self._live()
        if self.step_no % 2 == 0:
            self._add(make_key(self.alg, kid=f"soak-r{self.step_no // 2 + 1}"), now)
        else:
            self.published[live[0].kid][2] = now
        self.step_no += 1
        self._publish()

    def token_lines(self) -> list[str]:
        """`class token` lines valid for a phase that starts now and ends before the next step."""
        now = time.monotonic()
        iss = self.issuer.issuer
        lines = [f"valid {sign(self.stable, claims(iss, sub=sub, lifetime=3600))}" for sub in ("a", "b")]
        # The last few retired keys are enough; older ones would only crowd out the rest.
        entries = list(self.published.values())
        retired = [e for e in entries if e[2] is not None][:-3]
        for key, published, removed in (e for e in entries if not any(e is r for r in retired)):
            if removed is None:
                cls = "valid" if now - published > self.grace else "transition"
            else:
                cls = "retired" if now - removed > self.grace else "transition"
            # Several tokens per key, so cache hits and misses both happen and keys outweigh garbage.
            for sub in ("a", "b", "c", "d"):
                lines.append(f"{cls} {sign(key, claims(iss, sub=sub, lifetime=3600))}")
        return lines + [f"garbage {t}" for t in self.garbage]

    def _garbage(self) -> list[str]:
        iss = self.issuer.issuer
        good = sign(self.stable, claims(iss, lifetime=3600))
        return [
            alg_none(claims(iss)),
            tamper_signature(good),
            sign(self.stable, claims(iss, exp=int(time.time()) - 3600)),
            sign(self.stable, claims("https://evil.example")),
            hmac_with_secret("HS256", self.stable.public_pem(), claims(iss), kid=self.stable.kid),
            sign(make_key("ES256", kid="soak-stranger"), claims(iss)),
            good[:-10],
            "not-a-token",
        ]
