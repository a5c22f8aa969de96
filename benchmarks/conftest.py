from __future__ import annotations

import os

import pytest

import steptool_env  # noqa: F401
from steptool_env.envs.prompts import finish_arguments, format_action
from steptool_env.envs.tool_use_env import ToolUseEnv
from steptool_env.testing import LOOPBACK_RAY
from steptool_env.world.suite import load_suite

os.environ.update(LOOPBACK_RAY)  # before anything imports ray: Ray stays on 127.0.0.1


@pytest.fixture(scope="session")
def plans() -> list[tuple[str, list[str]]]:
    """Oracle action texts for 500 train tasks (the agent's work is done up front)."""
    suite = load_suite()
    cat = suite.catalogue
    out = []
    for t in suite.split("train")[:500]:
        acts = [
            format_action("react", cat.api(g.tool, g.api).function_name, g.arguments, "x")
            for g in t.gold
        ]
        acts.append(format_action("react", "Finish", finish_arguments(t.reference_answer)))
        out.append((t.task_id, acts))
    return out


def run_plans(env: ToolUseEnv, plans: list[tuple[str, list[str]]]) -> int:
    """Play each (task id, actions) plan as one episode; returns the number of steps."""
    n = 0
    for task_id, acts in plans:
        env.reset(options={"task_id": task_id})
        for a in acts:
            env.step(a)
        n += len(acts)
    return n


@pytest.fixture
def env() -> ToolUseEnv:
    return ToolUseEnv(split="train")
