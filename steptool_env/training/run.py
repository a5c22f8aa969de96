"""What every training run shares: its folder, start or resume, envs, rollouts through the
single rollout loop, greedy evaluation, metrics, checkpoints and the final agent folder.

A run is a function of its config: tasks, env seeds, sampling streams and minibatch order
are all derived from ``(seed, update)``, and checkpoints hold the weights, the optimiser
state and the KL coefficient — so a resumed run repeats exactly what the uninterrupted run
would have done next. A run stopped (Ctrl-C) resumes from its latest checkpoint with the same
command and ``--resume`` (:func:`interrupted_message` says which checkpoint and the command);
the updates after that checkpoint are run again.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from steptool_env.agents.base import Agent
from steptool_env.agents.lm_agent import LMAgent, LMAgentConfig
from steptool_env.envs.tool_use_env import ToolUseEnv
from steptool_env.errors import ConfigError, require
from steptool_env.rollout.batch import EnvBatch
from steptool_env.rollout.loop import collect
from steptool_env.rollout.records import EpisodeSpec, Trajectory
from steptool_env.training.advantages import env_reward_mode
from steptool_env.training.batch import StepItem
from steptool_env.training.config import TrainConfig, learning_rate
from steptool_env.training.metrics import MetricsLog
from steptool_env.training.policy import (
    checkpoint_dir,
    latest_checkpoint,
    load_checkpoint,
    load_policy,
    make_optimizer,
    start_model_path,
)
from steptool_env.world.suite import load_suite

ENV_ID = "StepTool/ToolBench-v0"
"""The env the trainer's rollouts run on (Ray workers make it by id)."""
SUITE = "toolbench"
"""Its suite (the tasks)."""

_RESUMABLE = (
    "updates", "checkpoint_every", "eval_every", "progress", "executor", "ray_address",
    "ray_workers",
)  # fmt: skip
"""Fields that may change when a run is resumed (extend it, checkpoint more often, move the
rollouts to a cluster)."""


@dataclass
class TrainResult:
    """Where a run left its outputs, and its metrics rows."""

    out: Path
    final: Path
    """The trained model folder: an agent for ``steptool bench`` (``hf:<final>``)."""
    metrics: list[dict[str, Any]] = field(default_factory=list)


