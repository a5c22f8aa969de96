"""Every registered id: Gymnasium's check_env and seeded determinism (across processes)."""

from __future__ import annotations

import hashlib
import json
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from steptool_env import ENV_IDS
from steptool_env.envs.registration import TEXT_ENV_IDS
from tests.conftest import NO_STABLETOOLBENCH, STABLETOOLBENCH, run_python


def _needs_data(env_id: str) -> None:
    if "StableToolBench" in env_id and STABLETOOLBENCH is None:
        pytest.skip(NO_STABLETOOLBENCH)


@pytest.mark.parametrize("env_id", sorted(ENV_IDS))
def test_check_env_passes_without_warnings(env_id: str) -> None:
    _needs_data(env_id)
    env = gym.make(env_id)
    # a text env is checked unwrapped; a numeric view is a wrapper, checked as made
    target = env.unwrapped if env_id in TEXT_ENV_IDS else env
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(target, skip_render_check=True)
    messages = [str(w.message) for w in caught]
    assert [m for m in messages if "different from the unwrapped" not in m] == []
    env.close()


def _digest(obs: object) -> bytes:
    return obs.encode() if isinstance(obs, str) else np.asarray(obs).tobytes()


def trajectory_hash(env_id: str, seed: int, episodes: int = 3) -> str:
    """Seeded rollout of random actions from the action space plus gold-like calls."""
    env = gym.make(env_id)
    env.action_space.seed(seed)
    h = hashlib.sha256()
    obs, info = env.reset(seed=seed)
    h.update(_digest(obs))
    text = env_id in TEXT_ENV_IDS
    for _ in range(episodes):
        for k in range(6):
            if not text:
                action = env.action_space.sample()
            elif k % 2 == 0:
                action = env.action_space.sample()[:40]
            else:
                name = info["api_list"][k % len(info["api_list"])] if "api_list" in info else "x"
                action = f'Action: {name}\nAction Input: {{"query": "a", "city_id": "C1001"}}'
            obs, r, term, trunc, step_info = env.step(action)
            h.update(_digest(obs))
            h.update(json.dumps([r, term, trunc, sorted(step_info.items())], default=str).encode())
            if term or trunc:
                break
        obs, info = env.reset()
        h.update(_digest(obs))
    env.close()
    return h.hexdigest()


@pytest.mark.parametrize("env_id", sorted(ENV_IDS))
@pytest.mark.slow
def test_same_seed_same_trajectory_across_runs_and_processes(env_id: str) -> None:
    _needs_data(env_id)
    a = trajectory_hash(env_id, 123)
    assert a == trajectory_hash(env_id, 123)
    assert a != trajectory_hash(env_id, 124)
    code = (
        "import steptool_env; from tests.envs.test_registration import trajectory_hash; "
        f"print(trajectory_hash({env_id!r}, 123))"
    )
    stdout = run_python(code, hash_seed="987")
    assert stdout == a
