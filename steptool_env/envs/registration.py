"""Environment ids of steptool-env (``StepTool/Name-vN``), registered on import."""

from __future__ import annotations

ENV_IDS: dict[str, dict[str, object]] = {
    "StepTool/ToolBench-v0": {"suite": "toolbench"},
    "StepTool/StableToolBench-v0": {},
}
"""Every id with the keyword arguments it is registered with."""

ENTRY_POINTS: dict[str, str] = {
    "StepTool/ToolBench-v0": "steptool_env.envs.tool_use_env:ToolUseEnv",
    "StepTool/StableToolBench-v0": "steptool_env.envs.stabletoolbench_env:StableToolBenchEnv",
}


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
