"""Nothing of ours outlives its owner: no container, socket folder or server process after a
normal exit, none started during the exit, and ``steptool sandbox prune`` removes what a
killed owner left (issue 21)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from steptool_env.errors import SandboxError
from steptool_env.sandbox.container import SOCKET_DIR_PREFIX, prune_socket_dirs
from steptool_env.sandbox.http import LocalServer
from steptool_env.sandbox.pool import ServerPool
from tests.sandbox.conftest import leftovers

# Runs in a child process: for each backend kind named in argv, a backend leased from a
# shared pool (as an env's is), plus a server started outside any pool and never stopped
# (as the container benchmark's warm-up server was).
# The first exit handler registered runs last: after the library's own, it resets every
# backend once more, which used to restart a server (a container) during the exit.
_SCRIPT = """
import atexit, json, sys

late = []

def after_the_library_exit_handlers():
    for name, backend in late:
        try:
            backend.reset()
            got = "a server (re)started during the exit"
        except Exception as exc:
            got = type(exc).__name__
        print(json.dumps({"late reset": name, "got": got}), flush=True)

atexit.register(after_the_library_exit_handlers)

from steptool_env.sandbox.pool import shared_pool
from steptool_env.sandbox.remote import RemoteBackend

pids = []
for kind in sys.argv[1:]:
    if kind == "http":
        from steptool_env.sandbox.http import LocalServer as Server
    else:
        from steptool_env.sandbox.container import ContainerServer as Server
    leased = shared_pool(kind, Server).lease(5.0)
    leased.reset()
    late.append((kind + " env", leased))
    bare = Server()
    bare.start()
    backend = RemoteBackend(bare)
    backend.reset()
    late.append((kind + " bare server", backend))
    if kind == "http":
        pids += [leased.server.process.pid, bare.process.pid]
print(json.dumps({"server pids": pids}), flush=True)
"""


@pytest.mark.parametrize(
    "kinds", [["http"], pytest.param(["docker"], marks=pytest.mark.docker)], ids=str
)
@pytest.mark.slow
def test_a_normal_exit_leaves_nothing_behind(
    kinds: list[str], request: pytest.FixtureRequest
) -> None:
    docker = "docker" in kinds
    if docker:
        request.getfixturevalue("docker_ready")
    child = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT, *kinds],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    pids = lines[0]["server pids"]
    assert len(pids) == (2 if kinds == ["http"] else 0)
    assert {(x["late reset"], x["got"]) for x in lines[1:]} == {
        (f"{kind} {what}", "SandboxError") for kind in kinds for what in ("env", "bare server")
    }
    # Its containers and socket folders carry the child's pid; its server processes are
    # the ones it printed (orphans would have another parent by now).
    assert leftovers(child.pid, docker, pids) == {}


@pytest.mark.slow
def test_a_server_its_pool_stopped_is_not_restarted() -> None:
    """A backend that finds its server stopped by the pool fails; it used to start a new
    one that no pool would ever stop."""
    pool = ServerPool(LocalServer)
    backend = pool.lease(5.0)
    backend.reset()
    server = backend.server
    pool.close()
    with pytest.raises(SandboxError, match="shut down; it does not restart"):
        backend.reset()
    assert not server.alive()


def test_prune_removes_socket_folders_of_dead_owners_only(tmp_path: Path) -> None:
    dead = tmp_path / f"{SOCKET_DIR_PREFIX}{_exited_pid()}-a1b2"
    alive = tmp_path / f"{SOCKET_DIR_PREFIX}{os.getpid()}-c3d4"
    other = tmp_path / f"{SOCKET_DIR_PREFIX}build-e5f6"
    for folder in (dead, alive, other):
        folder.mkdir()
    (dead / "api.sock").touch()
    assert prune_socket_dirs(tmp_path) == [dead]
    assert not dead.exists() and alive.exists() and other.exists()


def _exited_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", ""])
    proc.wait()
    return proc.pid
