"""Many requests in flight at once, each on its own connection, timed from the client's side.

A thread runs them on an asyncio loop, so that a test can change the world (bring an issuer back)
while they are held, and a thousand of them cost a thousand sockets, not a thousand threads."""
import asyncio
import threading
import time
from dataclasses import dataclass


@dataclass
class Answer:
    status: int  # 0: no answer (refused, reset or timed out)
    body: str
    sent: float  # time.monotonic() before connecting
    answered: float

    @property
    def elapsed(self) -> float:
        return self.answered - self.sent


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, str]:
    """Status and body, read by the response's own framing: Envoy may keep the connection open
    for a while after answering (its delayed close), so reading to the end would time that too."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    parts = lines[0].split()
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        for _ in range(10_000):
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip() or b"0", 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
    else:
        body = await reader.read()
    return status, body.decode(errors="replace")


async def _one(port: int, path: str, headers: dict, timeout: float) -> Answer:
    sent = time.monotonic()
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
        lines = [f"GET {path} HTTP/1.1", f"host: 127.0.0.1:{port}", "connection: close",
                 *(f"{k}: {v}" for k, v in headers.items())]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        status, body = await asyncio.wait_for(_read_answer(reader), timeout - (time.monotonic() - sent))
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
        status, body = 0, ""
    finally:
        if writer is not None:
            writer.close()
    return Answer(status, body, sent, time.monotonic())


class Burst:
    """`n` GET requests to `127.0.0.1:port`, all sent at once; `path(i)` names request i."""

    def __init__(self, port: int, n: int, path, token: str, timeout: float = 30):
        self.port, self.n, self.path, self.token, self.timeout = port, n, path, token, timeout
        self.answers: list[Answer] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        async def all_of_them():
            headers = {"authorization": f"Bearer {self.token}"}
            return await asyncio.gather(*(_one(self.port, self.path(i), headers, self.timeout)
                                          for i in range(self.n)))
        self.answers = asyncio.run(all_of_them())

    def start(self) -> "Burst":
        self.started = time.monotonic()
        self._thread.start()
        return self

    def wait(self) -> list[Answer]:
        """Every answer; bounded by the per-request timeout."""
        self._thread.join(self.timeout + 10)
        assert not self._thread.is_alive(), "the burst did not finish"
        assert len(self.answers) == self.n
        return self.answers