class Run:
    """Folder, policy, optimizer, envs and bookkeeping of one training run."""

    def __init__(self, cfg: TrainConfig, resume: bool, with_value: bool) -> None:
        require("torch", "train")
        self.cfg = cfg
        cfg.out.mkdir(parents=True, exist_ok=True)
        self.start_path = start_model_path(cfg)
        ckpt = latest_checkpoint(cfg.out) if resume else None
        if resume and ckpt is None:
            raise ConfigError("resume", str(cfg.out), "no checkpoint to resume from")
        self.state: dict[str, Any] = {}
        if ckpt is not None:
            self._check_same_run()
            self.policy, self.optimizer, self.state = load_checkpoint(
                ckpt, cfg, with_value, self.start_path
            )
            self.first_update = int(self.state["update"]) + 1
        else:
            self.policy = load_policy(cfg, self.start_path, with_value)
            self.optimizer = make_optimizer(self.policy, cfg)
            self.first_update = 1
        (cfg.out / "config.json").write_text(json.dumps(cfg.to_dict(), indent=1) + "\n")
        self.log = MetricsLog(
            cfg.out / "metrics.jsonl", self.first_update - 1 if ckpt is not None else None
        )
        self.rows: list[dict[str, Any]] = []
        self.tasks = load_suite(SUITE).split(cfg.split)
        """The training split's tasks."""
        kwargs = dict(
            split=cfg.split,
            parser=cfg.parser,
            max_steps=cfg.max_steps,
            reward_mode=env_reward_mode(cfg.reward),
            alpha=cfg.alpha,
            prompt_style=cfg.prompt_style,
        )
        self._pool: Any = None
        self._closed = False
        self.envs: Sequence[ToolUseEnv] | EnvBatch
        if cfg.executor == "ray":
            from steptool_env.rollout.ray_workers import RayConfig, WorkerPool

            per = -(-cfg.num_envs // cfg.ray_workers)
            ray_cfg = RayConfig(cfg.ray_address or None, cfg.ray_workers, envs_per_worker=per)
            self._pool = WorkerPool(ENV_ID, kwargs, ray_cfg)
            self.envs = self._pool.envs(cfg.num_envs)  # exactly as many as a local run
        else:
            self.envs = [ToolUseEnv(**kwargs) for _ in range(cfg.num_envs)]  # type: ignore[arg-type]
        self._eval_envs: Sequence[ToolUseEnv] | EnvBatch | None = None

    def _check_same_run(self) -> None:
        path = self.cfg.out / "config.json"
        if not path.exists():
            return
        saved = json.loads(path.read_text())
        now = self.cfg.to_dict()
        for key, value in now.items():
            if key not in _RESUMABLE and key in saved and saved[key] != value:
                raise ConfigError(
                    key, value, f"differs from the run being resumed ({saved[key]!r} in {path})"
                )

    # ------------------------------------------------------------------ rollouts
    def agent(self, greedy: bool = False) -> LMAgent:
        cfg = self.cfg
        settings = LMAgentConfig(
            model=self.start_path,
            max_new_tokens=cfg.max_new_tokens,
            temperature=0.0 if greedy else cfg.temperature,
            top_p=cfg.top_p,
            max_context_tokens=cfg.max_context_tokens,
            batch_size=cfg.num_envs,
            seed=cfg.seed,
        )
        return LMAgent(self.policy.model, self.policy.tokenizer, settings)

    def collect(
        self,
        agent: Agent,
        specs: Sequence[EpisodeSpec],
        envs: Sequence[ToolUseEnv] | EnvBatch | None = None,
    ) -> list[Trajectory]:
        try:
            with self.policy.autocast():
                return collect(envs or self.envs, agent, specs)
        finally:  # the keys/values kept for the episodes' next turns are not needed now
            reset = getattr(agent, "reset_cache", None)
            if callable(reset):
                reset()

    def task_specs(self, update: int, n_tasks: int, group_size: int) -> list[EpisodeSpec]:
        """``n_tasks`` training tasks for ``update``, each ``group_size`` times."""
        rng = np.random.default_rng([self.cfg.seed, update, 1])
        tasks = self.tasks
        picks = rng.choice(len(tasks), size=n_tasks, replace=n_tasks > len(tasks))
        return [
            EpisodeSpec(tasks[int(k)].task_id, int(rng.integers(2**31 - 1)), sample=g)
            for k in picks
            for g in range(group_size)
        ]

    def evaluate(self, update: int) -> dict[str, float]:
        """Greedy pass rate on the first ``eval_episodes`` tasks of ``eval_split``."""
        cfg = self.cfg
        if not cfg.eval_episodes:
            return {}
        if update % cfg.eval_every and update != cfg.updates:
            return {}
        if self._eval_envs is None:
            # Ray workers run any task by id: evaluation shares them (its metrics do not
            # read the reward, the only thing the training envs' alpha changes).
            self._eval_envs = (
                self.envs
                if self._pool is not None
                else [
                    ToolUseEnv(
                        split=cfg.eval_split,
                        parser=cfg.parser,
                        max_steps=cfg.max_steps,
                        prompt_style=cfg.prompt_style,
                    )
                    for _ in range(cfg.num_envs)
                ]
            )
        tasks = load_suite(SUITE).split(cfg.eval_split)[: cfg.eval_episodes]
        specs = [EpisodeSpec(t.task_id, k) for k, t in enumerate(tasks)]
        t0 = time.perf_counter()
        trajs = self.collect(self.agent(greedy=True), specs, self._eval_envs)
        return {
            "eval_pass_rate": float(np.mean([t.is_solved for t in trajs])),
            "eval_succ_calling": float(np.mean([t.succ_calling_rate for t in trajs])),
            "eval_s": time.perf_counter() - t0,
        }

    # ------------------------------------------------------------------ bookkeeping
    def record(self, row: dict[str, Any]) -> None:
        row.setdefault("lr", self.optimizer.param_groups[0]["lr"])
        self.log.write(row)
        self.rows.append(row)

    def checkpoint(self, update: int, extra_state: dict[str, Any] | None = None) -> None:
        every = self.cfg.checkpoint_every
        if (every and update % every == 0) or update == self.cfg.updates:
            state = {"update": update, **(extra_state or {})}
            self.policy.save(checkpoint_dir(self.cfg.out, update), self.optimizer, state)

    def finish(self) -> TrainResult:
        final = self.policy.save(self.cfg.out / "final")
        self.close()
        return TrainResult(self.cfg.out, final, self.rows)

    def close(self) -> None:
        """Close the envs (and the Ray env workers); a second call does nothing."""
        if self._closed:
            return
        self._closed = True
        if self._pool is not None:
            self._pool.close()
            return
        for envs in (self.envs, self._eval_envs or []):
            for env in envs:  # type: ignore[union-attr]
                env.close()

    def updates(self) -> Iterator[int]:
        """Update numbers still to run; each sets the optimiser's learning rate first."""
        cfg = self.cfg
        total = range(self.first_update, cfg.updates + 1)
        bar: Any = total
        if cfg.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total, desc=f"train {cfg.algo}", unit="update", initial=0)
        for u in bar:
            for group in self.optimizer.param_groups:
                group["lr"] = learning_rate(cfg, u)
            yield u
            if cfg.progress and self.rows:
                last = self.rows[-1]
                bar.set_postfix(
                    {k: f"{last[k]:.3g}" for k in ("pass_rate", "loss", "kl") if k in last}
                )


