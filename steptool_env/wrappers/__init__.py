"""Layer 6: wrappers, one job each.

``RewardModeWrapper`` re-shapes rewards from ``info``; ``DiscreteToolEnv`` is the numeric view
(``StepTool/ToolBenchDiscrete-v0``); ``steptool_env.wrappers.sb3`` holds its stable-baselines3
feature extractor (imported on its own: it needs the ``sb3`` extra).
"""

from steptool_env.wrappers.discrete import DiscreteToolEnv, make_discrete_env
from steptool_env.wrappers.reward_mode import RewardModeWrapper

__all__ = ["DiscreteToolEnv", "RewardModeWrapper", "make_discrete_env"]
