"""steptool-env: Gymnasium environments and a benchmark harness for reinforcement learning of
tool-using language models, with StepTool's step-grained rewards.

    import gymnasium as gym
    import steptool_env  # registers the StepTool/* ids

    env = gym.make("StepTool/ToolBench-v0", split="I1-Inst")

Importing this package is cheap: it registers env ids and imports nothing heavy.
"""

from steptool_env.envs.registration import ENV_IDS, register_envs
from steptool_env.errors import (
    ConfigError,
    InfrastructureError,
    MissingDependencyError,
    ModelMistake,
    ProviderError,
    SandboxError,
    StepToolError,
    TaskError,
    ToolError,
    UsageError,
)
from steptool_env.version import __version__

register_envs()

__all__ = [
    "ENV_IDS",
    "ConfigError",
    "InfrastructureError",
    "MissingDependencyError",
    "ModelMistake",
    "ProviderError",
    "SandboxError",
    "StepToolError",
    "TaskError",
    "ToolError",
    "UsageError",
    "__version__",
]
