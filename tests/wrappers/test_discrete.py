"""The discrete view ``StepTool/ToolBenchDiscrete-v0``: spaces, the perfect policy, candidates,
features, seeding, reward pass-through and checkers."""

from __future__ import annotations

import hashlib
import json
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env

from steptool_env.envs.parsing import ParseFailure, get_parser
from steptool_env.errors import ConfigError
from steptool_env.tools.status import Status
from steptool_env.world.suite import Suite, Task
from steptool_env.wrappers.discrete import (
    CANDIDATE_FEATURES,
    GLOBAL_FEATURES,
    DiscreteToolEnv,
    canonical_key,
    make_discrete_env,
)
from tests.conftest import gold_actions, run_python

ENV_ID = "StepTool/ToolBenchDiscrete-v0"
SPLITS = ("train", "val", "I1-Inst", "I1-Tool", "I1-Cat", "I2-Inst", "I2-Cat", "I3-Inst")
WIDTH = len(CANDIDATE_FEATURES)
CALL_SUCCEEDED_BEFORE = CANDIDATE_FEATURES.index("call_succeeded_before")
ARGS_UNSEEN = CANDIDATE_FEATURES.index("args_unseen")
_parse = get_parser("react")


@pytest.fixture
def denv(suite: Suite) -> DiscreteToolEnv:
    e = make_discrete_env(suite=suite)
    yield e
    e.close()


def features(obs: np.ndarray, slot: int) -> np.ndarray:
    start = GLOBAL_FEATURES + slot * WIDTH
    return obs[start : start + WIDTH]


def action_part(text: str) -> str:
    """A react action without its Thought line (the oracle agent writes a thought)."""
    head, sep, rest = text.partition("\n")
    assert head.startswith("Thought:") and sep, text
    return rest


def parsed_call(text: str) -> tuple[str, dict] | None:
    p = _parse(text)
    return None if isinstance(p, ParseFailure) else (p.function, dict(p.arguments))


def oracle_episode(env: gym.Env, task: Task, seed: int) -> tuple[list[float], list[dict]]:
    _, info = env.reset(seed=seed, options={"task_id": task.task_id})
    rewards, infos = [], [info]
    done = False
    while not done:
        _, r, term, trunc, info = env.step(info["oracle_action"])
        rewards.append(float(r))
        infos.append(info)
        done = term or trunc
    return rewards, infos


# ---------------------------------------------------------------------------- checkers
def test_gymnasium_check_env_on_the_wrapper(denv: DiscreteToolEnv) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(denv, skip_render_check=True)
    messages = [str(w.message) for w in caught]
    # The only warning: the wrapper is not the unwrapped (text) env -- by design here.
    unexpected = [m for m in messages if "different from the unwrapped version" not in m]
    assert unexpected == []


def test_sb3_check_env_on_the_registered_id() -> None:
    sb3_checker = pytest.importorskip("stable_baselines3.common.env_checker")
    env = gym.make(ENV_ID)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sb3_checker.check_env(env, warn=True)
    assert [str(w.message) for w in caught] == []
    env.close()


# ---------------------------------------------------------------------------- spaces
def test_spaces_and_observation(denv: DiscreteToolEnv) -> None:
    size = GLOBAL_FEATURES + 16 * len(CANDIDATE_FEATURES)
    assert denv.observation_space == spaces.Box(0.0, 1.0, shape=(size,), dtype=np.float32)
    assert denv.action_space == spaces.Discrete(16)
    denv.action_space.seed(3)
    obs, info = denv.reset(seed=3)
    assert obs.dtype == np.float32 and obs.shape == (size,)
    assert denv.observation_space.contains(obs)
    assert len(info["candidates"]) == 16
    assert len(set(info["candidates"])) == 16, "candidates must be distinct"
    for _ in range(12):
        obs, _, term, trunc, info = denv.step(denv.action_space.sample())
        assert obs.dtype == np.float32 and denv.observation_space.contains(obs)
        if term or trunc:
            obs, info = denv.reset()
            assert denv.observation_space.contains(obs)


@pytest.mark.parametrize("k", [8, 12, 30])
def test_max_candidates_sets_the_sizes(suite: Suite, k: int) -> None:
    env = make_discrete_env(max_candidates=k, suite=suite)
    size = GLOBAL_FEATURES + k * len(CANDIDATE_FEATURES)
    assert env.observation_space.shape == (size,)
    assert env.action_space == spaces.Discrete(k)
    obs, info = env.reset(seed=0)
    assert obs.shape == (size,) and len(info["candidates"]) == k
    assert 0 <= info["oracle_action"] < k
    env.close()


