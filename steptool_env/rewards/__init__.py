"""Layer 4: reward shaping over per-step records (StepTool by default)."""

from steptool_env.rewards.components import GoldTracker, StepOutcome, gold_index
from steptool_env.rewards.shapers import (
    REWARD_MODES,
    OutcomeReward,
    RewardShaper,
    StepToolReward,
    make_shaper,
)

__all__ = [
    "REWARD_MODES",
    "GoldTracker",
    "OutcomeReward",
    "RewardShaper",
    "StepOutcome",
    "StepToolReward",
    "gold_index",
    "make_shaper",
]
