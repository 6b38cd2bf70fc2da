"""A live `pickgraph serve` (gunicorn) for tests that need a real server."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str, timeout: float = 10) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def wait_until(check, timeout: float = 30, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except OSError:
            pass
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def serve_command(content: Path, port: int, *extra: str) -> list[str]:
    """`pickgraph serve` on ``port`` for ``content``, as this interpreter runs it."""
    cmd = [sys.executable, "-m", "pickgraph.web.cli", "serve", "--content", str(content)]
    return [*cmd, "--port", str(port), *extra]


class Server:
    """`pickgraph serve` in a child process, its log captured to a file."""

    def __init__(self, content: Path, log: Path, *extra: str, env: dict | None = None):
        self.port = free_port()
        self.log = log
        self._log = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            serve_command(content, self.port, "--workers", "2", *extra),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
        wait_until(lambda: get(self.port, "/healthz")[0] == 200)

    def version(self) -> str:
        return json.loads(get(self.port, "/healthz")[1])["version"]

    def log_text(self) -> str:
        return self.log.read_text()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()
