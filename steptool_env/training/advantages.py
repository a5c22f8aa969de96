"""Step rewards, returns and advantages — computed over steps, not tokens (DESIGN.md).

Everything here is plain numpy on one episode (or one batch of numbers), so each formula can
be checked by hand:

- :func:`step_rewards`: the per-step rewards a trainer learns from. ``steptool`` (the env's
  default, bounded so that solving is the optimum) and ``paper`` (the paper's
  ``r_t = (α·s_t + c_t)/(1+α)``) keep the env's shaped rewards and ``r_T = IsSolved``; the
  env is built with the same ``reward_mode`` (:func:`env_reward_mode`); ``outcome`` puts
  IsSolved on the last action only; ``parity`` reproduces the published code's weighting of
  the paper's rewards (step t's reward times (T−1−t), the final reward times 0) for
  comparison only.
- :func:`discounted_returns`: ``G_t = Σ_{k≥t} γ^{k−t} r_k``.
- :func:`step_gae`: step-level GAE, ``δ_t = r_t + γ V(s_{t+1}) − V(s_t)``,
  ``Â_t = Σ_k (γλ)^k δ_{t+k}``; with λ = 1 it is ``G_t − V(s_t)``. Value targets are
  ``Â_t + V(s_t)``.
- :func:`whiten`: zero mean, unit variance over the batch.
- :func:`group_advantages`: the critic-free group baseline (GRPO-style): an episode's return
  minus its group's mean, over the group's standard deviation.
- The published code's token-level GAE (parity mode) is :func:`step_gae` run on a token
  axis, where observation tokens between actions (reward 0, value 0) sit in the recursion
  and make cross-step credit vanish.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from steptool_env.errors import ConfigError
from steptool_env.rewards import REWARD_MODES

TRAINING_REWARDS: tuple[str, ...] = (*REWARD_MODES, "parity")
"""The trainer's ``reward`` settings: the env's ``reward_mode`` names
(:data:`steptool_env.rewards.REWARD_MODES`) plus ``parity``."""


def env_reward_mode(mode: str) -> str:
    """The env ``reward_mode`` whose rewards the trainer's ``mode`` starts from."""
    if mode not in TRAINING_REWARDS:
        raise ConfigError("reward", mode, choices=TRAINING_REWARDS)
    return "paper" if mode == "parity" else mode


def step_rewards(env_rewards: Sequence[float], is_solved: float, mode: str) -> np.ndarray:
    """Per-step rewards of one episode from the env's shaped rewards.

    ``env_rewards`` are the rewards the env returned in ``env_reward_mode(mode)`` (the last
    one is IsSolved when the episode ended with Finish). ``is_solved`` is the episode's IsSolved.
    """
    r = np.asarray(env_rewards, dtype=np.float64)
    n = len(r)
    if mode in ("steptool", "paper"):
        return r.copy()
    if mode == "outcome":
        out = np.zeros(n)
        if n:
            out[-1] = float(is_solved)
        return out
    if mode == "parity":
        # Published code: r_t · (T−1−t) for intermediate steps and r_T · 0 for the final one.
        weights = np.arange(n - 1, -1, -1, dtype=np.float64)
        return r * weights
    raise ConfigError("reward", mode, choices=TRAINING_REWARDS)


def discounted_returns(rewards: Sequence[float], gamma: float) -> np.ndarray:
    """``G_t = Σ_{k≥t} γ^{k−t} r_k`` for every step t."""
    r = np.asarray(rewards, dtype=np.float64)
    out = np.zeros_like(r)
    running = 0.0
    for t in range(len(r) - 1, -1, -1):
        running = r[t] + gamma * running
        out[t] = running
    return out


def step_gae(
    rewards: Sequence[float],
    values: Sequence[float],
    gamma: float,
    lam: float,
    last_value: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Step-level GAE: ``(advantages, value targets)`` for one episode.

    ``values[t]`` is V(s_t), read before action t; ``last_value`` is V of the state after the
    last action (0 when the episode terminated).
    """
    r = np.asarray(rewards, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if r.shape != v.shape:
        raise ConfigError("values", v.shape, f"need one value per step ({r.shape})")
    adv = np.zeros_like(r)
    running = 0.0
    for t in range(len(r) - 1, -1, -1):
        nxt = v[t + 1] if t + 1 < len(r) else last_value
        delta = r[t] + gamma * nxt - v[t]
        running = delta + gamma * lam * running
        adv[t] = running
    return adv, adv + v


def whiten(x: np.ndarray, eps: float = 1e-8) -> np.ndarray:
    """``(x − mean) / (std + eps)``; a batch of one (or of equal values) becomes zeros."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return x
    return (x - x.mean()) / (x.std() + eps)


def group_advantages(
    returns: Sequence[float], groups: Sequence[object], eps: float = 1e-6
) -> np.ndarray:
    """GRPO-style: ``(R_i − mean(R_group)) / (std(R_group) + eps)`` for each episode i."""
    r = np.asarray(returns, dtype=np.float64)
    out = np.zeros_like(r)
    keys = list(groups)
    if len(keys) != len(r):
        raise ConfigError("groups", len(keys), f"need one group per return ({len(r)})")
    for key in dict.fromkeys(keys):
        idx = [i for i, k in enumerate(keys) if k == key]
        g = r[idx]
        out[idx] = (g - g.mean()) / (g.std() + eps)
    return out
