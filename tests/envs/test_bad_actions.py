"""Malformed actions through the environment: never an exception, always an error
observation with status 1 or 2 and the documented reward (0: SuccCalling 0, no
Contribution), inside the observation space, and the episode goes on."""

from __future__ import annotations

from typing import Any

import pytest

from steptool_env.envs.prompts import format_action
from steptool_env.envs.tool_use_env import ToolUseEnv
from steptool_env.world.suite import Suite
from tests.envs.test_parsing import HERMES_MALFORMED, JSON_MALFORMED, REACT_MALFORMED

CASES = {"react": REACT_MALFORMED, "json": JSON_MALFORMED, "hermes": HERMES_MALFORMED}
ENVS: dict[str, ToolUseEnv] = {}


def _env(parser: str) -> ToolUseEnv:
    if parser not in ENVS:
        ENVS[parser] = ToolUseEnv(split="I1-Inst", parser=parser, max_steps=10**6)
        ENVS[parser].reset(seed=0)
    return ENVS[parser]


def _assert_error_step(env: ToolUseEnv, action: Any, statuses: tuple[int, ...]) -> dict:
    obs, reward, terminated, truncated, info = env.step(action)
    assert info["status"] in statuses, info
    assert reward == 0.0
    assert not terminated and not truncated
    assert info["succ_calling"] == 0 and info["contribution"] == 0.0
    assert env.observation_space.contains(obs)
    assert '"error": "' in obs and '"error": ""' not in obs
    return info


@pytest.mark.parametrize(
    ("parser", "action"),
    [pytest.param(p, c.values[0], id=f"{p}-{c.id}") for p, cases in CASES.items() for c in cases],
)
def test_malformed_action_is_an_observation(parser: str, action: Any) -> None:
    assert len(CASES[parser]) >= 30
    info = _assert_error_step(_env(parser), action, (2,))
    assert info["error"]


@pytest.mark.parametrize("parser", sorted(CASES))
def test_well_formed_but_wrong_calls(parser: str, suite: Suite) -> None:
    env = ToolUseEnv(split="I1-Inst", parser=parser)
    task = suite.split("I1-Inst")[0]
    env.reset(options={"task_id": task.task_id})
    api = suite.catalogue.api(task.gold[0].tool, task.gold[0].api)
    first = api.required[0]
    wrong_type = 12345 if first.type.value in ("STRING", "DATE", "ENUM") else "twelve"
    bad = [
        (format_action(parser, "no_such_function", {}), (1,)),
        (format_action(parser, "search_cities_for_geodb_citie", {"query": "x"}), (1,)),
        (format_action(parser, api.function_name, {}), (2,)),
        (format_action(parser, api.function_name, {first.name: wrong_type}), (2,)),
        (format_action(parser, api.function_name, {**task.gold[0].arguments, "zz": 1}), (2,)),
        (format_action(parser, "Finish", {}), (2,)),
        (format_action(parser, "Finish", {"return_type": "give_answer", "final_answer": 3}), (2,)),
        (format_action(parser, "Finish", {"return_type": "yes"}), (2,)),
        (format_action(parser, "é" * 10_000, {}), (1, 2)),
    ]
    for action, statuses in bad:
        _assert_error_step(env, action, statuses)
