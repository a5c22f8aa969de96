"""The benchmark runner: agents × env ids × subsets × seeds × samples, resumable.

The runner plans every episode first (each with its :func:`~steptool_env.bench.store.
episode_key`), loads what ``<out>/episodes.jsonl`` already holds, and runs only the missing
episodes through the single rollout loop (``num_envs`` in flight; one batched agent call per
turn; a served model's requests run concurrently inside its agent). Each finished episode is
appended at once with its full provenance, so a run killed at any moment resumes with the
same command and ends with the same records, hence the same leaderboard.

The env seed of an episode is derived from ``(seed, task_id, sample)``, so a record never
depends on batch size, scheduling or on what ran before.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from steptool_env.agents import Agent, make_agent
from steptool_env.bench.config import AgentSpec, BenchConfig
from steptool_env.bench.provenance import config_hash, environment, is_solved_rule, scoring
from steptool_env.bench.record import EpisodeRecord, Provenance
from steptool_env.bench.store import (
    EPISODES_FILE,
    EpisodeStore,
    Key,
    SharedFields,
    episode_key,
)
from steptool_env.envs.prompts import template_id
from steptool_env.envs.registration import load_env_suite
from steptool_env.errors import ConfigError
from steptool_env.rollout import EpisodeSpec, Trajectory, run_episodes
from steptool_env.seeding import derive_seed

RUN_FILE = "run.json"

__all__ = [
    "EPISODES_FILE",
    "BenchRun",
    "EpisodeRecord",
    "episode_seed",
    "load_records",
    "run_bench",
]


def episode_seed(seed: int, task_id: str, sample: int = 0) -> int:
    return derive_seed("episode", seed, task_id, sample) % (2**31)


@dataclass
class BenchRun:
    """What a call of :func:`run_bench` did."""

    records: list[EpisodeRecord]
    """One record per planned episode, in plan order (what the leaderboard ranks)."""
    ran: int = 0
    """Episodes run by this call."""
    resumed: int = 0
    """Planned episodes found already recorded (not run again)."""
    retried: int = 0
    """Recorded infrastructure errors run again (``retry_infra``)."""
    outside_plan: int = 0
    """Records in the file that this configuration does not plan (kept, not ranked)."""
    repaired_bytes: int = 0
    """Bytes of a torn last line removed before resuming (a killed writer)."""
    path: Path = field(default_factory=Path)
    executor: str = "local"
    """Where the episodes of this call ran (``local`` or ``ray``)."""
    lost: int = 0
    """Requests lost with a Ray worker that died (their episodes were run again or recorded
    as infrastructure errors; none is missing or recorded twice)."""


@dataclass(frozen=True)
class _Planned:
    key: Key
    spec: EpisodeSpec
    subset: str
    seed: int


@dataclass
class _AgentPlan:
    spec: AgentSpec
    agent: Agent
    config: dict[str, Any]
    hash: str
    template: str
    suite_hash: str
    first_subset: str
    episodes: list[_Planned] = field(default_factory=list)


@functools.lru_cache(maxsize=64)
def _iso_second(second: int) -> str:
    return datetime.fromtimestamp(second, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def _iso(t: float) -> str:
    """UTC ISO 8601 with milliseconds (the second's text is cached: records come in bursts)."""
    ms = int(t * 1000)
    return f"{_iso_second(ms // 1000)}.{ms % 1000:03d}+00:00"


def _plan(cfg: BenchConfig) -> dict[str, list[_AgentPlan]]:
    plans: dict[str, list[_AgentPlan]] = {}
    agents = []
    for spec in cfg.agents:
        agent = make_agent(spec.kind, **dict(spec.options))
        acfg = agent.config()
        native = bool(getattr(agent, "native_tools", False))
        agents.append(
            (
                spec,
                agent,
                acfg,
                config_hash(acfg),
                template_id(cfg.parser, native, cfg.prompt_style),
            )
        )
    for env_id in cfg.env_ids:
        suite = load_env_suite(env_id)
        subsets = [s for s in cfg.subsets if s in suite.splits]  # real data may lack some
        if not subsets:
            raise ConfigError(
                "subsets", list(cfg.subsets), f"{env_id} has none of them", choices=suite.splits
            )
        per_env = plans[env_id] = []
        ident = (env_id, suite.hash, scoring(env_id))
        for spec, agent, acfg, h, template in agents:
            ap = _AgentPlan(spec, agent, acfg, h, template, suite.hash, subsets[0])
            for subset in subsets:
                tasks = suite.split(subset)
                tasks = tasks[: cfg.limit] if cfg.limit else tasks
                for seed in cfg.seeds:
                    for t in tasks:
                        for k in range(cfg.samples):
                            key = (spec.name, h, *ident, subset, seed, k, t.task_id)
                            ep = EpisodeSpec(t.task_id, episode_seed(seed, t.task_id, k), k)
                            ap.episodes.append(_Planned(key, ep, subset, seed))
            per_env.append(ap)
    return plans


def _provenance(ap: _AgentPlan, env_id: str, cfg: BenchConfig, env: dict[str, str]) -> Provenance:
    """What every record of one agent on one env id shares (built once)."""
    return Provenance(
        agent=ap.spec.name,
        agent_kind=ap.spec.kind,
        agent_config=ap.config,
        agent_config_hash=ap.hash,
        env_id=env_id,
        env_version=int(env_id.rsplit("-v", 1)[1]),
        suite_hash=ap.suite_hash,
        scoring=scoring(env_id),
        backend=cfg.backend,
        parser=cfg.parser,
        prompt_template=ap.template,
        max_steps=cfg.max_steps,
        is_solved_rule=is_solved_rule(env_id),
        **env,
    )


def _spec_key(spec: EpisodeSpec) -> tuple[str, int, int]:
    """An episode's identity within one agent's plan (it survives a trip to a worker)."""
    return (spec.task_id, spec.seed, spec.sample)


class _LocalExecutor:
    """Episodes on ``n`` envs in this process."""

    lost = 0

    def __init__(self, env_id: str, env_kwargs: dict[str, Any], n: int) -> None:
        import gymnasium as gym

        self.envs = [gym.make(env_id, **env_kwargs) for _ in range(n)]

    def run(self, ap: _AgentPlan, specs: list[EpisodeSpec]) -> Iterator[Trajectory]:
        return run_episodes(self.envs, ap.agent, specs)

    def close(self) -> None:
        for e in self.envs:
            e.close()


class _RayExecutor:
    """Episodes in Ray env workers, agent included (see :mod:`steptool_env.rollout.ray_workers`)."""

    def __init__(self, cfg: BenchConfig, env_id: str, env_kwargs: dict[str, Any]) -> None:
        from steptool_env.rollout.ray_workers import RayConfig, WorkerPool

        ray_cfg = RayConfig(
            cfg.ray_address,
            cfg.ray_workers,
            envs_per_worker=cfg.num_envs,
            gpus_per_worker=cfg.ray_gpus_per_worker,
        )
        self.pool = WorkerPool(env_id, env_kwargs, ray_cfg)

    @property
    def lost(self) -> int:
        return self.pool.lost

    def run(self, ap: _AgentPlan, specs: list[EpisodeSpec]) -> Iterator[Trajectory]:
        return self.pool.run_episodes(ap.spec.kind, ap.spec.options, specs)

    def close(self) -> None:
        self.pool.close()


def _executor(cfg: BenchConfig, env_id: str, split: str, n: int) -> _LocalExecutor | _RayExecutor:
    kwargs = dict(
        split=split,
        parser=cfg.parser,
        max_steps=cfg.max_steps,
        backend=cfg.backend,
        prompt_style=cfg.prompt_style,
    )
    if cfg.executor == "ray":
        return _RayExecutor(cfg, env_id, kwargs)
    return _LocalExecutor(env_id, kwargs, n)


def _write_run_file(cfg: BenchConfig, env: dict[str, str], command: str | None) -> None:
    info = {"config": cfg.describe(), "executor": cfg.executor, "command": command, **env}
    tmp = cfg.out / (RUN_FILE + ".tmp")
    tmp.write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, cfg.out / RUN_FILE)


