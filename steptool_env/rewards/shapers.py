"""Reward shapers: a step's :class:`StepOutcome` → a float reward.

``steptool`` (default): intermediate ``r_t = (α·s_t + c_t) / (1 + α)``; final ``r_T = IsSolved``.
``outcome``: intermediate 0; final ``r_T = IsSolved``.

Add a mode by subclassing :class:`RewardShaper` and registering it in :data:`REWARD_MODES`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from steptool_env.errors import ConfigError
from steptool_env.rewards.components import StepOutcome


class RewardShaper:
    """Base class: turns the components of one step into a reward."""

    name = "base"

    def __call__(self, outcome: StepOutcome) -> float:
        if outcome.final:
            return self.final(outcome)
        return self.intermediate(outcome)

    def intermediate(self, outcome: StepOutcome) -> float:
        raise NotImplementedError

    def final(self, outcome: StepOutcome) -> float:
        return outcome.is_solved


class StepToolReward(RewardShaper):
    """StepTool's step-grained reward (arXiv 2410.07745, with the published defects fixed)."""

    name = "steptool"

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = validate_alpha(alpha)
        self._norm = 1.0 + self.alpha

    def intermediate(self, outcome: StepOutcome) -> float:
        return (self.alpha * outcome.succ_calling + outcome.contribution) / self._norm


class OutcomeReward(RewardShaper):
    """Only the final IsSolved; every intermediate step gets 0."""

    name = "outcome"

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = validate_alpha(alpha)

    def intermediate(self, outcome: StepOutcome) -> float:
        return 0.0


REWARD_MODES: dict[str, Callable[[float], RewardShaper]] = {
    "steptool": StepToolReward,
    "outcome": OutcomeReward,
}


def validate_alpha(alpha: object) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
        raise ConfigError("alpha", alpha, "must be a number")
    if not math.isfinite(alpha) or alpha < 0:
        raise ConfigError("alpha", alpha, "must be a finite number >= 0")
    return float(alpha)


def make_shaper(mode: str, alpha: float = 1.0) -> RewardShaper:
    try:
        factory = REWARD_MODES[mode]
    except (KeyError, TypeError):
        raise ConfigError("reward_mode", mode, choices=REWARD_MODES) from None
    return factory(alpha)
