"""Helpers for the backend tests (the ``docker_ready`` fixture is in tests/conftest.py)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from steptool_env.sandbox.server import ApiService


@pytest.fixture(scope="package", autouse=True)
def nothing_left_behind() -> Iterator[None]:
    """After the sandbox tests, with the pools shut, no server of this process remains
    (the whole suite is checked the same way at its end: tests/conftest.py)."""
    yield
    assert_nothing_left()


def assert_nothing_left() -> None:
    """Shut this process's pools; then no container, network, socket folder or server
    process of ours may remain."""
    from steptool_env.sandbox.pool import shutdown_pools
    from tests.conftest import docker_unavailable

    shutdown_pools()
    assert leftovers(os.getpid(), docker=docker_unavailable() is None) == {}


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


def server_processes(parent: int | None = None, pids: Iterable[int] = ()) -> list[int]:
    """Running API-mock server processes: the children of ``parent``, and any of ``pids``."""
    wanted = set(pids)
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z" or b"steptool_env.sandbox.server" not in cmdline:
            continue  # (a zombie has exited: only its parent's wait is missing)
        pid, ppid = int(proc.name), int(fields[1])
        if pid in wanted or ppid == parent:
            found.append(pid)
    return found


def leftovers(owner: int, docker: bool, server_pids: Iterable[int] = ()) -> dict[str, list]:
    """What the sandbox of process ``owner`` left behind: containers (any state), socket
    folders, networks and server processes; empty kinds are left out."""
    from steptool_env.sandbox.container import LABEL, OWNER_PID, SOCKET_DIR_PREFIX

    found: dict[str, list] = {
        "socket folders": sorted(
            str(p) for p in Path(tempfile.gettempdir()).glob(f"{SOCKET_DIR_PREFIX}{owner}-*")
        ),
        "server processes": server_processes(owner, server_pids),
    }
    if docker:
        from steptool_env.sandbox.container import docker_client

        client = docker_client()
        found["containers"] = [
            c.name
            for c in client.containers.list(all=True, filters={"label": f"{LABEL}=container"})
            if c.labels.get(OWNER_PID) == str(owner)
        ]
        # The containers have no network at all: none may ever be created.
        found["networks"] = [
            n.name
            for n in client.networks.list()
            if n.name not in ("bridge", "host", "none")
            and (
                "steptool" in n.name
                or any(k.startswith("io.steptool") for k in (n.attrs.get("Labels") or {}))
            )
        ]
    return {kind: items for kind, items in found.items() if items}
