"""Helpers for testing agents and environments, shipped so users can test theirs the same way.

- :class:`ScriptedAgent` replays fixed action texts;
- :class:`FlakyBackend` wraps a backend and raises :class:`SandboxError` on chosen calls,
  to test how infrastructure failures are recorded;
- :func:`transcript` records everything an episode emits, to compare backends (parity);
- :func:`local_ray_head` starts a one-machine Ray cluster on loopback (Ray executor tests).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from steptool_env.agents.base import TurnView
from steptool_env.errors import SandboxError
from steptool_env.sandbox.backend import Backend, ToolResult


class ScriptedAgent:
    """Returns ``script(view)`` for each view, or the ``step``-th text of a fixed list."""

    name = "scripted"

    def __init__(self, script: Sequence[str] | Callable[[TurnView], str]) -> None:
        self.script = script

    def config(self) -> dict[str, Any]:
        return {"agent": self.name}

    def act(self, views: Sequence[TurnView]) -> list[str]:
        out = []
        for v in views:
            if callable(self.script):
                out.append(self.script(v))
            else:
                out.append(self.script[min(v.step, len(self.script) - 1)])
        return out


class FlakyBackend:
    """A backend that raises :class:`SandboxError` on the calls where ``fail(n)`` is true
    (``n`` counts calls from 1 over the backend's life)."""

    def __init__(self, inner: Backend, fail: Callable[[int], bool]) -> None:
        self.inner = inner
        self.fail = fail
        self.name = f"flaky-{inner.name}"
        self.calls = 0

    def reset(self) -> None:
        self.inner.reset()

    def call(
        self, tool: str, api: str, arguments: Mapping[str, Any], *, delay_s: float = 0.0
    ) -> ToolResult:
        self.calls += 1
        if self.fail(self.calls):
            raise SandboxError(f"injected infrastructure failure on call {self.calls}")
        return self.inner.call(tool, api, arguments, delay_s=delay_s)

    def records(self) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        return self.inner.records()

    def close(self) -> None:
        self.inner.close()


def transcript(
    env: Any, agent: Any, seed: int, options: Mapping[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """Everything one episode emits: ``(obs, info)`` of the reset, then
    ``(obs, reward, terminated, truncated, info)`` per step, with ``agent`` acting.

    Two backends are at parity when they give equal transcripts for the same seeds.
    """
    base = env.unwrapped
    obs, info = env.reset(seed=seed, options=options)
    out: list[tuple[Any, ...]] = [(obs, info)]
    done, step = False, 0
    while not done:
        view = TurnView(0, base, obs, step, seed, info)
        action = agent.act([view])[0]
        obs, reward, terminated, truncated, info = env.step(action)
        out.append((obs, float(reward), terminated, truncated, info))
        done, step = terminated or truncated, step + 1
    return out


LOOPBACK_RAY = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_AUTH_MODE": "disabled",
}
"""Environment that keeps Ray on 127.0.0.1: Ray's single-node mode (which never swaps the
loopback address for the machine's network address), no usage statistics, and no token
authentication (nothing outside the machine can reach a loopback cluster; without this
setting Ray turns token authentication on for a head when ``~/.ray/auth_token`` exists, and
a driver that does not set ``RAY_AUTH_MODE=token`` cannot connect)."""


@contextlib.contextmanager
def local_ray_head(num_cpus: int = 4, timeout_s: float = 120.0) -> Iterator[str]:
    """Start ``ray start --head`` on 127.0.0.1 with ``num_cpus`` CPUs; yield its address.

    Every Ray process listens and talks on loopback only. This process's environment gets
    :data:`LOOPBACK_RAY` too: Ray reads it when first imported, so enter this before
    ``import ray``. On exit the head and everything it started are stopped.
    """
    constants = sys.modules.get("ray._private.ray_constants")
    if constants is not None and getattr(constants, "ENABLE_RAY_CLUSTER", False):
        raise RuntimeError(
            "ray was imported before local_ray_head(): it would replace 127.0.0.1 by the "
            "machine's network address and never reach this head; set "
            "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 before importing ray (or enter this first)"
        )
    os.environ.update(LOOPBACK_RAY)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # Ray's socket paths must be short
    cmd = [
        sys.executable, "-c", "from ray.scripts.scripts import main; main()", "start",
        "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}",
        f"--num-cpus={num_cpus}", "--num-gpus=0", "--include-dashboard=false",
        "--disable-usage-stats", "--object-store-memory=200000000", f"--temp-dir={temp}",
    ]  # fmt: skip
    head = subprocess.Popen(
        cmd,
        env={**os.environ, **LOOPBACK_RAY},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    address = f"127.0.0.1:{port}"
    try:
        end = time.monotonic() + timeout_s
        while True:
            if head.poll() is not None:
                err = head.stderr.read().decode(errors="replace") if head.stderr else ""
                raise RuntimeError(f"ray start --head exited ({head.returncode}): {err[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > end:
                raise RuntimeError(f"no Ray head on {address} after {timeout_s:g} s")
            time.sleep(0.2)
        yield address
    finally:
        if "ray" in sys.modules:
            sys.modules["ray"].shutdown()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=3)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(head.pid, signal.SIGKILL)
            head.wait()
        _kill_session(temp)
        shutil.rmtree(temp, ignore_errors=True)


def _kill_session(temp: str) -> None:
    """Kill what is left of the Ray processes of the session under ``temp``."""
    mine = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if temp.encode() in fh.read():
                    mine.append(int(pid))
        except OSError:
            continue
    for pid in mine:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