@pytest.mark.parametrize("k", [7, 0, -1, 2.5, True])
def test_too_few_candidates_is_a_config_error(suite: Suite, k: object) -> None:
    with pytest.raises(ConfigError, match="max_candidates"):
        make_discrete_env(max_candidates=k, suite=suite)


def test_max_candidates_through_gym_make() -> None:
    env = gym.make(ENV_ID, max_candidates=10)
    assert env.action_space == spaces.Discrete(10)
    env.close()
    with pytest.raises(ConfigError):
        gym.make(ENV_ID, max_candidates=7)


# ---------------------------------------------------------------------------- perfect policy
@pytest.mark.parametrize("split", SPLITS)
def test_the_oracle_index_solves_every_task(
    denv: DiscreteToolEnv, suite: Suite, split: str
) -> None:
    tasks = suite.split(split)[:25]
    assert len(tasks) == 25
    solved = []
    for seed, task in enumerate(tasks):
        gold = gold_actions(suite, task)
        _, infos = oracle_episode(denv, task, seed)
        assert infos[-1]["final"] and infos[-1]["status"] == Status.FINAL_ANSWER
        solved.append(infos[-1]["is_solved"])
        # The candidate at the oracle index is the OracleAgent's action, step by step.
        picked = [info["candidates"][info["oracle_action"]] for info in infos[:-1]]
        assert [action_part(a) for a in picked] == [action_part(a) for a in gold], task.task_id
    assert float(np.mean(solved)) == 1.0


def test_oracle_on_an_env_of_each_split(suite: Suite) -> None:
    """Not only tasks named by id: an env built for a split, reset by seed, is solved too."""
    for split in SPLITS:
        env = make_discrete_env(split=split, suite=suite)
        for seed in range(3):
            _, info = env.reset(seed=seed)
            assert info["split"] == split
            done = False
            while not done:
                _, _, term, trunc, info = env.step(info["oracle_action"])
                done = term or trunc
            assert term and info["is_solved"] == 1.0, (split, seed)
        env.close()


# ---------------------------------------------------------------------------- mistakes
def test_random_policy_makes_unknown_function_and_bad_input_mistakes(
    denv: DiscreteToolEnv,
) -> None:
    rng = np.random.default_rng(11)
    statuses: set[int] = set()
    denv.reset(seed=11)
    for _ in range(200):
        _, _, term, trunc, info = denv.step(int(rng.integers(denv.max_candidates)))
        statuses.add(info["status"])
        if term or trunc:
            denv.reset()
    assert Status.NO_SUCH_FUNCTION in statuses
    assert Status.BAD_INPUT in statuses
    assert Status.OK in statuses


@pytest.mark.parametrize("action", [16, -1, 100, 1.5, "3", None])
def test_out_of_range_action_raises(denv: DiscreteToolEnv, action: object) -> None:
    denv.reset(seed=0)
    with pytest.raises(ValueError, match="action must be an int"):
        denv.step(action)


def test_numpy_integer_actions_are_accepted(denv: DiscreteToolEnv) -> None:
    _, info = denv.reset(seed=0)
    _, _, _, _, info = denv.step(np.int64(info["oracle_action"]))
    assert info["status"] == Status.OK


# ---------------------------------------------------------------------------- leakage
def _answer_texts(candidates: list[str]) -> list[str]:
    """The final answers of the Finish candidates (a give-up has "")."""
    calls = [parsed_call(c) for c in candidates]
    return [p[1].get("final_answer", "") for p in calls if p is not None and p[0] == "Finish"]


@pytest.mark.parametrize("split", SPLITS)
def test_no_reference_answer_before_the_gold_calls_by_task_id(
    denv: DiscreteToolEnv, suite: Suite, split: str
) -> None:
    for seed, task in enumerate(suite.split(split)[:25]):
        _, infos = oracle_episode(denv, task, seed)
        n_gold = len(task.gold)
        for step, info in enumerate(infos[:n_gold]):  # every step before the last gold call
            finishes = _answer_texts(info["candidates"])
            assert finishes, "a Finish candidate is always offered"
            assert not any(task.reference_answer in f for f in finishes), (task.task_id, step)
        # ...and once every gold call is made, the oracle's candidate is the answer.
        final_pick = infos[n_gold]["candidates"][infos[n_gold]["oracle_action"]]
        assert _answer_texts([final_pick]) == [task.reference_answer]


