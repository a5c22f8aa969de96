"""Layer 9: training — SFT, step-grained PPO and its baselines (outcome-only PPO, GRPO).

Needs the ``train`` extra (torch, transformers, tokenizers); importing this package is cheap,
the heavy modules load when a run starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from steptool_env.training.config import ALGOS, TrainConfig, load_train_config

if TYPE_CHECKING:
    from steptool_env.training.run import TrainResult


def train(cfg: TrainConfig, resume: bool = False) -> TrainResult:
    """Run (or, with ``resume``, continue from the latest checkpoint) a training run."""
    if cfg.algo == "sft":
        from steptool_env.training.sft import run_sft

        return run_sft(cfg, resume)
    from steptool_env.training.ppo import run_rl

    return run_rl(cfg, resume)


__all__ = ["ALGOS", "TrainConfig", "load_train_config", "train"]
