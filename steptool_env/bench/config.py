"""The configuration of a benchmark run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from steptool_env.agents import BUILTIN_AGENTS
from steptool_env.envs.parsing import PARSERS
from steptool_env.envs.registration import ENV_IDS
from steptool_env.errors import ConfigError
from steptool_env.world.suite import SPLITS, TEST_SUBSETS


@dataclass(frozen=True)
class BenchConfig:
    """What ``steptool bench`` runs: agents × test subsets × seeds on one env id."""

    out: Path
    """Folder for ``episodes.jsonl`` and the leaderboards."""
    agents: tuple[str, ...] = BUILTIN_AGENTS
    """Agents to rank (built-in names: random, heuristic, oracle)."""
    env_id: str = "StepTool/ToolBench-v0"
    """Registered env id."""
    subsets: tuple[str, ...] = TEST_SUBSETS
    """Test subsets (or any split) to evaluate on."""
    seeds: tuple[int, ...] = (0, 1, 2)
    """Seeds; pass rates are reported as mean ± std over them."""
    num_envs: int = 16
    """Episodes in flight at once (one batched agent call per turn)."""
    max_steps: int = 12
    """Step budget per episode."""
    parser: str = "react"
    """Action format of the env and agents."""
    limit: int | None = None
    """Use only the first N tasks of each subset (quick runs)."""
    progress: bool = field(default=True, compare=False)
    """Show a progress bar."""

    def __post_init__(self) -> None:
        if not self.agents:
            raise ConfigError(
                "agents", self.agents, "at least one agent is needed", choices=BUILTIN_AGENTS
            )
        for a in self.agents:
            if a not in BUILTIN_AGENTS:
                raise ConfigError("agents", a, choices=BUILTIN_AGENTS)
        if len(set(self.agents)) != len(self.agents):
            raise ConfigError("agents", self.agents, "duplicate agent")
        if self.env_id not in ENV_IDS:
            raise ConfigError("env_id", self.env_id, choices=ENV_IDS)
        if not self.subsets:
            raise ConfigError(
                "subsets", self.subsets, "at least one subset is needed", choices=SPLITS
            )
        for s in self.subsets:
            if s not in SPLITS:
                raise ConfigError("subsets", s, choices=SPLITS)
        if not self.seeds:
            raise ConfigError("seeds", self.seeds, "at least one seed is needed")
        for s in self.seeds:
            if isinstance(s, bool) or not isinstance(s, int) or s < 0:
                raise ConfigError("seeds", s, "seeds must be integers >= 0")
        if len(set(self.seeds)) != len(self.seeds):
            raise ConfigError("seeds", self.seeds, "duplicate seed")
        for name in ("num_envs", "max_steps"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ConfigError(name, v, "must be an integer >= 1")
        if self.parser not in PARSERS:
            raise ConfigError("parser", self.parser, choices=PARSERS)
        if self.limit is not None and (not isinstance(self.limit, int) or self.limit < 1):
            raise ConfigError("limit", self.limit, "must be an integer >= 1")
