"""Environment ids of steptool-env (``StepTool/Name-vN``), registered on import."""

from __future__ import annotations

import gymnasium as gym

ENV_IDS: dict[str, dict[str, object]] = {
    "StepTool/ToolBench-v0": {"suite": "toolbench"},
}


def register_envs() -> None:
    for env_id, kwargs in ENV_IDS.items():
        if env_id not in gym.registry:
            gym.register(
                id=env_id,
                entry_point="steptool_env.envs.tool_use_env:ToolUseEnv",
                kwargs=dict(kwargs),
            )
