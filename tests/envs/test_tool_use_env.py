from __future__ import annotations

import gymnasium as gym
import pytest

from steptool_env.envs.prompts import finish_arguments, format_action
from steptool_env.envs.tool_use_env import ToolUseEnv
from steptool_env.errors import ConfigError, TaskError
from steptool_env.world.suite import Suite, Task
from steptool_env.world.tasks import AnswerFact
from tests.conftest import gold_actions

INFO_KEYS = {
    "source",
    "step",
    "status",
    "error",
    "function",
    "succ_calling",
    "contribution",
    "gold_nodes",
    "is_solved",
    "new_call",
    "distinct_calls",
    "gold_total",
    "final",
    "api_failure",
    "fault",
    "reward_mode",
    "task_id",
}


def two_fact_task(suite: Suite) -> Task:
    for t in suite.split("train"):
        facts = [f for f in t.facts if isinstance(f, AnswerFact)]
        if (
            len(t.gold) >= 2
            and len(facts) == len(t.facts) >= 2
            and not any(f.distractors for f in facts)
        ):
            return t
    raise AssertionError("no task with two plain answer facts")


def test_oracle_episode_rewards_and_info(env: ToolUseEnv, suite: Suite) -> None:
    task = suite.split("I1-Inst")[0]
    obs, info = env.reset(seed=1, options={"task_id": task.task_id})
    assert info["task_id"] == task.task_id and task.query in obs
    assert env.observation_space.contains(obs)
    rewards = []
    for k, action in enumerate(gold_actions(suite, task)):
        obs, r, term, trunc, info = env.step(action)
        assert set(info) == INFO_KEYS
        assert env.observation_space.contains(obs)
        rewards.append(r)
        assert info["step"] == k + 1
    assert term and not trunc
    n = len(task.gold)  # each gold call: a new successful call (α/N) that satisfies a node (1/N)
    assert rewards == pytest.approx([1.0 / n] * n + [1.0])
    assert info["gold_total"] == n and info["distinct_calls"] == n
    assert info["status"] == 3 and info["is_solved"] == 1.0 and info["final"]


def test_repeat_unknown_partial_and_giveup(env: ToolUseEnv, suite: Suite) -> None:
    task = two_fact_task(suite)
    acts = gold_actions(suite, task)
    env.reset(options={"task_id": task.task_id})
    n = len(task.gold)
    _, r1, *_, i1 = env.step(acts[0])
    _, r2, *_, i2 = env.step(acts[0])  # the same call again: SuccCalling but no Contribution
    assert (r1, i1["contribution"], i1["succ_calling"], i1["new_call"]) == (1 / n, 1.0, 1, True)
    # the default pays a repeated call nothing (the paper's formula pays it SuccCalling)
    assert (r2, i2["contribution"], i2["succ_calling"], i2["new_call"]) == (0.0, 0.0, 1, False)
    assert i2["distinct_calls"] == 1
    _, r3, term, _, i3 = env.step(format_action("react", "no_such_api_for_nothing", {}))
    assert (r3, i3["status"], i3["error"], term) == (0.0, 1, "unknown_function", False)
    partial = str(next(f for f in task.facts if isinstance(f, AnswerFact)).value)
    _, r4, term, _, i4 = env.step(format_action("react", "Finish", finish_arguments(partial)))
    assert (r4, i4["is_solved"], term) == (0.5, 0.5, True)

    env.reset(options={"task_id": task.task_id})
    _, r, term, _, info = env.step(format_action("react", "Finish", finish_arguments(None)))
    assert (r, info["status"], term) == (0.0, 4, True)


def test_not_offered_tool_is_status_1(env: ToolUseEnv, suite: Suite) -> None:
    task = suite.split("train")[3]
    other = next(a for a in suite.catalogue if a.function_name not in task.api_list)
    env.reset(options={"task_id": task.task_id})
    _, r, _, _, info = env.step(format_action("react", other.function_name, {}))
    assert (info["status"], r, info["succ_calling"]) == (1, 0.0, 0)


def test_invalid_arguments_and_invalid_finish(env: ToolUseEnv, suite: Suite) -> None:
    task = suite.split("train")[0]
    fn = suite.catalogue.api(task.gold[0].tool, task.gold[0].api).function_name
    env.reset(options={"task_id": task.task_id})
    _, r, term, _, info = env.step(format_action("react", fn, {"nonsense": 1}))
    assert (info["status"], info["error"], r, term) == (2, "invalid_arguments", 0.0, False)
    _, r, term, _, info = env.step(format_action("react", "Finish", {"return_type": "maybe"}))
    assert (info["status"], info["error"], r, term) == (2, "invalid_finish", 0.0, False)


def test_alpha_changes_the_mix(suite: Suite) -> None:
    task = suite.split("train")[0]
    acts = gold_actions(suite, task)
    n = len(task.gold)
    for alpha, want in [(1.0, 0.5), (3.0, 0.75), (0.0, 0.0)]:
        e = ToolUseEnv(alpha=alpha, reward_mode="paper")
        e.reset(options={"task_id": task.task_id})
        e.step(acts[0])
        _, r, *_ = e.step(acts[0])  # a successful repeat: s=1, c=0
        assert r == pytest.approx(want)
        e = ToolUseEnv(alpha=alpha)
        e.reset(options={"task_id": task.task_id})
        _, r, *_ = e.step(acts[0])  # a new successful call that satisfies a node: ŝ=1, c=1
        assert r == pytest.approx(1 / n)


