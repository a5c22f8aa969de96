"""Layer 7: agents. One :class:`Agent` protocol; built-in baselines; :func:`make_agent`."""

from __future__ import annotations

from typing import Any

from steptool_env.agents.base import Agent, Reply, TurnView
from steptool_env.agents.heuristic import HeuristicAgent
from steptool_env.agents.oracle import OracleAgent
from steptool_env.agents.random_agent import RandomAgent
from steptool_env.errors import ConfigError

BUILTIN_AGENTS = ("random", "heuristic", "oracle")
AGENT_KINDS = (*BUILTIN_AGENTS, "openai", "hf")
"""Agent kinds :func:`make_agent` builds (``openai``: a served model, see openai_agent;
``hf``: a Hugging Face causal LM or a checkpoint of ``steptool train``, see lm_agent)."""

_OPTIONS: dict[str, tuple[str, ...]] = {
    "random": ("seed",),
    "heuristic": ("max_calls",),
    "oracle": (),
}


def make_agent(name: str, seed: int | None = None, **kwargs: Any) -> Agent:
    """An agent by kind: ``random``, ``heuristic``, ``oracle``, ``openai`` or ``hf`` (with options).

    Unknown options raise :class:`~steptool_env.errors.ConfigError` naming them.
    """
    if name not in AGENT_KINDS:
        raise ConfigError("agent", name, choices=AGENT_KINDS)
    if seed is not None:
        kwargs["seed"] = seed
    if name == "openai":
        from steptool_env.agents.openai_agent import OpenAIAgent

        return OpenAIAgent(**kwargs)
    if name == "hf":
        import dataclasses

        from steptool_env.agents.lm_agent import LMAgent, LMAgentConfig

        fields = tuple(f.name for f in dataclasses.fields(LMAgentConfig))
        for key in kwargs:
            if key not in fields:
                raise ConfigError(f"hf.{key}", kwargs[key], "unknown option", choices=fields)
        if "model" not in kwargs:
            raise ConfigError("hf.model", None, "the hf agent needs model = <hub id or folder>")
        return LMAgent.from_pretrained(LMAgentConfig(**kwargs))
    allowed = _OPTIONS[name]
    for key in kwargs:
        if key not in allowed and key != "seed":  # deterministic agents ignore a seed
            raise ConfigError(f"{name}.{key}", kwargs[key], "unknown option", choices=allowed)
    kwargs = {k: kwargs[k] for k in allowed if k in kwargs}
    if name == "random":
        return RandomAgent(**kwargs)
    if name == "heuristic":
        return HeuristicAgent(**kwargs)
    return OracleAgent()


__all__ = [
    "AGENT_KINDS",
    "BUILTIN_AGENTS",
    "Agent",
    "HeuristicAgent",
    "OracleAgent",
    "RandomAgent",
    "Reply",
    "TurnView",
    "make_agent",
]
