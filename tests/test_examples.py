"""The scripts in examples/ run as their docstrings say (with smaller budgets), each in a
fresh interpreter: exit status 0, no traceback on stderr, their summary line on stdout."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integrations.conftest import need

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

RUNS: dict[str, tuple[tuple[str, str], list[str], str]] = {
    # example: ((module it needs, extra), arguments, what its output must show)
    "mcp_client.py": (("mcp", "mcp"), ["--episodes", "2"], r"return 2\.000, solved 1\.0"),
    "openenv_client.py": (
        ("openenv", "openenv"),
        ["--episodes", "3"],
        r"pass rate 1\.00 over 3 episodes",
    ),
    "sb3_ppo.py": (
        ("stable_baselines3", "sb3"),
        ["--timesteps", "1024", "--episodes", "3"],
        r"pass rate on I2-Inst: \d\.\d\d",
    ),
    "trl_grpo.py": (("trl", "trl"), ["--steps", "1", "--batch", "2"], r"seed 0: \d+ steps"),
    # It needs a server that returns token ids (vLLM): here it meets a closed port and must
    # record each episode's infrastructure error, not crash (the served-model path itself is
    # tested in tests/bench/test_served.py).
    "served_rollouts.py": (
        ("httpx", "bench"),
        ["--model", "m", "--episodes", "1", "--base-url", "{closed}"],
        r"I1-Inst-00000: ProviderError: connection error",
    ),
}
NOT_RUN: dict[str, str] = {}


def test_every_example_is_run_here_or_says_why_not() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted([*RUNS, *NOT_RUN])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RUNS))
def test_example_runs(name: str, tmp_path: Path) -> None:
    (module, extra), args, summary = RUNS[name]
    need(module, extra)
    if name == "trl_grpo.py":
        args = [*args, "--out", str(tmp_path / "out")]
    closed = socket.socket()  # bound, never listening: connections to it are refused
    closed.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{closed.getsockname()[1]}/v1"
    args = [a.replace("{closed}", url) for a in args]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env=env,
    )
    closed.close()
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert re.search(summary, done.stdout), done.stdout[-2000:]
