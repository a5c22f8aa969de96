"""The default reward cannot be farmed: on every task of every split of both env ids, the
largest return any trajectory that does not solve the task can earn (computed by
``best_unsolved_return``, not sampled) is below the oracle's return. The paper's formula
fails the same check, which shows the check can fail."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from steptool_env.agents.oracle import OracleAgent
from steptool_env.envs.prompts import format_action
from steptool_env.errors import ConfigError
from steptool_env.rewards import best_unsolved_return, make_shaper
from steptool_env.rollout.loop import collect
from steptool_env.rollout.records import EpisodeSpec, Trajectory
from steptool_env.world.suite import Suite
from tests.conftest import gold_actions

GAMMAS = (1.0, 0.99)


def _discounted(traj: Trajectory, gamma: float) -> float:
    return float(sum(gamma**t * s.reward for t, s in enumerate(traj.steps)))


def _oracle_returns(env: gym.Env, splits: tuple[str, ...], mode: str) -> list[Trajectory]:
    base = env.unwrapped
    specs = [
        EpisodeSpec(t.task_id, seed=k)
        for split in splits
        for k, t in enumerate(base.suite.split(split))
    ]
    trajs = collect([env], OracleAgent(), specs)
    assert len(trajs) == len(specs)
    return trajs


def _check_not_farmable(env: gym.Env, splits: tuple[str, ...]) -> int:
    base = env.unwrapped
    shaper = base.shaper
    trajs = _oracle_returns(env, splits, base.reward_mode)
    bounds: dict[tuple[int, float], float] = {}
    for traj in trajs:
        assert not traj.infra_error and traj.is_solved == 1.0, traj.spec.task_id
        n = len(base.suite.task(traj.spec.task_id).gold)
        for gamma in GAMMAS:
            key = (n, gamma)
            if key not in bounds:
                bounds[key] = best_unsolved_return(shaper, n, base.max_steps, gamma)
            assert bounds[key] < _discounted(traj, gamma), (traj.spec.task_id, gamma)
    return len(trajs)


@pytest.mark.slow
def test_the_default_cannot_be_farmed_on_any_generated_task(suite: Suite) -> None:
    env = gym.make("StepTool/ToolBench-v0")
    assert env.unwrapped.reward_mode == "steptool"
    assert _check_not_farmable(env, tuple(suite.splits)) == sum(
        len(suite.split(s)) for s in suite.splits
    )
    env.close()


def test_the_default_cannot_be_farmed_on_any_stabletoolbench_query(stabletoolbench: Path) -> None:
    env = gym.make("StepTool/StableToolBench-v0", queries=str(stabletoolbench))
    splits = tuple(env.unwrapped.suite.splits)
    assert _check_not_farmable(env, splits) > 400
    env.close()


@pytest.mark.slow
def test_the_paper_formula_is_farmable_on_every_generated_test_task(suite: Suite) -> None:
    env = gym.make("StepTool/ToolBench-v0", reward_mode="paper")
    base = env.unwrapped
    trajs = _oracle_returns(env, ("I1-Inst", "I3-Inst"), "paper")
    for traj in trajs:
        n = len(suite.task(traj.spec.task_id).gold)
        assert best_unsolved_return(base.shaper, n, base.max_steps) > traj.episode_return
    env.close()


def test_the_bound_is_reached_by_a_real_farmer_under_the_paper_formula(suite: Suite) -> None:
    """The computed bound is not loose: looping over the gold calls without ever finishing
    earns it exactly under the paper's formula (7.0 on I1-Inst-00000, against 3.0 for
    solving); under the default the same farmer earns the shaping once (1.0 < 2.0)."""
    task = suite.task("I1-Inst-00000")
    gold = gold_actions(suite, task)[:-1]
    assert len(gold) == 2
    for mode, want in (("paper", 7.0), ("steptool", 1.0)):
        env = gym.make("StepTool/ToolBench-v0", reward_mode=mode)
        env.reset(seed=0, options={"task_id": task.task_id})
        total, done, k = 0.0, False, 0
        while not done:
            _, r, term, trunc, _ = env.step(gold[k % len(gold)])
            total, done, k = total + float(r), term or trunc, k + 1
        assert total == pytest.approx(want)
        bound = best_unsolved_return(env.unwrapped.shaper, 2, env.unwrapped.max_steps)
        assert total <= bound + 1e-12
        assert (total == pytest.approx(bound)) == (mode == "paper")
        env.close()


@pytest.mark.parametrize(
    ("mode", "n", "want"),
    [
        ("paper", 1, 6.5),  # 1 (new call, satisfies the node) + 10 × 0.5 (repeats) + 0.5
        ("paper", 2, 7.0),
        ("steptool", 1, 1.5),  # all the shaping there is (1) + a half-solve (0.5)
        ("steptool", 5, 1.5),
        ("outcome", 3, 0.5),
    ],
)
def test_bound_by_hand(mode: str, n: int, want: float) -> None:
    assert best_unsolved_return(make_shaper(mode), n, 12) == pytest.approx(want)


def test_bound_respects_discount_and_horizon() -> None:
    paper = make_shaper("paper")
    # two steps: a new call that satisfies the node (1), then Finish with 0.5 or a repeat (0.5)
    assert best_unsolved_return(paper, 1, 2) == pytest.approx(1.5)
    assert best_unsolved_return(paper, 1, 2, gamma=0.5) == pytest.approx(1.25)
    with pytest.raises(ConfigError, match="max_steps"):
        best_unsolved_return(paper, 1, 0)
    with pytest.raises(ConfigError, match="gold_total"):
        best_unsolved_return(paper, 0, 12)


def test_the_env_keeps_the_promises_the_bound_relies_on(suite: Suite) -> None:
    """At most one new gold node per step and ``gold_total`` per episode; ``distinct_calls``
    grows by one exactly on a new successful call; rewards stay within the bound — over
    episodes of gold calls in random order, repeated, mixed with calls that fail."""
    env = gym.make("StepTool/ToolBench-v0")
    base = env.unwrapped
    rng = np.random.default_rng(0)
    seen_new = seen_repeat = 0
    for k, task in enumerate(suite.split("I2-Inst")[:40]):
        gold = gold_actions(suite, task)[:-1]
        pool = [*gold, *gold, "no call here", format_action("react", "no_such_fn", {})]
        env.reset(seed=k, options={"task_id": task.task_id})
        total, contributions, distinct, done = 0.0, 0.0, 0, False
        while not done:
            _, r, term, trunc, info = env.step(pool[int(rng.integers(len(pool)))])
            done = term or trunc
            total += float(r)
            assert info["contribution"] in (0.0, 1.0)
            contributions += info["contribution"]
            assert contributions <= info["gold_total"] == len(task.gold)
            assert info["new_call"] == (info["distinct_calls"] == distinct + 1)
            assert not info["new_call"] or info["succ_calling"] == 1
            seen_new += info["new_call"]
            seen_repeat += info["succ_calling"] and not info["new_call"]
            distinct = info["distinct_calls"]
        assert total <= best_unsolved_return(base.shaper, len(task.gold), base.max_steps) + 1e-9
    assert seen_new > 0 and seen_repeat > 0
    env.close()
