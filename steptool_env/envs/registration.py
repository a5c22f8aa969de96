"""Environment ids of steptool-env (``StepTool/Name-vN``), registered on import."""

from __future__ import annotations

from typing import Any

from steptool_env.errors import ConfigError

ENV_IDS: dict[str, dict[str, object]] = {
    "StepTool/ToolBench-v0": {"suite": "toolbench"},
    "StepTool/StableToolBench-v0": {},
    "StepTool/ToolBenchDiscrete-v0": {"suite": "toolbench"},
}
"""Every id with the keyword arguments it is registered with."""

ENTRY_POINTS: dict[str, str] = {
    "StepTool/ToolBench-v0": "steptool_env.envs.tool_use_env:ToolUseEnv",
    "StepTool/StableToolBench-v0": "steptool_env.envs.stabletoolbench_env:StableToolBenchEnv",
    "StepTool/ToolBenchDiscrete-v0": "steptool_env.wrappers.discrete:make_discrete_env",
}

TEXT_ENV_IDS: tuple[str, ...] = ("StepTool/ToolBench-v0", "StepTool/StableToolBench-v0")
"""The ids whose actions are text (what language-model agents and the bench runner use)."""


TEXT_ENV_CLASSES: dict[str, str] = {
    "StepTool/ToolBench-v0": "steptool_env.envs.tool_use_env:ToolUseEnv",
    "StepTool/StableToolBench-v0": "steptool_env.envs.stabletoolbench_env:StableToolBenchEnv",
    "StepTool/ToolBenchDiscrete-v0": "steptool_env.envs.tool_use_env:ToolUseEnv",
}
"""Every id → the text env class behind it (the discrete view wraps a ``ToolUseEnv``)."""


def text_env_class(env_id: str) -> Any:
    """The text env class behind ``env_id`` (imported on demand)."""
    if env_id not in ENV_IDS:
        raise ConfigError("env_id", env_id, choices=ENV_IDS)
    import importlib

    module, _, name = TEXT_ENV_CLASSES[env_id].partition(":")
    return getattr(importlib.import_module(module), name)


def load_env_suite(env_id: str) -> Any:
    """The suite behind ``env_id`` with default arguments (its tasks by split, its hash):
    what ``gym.make(env_id)`` loads."""
    return text_env_class(env_id).default_suite(**ENV_IDS[env_id])


def register_envs() -> None:
    """Register every id in :data:`ENV_IDS` (idempotent).

    Without Gymnasium there is nothing to register into: that is the sandbox server's
    image, which carries only the standard-library layers (tools, world, sandbox).
    """
    try:
        import gymnasium as gym
    except ModuleNotFoundError:
        return
    for env_id, kwargs in ENV_IDS.items():
        if env_id not in gym.registry:
            gym.register(
                id=env_id,
                entry_point=ENTRY_POINTS[env_id],
                kwargs=dict(kwargs),
            )
