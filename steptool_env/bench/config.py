"""The configuration of a benchmark run, from flags or from a benchmark file (TOML).

A benchmark file has a ``[bench]`` table with the fields of :class:`BenchConfig` and one
``[[agents]]`` table per agent (``name``, ``kind`` and the agent's options)::

    [bench]
    env_ids = ["StepTool/ToolBench-v0"]
    subsets = "test"            # or a list of subsets
    seeds = [0, 1, 2]
    samples = 1                 # k samples per task (pass^k)
    out = "runs/baselines"

    [[agents]]
    name = "oracle"             # the label on the leaderboard
    kind = "oracle"

    [[agents]]
    name = "qwen-local"
    kind = "openai"
    base_url = "http://127.0.0.1:8000/v1"
    model = "Qwen/Qwen2.5-7B-Instruct"

Every error names the offending field (``bench.seeds``, ``agents[1].kind`` ...).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from steptool_env.agents import AGENT_KINDS, BUILTIN_AGENTS
from steptool_env.envs.parsing import PARSERS
from steptool_env.envs.prompts import PROMPT_STYLES
from steptool_env.envs.registration import TEXT_ENV_IDS
from steptool_env.errors import ConfigError, check_int
from steptool_env.rollout.batch import EXECUTORS
from steptool_env.sandbox.factory import BACKENDS
from steptool_env.world.suite import SPLITS, TEST_SUBSETS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class AgentSpec:
    """One agent to rank: a leaderboard label, an agent kind and that kind's options."""

    name: str
    """Label on the leaderboard (unique within a run)."""
    kind: str
    """Agent kind: random, heuristic, oracle, openai or hf."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """Keyword options of the agent (e.g. ``model`` and ``base_url`` for ``openai``)."""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ConfigError("agents.name", self.name, "must be a non-empty string")
        if self.kind not in AGENT_KINDS:
            raise ConfigError(f"agents[{self.name}].kind", self.kind, choices=AGENT_KINDS)

    @classmethod
    def parse(cls, value: str | AgentSpec | Mapping[str, Any], where: str = "agents") -> AgentSpec:
        """A spec from a built-in name (``"oracle"``), ``"hf:<model folder or hub id>"`` or a
        table of a benchmark file."""
        if isinstance(value, AgentSpec):
            return value
        if isinstance(value, str):
            if value.startswith("hf:") and len(value) > 3:
                return cls(value, "hf", {"model": value[3:]})
            if value not in BUILTIN_AGENTS:
                raise ConfigError(
                    where,
                    value,
                    "not a built-in agent (use hf:<model> for a language model; served "
                    "models are described in a benchmark file)",
                    choices=BUILTIN_AGENTS,
                )
            return cls(value, value)
        if not isinstance(value, Mapping):
            raise ConfigError(where, value, "an agent is a name or a table")
        table = dict(value)
        kind = table.pop("kind", None)
        name = table.pop("name", kind)
        if kind is None:
            raise ConfigError(f"{where}.kind", None, "missing", choices=AGENT_KINDS)
        if kind not in AGENT_KINDS:
            raise ConfigError(f"{where}.kind", kind, choices=AGENT_KINDS)
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}.name", name, "must be a non-empty string")
        return cls(name, kind, table)


@dataclass(frozen=True)
class BenchConfig:
    """What ``steptool bench`` runs: agents × env ids × subsets × seeds × samples."""

    out: Path
    """Folder for ``episodes.jsonl`` and the leaderboards (a rerun resumes there)."""
    agents: tuple[AgentSpec, ...] = tuple(AgentSpec(n, n) for n in BUILTIN_AGENTS)
    """Agents to rank (built-in names are accepted and converted)."""
    env_ids: tuple[str, ...] = ("StepTool/ToolBench-v0",)
    """Registered env ids."""
    subsets: tuple[str, ...] = TEST_SUBSETS
    """Test subsets (or any split) to evaluate on; ``"test"`` (or ``"all"``) is the six."""
    seeds: tuple[int, ...] = (0, 1, 2)
    """Seeds; pass rates are reported as mean ± std over them."""
    samples: int = 1
    """Episodes per task and seed (k of pass^k); each sample has its own env seed."""
    num_envs: int = 16
    """Episodes in flight at once (one batched agent call per turn)."""
    max_steps: int = 12
    """Step budget per episode."""
    parser: str = "react"
    """Action format of the env and agents."""
    prompt_style: str = "full"
    """How the env's system prompt lists the functions: ``full`` (JSON schemas) or
    ``compact`` (one signature line each, about a third of the tokens)."""
    backend: str = "inprocess"
    """Sandbox backend of the envs: inprocess, http or docker."""
    limit: int | None = None
    """Use only the first N tasks of each subset (quick runs)."""
    retry_infra: bool = False
    """On resume, run again the episodes recorded with an infrastructure error."""
    executor: str = "local"
    """Where episodes run: ``local`` (this process) or ``ray`` (Ray env workers, each with
    ``num_envs`` episodes in flight; needs the ``ray`` extra). Records do not depend on it."""
    ray_address: str | None = None
    """Address of a running Ray cluster (``host:port``, ``auto``); none starts a local one."""
    ray_workers: int = 2
    """Ray env workers (one CPU each) with ``executor = "ray"``."""
    ray_gpus_per_worker: float = 0.0
    """GPUs Ray reserves for each worker (an ``hf`` agent loads its model in every worker)."""
    progress: bool = field(default=True, compare=False)
    """Show a progress bar."""

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if isinstance(self.agents, str | Mapping | AgentSpec) or not self.agents:
            raise ConfigError("agents", self.agents, "a non-empty list of agents is needed")
        specs = tuple(AgentSpec.parse(a, f"agents[{i}]") for i, a in enumerate(self.agents))
        set_(self, "agents", specs)
        names = [a.name for a in specs]
        for n in names:
            if names.count(n) > 1:
                raise ConfigError("agents", n, "duplicate agent name")
        set_(self, "out", Path(self.out))
        for name, choices in (("env_ids", TEXT_ENV_IDS), ("subsets", SPLITS)):
            values = getattr(self, name)
            if name == "subsets" and values in ("all", "test"):
                values = TEST_SUBSETS
            elif isinstance(values, str):
                values = (values,)
            values = tuple(values)
            set_(self, name, values)
            if not values:
                raise ConfigError(name, values, "at least one is needed", choices=choices)
            for v in values:
                if v not in choices:
                    raise ConfigError(name, v, choices=choices)
            if len(set(values)) != len(values):
                raise ConfigError(name, values, "duplicate entry")
        set_(self, "seeds", tuple(self.seeds) if not isinstance(self.seeds, int) else (self.seeds,))
        if not self.seeds:
            raise ConfigError("seeds", self.seeds, "at least one seed is needed")
        for s in self.seeds:
            if isinstance(s, bool) or not isinstance(s, int) or s < 0:
                raise ConfigError("seeds", s, "seeds must be integers >= 0")
        if len(set(self.seeds)) != len(self.seeds):
            raise ConfigError("seeds", self.seeds, "duplicate seed")
        for name in ("samples", "num_envs", "max_steps"):
            check_int(name, getattr(self, name), 1)
        if self.parser not in PARSERS:
            raise ConfigError("parser", self.parser, choices=PARSERS)
        if self.prompt_style not in PROMPT_STYLES:
            raise ConfigError("prompt_style", self.prompt_style, choices=PROMPT_STYLES)
        if self.backend not in BACKENDS:
            raise ConfigError("backend", self.backend, choices=BACKENDS)
        if self.limit is not None:
            check_int("limit", self.limit, 1)
        if self.executor not in EXECUTORS:
            raise ConfigError("executor", self.executor, choices=EXECUTORS)
        check_int("ray_workers", self.ray_workers, 1)
        gpus = self.ray_gpus_per_worker
        if isinstance(gpus, bool) or not isinstance(gpus, int | float) or gpus < 0:
            raise ConfigError("ray_gpus_per_worker", gpus, "must be a number >= 0")
        if self.ray_address is not None and (
            not isinstance(self.ray_address, str) or not self.ray_address
        ):
            raise ConfigError("ray_address", self.ray_address, "an address such as 10.0.0.5:6379")
        if not isinstance(self.retry_infra, bool):
            raise ConfigError("retry_infra", self.retry_infra, "must be true or false")

    def describe(self) -> dict[str, Any]:
        """The settings that define the episodes (for run.json and provenance); where they
        ran (the executor) does not."""
        return {
            "env_ids": list(self.env_ids),
            "subsets": list(self.subsets),
            "seeds": list(self.seeds),
            "samples": self.samples,
            "max_steps": self.max_steps,
            "parser": self.parser,
            "backend": self.backend,
            "limit": self.limit,
            "agents": [{"name": a.name, "kind": a.kind, **a.options} for a in self.agents],
            # only when not the default, so runs recorded before the field existed resume
            **({"prompt_style": self.prompt_style} if self.prompt_style != "full" else {}),
        }


_FILE_FIELDS = tuple(f.name for f in fields(BenchConfig) if f.name not in ("agents", "progress"))


def load_benchmark_file(path: str | Path, **overrides: Any) -> BenchConfig:
    """A :class:`BenchConfig` from a TOML benchmark file; ``overrides`` (non-None) win.

    Relative ``out`` paths are taken relative to the current directory, like flags.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("file", str(path), "no such benchmark file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError("file", str(path), f"not a readable TOML file: {exc}") from None
    unknown = set(data) - {"bench", "agents"}
    if unknown:
        raise ConfigError(sorted(unknown)[0], str(path), "unknown table", ("bench", "agents"))
    bench = data.get("bench", {})
    if not isinstance(bench, dict):
        raise ConfigError("bench", bench, f"must be a table (in {path})")
    for key in bench:
        if key not in _FILE_FIELDS:
            raise ConfigError(
                f"bench.{key}", bench[key], f"unknown field (in {path})", _FILE_FIELDS
            )
    kwargs: dict[str, Any] = dict(bench)
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        agents = data.get("agents")
        if agents is not None:
            if not isinstance(agents, list):
                raise ConfigError("agents", agents, "use [[agents]] tables")
            kwargs["agents"] = tuple(
                AgentSpec.parse(a, f"agents[{i}]") for i, a in enumerate(agents)
            )
        kwargs.update(given)
        if "out" not in kwargs:
            raise ConfigError("out", None, "missing: set it in the file or pass --out")
        return BenchConfig(**kwargs)
    except ConfigError as exc:
        if re.split(r"[.\[]", exc.field)[0] in given:
            raise
        where = exc.field if exc.field.startswith("agents") else f"bench.{exc.field}"
        reason = f"{exc.reason} (in {path})" if exc.reason else f"in {path}"
        raise ConfigError(where, exc.value, reason, exc.choices) from None
