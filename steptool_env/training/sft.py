"""SFT: behaviour cloning on oracle trajectories, the loss on action tokens only.

Demonstrations are collected once through the rollout loop: the oracle acts, and
:class:`~steptool_env.training.replay.DemoAgent` records each action with the context the model
will see at inference (same chat template, same prompt) — or, with ``offline``, a trajectory
file is replayed. Each update is one optimiser step on ``minibatch_size`` packed sequences,
walking shuffled epochs whose order depends only on ``(seed, epoch)``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from steptool_env.agents.oracle import OracleAgent
from steptool_env.errors import require
from steptool_env.rollout.records import EpisodeSpec
from steptool_env.training.batch import cut_micro_batches, forward, pack_all
from steptool_env.training.config import TrainConfig
from steptool_env.training.replay import DemoAgent, ReplayAgent, read_trajectories
from steptool_env.training.run import Run, TrainResult, episode_stats, items_from


def run_sft(cfg: TrainConfig, resume: bool = False) -> TrainResult:
    run = Run(cfg, resume, with_value=False)
    try:
        return _run_sft(cfg, run)
    finally:  # the envs (and Ray workers) go with the run, whatever happens
        run.close()


def _run_sft(cfg: TrainConfig, run: Run) -> TrainResult:
    torch = require("torch", "train")
    policy = run.policy
    t0 = time.perf_counter()
    if cfg.offline:
        episodes = read_trajectories(cfg.offline)
        agent: Any = ReplayAgent(episodes, policy.tokenizer, cfg.max_context_tokens)
        specs = [spec for spec, _ in episodes]
    else:
        agent = DemoAgent(OracleAgent(), policy.tokenizer, cfg.max_context_tokens)
        rng = np.random.default_rng([cfg.seed, 0, 5])
        tasks = run.tasks
        n = min(cfg.sft_episodes, len(tasks))
        picks = rng.choice(len(tasks), size=n, replace=False)
        specs = [EpisodeSpec(tasks[int(k)].task_id, int(k)) for k in picks]
    trajs = run.collect(agent, specs)
    seqs = pack_all(items_from(trajs))
    demo = episode_stats(trajs)
    demo_s = time.perf_counter() - t0

    per_update = cfg.minibatch_size
    for update in run.updates():
        torch.manual_seed(int(np.random.default_rng([cfg.seed, update, 3]).integers(2**31)))
        t1 = time.perf_counter()
        epoch, pos = divmod((update - 1) * per_update, len(seqs))
        order = np.random.default_rng([cfg.seed, epoch, 6]).permutation(len(seqs))
        mb = [seqs[int(order[(pos + k) % len(seqs)])] for k in range(min(per_update, len(seqs)))]
        n_tok = sum(e - s for q in mb for _, s, e in q.spans)
        run.optimizer.zero_grad(set_to_none=True)
        loss_sum = 0.0
        correct = 0.0
        for micro in cut_micro_batches(mb, cfg.micro_batch_size, cfg.micro_batch_tokens):
            with policy.autocast(), policy.learning():
                out = forward(policy.model, None, micro, policy.pad_id, with_entropy=False)
            loss = -out.logprobs.sum() / n_tok
            policy.backward(loss)
            loss_sum += float(loss.detach())
            correct += float(out.correct.sum())
        grad_norm, _ = policy.step(run.optimizer, cfg.max_grad_norm)
        update_s = time.perf_counter() - t1
        row: dict[str, Any] = {
            "update": update,
            "epoch": epoch,
            "loss": loss_sum,
            "token_accuracy": correct / n_tok,
            "grad_norm": float(grad_norm),
            "action_tokens": n_tok,
            "train_tokens_per_s": n_tok / update_s if update_s > 0 else None,
            "update_s": update_s,
        }
        if update == run.first_update:
            row.update(demo_episodes=demo["episodes"], demo_sequences=len(seqs), demo_s=demo_s)
        row.update(run.evaluate(update))
        run.record(row)
        run.checkpoint(update)
    return run.finish()
