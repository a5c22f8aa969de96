"""Helpers for the backend tests (the ``docker_ready`` fixture is in tests/conftest.py)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from steptool_env.sandbox.server import ApiService


@contextmanager
def served(service: ApiService) -> Iterator[int]:
    """Serve ``service`` on a loopback port from a thread of this process; yields the port."""
    from steptool_env.sandbox.server import serve

    ready = threading.Event()
    box: dict = {}

    async def go() -> None:
        box["loop"] = asyncio.get_running_loop()
        box["stop"] = asyncio.Event()

        def on_ready(url: str) -> None:
            box["port"] = int(url.rsplit(":", 1)[1])
            ready.set()

        await serve(service, port=0, ready=on_ready, stop=box["stop"])

    thread = threading.Thread(target=asyncio.run, args=(go(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield box["port"]
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(5)


@contextmanager
def spawned(*flags: str, max_files: int | None = None) -> Iterator[tuple[int, int]]:
    """``python -m steptool_env.sandbox.server`` as a child process on a loopback port,
    optionally allowed only ``max_files`` open files; yields (port, pid)."""
    from steptool_env.sandbox.server import READY_PREFIX

    def limit_files() -> None:
        import resource

        if max_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max_files, max_files))

    cmd = [sys.executable, "-m", "steptool_env.sandbox.server", "--port", "0", "--watch-stdin"]
    proc = subprocess.Popen(
        [*cmd, *flags], stdin=subprocess.PIPE, stdout=subprocess.PIPE, preexec_fn=limit_files
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith(READY_PREFIX), line
        yield int(line.rsplit(":", 1)[1]), proc.pid
    finally:
        proc.kill()
        proc.wait(5)
        proc.stdin.close()
        proc.stdout.close()


def child_env(backend: str, attribute: str, kill: bool) -> str:
    """Open a ``backend`` env in a child process that prints its server's ``attribute``,
    then either ``kill -9`` the child or let it exit normally (without closing the env).
    Returns what the child printed."""
    code = (
        "import gymnasium as gym, steptool_env, sys, time\n"
        f"env = gym.make('StepTool/ToolBench-v0', backend={backend!r})\n"
        f"print(env.unwrapped.backend.server.{attribute}, flush=True)\n"
        "sys.stdin.readline()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdin is not None and child.stdout is not None
    printed = child.stdout.readline().strip()
    if kill:
        child.kill()
    else:
        child.stdin.write("exit\n")
        child.stdin.flush()
    assert child.wait(30) == (-9 if kill else 0)
    child.stdin.close()
    child.stdout.close()
    return printed
