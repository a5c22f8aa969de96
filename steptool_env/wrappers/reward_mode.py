"""Recompute the reward of any StepTool env under another reward mode, from ``info``.

Every reward component is in ``info`` (``succ_calling``, ``contribution``, ``is_solved``,
``final``, ``status``, ``new_call``, ``distinct_calls``, ``gold_total``), so the reward can
be re-shaped outside the env: this wrapper is how a user compares modes on one env
instance, or plugs in a shaper of their own.
"""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym

from steptool_env.envs.step_result import outcome_from_info
from steptool_env.rewards import RewardShaper, make_shaper


class RewardModeWrapper(gym.Wrapper[str, str, str, str], gym.utils.RecordConstructorArgs):
    """Replace the env's reward by ``make_shaper(mode, alpha)`` (or a given shaper)."""

    def __init__(
        self,
        env: gym.Env[str, str],
        mode: str = "steptool",
        alpha: float = 1.0,
        shaper: RewardShaper | None = None,
    ) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, mode=mode, alpha=alpha)
        gym.Wrapper.__init__(self, env)
        self.shaper = shaper if shaper is not None else make_shaper(mode, alpha)

    def step(self, action: str) -> tuple[str, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, _, terminated, truncated, info = self.env.step(action)
        outcome = outcome_from_info(info, truncated)
        reward = self.shaper(outcome)
        info = {**info, "reward_mode": self.shaper.name}
        return obs, reward, terminated, truncated, info
