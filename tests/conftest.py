from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import gymnasium as gym
import pytest

import steptool_env  # noqa: F401 - registers the ids
from steptool_env.envs.prompts import finish_arguments, format_action
from steptool_env.envs.tool_use_env import ToolUseEnv
from steptool_env.errors import MissingDependencyError, SandboxError
from steptool_env.stabletoolbench.queries import find_query_files, subset_of
from steptool_env.testing import LOOPBACK_RAY, local_ray_head
from steptool_env.world.suite import Suite, Task, load_suite

os.environ.update(LOOPBACK_RAY)  # before anything imports ray: Ray stays on 127.0.0.1
# Before anything imports huggingface_hub: no test asks the model hub for anything.
os.environ["HF_HUB_OFFLINE"] = "1"

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
    """The real StableToolBench files (never copied into the project): the folder
    ``$STEPTOOL_STABLETOOLBENCH_DIR`` names when it is set, else ``../shared/data/
    stabletoolbench`` beside the repository; None when that folder has no query files."""
    given = os.environ.get("STEPTOOL_STABLETOOLBENCH_DIR")
    folder = Path(given) if given else REPO.parent / "shared" / "data" / "stabletoolbench"
    return folder if any((folder / "test_instruction").glob("*.json")) else None


STABLETOOLBENCH = _find_stabletoolbench()
if STABLETOOLBENCH is not None:  # StepTool/StableToolBench-v0 finds its default queries here
    os.environ["STEPTOOL_STABLETOOLBENCH_DIR"] = str(STABLETOOLBENCH)
NO_STABLETOOLBENCH = (
    "the real StableToolBench files are absent (../shared/data/stabletoolbench, or the folder "
    "STEPTOOL_STABLETOOLBENCH_DIR names)"
)
STABLETOOLBENCH_FILES: tuple[Path, ...] = (
    tuple(find_query_files(STABLETOOLBENCH)) if STABLETOOLBENCH is not None else ()
)
"""The query files present there (one to six), in the usual subset order."""
STABLETOOLBENCH_SUBSETS = tuple(subset_of(f) for f in STABLETOOLBENCH_FILES)
"""Their test subsets (``I1-Inst``, ...): what tests over "all the real files" expect."""


def stabletoolbench_query_count(files: Sequence[Path] = STABLETOOLBENCH_FILES) -> int:
    """How many queries ``files`` hold, read as plain JSON (independently of the loader)."""
    return sum(len(json.loads(f.read_text(encoding="utf-8"))) for f in files)


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


@pytest.fixture(scope="session", autouse=True)
def nothing_left_behind_by_the_suite() -> Iterator[None]:
    """At the end of the whole test session, with the pools shut, nothing our sandbox
    started may remain: no container, network, socket folder or server process."""
    yield
    from tests.sandbox.conftest import assert_nothing_left

    assert_nothing_left()


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
