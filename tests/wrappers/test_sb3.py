"""stable-baselines3 on ``StepTool/ToolBenchDiscrete-v0``: short learning runs, vector envs,
the permutation-equivariant :class:`CandidateScorer`, and seeded reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("stable_baselines3")

import torch
from gymnasium import spaces
from stable_baselines3 import A2C, DQN, PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

from steptool_env.wrappers.discrete import CANDIDATE_FEATURES, GLOBAL_FEATURES
from steptool_env.wrappers.sb3 import CandidateScorer, candidate_policy_kwargs

ENV_ID = "StepTool/ToolBenchDiscrete-v0"
WIDTH = len(CANDIDATE_FEATURES)


@pytest.fixture
def single_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _assert_valid_predictions(model, venv) -> None:
    obs = venv.reset()
    assert obs.shape == (venv.num_envs, *venv.observation_space.shape)
    for deterministic in (True, False):
        actions, _ = model.predict(obs, deterministic=deterministic)
        assert actions.shape == (venv.num_envs,)
        assert all(venv.action_space.contains(int(a)) for a in actions)
    _, rewards, _, infos = venv.step(actions)
    assert rewards.shape == (venv.num_envs,) and len(infos) == venv.num_envs


@pytest.mark.slow
@pytest.mark.parametrize(
    ("algo", "kwargs"),
    [
        (PPO, {"n_steps": 64, "batch_size": 64, "n_epochs": 2}),
        (A2C, {"n_steps": 8}),
    ],
    ids=["PPO", "A2C"],
)
def test_actor_critic_with_candidate_scorer_learns(single_thread, algo, kwargs) -> None:
    venv = make_vec_env(ENV_ID, n_envs=2, seed=0)
    model = algo(
        "MlpPolicy", venv, policy_kwargs=candidate_policy_kwargs(), seed=0, device="cpu", **kwargs
    )
    assert isinstance(model.policy.features_extractor, CandidateScorer)
    before = [p.detach().clone() for p in model.policy.parameters()]
    model.learn(total_timesteps=256)
    assert model.num_timesteps >= 256
    after = list(model.policy.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, after)), "no parameter changed"
    _assert_valid_predictions(model, venv)
    venv.close()


@pytest.mark.slow
def test_dqn_with_default_mlp_learns(single_thread) -> None:
    venv = make_vec_env(ENV_ID, n_envs=2, seed=0)
    model = DQN(
        "MlpPolicy",
        venv,
        learning_starts=64,
        buffer_size=1000,
        train_freq=4,
        batch_size=32,
        target_update_interval=50,
        seed=0,
        device="cpu",
    )
    model.learn(total_timesteps=256)
    assert model.num_timesteps >= 256
    _assert_valid_predictions(model, venv)
    venv.close()


def test_rollouts_record_episode_statistics(single_thread) -> None:
    """make_vec_env's Monitor sees whole episodes (terminations reach SB3)."""
    venv = make_vec_env(ENV_ID, n_envs=2, seed=0)
    model = PPO("MlpPolicy", venv, n_steps=64, batch_size=64, n_epochs=1, seed=0, device="cpu")
    model.learn(total_timesteps=128)
    assert len(model.ep_info_buffer) > 0
    lengths = [ep["l"] for ep in model.ep_info_buffer]
    assert all(1 <= n <= 12 for n in lengths)  # max_steps = 12
    venv.close()


# ---------------------------------------------------------------------------- vector envs
def _random_steps(venv, n: int = 20) -> None:
    venv.seed(3)
    obs = venv.reset()
    assert obs.shape == (2, *venv.observation_space.shape) and obs.dtype == np.float32
    rng = np.random.default_rng(0)
    for _ in range(n):
        obs, _, dones, infos = venv.step(rng.integers(venv.action_space.n, size=2))
        assert np.all((obs >= 0) & (obs <= 1))
        for done, info in zip(dones, infos):
            if done:
                assert "terminal_observation" in info
                assert "episode" in info  # the Monitor wrapper


def test_dummy_vec_env() -> None:
    venv = make_vec_env(ENV_ID, n_envs=2, seed=0, vec_env_cls=DummyVecEnv)
    assert isinstance(venv, DummyVecEnv)
    _random_steps(venv)
    venv.close()


