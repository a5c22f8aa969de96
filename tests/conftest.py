from __future__ import annotations

import gymnasium as gym
import pytest

import steptool_env  # noqa: F401 - registers the ids
from steptool_env.envs.prompts import finish_arguments, format_action
from steptool_env.envs.tool_use_env import ToolUseEnv
from steptool_env.world.suite import Suite, Task, load_suite


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
