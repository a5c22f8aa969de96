"""A stable-baselines3 feature extractor for :class:`DiscreteToolEnv`: score each candidate.

The discrete view's observation is a global block plus one feature row per candidate, in a
shuffled order. A plain MLP must learn the same judgement once per slot; this extractor
scores every candidate with one shared network (so what it learns about a good call holds in
every slot) and pools the rows for the value function. Use it with any SB3 algorithm::

    from stable_baselines3 import PPO
    from steptool_env.wrappers.sb3 import candidate_policy_kwargs
    model = PPO("MlpPolicy", env, policy_kwargs=candidate_policy_kwargs())

Needs ``pip install steptool-env[sb3]`` (stable-baselines3 and torch).
"""

from __future__ import annotations

from typing import Any

from steptool_env.errors import require
from steptool_env.wrappers.discrete import CANDIDATE_FEATURES, GLOBAL_FEATURES

require("stable_baselines3", "sb3")

import torch  # noqa: E402 -- after the dependency check, for its clear message
from gymnasium import spaces  # noqa: E402
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor  # noqa: E402


class CandidateScorer(BaseFeaturesExtractor):
    """Features = one score per candidate (shared scorer) + a pooled summary.

    Args:
        observation_space: the :class:`DiscreteToolEnv` observation space.
        hidden: width of the shared per-candidate network and of the summary.
    """

    def __init__(self, observation_space: spaces.Box, hidden: int = 64) -> None:
        width = len(CANDIDATE_FEATURES)
        size = int(observation_space.shape[0])
        k, rest = divmod(size - GLOBAL_FEATURES, width)
        if rest or k < 1:
            raise ValueError(f"observation of size {size} is not a DiscreteToolEnv observation")
        super().__init__(observation_space, features_dim=k + hidden)
        self.k, self.width = k, width
        self.row = torch.nn.Sequential(
            torch.nn.Linear(width + GLOBAL_FEATURES, hidden),
            torch.nn.Tanh(),
            torch.nn.Linear(hidden, hidden),
            torch.nn.Tanh(),
        )
        self.score = torch.nn.Linear(hidden, 1)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        g = obs[:, :GLOBAL_FEATURES]
        rows = obs[:, GLOBAL_FEATURES:].reshape(-1, self.k, self.width)
        h = self.row(torch.cat([rows, g.unsqueeze(1).expand(-1, self.k, -1)], dim=-1))
        return torch.cat([self.score(h).squeeze(-1), h.mean(dim=1)], dim=-1)


def candidate_policy_kwargs(hidden: int = 64, value_layers: tuple[int, ...] = (64,)) -> dict:
    """``policy_kwargs`` for SB3 actor-critic algorithms (PPO, A2C): the scores feed the
    action logits directly (no policy layers), the value head sees the pooled summary."""
    arch: Any = {"pi": [], "vf": list(value_layers)}
    return {
        "features_extractor_class": CandidateScorer,
        "features_extractor_kwargs": {"hidden": hidden},
        "net_arch": arch,
        "share_features_extractor": True,
    }
