"""Reward shapers: a step's :class:`StepOutcome` → a float reward.

Every mode pays ``r_T = IsSolved`` (1, 0.5 or 0) on the ``Finish`` step; they differ in what
an intermediate step earns. With ``N`` gold nodes, SuccCalling ``s_t``, Contribution ``c_t``:

``steptool`` (default): StepTool's two signals, bounded so that solving is the optimum::

    r_t = (α·ŝ_t + c_t) / (N·(1 + α))

where ``ŝ_t = 1`` only for a successful call that is new in the episode (another function or
other arguments than every earlier successful call) and among the first ``N`` such calls.
Each gold node pays ``1/(N(1+α))`` once and at most ``N`` distinct calls pay
``α/(N(1+α))``, so shaping adds up to at most 1 in an episode — exactly what the oracle
earns. Any trajectory that does not solve the task therefore earns at most
``0.5 + 1 < 1 + 1`` (the computed bound per task is checked by ``tests/rewards``).

``paper``: the paper's formula ``r_t = (α·s_t + c_t)/(1 + α)`` (arXiv 2410.07745, α = 1). It
was used offline, where a policy cannot exploit it; **online it can be farmed**: repeating
one successful call until the step limit out-earns solving (6.5 against 3.0 on
I1-Inst-00000). Kept for parity with the paper.

``outcome``: 0 at every intermediate step.

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

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = validate_alpha(alpha)
        """Weight of SuccCalling against Contribution (modes that do not mix them ignore it)."""
        self._norm = 1.0 + self.alpha

    def __call__(self, outcome: StepOutcome) -> float:
        if outcome.final:
            return self.final(outcome)
        return self.intermediate(outcome)

    def intermediate(self, outcome: StepOutcome) -> float:
        raise NotImplementedError

    def final(self, outcome: StepOutcome) -> float:
        return outcome.is_solved


class StepToolReward(RewardShaper):
    """The default: SuccCalling and Contribution, each bounded per episode (module docs).

    Args:
        alpha: weight of the success signal against Contribution (>= 0).
    """

    name = "steptool"

    def intermediate(self, outcome: StepOutcome) -> float:
        n = max(outcome.gold_total, 1)
        paid = outcome.succ_calling and outcome.new_call and outcome.distinct_calls <= n
        return (self.alpha * paid + outcome.contribution) / (n * self._norm)


class PaperReward(RewardShaper):
    """The paper's ``(α·s_t + c_t)/(1 + α)``: exploitable online (module docs)."""

    name = "paper"

    def intermediate(self, outcome: StepOutcome) -> float:
        return (self.alpha * outcome.succ_calling + outcome.contribution) / self._norm


class OutcomeReward(RewardShaper):
    """Only the final IsSolved; every intermediate step gets 0."""

    name = "outcome"

    def intermediate(self, outcome: StepOutcome) -> float:
        return 0.0


REWARD_MODES: dict[str, Callable[[float], RewardShaper]] = {
    "steptool": StepToolReward,
    "paper": PaperReward,
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