def run_bench(cfg: BenchConfig, command: str | None = None) -> BenchRun:
    """Run (or resume) the benchmark in ``cfg.out``; see the module doc."""
    from tqdm.auto import tqdm

    plans = _plan(cfg)
    env_info = environment()
    store = EpisodeStore(cfg.out)
    with store:
        result = BenchRun([], path=store.path)
        done = _resume(store, plans, cfg, result)
        _write_run_file(cfg, env_info, command)
        planned = [p for aps in plans.values() for ap in aps for p in ap.episodes]
        bar = tqdm(
            total=len(planned),
            initial=result.resumed,
            desc="bench",
            unit="ep",
            disable=not cfg.progress,
            smoothing=0.05,
            dynamic_ncols=True,
        )
        try:
            for env_id, aps in plans.items():
                _run_env(env_id, aps, cfg, env_info, store, done, result, bar)
        finally:
            bar.close()
            for aps in plans.values():
                for ap in aps:
                    close = getattr(ap.agent, "close", None)
                    if callable(close):
                        close()
    result.records = [done[p.key] for p in planned if p.key in done]
    return result


def _resume(
    store: EpisodeStore, plans: dict[str, list[_AgentPlan]], cfg: BenchConfig, result: BenchRun
) -> dict[Key, EpisodeRecord]:
    """The planned episodes the store already holds, read as typed records (a torn last
    line cut off; with ``retry_infra``, recorded infrastructure errors removed so that they
    run again). Records outside the plan are counted and kept in the file as they are."""
    existing = store.load(repair=True)
    result.repaired_bytes = store.repaired_bytes
    planned = {p.key for aps in plans.values() for ap in aps for p in ap.episodes}
    raw: dict[Key, tuple[int, dict[str, Any]]] = {}
    for i, rec in enumerate(existing, 1):
        key = episode_key(rec)
        if key not in planned:
            result.outside_plan += 1
        raw.setdefault(key, (i, rec))
    if cfg.retry_infra:
        stale = {k for k, (_, r) in raw.items() if r.get("infra_error") and k in planned}
        if stale:
            result.retried = len(stale)
            store.rewrite(r for r in existing if episode_key(r) not in stale)
            for k in stale:
                del raw[k]
    done = {
        k: EpisodeRecord.from_json(r, f"{store.path} (record {i})")
        for k, (i, r) in raw.items()
        if k in planned
    }
    result.resumed = len(done)
    return done


