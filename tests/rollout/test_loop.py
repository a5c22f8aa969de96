from __future__ import annotations

import gymnasium as gym
import pytest

from steptool_env.agents import make_agent
from steptool_env.envs.tool_use_env import ToolUseEnv
from steptool_env.errors import ConfigError
from steptool_env.rollout import EpisodeSpec, collect
from steptool_env.sandbox import InProcessBackend
from steptool_env.testing import FlakyBackend, ScriptedAgent
from steptool_env.world.suite import Suite


@pytest.mark.parametrize("agent", ["random", "heuristic", "oracle"])
def test_results_do_not_depend_on_batch_size(agent: str, suite: Suite) -> None:
    specs = [EpisodeSpec(t.task_id, 100 + k) for k, t in enumerate(suite.split("I2-Inst")[:40])]
    one = collect([ToolUseEnv(split="I2-Inst")], make_agent(agent, seed=3), specs)
    many = collect(
        [ToolUseEnv(split="I2-Inst") for _ in range(7)], make_agent(agent, seed=3), specs
    )
    assert [t.digest() for t in one] == [t.digest() for t in many]
    assert [t.spec for t in one] == specs


def test_infrastructure_failure_is_recorded_not_scored(suite: Suite) -> None:
    backend = FlakyBackend(InProcessBackend(suite), fail=lambda n: n == 2)
    env = ToolUseEnv(split="I1-Inst", backend=backend)
    specs = [EpisodeSpec(t.task_id, 0) for t in suite.split("I1-Inst")[:3]]
    trajs = collect([env], make_agent("oracle"), specs)
    assert [bool(t.infra_error) for t in trajs] == [True, False, False]
    assert "injected" in trajs[0].infra_error
    assert trajs[1].is_solved == trajs[2].is_solved == 1.0


def test_agent_returning_wrong_number_of_actions(suite: Suite) -> None:
    class Broken(ScriptedAgent):
        def act(self, views):
            return []

    with pytest.raises(ConfigError, match="actions"):
        collect([ToolUseEnv()], Broken(["x"]), [EpisodeSpec(suite.split("train")[0].task_id, 0)])


def test_scripted_agent_and_truncation(suite: Suite) -> None:
    env = ToolUseEnv(max_steps=4)
    trajs = collect(
        [env], ScriptedAgent(["Thought: hmm"]), [EpisodeSpec(suite.split("train")[0].task_id, 0)]
    )
    t = trajs[0]
    assert (t.n_steps, t.truncated, t.terminated, t.is_solved) == (4, True, False, 0.0)
    assert t.statuses() == {"2": 4}


class _Buggy(gym.Wrapper):
    """A wrapper with a bug: ``step`` raises a plain exception on the chosen calls."""

    def __init__(self, env: gym.Env, fail: set[int]) -> None:
        super().__init__(env)
        self.fail, self.calls = fail, 0

    def step(self, action):
        self.calls += 1
        if self.calls in self.fail:
            raise KeyError("a bug, not a StepToolError")
        return self.env.step(action)


def test_unexpected_exception_ends_only_its_episode(suite: Suite) -> None:
    env = _Buggy(ToolUseEnv(split="I1-Inst"), fail={2})
    specs = [EpisodeSpec(t.task_id, 0) for t in suite.split("I1-Inst")[:3]]
    trajs = collect([env], make_agent("oracle"), specs)
    assert [t.infra_error for t in trajs] == ["KeyError('a bug, not a StepToolError')", "", ""]
    assert "Traceback" in trajs[0].infra_traceback and "in step" in trajs[0].infra_traceback
    assert trajs[1].is_solved == trajs[2].is_solved == 1.0


def test_agent_exception_ends_the_turns_episodes_and_the_run_goes_on(suite: Suite) -> None:
    oracle = make_agent("oracle")
    calls = []

    class Crashing:
        name = "crashing"

        def act(self, views):
            calls.append(len(views))
            if len(calls) == 1:
                raise ZeroDivisionError("agent bug")
            return oracle.act(views)

    specs = [EpisodeSpec(t.task_id, 0) for t in suite.split("I1-Inst")[:4]]
    trajs = collect([ToolUseEnv(split="I1-Inst") for _ in range(2)], Crashing(), specs)
    assert [bool(t.infra_error) for t in trajs] == [True, True, False, False]
    assert "ZeroDivisionError" in trajs[0].infra_traceback
    assert all(t.is_solved == 1.0 for t in trajs[2:])


def test_config_errors_still_stop_the_run(suite: Suite) -> None:
    class Misconfigured(ScriptedAgent):
        def act(self, views):
            raise ConfigError("agent.model", "x", "no such model")

    with pytest.raises(ConfigError, match="no such model"):
        collect(
            [ToolUseEnv()], Misconfigured(["x"]), [EpisodeSpec(suite.split("train")[0].task_id, 0)]
        )
