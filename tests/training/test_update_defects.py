"""The trainer defects found in review, each pinned by a test that failed before its fix:
a zero training signal moves no weight; the adaptive KL coefficient tracks its target."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from steptool_env.agents.lm_agent import load_model  # noqa: E402
from steptool_env.training import TrainConfig, train  # noqa: E402
from steptool_env.training.losses import AdaptiveKL  # noqa: E402
from tests.training.test_training import _cfg  # noqa: E402


def _weights(folder: Path) -> dict[str, np.ndarray]:
    model, _ = load_model(str(folder), device="cpu")
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("algo", ["ppo", "grpo"])
@pytest.mark.slow
def test_zero_signal_update_leaves_the_policy_unchanged(
    tiny_model: Path, tmp_path: Path, algo: str
) -> None:
    """Outcome reward and a random model that solves nothing: every advantage is 0, the
    policy equals its reference, so nothing may move (AdamW would turn the ~1e-7 noise of
    differently batched forward passes into a full learning-rate step)."""
    cfg = _cfg(
        tiny_model,
        tmp_path / algo,
        algo=algo,
        updates=1,
        weight_decay=0.1,
        reward="outcome",
        group_size=2 if algo == "grpo" else 1,
        minibatch_size=4,
        ppo_epochs=2,
        max_new_tokens=12,
        max_steps=2,
        device="cpu",
    )
    result = train(cfg)
    assert all(row["pass_rate"] == 0 for row in result.metrics)
    before, after = _weights(tiny_model), _weights(result.final)
    moved = max(float(np.abs(before[k] - after[k]).max()) for k in before)
    assert moved < 1e-7, moved


def test_adaptive_kl_tracks_its_target() -> None:
    """Ten updates at 10x the target KL must raise the coefficient several-fold (it moved
    0.3 -> 0.301 when the horizon was counted in episodes), and ten at 0 must lower it."""
    up = AdaptiveKL(0.3, 0.1, horizon=TrainConfig.kl_horizon)
    for _ in range(10):
        up.update(1.0)
    assert up.value > 1.5
    down = AdaptiveKL(0.3, 0.1, horizon=TrainConfig.kl_horizon)
    for _ in range(10):
        down.update(0.0)
    assert down.value < 0.1
    on_target = AdaptiveKL(0.3, 0.1, horizon=TrainConfig.kl_horizon)
    on_target.update(0.1)
    assert on_target.value == pytest.approx(0.3)


@pytest.mark.slow
def test_rollouts_at_any_temperature_are_scored_on_policy(tiny_model: Path, tmp_path: Path) -> None:
    """The log-probs recorded while sampling at T = 0.6 equal the trainer's old log-probs:
    the PPO ratio starts at 1 (it was off by |log T-scaling| before)."""
    cfg = _cfg(
        tiny_model,
        tmp_path / "t06",
        algo="ppo",
        updates=1,
        temperature=0.6,
        num_envs=2,
        episodes_per_update=2,
        max_new_tokens=10,
        max_steps=2,
        device="cpu",
    )
    row = train(cfg).metrics[-1]
    assert row["action_tokens"] > 10
    assert row["logprob_gap"] < 1e-4, row["logprob_gap"]


def test_rollout_caches_are_freed_before_learning(tiny_model: Path, tmp_path: Path) -> None:
    """The keys/values an agent keeps between turns (hundreds of MB for a real model) are
    released once the rollouts are collected, before the update needs the memory."""
    from steptool_env.rollout.records import EpisodeSpec
    from steptool_env.training.run import Run

    cfg = _cfg(
        tiny_model, tmp_path / "c", algo="ppo", num_envs=2, episodes_per_update=2,
        max_new_tokens=6, max_steps=2, device="cpu",
    )  # fmt: skip
    run = Run(cfg, resume=False, with_value=True)
    try:
        agent = run.agent()
        kept: list[int] = []
        original = agent._act

        def act(views):
            replies = original(views)
            kept.append(len(agent._prefixes))
            return replies

        agent._act = act
        run.collect(agent, [EpisodeSpec(t.task_id, 0) for t in run.tasks[:2]])
        assert max(kept) > 0 and agent._prefixes == {}
    finally:
        run.close()


def test_top_p_below_one_is_refused_for_rl() -> None:
    from steptool_env.errors import ConfigError

    with pytest.raises(ConfigError, match="top_p"):
        TrainConfig(algo="ppo", model="m", out="o", top_p=0.9)
    assert TrainConfig(algo="sft", model="m", out="o", top_p=0.9).top_p == 0.9


def test_value_clip_is_scale_free() -> None:
    """Rewards x10 (returns 2-5 instead of 0.2-0.5) must clip the same value updates: the
    value loss scales by exactly 100. An absolute clip of 0.2 clipped differently."""
    from steptool_env.training.losses import clipped_value_loss, value_clip_range

    rng = np.random.default_rng(0)
    targets = rng.uniform(0.2, 0.5, 64)
    old = targets + rng.normal(0, 0.1, 64)
    new = old + rng.normal(0, 0.3, 64)
    losses = []
    for k in (1.0, 10.0):
        t, o, v = (torch.tensor(x * k) for x in (targets, old, new))
        clip = value_clip_range(t.numpy(), 0.2)
        losses.append(clipped_value_loss(v, o, t, clip).sum().item())
    assert losses[1] == pytest.approx(100 * losses[0], rel=1e-9)


def test_offline_grpo_draws_whole_groups(trajectory_file: Path) -> None:
    """Offline GRPO compares each episode with episodes of its own task: groups of
    group_size, never singletons (whose advantage is 0)."""
    from collections import Counter

    from steptool_env.training.ppo import offline_batch
    from steptool_env.training.replay import read_trajectories

    offline = read_trajectories(trajectory_file)
    cfg = TrainConfig(
        algo="grpo", model="m", out="o", offline=str(trajectory_file), group_size=2,
        episodes_per_update=4, minibatch_size=2, micro_batch_size=1,
    )  # fmt: skip
    for update in range(1, 6):
        chosen = offline_batch(offline, cfg, update)
        assert len(chosen) == 4
        sizes = Counter(spec.task_id for spec, _ in chosen)
        assert all(n % 2 == 0 for n in sizes.values()), sizes
        assert len({(spec.task_id, spec.seed) for spec, _ in chosen}) == 4  # no repeats
    too_big = TrainConfig(
        algo="grpo", model="m", out="o", offline=str(trajectory_file), group_size=4,
        episodes_per_update=4, minibatch_size=2, micro_batch_size=1,
    )  # fmt: skip
    from steptool_env.errors import ConfigError

    with pytest.raises(ConfigError, match="group_size=4"):
        offline_batch(offline, too_big, 1)