def test_outcome_mode_only_final(suite: Suite) -> None:
    task = suite.split("train")[0]
    e = ToolUseEnv(reward_mode="outcome")
    e.reset(options={"task_id": task.task_id})
    rewards = [e.step(a)[1] for a in gold_actions(suite, task)]
    assert rewards == [0.0] * len(task.gold) + [1.0]


def test_truncation_at_max_steps(suite: Suite) -> None:
    e = ToolUseEnv(max_steps=3)
    e.reset(seed=0)
    for _ in range(3):
        _, _, term, trunc, info = e.step("no action here")
    assert (term, trunc, info["is_solved"]) == (False, True, 0.0)
    with pytest.raises(TaskError, match="reset"):
        e.step("again")


def test_messages_are_openai_chat_format(env: ToolUseEnv, suite: Suite) -> None:
    task = suite.split("train")[0]
    env.reset(options={"task_id": task.task_id})
    env.step(gold_actions(suite, task)[0])
    env.step("garbage")
    roles = [m["role"] for m in env.messages]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "user"]
    call = env.messages[2]["tool_calls"][0]
    assert env.messages[3]["tool_call_id"] == call["id"]
    assert call["function"]["name"] == env.messages[3]["name"]
    names = [s["name"] for s in env.tool_schemas]
    assert names == [*task.api_list, "Finish"]


def test_full_observation_mode_accumulates(suite: Suite) -> None:
    e = ToolUseEnv(observation_mode="full")
    task = suite.split("train")[0]
    first, _ = e.reset(options={"task_id": task.task_id})
    obs, *_ = e.step(gold_actions(suite, task)[0])
    assert obs.startswith(first) and "Observation:" in obs
    assert e.observation_space.contains(obs)


def test_reset_options(env: ToolUseEnv, suite: Suite) -> None:
    with pytest.raises(ConfigError, match="task_id"):
        env.reset(options={"task": "x"})
    with pytest.raises(TaskError, match="no task"):
        env.reset(options={"task_id": "nope"})
    other = suite.split("I1-Inst")[0]
    _, info = env.reset(options={"task_id": other.task_id})
    assert (info["task_id"], info["split"]) == (other.task_id, "I1-Inst")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"split": "test"}, "split"),
        ({"parser": "xml"}, "parser"),
        ({"reward_mode": "dense"}, "reward_mode"),
        ({"alpha": -0.5}, "alpha"),
        ({"max_steps": 0}, "max_steps"),
        ({"observation_mode": "all"}, "observation_mode"),
        ({"backend": "cloud"}, "backend"),
        ({"max_observation_chars": 3}, "max_observation_chars"),
    ],
)
def test_bad_configuration_names_field_and_choices(kwargs: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=field) as err:
        gym.make("StepTool/ToolBench-v0", **kwargs)
    if field in ("split", "parser", "reward_mode", "observation_mode", "backend"):
        assert "valid choices" in str(err.value)


def test_observation_truncation(suite: Suite) -> None:
    e = ToolUseEnv(max_observation_chars=64)
    task = suite.split("train")[0]
    e.reset(options={"task_id": task.task_id})
    obs, *_ = e.step(gold_actions(suite, task)[0])
    assert len(obs) <= 64 and obs.endswith("[truncated]")


def test_lazy_seeding_gives_gymnasiums_generator() -> None:
    """reset(seed) keeps the seed and builds np_random on first use: the same generator, in
    the same state, as Gymnasium's eager seeding, whatever comes in between."""
    import numpy as np
    from gymnasium.utils import seeding

    env = ToolUseEnv(split="train")
    some_task = env.tasks[5].task_id
    env.reset(seed=11, options={"task_id": some_task})  # no draw: the generator waits
    assert env.np_random_seed == 11
    env.reset(options={"task_id": some_task})  # an unseeded reset keeps the pending seed
    expected = seeding.np_random(11)[0].integers(1000, size=8)
    assert np.array_equal(env.np_random.integers(1000, size=8), expected)

    a, b = ToolUseEnv(split="train"), ToolUseEnv(split="train")
    tasks = [a.reset(seed=3)[1]["task_id"], *(a.reset()[1]["task_id"] for _ in range(4))]
    rng = seeding.np_random(3)[0]
    assert tasks == [b.tasks[int(rng.integers(len(b.tasks)))].task_id for _ in range(5)]
    with pytest.raises(gym.error.Error):
        a.reset(seed=-1)
    a.np_random = np.random.default_rng(0)  # set by hand: Gymnasium's seed of -1
    assert a.np_random_seed == -1


def test_call_key_equal_exactly_when_the_sorted_json_is() -> None:
    """Two calls are "the same call" (``new_call``) exactly when their arguments' sorted JSON
    texts are equal; the fast key for flat plain values must agree on every pair."""
    import itertools
    import json

    from steptool_env.envs.tool_use_env import _call_key

    values = ["1", 1, 1.0, True, None, 0.0, -0.0, float("nan"), float("inf"), 1e16, "a", [1], {}]
    args = [{}] + [{"a": v} for v in values] + [{"a": 1, "b": v} for v in values]
    args += [{"b": v, "a": 1} for v in values]
    for x, y in itertools.product(args, repeat=2):
        same_json = json.dumps(x, sort_keys=True) == json.dumps(y, sort_keys=True)
        assert (_call_key(x) == _call_key(y)) == same_json, (x, y)
