"""A seeded fuzz of hostile model output through every text env id and every parser.

The rule: anything derived from model text that goes wrong is the model's mistake. Each of
3,000 hostile actions per parser and env id (``steptool_env.testing.hostile_actions``: huge
integers, 1e400, NaN, deep nesting, 1-5 MB strings, lone surrogates, NUL bytes, many
``Action:`` lines...) must give an observation inside the observation space with a model
status (1 or 2, or a Finish's 3/4), a finite reward and no exception, in well under 0.1 s of
CPU time, and the episode goes on. Then the same with the inprocess and http backends side by
side (they must agree), and through the rollout loop, where nothing reaches the infra path.
"""

from __future__ import annotations

import gc
import math
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import pytest

from steptool_env.envs.tool_use_env import ToolUseEnv
from steptool_env.rollout import EpisodeSpec, collect
from steptool_env.testing import ScriptedAgent, hostile_actions
from steptool_env.tools.status import API_FAILURES

PARSERS = ("react", "json", "hermes")
N_ACTIONS = 3_000
MAX_STEP_CPU_S = 0.1
MODEL_STATUSES = {0, 1, 2, 3, 4}


def _make(env_id: str, parser: str, **kwargs: Any) -> gym.Env:
    kwargs.setdefault("split", "I1-Inst")
    return gym.make(env_id, parser=parser, max_steps=10**6, **kwargs)


def _functions(env: gym.Env) -> dict[str, list[str]]:
    base = env.unwrapped
    assert isinstance(base, ToolUseEnv)
    return {f: list(api.params) for f, api in base.offered_apis.items()}


def _fuzz(env: gym.Env, parser: str, n: int, seed: int) -> dict[tuple[int, str], int]:
    """Step ``n`` hostile actions, checking each step; the counts of (status, error)."""
    obs, info = env.reset(seed=seed)
    task_id = info["task_id"]
    counts: dict[tuple[int, str], int] = {}
    worst = 0.0
    gc.disable()  # time the steps, not collections of the whole test session's garbage
    try:
        for action in hostile_actions(_functions(env), parser, n, seed=seed):
            start = time.thread_time()
            obs, reward, terminated, truncated, info = env.step(action)
            worst = max(worst, time.thread_time() - start)
            _check_step(env, action, obs, reward, info, counts)
            if terminated or truncated:
                env.reset(seed=seed, options={"task_id": task_id})
    finally:
        gc.enable()
    assert worst < MAX_STEP_CPU_S, f"slowest step took {worst:.3f} s of CPU time"
    return counts


def _check_step(env: gym.Env, action: str, obs: str, reward: Any, info: dict, counts: dict) -> None:
    """One fuzzed step's outcome is a model outcome inside the spaces; count its kind."""
    assert env.observation_space.contains(obs), (action[:80], obs[:200])
    assert math.isfinite(float(reward)), action[:80]
    assert info["status"] in MODEL_STATUSES or info["status"] in API_FAILURES, info
    key = (info["status"], info["error"])
    counts[key] = counts.get(key, 0) + 1


def _check_coverage(counts: dict[tuple[int, str], int]) -> None:
    """The fuzz reached every kind of refusal it is meant to reach."""
    errors = {e for _, e in counts}
    for kind in ("bad_json", "too_long", "multiple_calls", "invalid_arguments"):
        assert kind in errors, (kind, counts)
    assert sum(counts.values()) == N_ACTIONS


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.slow
def test_hostile_actions_toolbench(parser: str) -> None:
    env = _make("StepTool/ToolBench-v0", parser)
    _check_coverage(_fuzz(env, parser, N_ACTIONS, seed=1))


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.slow
def test_hostile_actions_stabletoolbench(parser: str, stabletoolbench: Path) -> None:
    env = _make("StepTool/StableToolBench-v0", parser, queries=str(stabletoolbench))
    _check_coverage(_fuzz(env, parser, N_ACTIONS, seed=2))
    env.close()


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.slow
def test_backends_agree_on_hostile_actions(parser: str) -> None:
    """The http backend answers every hostile action exactly as the inprocess one."""
    envs = [_make("StepTool/ToolBench-v0", parser, backend=b) for b in ("inprocess", "http")]
    try:
        outs = [env.reset(seed=5) for env in envs]
        assert outs[0] == outs[1]
        task_id = outs[0][1]["task_id"]
        for action in hostile_actions(_functions(envs[0]), parser, 400, seed=5):
            a, b = (env.step(action) for env in envs)
            assert a == b, action[:120]
            if a[2] or a[3]:
                for env in envs:
                    env.reset(seed=5, options={"task_id": task_id})
    finally:
        for env in envs:
            env.close()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1" * 4301, "too many digits"),
        ("-" + "9" * 5000, "too many digits"),
        ("[" * 3000 + "]" * 3000, "nested too deeply"),
    ],
)
@pytest.mark.parametrize("parser", PARSERS)
def test_undecodable_json_is_bad_json(parser: str, value: str, reason: str) -> None:
    env = _make("StepTool/ToolBench-v0", parser)
    env.reset(seed=0)
    fn = next(iter(_functions(env)))
    action = {
        "react": f'Action: {fn}\nAction Input: {{"q": {value}}}',
        "json": f'{{"name": "{fn}", "arguments": {{"q": {value}}}}}',
        "hermes": f'<tool_call>{{"name": "{fn}", "arguments": {{"q": {value}}}}}</tool_call>',
    }[parser]
    obs, reward, _, _, info = env.step(action)
    assert (info["status"], info["error"], reward) == (2, "bad_json", 0.0)
    assert reason in obs


def test_rollout_records_every_hostile_episode() -> None:
    """Episodes of hostile actions run to their end through the rollout loop: every one is
    recorded as the model's failure (never an infra error), truncated at max_steps."""
    envs = [gym.make("StepTool/ToolBench-v0", split="I1-Inst", max_steps=30) for _ in range(3)]
    envs[0].reset(seed=0)
    script = list(hostile_actions(_functions(envs[0]), "react", 30, seed=9))
    agent = ScriptedAgent(script)
    task_ids = [t.task_id for t in envs[0].unwrapped.tasks[:6]]
    specs = [EpisodeSpec(t, seed=k) for k, t in enumerate(task_ids)]
    trajs = collect(envs, agent, specs)
    assert len(trajs) == len(specs)
    for traj in trajs:
        assert traj.infra_error == "", traj.infra_traceback
        assert traj.n_steps >= 1
        assert all(math.isfinite(s.reward) for s in traj.steps)


def test_over_long_actions_are_refused_unparsed() -> None:
    env = _make("StepTool/ToolBench-v0", "react", max_action_chars=100)
    env.reset(seed=0)
    fn = next(iter(_functions(env)))
    call = f'Action: {fn}\nAction Input: {{"q": "'
    at_limit = call + "x" * (100 - len(call) - 2) + '"}'
    assert len(at_limit) == 100
    assert env.step(at_limit)[4]["error"] != "too_long"
    obs, reward, _, _, info = env.step(at_limit + " ")
    assert (info["status"], info["error"], reward) == (2, "too_long", 0.0)
    assert "101 characters; at most 100" in obs
    text = env.unwrapped.messages[-2]["content"]
    assert text == (at_limit + " ")[:100]  # shown cut to the limit in the transcript
