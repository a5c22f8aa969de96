"""Recompute the reward of any StepTool env under another reward mode, from ``info``.

Every reward component is in ``info`` (``succ_calling``, ``contribution``, ``is_solved``,
``final``, ``status``, ``new_call``, ``distinct_calls``, ``gold_total``), so the reward can
be re-shaped outside the env: this wrapper is how a user compares modes on one env
instance, or plugs in a shaper of their own.
"""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym

from steptool_env.rewards import RewardShaper, StepOutcome, make_shaper
from steptool_env.tools.status import Status


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
        outcome = StepOutcome(
            Status(info["status"]),
            info["succ_calling"],
            info["contribution"],
            info["final"],
            info["is_solved"],
            truncated,
            info["new_call"],
            info["distinct_calls"],
            info["gold_total"],
        )
        reward = self.shaper(outcome)
        info = {**info, "reward_mode": self.shaper.name}
        return obs, reward, terminated, truncated, info
