"""``backend="http"``: the API-mock server as a local process on a free loopback port."""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

from steptool_env.errors import SandboxError
from steptool_env.sandbox.http_client import HttpClient
from steptool_env.sandbox.remote import ServerHandle
from steptool_env.sandbox.server import READY_PREFIX, ServerLimits

_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


class LocalServer(ServerHandle):
    """``python -m steptool_env.sandbox.server`` as a child process.

    The child binds port 0 and prints the port it got (no race for a "free" port), and it
    exits by itself when this process dies, even by ``kill -9``: it watches its stdin, a
    pipe only this process holds.
    """

    kind = "http"

    def __init__(
        self,
        suite: str = "toolbench",
        startup_timeout_s: float = 30.0,
        limits: ServerLimits | None = None,
    ) -> None:
        super().__init__(suite, startup_timeout_s)
        self.limits = limits or ServerLimits()
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def _launch(self) -> tuple[str, HttpClient]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_PACKAGE_PARENT, env.get("PYTHONPATH", "")) if p
        )
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 -- lives as long as the server
        cmd = [sys.executable, "-m", "steptool_env.sandbox.server", "--suite", self.suite]
        self.process = subprocess.Popen(
            [*cmd, "--port", "0", "--watch-stdin", *self.limits.argv()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
        )
        url = self._read_ready_line()
        return url, HttpClient(url)

    def _read_ready_line(self) -> str:
        assert self.process is not None and self.process.stdout is not None
        deadline = time.monotonic() + self.startup_timeout_s
        with selectors.DefaultSelector() as sel:
            sel.register(self.process.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if sel.select(timeout=max(0.0, deadline - time.monotonic())):
                    line = self.process.stdout.readline().decode("utf-8", "replace").strip()
                    if line.startswith(READY_PREFIX):
                        return line[len(READY_PREFIX) :]
                    if not line and self.process.poll() is not None:
                        break
        logs = self._logs()
        self._terminate()
        raise SandboxError(
            f"the local sandbox server did not start within {self.startup_timeout_s:g} s{logs}"
        )

    def _terminate(self) -> None:
        proc, self.process = self.process, None
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    stream.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def describe(self) -> str:
        pid = self.process.pid if self.process is not None else None
        return f"local sandbox server (pid {pid}, {self._base or 'not started'})"

    def _logs(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        tail = self._log.read().decode("utf-8", "replace")[-2000:].strip()
        return f"; its output:\n{tail}" if tail else ""
