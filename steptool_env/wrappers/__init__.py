"""Layer 6: wrappers, one job each."""

from steptool_env.wrappers.reward_mode import RewardModeWrapper

__all__ = ["RewardModeWrapper"]
