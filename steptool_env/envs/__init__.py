"""Layer 5: the Gymnasium environments, their parsers, prompts and registration."""

from steptool_env.envs.registration import ENV_IDS, register_envs

__all__ = ["ENV_IDS", "register_envs"]
