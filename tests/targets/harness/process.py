"""Server processes for the target tests: a free 127.0.0.1 port, a child process whose output
goes to a log file, a readiness poll on /ServiceProviderConfig, and a clean stop.
Knows nothing of any particular SCIM server; the launchers say what to run."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

HOST = "127.0.0.1"


class ServerStartError(RuntimeError):
    """A test server did not come up; the message carries the tail of its log."""


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the OS may hand it out again later: callers retry)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class ServerProcess:
    """One child process serving HTTP; its stdout and stderr go to `log_path`."""

    def __init__(self, argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
                 name: str = "server"):
        self.argv = argv
        self.name = name
        log = tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False)
        self.log_path = Path(log.name)
        self._log = log
        self.proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})}, cwd=cwd, start_new_session=True)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_for_line(self, prefix: str, timeout: float) -> str:
        """The first log line starting with `prefix` (e.g. the address a server prints)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log_path.read_text(errors="replace").splitlines():
                if line.startswith(prefix):
                    return line
            if not self.alive():
                break
            time.sleep(0.02)
        self.stop()
        raise ServerStartError(f"{self.name} printed no line {prefix!r} within {timeout}s:\n{self.log_tail()}")

    def wait_ready(self, url: str, token: str | None, timeout: float) -> None:
        """Poll `url` until it answers 200, the process dies, or `timeout` passes."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if not self.alive():
                raise ServerStartError(
                    f"{self.name} exited with status {self.proc.returncode}:\n{self.log_tail()}")
            try:
                answer = httpx.get(url, headers=headers, timeout=1.0)
                if answer.status_code == 200:
                    return
                last = f"HTTP {answer.status_code}"
            except httpx.HTTPError as error:
                last = type(error).__name__
            time.sleep(0.05)
        self.stop()
        raise ServerStartError(f"{self.name} not ready at {url} within {timeout}s ({last}):\n{self.log_tail()}")

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after `grace` seconds; the whole process group goes. The log
        is removed unless SCIM_TEST_KEEP_LOGS is set."""
        if self.alive():
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(grace)
            except ProcessLookupError:
                pass
        self._log.close()
        if not os.environ.get("SCIM_TEST_KEEP_LOGS"):
            self.log_path.unlink(missing_ok=True)