@pytest.mark.parametrize("start_method", [None, "spawn", "fork"])
@pytest.mark.slow
def test_subproc_vec_env_runs_and_its_workers_exit(start_method) -> None:
    """With the ``module:id`` form, each worker imports steptool_env (which registers the ids)
    before ``gym.make``."""
    venv = make_vec_env(
        f"steptool_env:{ENV_ID}",
        n_envs=2,
        seed=0,
        vec_env_cls=SubprocVecEnv,
        vec_env_kwargs={"start_method": start_method},
    )
    try:
        assert len(venv.processes) == 2
        assert all(p.is_alive() for p in venv.processes)
        _random_steps(venv)
        # The same seeded trajectory as in-process.
        dummy = make_vec_env(ENV_ID, n_envs=2, seed=0, vec_env_cls=DummyVecEnv)
        venv.seed(9)
        dummy.seed(9)
        assert np.array_equal(venv.reset(), dummy.reset())
        actions = np.array([1, 5])
        for _ in range(5):
            a, b = venv.step(actions), dummy.step(actions)
            # DummyVecEnv keeps rewards as float32, SubprocVecEnv as float64
            assert np.array_equal(a[0], b[0])
            assert np.array_equal(a[1].astype(np.float32), b[1])
        dummy.close()
    finally:
        venv.close()
    for p in venv.processes:
        p.join(timeout=10)
        assert not p.is_alive()
        assert p.exitcode == 0


# ---------------------------------------------------------------------------- CandidateScorer
def _space(k: int) -> spaces.Box:
    return spaces.Box(0.0, 1.0, shape=(GLOBAL_FEATURES + k * WIDTH,), dtype=np.float32)


@pytest.mark.parametrize("k", [8, 16])
def test_candidate_scorer_is_permutation_equivariant(k: int) -> None:
    torch.manual_seed(0)
    scorer = CandidateScorer(_space(k), hidden=32).eval()
    assert scorer.features_dim == k + 32
    gen = torch.Generator().manual_seed(1)
    obs = torch.rand(4, GLOBAL_FEATURES + k * WIDTH, generator=gen)
    perm = torch.randperm(k, generator=gen)
    assert not torch.equal(perm, torch.arange(k))
    rows = obs[:, GLOBAL_FEATURES:].reshape(4, k, WIDTH)
    permuted = torch.cat([obs[:, :GLOBAL_FEATURES], rows[:, perm].reshape(4, -1)], dim=1)
    with torch.no_grad():
        out, out_p = scorer(obs), scorer(permuted)
    assert out.shape == (4, k + 32)
    torch.testing.assert_close(out_p[:, :k], out[:, perm], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(out_p[:, k:], out[:, k:], rtol=1e-5, atol=1e-6)
    # The scores do depend on the rows (not a constant) and on the global block.
    assert not torch.allclose(out[:, 0], out[:, 1])
    changed = obs.clone()
    changed[:, :GLOBAL_FEATURES] = 1.0 - changed[:, :GLOBAL_FEATURES]
    with torch.no_grad():
        assert not torch.allclose(scorer(changed)[:, :k], out[:, :k])


def test_candidate_scorer_on_a_real_observation() -> None:
    venv = make_vec_env(ENV_ID, n_envs=1, seed=0, vec_env_cls=DummyVecEnv)
    scorer = CandidateScorer(venv.observation_space).eval()
    obs = torch.as_tensor(venv.reset())
    with torch.no_grad():
        out = scorer(obs)
    assert out.shape == (1, 16 + 64) and torch.isfinite(out).all()
    venv.close()


@pytest.mark.parametrize("size", [GLOBAL_FEATURES, GLOBAL_FEATURES + WIDTH + 1, 3, 100])
def test_candidate_scorer_rejects_a_wrong_size(size: int) -> None:
    with pytest.raises(ValueError, match="not a DiscreteToolEnv observation"):
        CandidateScorer(spaces.Box(0.0, 1.0, shape=(size,), dtype=np.float32))


@pytest.mark.slow
def test_candidate_policy_kwargs_shape() -> None:
    kw = candidate_policy_kwargs(hidden=16, value_layers=(8, 8))
    assert kw["features_extractor_class"] is CandidateScorer
    assert kw["features_extractor_kwargs"] == {"hidden": 16}
    assert kw["net_arch"] == {"pi": [], "vf": [8, 8]}


# ---------------------------------------------------------------------------- determinism
def _ppo_params(seed: int) -> list[torch.Tensor]:
    venv = make_vec_env(ENV_ID, n_envs=1, seed=seed, vec_env_cls=DummyVecEnv)
    model = PPO(
        "MlpPolicy",
        venv,
        n_steps=64,
        batch_size=32,
        n_epochs=2,
        policy_kwargs=candidate_policy_kwargs(hidden=32),
        seed=seed,
        device="cpu",
    )
    model.learn(total_timesteps=256)
    venv.close()
    return [p.detach().clone() for p in model.policy.parameters()]


@pytest.mark.slow
def test_ppo_same_seed_same_parameters(single_thread) -> None:
    a, b = _ppo_params(0), _ppo_params(0)
    assert len(a) == len(b)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    c = _ppo_params(1)
    assert any(not torch.equal(x, y) for x, y in zip(a, c))