@pytest.mark.parametrize("split", ["I1-Tool", "I2-Cat", "I3-Inst"])
def test_no_reference_answer_at_reset_of_a_split_env(suite: Suite, split: str) -> None:
    """An env built for a (small) split, reset by seed: the 'another task's answer' candidate
    must never be this task's own answer."""
    env = make_discrete_env(split=split, suite=suite)
    leaks = []
    for seed in range(300):
        _, info = env.reset(seed=seed)
        task = env.unwrapped.task
        if any(task.reference_answer in f for f in _answer_texts(info["candidates"])):
            leaks.append((seed, task.task_id))
    env.close()
    assert leaks == []


# ---------------------------------------------------------------------------- determinism
def _rollout(env: gym.Env, seed: int, steps: int = 30) -> tuple[list, list, list]:
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    observations, candidates, rewards = [obs.copy()], [list(info["candidates"])], []
    for _ in range(steps):
        obs, r, term, trunc, info = env.step(int(rng.integers(env.action_space.n)))
        observations.append(obs.copy())
        candidates.append(list(info["candidates"]))
        rewards.append(float(r))
        if term or trunc:
            obs, info = env.reset()
            observations.append(obs.copy())
            candidates.append(list(info["candidates"]))
    return observations, candidates, rewards


def test_same_seed_same_episode_different_seed_differs(suite: Suite) -> None:
    a_env, b_env = make_discrete_env(suite=suite), make_discrete_env(suite=suite)
    a = _rollout(a_env, 5)
    b = _rollout(b_env, 5)
    assert len(a[0]) == len(b[0])
    assert all(np.array_equal(x, y) for x, y in zip(a[0], b[0]))
    assert a[1] == b[1]
    assert a[2] == b[2]
    # The same env object, reseeded, replays too.
    c = _rollout(a_env, 5)
    assert all(np.array_equal(x, y) for x, y in zip(a[0], c[0])) and a[1] == c[1]
    d = _rollout(b_env, 6)
    assert d[1][0] != a[1][0]
    assert len(d[0]) != len(a[0]) or any(not np.array_equal(x, y) for x, y in zip(a[0], d[0]))
    a_env.close()
    b_env.close()


def rollout_digest(seed: int) -> str:
    """Hash of a seeded random-policy rollout (observations, candidates, rewards)."""
    env = make_discrete_env()
    observations, candidates, rewards = _rollout(env, seed, steps=20)
    env.close()
    h = hashlib.sha256()
    for o in observations:
        h.update(o.tobytes())
    h.update(json.dumps([candidates, rewards]).encode())
    return h.hexdigest()


@pytest.mark.slow
def test_same_seed_same_episode_across_processes() -> None:
    here = rollout_digest(7)
    code = "from tests.wrappers.test_discrete import rollout_digest; print(rollout_digest(7))"
    stdout = run_python(code, hash_seed="4321")
    assert stdout == here


def test_the_oracle_slot_is_shuffled_in_shuffled_order(suite: Suite) -> None:
    denv = make_discrete_env(suite=suite, candidate_order="shuffled")
    task = suite.split("train")[0]
    slots = set()
    for seed in range(20):
        _, info = denv.reset(seed=seed, options={"task_id": task.task_id})
        slots.add(info["oracle_action"])
        # The same call, whatever the slot.
        assert action_part(info["candidates"][info["oracle_action"]]) == action_part(
            gold_actions(suite, task)[0]
        )
    assert len(slots) >= 5
    # Within one episode too, the slot moves between steps.
    _, infos = oracle_episode(denv, suite.split("I3-Inst")[0], 0)
    assert len({i["oracle_action"] for i in infos}) > 1
    denv.close()


def test_sorted_order_is_a_function_of_the_features(denv: DiscreteToolEnv, suite: Suite) -> None:
    """Slots follow canonical_key of their own feature rows, over whole episodes of every
    test subset (oracle and random actions)."""
    rng = np.random.default_rng(0)
    steps = 0
    for split in SPLITS[2:]:
        for k, task in enumerate(suite.split(split)[:5]):
            obs, info = denv.reset(seed=k, options={"task_id": task.task_id})
            done = False
            while not done:
                keys = [canonical_key(features(obs, i)) for i in range(denv.max_candidates)]
                assert keys == sorted(keys)
                steps += 1
                pick = info["oracle_action"] if rng.random() < 0.7 else int(rng.integers(16))
                obs, _, term, trunc, info = denv.step(pick)
                done = term or trunc
    assert steps > 50


