"""Helpers for the backend tests (the ``docker_ready`` fixture is in tests/conftest.py)."""

from __future__ import annotations

import subprocess
import sys


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