def interrupted_message(cfg: TrainConfig, argv: Sequence[str]) -> str:
    """What a run stopped by the user leaves: its latest checkpoint and the command (``argv``
    of ``steptool``, with ``--resume``) that continues from it, or how to start it again."""
    ckpt = latest_checkpoint(cfg.out)
    args = [a for a in argv if a != "--resume"]
    if ckpt is None:
        return (
            f"training interrupted before its first checkpoint in {cfg.out / 'checkpoints'} "
            f"(checkpoint_every={cfg.checkpoint_every}); nothing to resume. Start it again "
            f"with:\n  steptool {shlex.join(args)}"
        )
    update = int(ckpt.name.rsplit("-", 1)[1])
    return (
        f"training interrupted; the last checkpoint is {ckpt} (update {update} of "
        f"{cfg.updates}; later updates are run again). Resume with:\n"
        f"  steptool {shlex.join([*args, '--resume'])}"
    )


def items_from(
    trajectories: Sequence[Trajectory], reward: Callable[[Trajectory], np.ndarray] | None = None
) -> list[StepItem]:
    """One :class:`StepItem` per action that carries a sample (infra errors are skipped)."""
    items = []
    for e, traj in enumerate(trajectories):
        if traj.infra_error:
            continue
        rewards = reward(traj) if reward is not None else np.zeros(len(traj.steps))
        for t, s in enumerate(traj.steps):
            smp = s.sample
            if smp is None or len(smp.action_ids) == 0:
                continue
            items.append(
                StepItem(
                    e,
                    t,
                    smp.context_ids,
                    smp.action_ids,
                    float(rewards[t]),
                    smp.logprobs if len(smp.logprobs) else None,
                )
            )
    return items


def episode_stats(trajs: Sequence[Trajectory]) -> dict[str, float]:
    ok = [t for t in trajs if not t.infra_error]
    steps = [s for t in ok for s in t.steps]
    return {
        "episodes": len(ok),
        "infra_errors": len(trajs) - len(ok),
        "pass_rate": float(np.mean([t.is_solved for t in ok])) if ok else 0.0,
        "mean_return": float(np.mean([t.episode_return for t in ok])) if ok else 0.0,
        "succ_calling": float(np.mean([t.succ_calling_rate for t in ok])) if ok else 0.0,
        "recall": float(np.mean([t.recall for t in ok])) if ok else 0.0,
        "steps_per_episode": len(steps) / len(ok) if ok else 0.0,
        "bad_input_share": (sum(s.status == 2 for s in steps) / len(steps)) if steps else 0.0,
        "truncated_share": float(np.mean([t.truncated for t in ok])) if ok else 0.0,
    }
