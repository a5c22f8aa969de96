"""Layer 4: reward shaping over per-step records (StepTool by default)."""

from steptool_env.rewards.bounds import best_unsolved_return
from steptool_env.rewards.components import GoldTracker, StepOutcome, gold_index
from steptool_env.rewards.shapers import (
    REWARD_MODES,
    OutcomeReward,
    PaperReward,
    RewardShaper,
    StepToolReward,
    make_shaper,
)

__all__ = [
    "REWARD_MODES",
    "GoldTracker",
    "OutcomeReward",
    "PaperReward",
    "RewardShaper",
    "StepOutcome",
    "StepToolReward",
    "best_unsolved_return",
    "gold_index",
    "make_shaper",
]