def test_sorted_order_leaks_nothing_through_ties(suite: Suite) -> None:
    """Candidates with equal features keep the seeded random order: where the oracle ties
    with other candidates (about one reset in six), it is not always the first of them, so
    the slot carries no information beyond the features."""
    denv = make_discrete_env(suite=suite)
    first = tied = 0
    for k, task in enumerate(suite.split("train")[:300]):
        obs, info = denv.reset(seed=k, options={"task_id": task.task_id})
        mine = canonical_key(features(obs, info["oracle_action"]))
        ties = [i for i in range(16) if canonical_key(features(obs, i)) == mine]
        if len(ties) > 1:
            tied += 1
            first += ties[0] == info["oracle_action"]
    assert tied >= 20 and 0 < first < tied
    denv.close()


def test_calls_come_before_answers_give_ups_and_invalid_actions(
    denv: DiscreteToolEnv, suite: Suite
) -> None:
    _, infos = oracle_episode(denv, suite.split("I2-Inst")[0], 3)
    for info in infos[:-1]:
        kinds = []
        for text in info["candidates"]:
            call = parsed_call(text)
            if call is None or call[0] == "no_such_function_for_you":
                kinds.append(3)
            elif call[0] == "Finish":
                kinds.append(2 if call[1]["return_type"] == "give_up_and_restart" else 1)
            else:
                kinds.append(0)
        assert kinds == sorted(kinds)


def test_bad_candidate_order_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="candidate_order"):
        gym.make(ENV_ID, candidate_order="alphabetical")


# ---------------------------------------------------------------------------- rewards
def test_outcome_reward_mode_passes_through(suite: Suite) -> None:
    env = gym.make(ENV_ID, reward_mode="outcome")
    for seed, task in enumerate(suite.split("I2-Inst")[:5]):
        rewards, infos = oracle_episode(env, task, seed)
        assert len(rewards) == len(task.gold) + 1
        assert rewards[:-1] == [0.0] * len(task.gold)
        assert rewards[-1] == infos[-1]["is_solved"] == 1.0
        assert infos[-1]["reward_mode"] == "outcome"
    env.close()


def test_default_steptool_rewards_for_gold_calls(suite: Suite) -> None:
    env = gym.make(ENV_ID)
    for seed, task in enumerate(suite.split("I2-Inst")[:5]):
        rewards, infos = oracle_episode(env, task, seed)
        n = len(task.gold)  # each gold call: (α·1 + 1) / (N(1 + α)), then IsSolved
        assert rewards == pytest.approx([1.0 / n] * n + [1.0])
        assert infos[-1]["reward_mode"] == "steptool"
    env.close()


@pytest.mark.parametrize(("alpha", "expected"), [(1.0, 0.5), (3.0, 0.75), (0.0, 0.0)])
def test_alpha_passes_through(suite: Suite, alpha: float, expected: float) -> None:
    """Under the paper's formula a successful call that satisfies no new gold node earns
    alpha / (1 + alpha)."""
    env = gym.make(ENV_ID, alpha=alpha, reward_mode="paper")
    task = suite.split("I1-Inst")[0]
    _, info = env.reset(seed=0, options={"task_id": task.task_id})
    first = info["candidates"][info["oracle_action"]]
    _, r, _, _, info = env.step(info["oracle_action"])
    assert r == 1.0
    _, r, _, _, info = env.step(info["candidates"].index(first))  # the same call again
    assert info["status"] == Status.OK and info["contribution"] == 0.0
    assert r == pytest.approx(expected)
    env.close()


def test_bad_alpha_and_reward_mode_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="alpha"):
        gym.make(ENV_ID, alpha=-1.0)
    with pytest.raises(ConfigError, match="reward_mode"):
        gym.make(ENV_ID, reward_mode="dense")