def _run_env(
    env_id: str,
    aps: list[_AgentPlan],
    cfg: BenchConfig,
    env_info: dict[str, str],
    store: EpisodeStore,
    done: dict[Key, EpisodeRecord],
    result: BenchRun,
    bar: Any,
) -> None:
    """Every missing episode of one env id, agent after agent, on one executor (closed
    after, whatever happens); each record appended to the store as its episode ends."""
    todo = [(ap, [p for p in ap.episodes if p.key not in done]) for ap in aps]
    if not any(missing for _, missing in todo):
        return
    n = min(cfg.num_envs, max(len(m) for _, m in todo))
    executor = _executor(cfg, env_id, aps[0].first_subset, n)
    result.executor = cfg.executor
    try:
        for ap, missing in todo:
            if not missing:
                continue
            bar.set_postfix_str(f"{ap.spec.name} on {env_id}", refresh=False)
            by_spec: dict[tuple[str, int, int], list[_Planned]] = {}
            for p in reversed(missing):
                by_spec.setdefault(_spec_key(p.spec), []).append(p)
            provenance = _provenance(ap, env_id, cfg, env_info)
            shared = SharedFields(provenance.to_json())
            now, clock = time.time(), time.perf_counter()
            for traj in executor.run(ap, [p.spec for p in missing]):
                p = by_spec[_spec_key(traj.spec)].pop()
                ended = now + (time.perf_counter() - clock)
                record = EpisodeRecord.from_trajectory(
                    traj,
                    provenance,
                    subset=p.subset,
                    seed=p.seed,
                    started_at=_iso(ended - traj.wall_s),
                    ended_at=_iso(ended),
                )
                store.append(record.episode_json(), shared)
                done[p.key] = record
                result.ran += 1
                bar.update(1)
    finally:
        result.lost += executor.lost
        executor.close()


def load_records(path: Path) -> list[EpisodeRecord]:
    """The records of an ``episodes.jsonl`` file (or of a run folder), in file order, each
    checked field by field (a bad one raises :class:`ConfigError` naming it)."""
    path = Path(path)
    store = EpisodeStore(path) if path.is_dir() else EpisodeStore(path.parent, path.name)
    if not store.path.exists():
        raise ConfigError("results", str(store.path), "no episode records there")
    return [
        EpisodeRecord.from_json(r, f"{store.path} (record {i})")
        for i, r in enumerate(store.load(), 1)
    ]
