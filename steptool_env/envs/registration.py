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


def load_env_suite(env_id: str) -> Any:
    """The suite behind ``env_id`` with default arguments (its tasks by split, its hash):
    what ``gym.make(env_id)`` loads."""
    if env_id not in ENV_IDS:
        raise ConfigError("env_id", env_id, choices=ENV_IDS)
    if ENTRY_POINTS[env_id].endswith(":StableToolBenchEnv"):
        from steptool_env.envs.stabletoolbench_env import default_suite

        return default_suite()
    from steptool_env.world.suite import load_suite

    return load_suite(str(ENV_IDS[env_id].get("suite", "toolbench")))


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
