"""The benchmark runner: agents × subsets × seeds through the single rollout loop.

Every finished episode becomes one JSON line in ``<out>/episodes.jsonl`` with its full
provenance (env id and version, suite hash, agent config and its hash, parser, seed, sample,
package version, git commit, timings). The episode's env seed is derived from
``(seed, task_id)``, so a record never depends on batch size or scheduling.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gymnasium as gym

from steptool_env.agents import make_agent
from steptool_env.bench.config import BenchConfig
from steptool_env.bench.provenance import config_hash, environment
from steptool_env.rollout import EpisodeSpec, Trajectory, run_episodes
from steptool_env.seeding import derive_seed

EPISODES_FILE = "episodes.jsonl"


def episode_seed(seed: int, task_id: str, sample: int = 0) -> int:
    return derive_seed("episode", seed, task_id, sample) % (2**31)


def _record(
    traj: Trajectory,
    *,
    cfg: BenchConfig,
    agent: str,
    agent_cfg: dict[str, Any],
    seed: int,
    subset: str,
    suite_hash: str,
    env: dict[str, str],
) -> dict[str, Any]:
    return {
        "agent": agent,
        "agent_config": agent_cfg,
        "agent_config_hash": config_hash(agent_cfg),
        "env_id": cfg.env_id,
        "env_version": int(cfg.env_id.rsplit("-v", 1)[1]),
        "suite_hash": suite_hash,
        "parser": cfg.parser,
        "max_steps": cfg.max_steps,
        "subset": subset,
        "seed": seed,
        "sample": traj.spec.sample,
        "episode_seed": traj.spec.seed,
        "task_id": traj.spec.task_id,
        "group": traj.group,
        "is_solved": traj.is_solved,
        "gave_up": traj.gave_up,
        "terminated": traj.terminated,
        "truncated": traj.truncated,
        "return": round(traj.episode_return, 6),
        "n_steps": traj.n_steps,
        "succ_calling_rate": round(traj.succ_calling_rate, 6),
        "recall": round(traj.recall, 6),
        "statuses": traj.statuses(),
        "infra_error": traj.infra_error,
        "trajectory_digest": traj.digest(),
        "wall_s": round(traj.wall_s, 6),
        **env,
    }


def run_bench(cfg: BenchConfig) -> list[dict[str, Any]]:
    """Run the benchmark; write ``episodes.jsonl`` as episodes finish; return the records."""
    from tqdm.auto import tqdm

    cfg.out.mkdir(parents=True, exist_ok=True)
    env_info = environment()
    envs = [
        gym.make(cfg.env_id, split=cfg.subsets[0], parser=cfg.parser, max_steps=cfg.max_steps)
        for _ in range(cfg.num_envs)
    ]
    suite = envs[0].unwrapped.suite
    plan = []
    for agent_name in cfg.agents:
        for subset in cfg.subsets:
            tasks = suite.split(subset)[: cfg.limit] if cfg.limit else suite.split(subset)
            for seed in cfg.seeds:
                plan.append((agent_name, subset, seed, tasks))
    total = sum(len(p[3]) for p in plan)
    records: list[dict[str, Any]] = []
    path = cfg.out / EPISODES_FILE
    bar = tqdm(total=total, desc="bench", unit="ep", disable=not cfg.progress, smoothing=0.05)
    try:
        with path.open("w", encoding="utf-8") as fh:
            for agent_name, subset, seed, tasks in plan:
                for e in envs:
                    e.unwrapped.set_split(subset)
                agent = make_agent(agent_name, seed=seed)
                agent_cfg = agent.config()
                specs = [EpisodeSpec(t.task_id, episode_seed(seed, t.task_id)) for t in tasks]
                bar.set_postfix_str(f"{agent_name} {subset} seed={seed}")
                for traj in _ordered(run_episodes(envs, agent, specs), specs):
                    rec = _record(
                        traj,
                        cfg=cfg,
                        agent=agent_name,
                        agent_cfg=agent_cfg,
                        seed=seed,
                        subset=subset,
                        suite_hash=suite.hash,
                        env=env_info,
                    )
                    fh.write(json.dumps(rec, sort_keys=True) + "\n")
                    fh.flush()
                    records.append(rec)
                    bar.update(1)
    finally:
        bar.close()
        for e in envs:
            e.close()
    return records


def _ordered(trajs: Iterator[Trajectory], specs: list[EpisodeSpec]) -> Iterator[Trajectory]:
    """Yield trajectories in spec order (records are then byte-identical across runs)."""
    pending: dict[str, Trajectory] = {}
    k = 0
    for t in trajs:
        pending[t.spec.task_id] = t
        while k < len(specs) and specs[k].task_id in pending:
            yield pending.pop(specs[k].task_id)
            k += 1


def load_records(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