# ---------------------------------------------------------------------------- features
def test_repeated_call_is_marked_and_perturbed_call_is_unseen(
    denv: DiscreteToolEnv, suite: Suite
) -> None:
    checked_perturbed = 0
    for split in SPLITS:
        for seed, task in enumerate(suite.split(split)[:10]):
            obs, info = denv.reset(seed=seed, options={"task_id": task.task_id})
            o = info["oracle_action"]
            first = info["candidates"][o]
            fn, args = parsed_call(first)
            assert features(obs, o)[CALL_SUCCEEDED_BEFORE] == 0.0
            gold_args = [g.arguments for g in task.gold]
            if args:
                # The perturbed candidate: same function, arguments of no gold call.
                perturbed = [
                    i
                    for i, c in enumerate(info["candidates"])
                    if i != o
                    and (p := parsed_call(c)) is not None
                    and p[0] == fn
                    and p[1] not in gold_args
                ]
                assert len(perturbed) == 1, (task.task_id, info["candidates"])
                (i,) = perturbed
                pargs = parsed_call(info["candidates"][i])[1]
                assert set(pargs) == set(args)
                assert sum(pargs[k] != args[k] for k in args) == 1
                assert features(obs, i)[ARGS_UNSEEN] > 0, (task.task_id, info["candidates"][i])
                checked_perturbed += 1
            obs, _, _, _, info = denv.step(o)
            assert info["status"] == Status.OK
            j = info["candidates"].index(first)  # repeating the exact call is offered
            assert features(obs, j)[CALL_SUCCEEDED_BEFORE] == 1.0, task.task_id
            for k, c in enumerate(info["candidates"]):
                if k != j:
                    assert features(obs, k)[CALL_SUCCEEDED_BEFORE] == 0.0, (task.task_id, c)
    assert checked_perturbed >= 40


def test_kind_features_are_one_hot(denv: DiscreteToolEnv) -> None:
    obs, info = denv.reset(seed=4)
    kinds = {"is_call", "is_answer", "is_give_up", "is_invalid"}
    idx = [CANDIDATE_FEATURES.index(k) for k in sorted(kinds)]
    for slot, text in enumerate(info["candidates"]):
        f = features(obs, slot)
        assert f[idx].sum() == 1.0, text
        call = parsed_call(text)
        if call is None:
            assert f[CANDIDATE_FEATURES.index("is_invalid")] == 1.0
        elif call[0] == "Finish":
            key = "is_give_up" if "give_up_and_restart" in text else "is_answer"
            assert f[CANDIDATE_FEATURES.index(key)] == 1.0, text


def test_global_block_reports_the_last_status(denv: DiscreteToolEnv) -> None:
    obs, info = denv.reset(seed=0)
    assert obs[0] == 0.0 and obs[1 : 1 + len(Status)].sum() == 0.0
    bad = next(i for i, c in enumerate(info["candidates"]) if "no_such_function_for_you" in c)
    obs, _, _, _, info = denv.step(bad)
    assert info["status"] == Status.NO_SUCH_FUNCTION
    assert obs[0] == pytest.approx(1 / denv.unwrapped.max_steps)
    one_hot = obs[1 : 1 + len(Status)]
    assert one_hot[int(Status.NO_SUCH_FUNCTION)] == 1.0 and one_hot.sum() == 1.0
    assert obs[3 + len(Status)] == 0.0  # no step succeeded yet
    obs, _, _, _, info = denv.step(info["oracle_action"])
    assert info["status"] == Status.OK
    assert obs[1 + int(Status.OK)] == 1.0
    assert obs[1 + len(Status)] == 1.0 and obs[2 + len(Status)] == 1.0  # SuccCalling, Contrib.
    assert obs[3 + len(Status)] == pytest.approx(0.5)


# ---------------------------------------------------------------------------- render mode
def test_rgb_array_render_mode_direct(suite: Suite) -> None:
    with pytest.raises(ConfigError) as exc:
        make_discrete_env(render_mode="rgb_array", suite=suite)
    assert isinstance(exc.value, TypeError)
    assert "render_mode" in str(exc.value)


def test_rgb_array_render_mode_through_gym_make() -> None:
    """What SB3's make_vec_env asks for first: the error must be a TypeError (its fallback)
    and, to users, the ConfigError naming the field."""
    with pytest.raises(TypeError) as exc:
        gym.make(ENV_ID, render_mode="rgb_array")
    assert isinstance(exc.value, ConfigError), f"{type(exc.value).__name__}: {exc.value}"
    assert "render_mode" in str(exc.value)


def test_ansi_render_mode_renders_the_transcript(suite: Suite) -> None:
    env = make_discrete_env(render_mode="ansi", suite=suite)
    _, info = env.reset(seed=0)
    env.step(info["oracle_action"])
    text = env.render()
    assert isinstance(text, str) and text.startswith("You are an assistant")
    assert "Observation:" in text
    env.close()


def test_info_keys_are_the_text_envs_plus_two(denv: DiscreteToolEnv) -> None:
    _, info = denv.reset(seed=0)
    assert {"candidates", "oracle_action", "task_id", "query"} <= set(info)
    _, _, _, _, info = denv.step(info["oracle_action"])
    assert {"candidates", "oracle_action", "status", "is_solved", "gold_nodes"} <= set(info)
    json.dumps(info["candidates"])  # plain strings
