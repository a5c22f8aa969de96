from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import gymnasium as gym
import pytest

import steptool_env  # noqa: F401 - registers the ids
from steptool_env.envs.prompts import finish_arguments, format_action
from steptool_env.envs.tool_use_env import ToolUseEnv
from steptool_env.errors import MissingDependencyError, SandboxError
from steptool_env.testing import LOOPBACK_RAY, local_ray_head
from steptool_env.world.suite import Suite, Task, load_suite

os.environ.update(LOOPBACK_RAY)  # before anything imports ray: Ray stays on 127.0.0.1

REPO = Path(__file__).resolve().parents[1]


def run_python(code: str, hash_seed: str | None = "987") -> str:
    """Run ``code`` in a fresh interpreter at the repository root (another string-hash seed,
    no inherited environment but the StableToolBench data folder) and return its stdout."""
    env = {"PATH": ""}
    if hash_seed is not None:
        env["PYTHONHASHSEED"] = hash_seed
    if os.environ.get("STEPTOOL_STABLETOOLBENCH_DIR"):
        env["STEPTOOL_STABLETOOLBENCH_DIR"] = os.environ["STEPTOOL_STABLETOOLBENCH_DIR"]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=REPO
    )
    return out.stdout.strip()


def _find_stabletoolbench() -> Path | None:
    """The real StableToolBench files of ../shared/data (never copied into the project)."""
    given = os.environ.get("STEPTOOL_STABLETOOLBENCH_DIR")
    candidates = [Path(given)] if given else []
    candidates += [
        Path(__file__).resolve().parents[2] / "shared" / "data" / "stabletoolbench",
        Path("/work/shared/data/stabletoolbench"),
    ]
    return next((p for p in candidates if (p / "test_instruction").is_dir()), None)


STABLETOOLBENCH = _find_stabletoolbench()
if STABLETOOLBENCH is not None:  # StepTool/StableToolBench-v0 finds its default queries here
    os.environ["STEPTOOL_STABLETOOLBENCH_DIR"] = str(STABLETOOLBENCH)
NO_STABLETOOLBENCH = "the real StableToolBench files (../shared/data/stabletoolbench) are absent"


@pytest.fixture
def stabletoolbench() -> Path:
    """Folder of the real StableToolBench query files; skips the test where it is absent."""
    if STABLETOOLBENCH is None:
        pytest.skip(NO_STABLETOOLBENCH)
    return STABLETOOLBENCH


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
    """Skips where there is no Docker engine (fails instead with STEPTOOL_REQUIRE_DOCKER)."""
    reason = docker_unavailable()
    if reason is not None:
        if os.environ.get("STEPTOOL_REQUIRE_DOCKER"):
            pytest.fail(f"STEPTOOL_REQUIRE_DOCKER is set, but: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def ray_address() -> Iterator[str]:
    """Address of a Ray head on loopback (4 CPUs) started for this test session. Skips
    without the ray extra (fails instead with STEPTOOL_REQUIRE_RAY, as in CI)."""
    try:
        import ray  # noqa: F401
    except ImportError as exc:
        if os.environ.get("STEPTOOL_REQUIRE_RAY"):
            pytest.fail(f"STEPTOOL_REQUIRE_RAY is set, but ray cannot be imported: {exc}")
        pytest.skip("the ray extra is not installed")
    with local_ray_head(num_cpus=4) as address:
        yield address


@pytest.fixture(scope="session")
def suite() -> Suite:
    return load_suite()


@pytest.fixture
def env() -> ToolUseEnv:
    e = gym.make("StepTool/ToolBench-v0").unwrapped
    yield e
    e.close()


def gold_actions(suite: Suite, task: Task, parser: str = "react") -> list[str]:
    """The oracle's action texts for a task: its gold calls, then Finish."""
    acts = [
        format_action(parser, suite.catalogue.api(g.tool, g.api).function_name, g.arguments, "plan")
        for g in task.gold
    ]
    acts.append(format_action(parser, "Finish", finish_arguments(task.reference_answer)))
    return acts
