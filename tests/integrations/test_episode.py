"""The session every adapter shares: the in-process env's trajectory, JSON-safe."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest

from steptool_env.errors import ConfigError, TaskError
from steptool_env.integrations.episode import EpisodeSession, json_safe
from steptool_env.world.suite import Suite
from tests.integrations.conftest import mixed_plan, reference_episode


def run_session(session: EpisodeSession, seed: int, plan: list) -> list[tuple]:
    out = []
    for kind, a, b in plan:
        step = session.call(a, b) if kind == "call" else session.act(a)
        out.append((step.observation, step.reward, step.terminated, step.truncated, step.info))
    return out


@pytest.mark.parametrize("parser", ["react", "json", "hermes"])
def test_same_seed_same_trajectory_as_the_env(suite: Suite, parser: str) -> None:
    kwargs = {"split": "I2-Inst", "parser": parser}
    session = EpisodeSession("StepTool/ToolBench-v0", **kwargs)
    try:
        for seed in range(8):
            first, steps, plan = reference_episode(
                "StepTool/ToolBench-v0", kwargs, seed, mixed_plan(suite, seed)
            )
            start = session.reset(seed=seed)
            assert (start.observation, start.info) == (first.observation, first.info)
            assert run_session(session, seed, plan) == [s.key() for s in steps]
            assert session.done and session.steps == len(steps)
            assert session.episode_return == pytest.approx(sum(s.reward for s in steps))
            json.dumps(session.state())  # JSON-safe
    finally:
        session.close()


def test_discrete_env_by_index() -> None:
    session = EpisodeSession("StepTool/ToolBenchDiscrete-v0", split="I1-Inst")
    env = gym.make("StepTool/ToolBenchDiscrete-v0", split="I1-Inst")
    try:
        start = session.reset(seed=4)
        obs, info = env.reset(seed=4)
        assert start.observation == pytest.approx(obs.tolist())
        while not session.done:
            pick = info["oracle_action"]
            step = session.act(pick)
            obs, reward, term, trunc, info = env.step(pick)
            assert step.observation == obs.tolist() and step.reward == reward
            assert (step.terminated, step.truncated) == (term, trunc)
        assert session.last.info["is_solved"] == 1.0
        with pytest.raises(ConfigError, match="text env"):
            session.call("Finish", {"return_type": "give_up_and_restart"})
    finally:
        session.close()
        env.close()


def test_misuse_is_a_steptool_error() -> None:
    with pytest.raises(ConfigError, match="env_id"):
        EpisodeSession("StepTool/Nope-v0")
    session = EpisodeSession(split="I1-Inst")
    try:
        with pytest.raises(TaskError, match="reset"):
            session.act("x")
        with pytest.raises(TaskError, match="reset"):
            session.tool_schemas()
        session.reset(seed=0, task_id="I1-Inst-00007")
        assert session.task_id == "I1-Inst-00007"
        with pytest.raises(ConfigError, match="arguments"):
            session.call("Finish", ["not", "an", "object"])  # type: ignore[arg-type]
        session.call("Finish", {"return_type": "give_up_and_restart"})
        with pytest.raises(TaskError, match="over"):
            session.call("Finish", {"return_type": "give_up_and_restart"})
    finally:
        session.close()


def test_json_safe() -> None:
    value = {
        1: (np.int64(3), np.float32(0.5), {"b", "a"}),
        "x": np.arange(3),
        "nan": float("nan"),
        "o": object,
    }
    out = json_safe(value)
    assert out["1"] == [3, 0.5, ["a", "b"]] and out["x"] == [0, 1, 2]
    assert out["nan"] == "nan" and isinstance(out["o"], str)
    json.dumps(out, allow_nan=False)


def test_a_missing_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib
    import sys

    from steptool_env.errors import MissingDependencyError
    from steptool_env.integrations import mcp_server

    monkeypatch.setitem(sys.modules, "mcp", None)  # import mcp now fails
    monkeypatch.setitem(sys.modules, "openenv.core", None)
    monkeypatch.delitem(sys.modules, "steptool_env.integrations.openenv_adapter", raising=False)
    session = EpisodeSession(split="I1-Inst")
    try:
        with pytest.raises(MissingDependencyError, match=r"steptool-env\[mcp\]"):
            mcp_server.build_server(session)
        with pytest.raises(MissingDependencyError, match=r"steptool-env\[openenv\]"):
            importlib.import_module("steptool_env.integrations.openenv_adapter")
    finally:
        session.close()
