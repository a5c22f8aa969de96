"""Layer 8: the single rollout loop shared by bench, evaluation and training."""

from steptool_env.rollout.batch import EnvBatch, Failure, LocalEnvs
from steptool_env.rollout.loop import collect, run_episodes
from steptool_env.rollout.records import EpisodeSpec, StepRecord, Trajectory

__all__ = [
    "EnvBatch",
    "EpisodeSpec",
    "Failure",
    "LocalEnvs",
    "StepRecord",
    "Trajectory",
    "collect",
    "run_episodes",
]
