"""The baseline agents through the single rollout loop: the oracle solves everything, the
random agent almost nothing."""

from __future__ import annotations

import gymnasium as gym
import pytest

from steptool_env.agents import make_agent
from steptool_env.bench.runner import episode_seed
from steptool_env.errors import ConfigError
from steptool_env.rollout import EpisodeSpec, collect
from steptool_env.world.suite import SPLITS, Suite


def run(agent_name: str, split: str, suite: Suite, parser: str = "react", limit=None):
    envs = [gym.make("StepTool/ToolBench-v0", split=split, parser=parser) for _ in range(8)]
    tasks = suite.split(split)[:limit] if limit else suite.split(split)
    specs = [EpisodeSpec(t.task_id, episode_seed(0, t.task_id)) for t in tasks]
    return collect(envs, make_agent(agent_name, seed=0), specs)


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.slow
def test_oracle_solves_every_task(split: str, suite: Suite) -> None:
    trajs = run("oracle", split, suite)
    unsolved = [t.spec.task_id for t in trajs if t.is_solved != 1.0]
    assert unsolved == []
    assert all(t.succ_calling_rate == 1.0 and t.recall == 1.0 for t in trajs)


@pytest.mark.slow
@pytest.mark.parametrize("parser", ["json", "hermes"])
def test_oracle_in_other_formats(parser: str, suite: Suite) -> None:
    trajs = run("oracle", "I2-Inst", suite, parser=parser)
    assert all(t.is_solved == 1.0 for t in trajs)


@pytest.mark.parametrize("split", ["I1-Inst", "I1-Tool", "I1-Cat", "I2-Inst", "I2-Cat", "I3-Inst"])
def test_random_agent_is_under_five_percent(split: str, suite: Suite) -> None:
    trajs = run("random", split, suite)
    rate = sum(t.is_solved for t in trajs) / len(trajs)
    assert rate < 0.05


def test_heuristic_beats_random(suite: Suite) -> None:
    h = run("heuristic", "I1-Inst", suite)
    r = run("random", "I1-Inst", suite)
    assert sum(t.is_solved for t in h) > sum(t.is_solved for t in r)
    assert sum(t.succ_calling_rate for t in h) > sum(t.succ_calling_rate for t in r)


def test_unknown_agent() -> None:
    with pytest.raises(ConfigError, match="oracle"):
        make_agent("gpt")
