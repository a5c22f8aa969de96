"""Fixtures for the backend tests: warm server pools, and Docker when there is one."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from steptool_env.errors import MissingDependencyError, SandboxError


def docker_unavailable() -> str | None:
    """Why the Docker tests cannot run here, or None when they can."""
    try:
        from steptool_env.sandbox.container import docker_client

        docker_client()
    except (MissingDependencyError, SandboxError) as exc:
        return f"no usable Docker engine: {exc}"
    return None


@pytest.fixture(scope="session")
def docker_ready() -> None:
    reason = docker_unavailable()
    if reason is not None:
        if os.environ.get("STEPTOOL_REQUIRE_DOCKER"):
            pytest.fail(f"STEPTOOL_REQUIRE_DOCKER is set, but: {reason}")
        pytest.skip(reason)


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
