"""Layer 7: agents. One :class:`Agent` protocol; built-in baselines; :func:`make_agent`."""

from __future__ import annotations

from typing import Any

from steptool_env.agents.base import Agent, TurnView
from steptool_env.agents.heuristic import HeuristicAgent
from steptool_env.agents.oracle import OracleAgent
from steptool_env.agents.random_agent import RandomAgent
from steptool_env.errors import ConfigError

BUILTIN_AGENTS = ("random", "heuristic", "oracle")


def make_agent(name: str, seed: int = 0, **kwargs: Any) -> Agent:
    """A built-in agent by name (``random``, ``heuristic``, ``oracle``)."""
    if name == "random":
        return RandomAgent(seed=seed, **kwargs)
    if name == "heuristic":
        return HeuristicAgent(**kwargs)
    if name == "oracle":
        return OracleAgent(**kwargs)
    raise ConfigError("agent", name, choices=BUILTIN_AGENTS)


__all__ = [
    "BUILTIN_AGENTS",
    "Agent",
    "HeuristicAgent",
    "OracleAgent",
    "RandomAgent",
    "TurnView",
    "make_agent",
]
