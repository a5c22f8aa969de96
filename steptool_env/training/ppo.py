"""Step-grained PPO, outcome-only PPO and the critic-free group baseline (GRPO) in one loop.

Each update:

1. **Rollouts** — ``episodes_per_update`` episodes of training tasks through the single
   rollout loop, the policy sampling (or, offline, a trajectory file replayed through the env).
2. **Scoring** — one no-grad pass over the packed sequences gives the old log-probs, the
   values V(s_t) and the frozen reference's log-probs. Sequences are cut once per update
   into micro-batches (seeded order), and scoring and learning run exactly those
   micro-batches: the same shapes give the same floating-point results, so while the policy
   still equals its reference the KL and the ratio are exactly 0 and 1, not ~1e-7 off.
3. **Advantages** — per step (training/advantages.py): ``ppo`` uses step-level GAE over the
   step rewards of the chosen ``reward`` mode (``steptool``: shaped rewards; ``outcome``:
   IsSolved on the last action only), whitened over the batch, broadcast to the action's
   tokens; ``grpo`` uses the episode return normalised within its task group, no critic;
   ``parity`` uses the published code's reward weighting and token-level GAE.
4. **Learning** — ``ppo_epochs`` passes over the micro-batches in a new seeded order, grouped
   into minibatches (gradient accumulation): clipped policy loss and per-token KL to the
   reference on action tokens, clipped value loss at the value positions. A minibatch whose
   gradient is exactly zero takes no optimiser step (AdamW would still move the weights, by
   weight decay and momentum): no training signal, no change. The KL coefficient adapts
   after the update.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from steptool_env.errors import ConfigError, require
from steptool_env.rollout.records import Trajectory
from steptool_env.training.advantages import (
    group_advantages,
    step_gae,
    step_rewards,
    whiten,
)
from steptool_env.training.batch import (
    PackedSequence,
    StepItem,
    cut_micro_batches,
    forward,
    group_minibatches,
    pack_all,
)
from steptool_env.training.config import TrainConfig
from steptool_env.training.losses import AdaptiveKL, ppo_loss, value_clip_range
from steptool_env.training.policy import Reference
from steptool_env.training.replay import ReplayAgent, read_trajectories, write_trajectories
from steptool_env.training.run import Run, TrainResult, episode_stats, items_from


def run_rl(cfg: TrainConfig, resume: bool = False) -> TrainResult:
    run = Run(cfg, resume, with_value=cfg.algo == "ppo")
    try:
        return _run_rl(cfg, run)
    finally:  # the envs (and Ray workers) go with the run, whatever happens
        run.close()


def _run_rl(cfg: TrainConfig, run: Run) -> TrainResult:
    torch = require("torch", "train")
    critic = cfg.algo == "ppo"
    policy = run.policy
    reference = Reference.of(policy, run.start_path, cfg, resumed=run.first_update > 1)
    kl = AdaptiveKL(cfg.kl_coef, cfg.kl_target, cfg.kl_horizon)
    kl.value = float(run.state.get("kl_coef", kl.value))
    offline = read_trajectories(cfg.offline) if cfg.offline else None

    for update in run.updates():
        torch.manual_seed(int(np.random.default_rng([cfg.seed, update, 3]).integers(2**31)))
        t0 = time.perf_counter()
        if offline is not None:
            chosen = offline_batch(offline, cfg, update)
            agent: Any = ReplayAgent(chosen, policy.tokenizer, cfg.max_context_tokens)
            specs = [spec for spec, _ in chosen]
        else:
            agent = run.agent()
            specs = run.task_specs(
                update, cfg.episodes_per_update // cfg.group_size, cfg.group_size
            )
        trajs = run.collect(agent, specs)
        rollout_s = time.perf_counter() - t0
        if cfg.save_rollouts and offline is None:
            write_trajectories(cfg.out / "rollouts.jsonl", trajs)

        t1 = time.perf_counter()
        items = items_from(
            trajs, lambda t: step_rewards([s.reward for s in t.steps], t.is_solved, cfg.reward)
        )
        seqs = pack_all(items)
        stats: dict[str, float] = {}
        if seqs:
            micros = _micro_batches(seqs, cfg, update)
            _score(policy, reference, micros, items, cfg)
            _advantages(items, trajs, cfg, critic)
            stats = _learn(policy, run.optimizer, micros, items, cfg, kl.value, update)
            kl.update(stats["kl"])
        update_s = time.perf_counter() - t1

        generated = sum(t.tokens_out for t in trajs)
        trained = sum(len(it.action_ids) for it in items)
        row: dict[str, Any] = {"update": update, **episode_stats(trajs), **stats}
        row.update(
            kl_coef=kl.value,
            sequences=len(seqs),
            action_tokens=trained,
            tokens_generated=generated,
            tokens_per_s=generated / rollout_s if rollout_s > 0 and offline is None else None,
            train_tokens_per_s=cfg.ppo_epochs * trained / update_s if update_s > 0 else None,
            rollout_s=rollout_s,
            update_s=update_s,
        )
        row.update(run.evaluate(update))
        run.record(row)
        run.checkpoint(update, {"kl_coef": kl.value})
    return run.finish()


def offline_batch(offline: list[Any], cfg: TrainConfig, update: int) -> list[Any]:
    """The recorded episodes ``(spec, steps)`` an offline update learns from.

    Without groups (``group_size`` 1): ``episodes_per_update`` episodes in a seeded order
    that walks through the whole file, epoch after epoch. With groups (GRPO): whole groups,
    ``episodes_per_update / group_size`` tasks drawn (seeded) among those with at least
    ``group_size`` recorded episodes, each with ``group_size`` of its episodes, so every
    episode is compared with others of its own task (groups formed by chance were mostly
    singletons, whose advantage is 0)."""
    n, g = cfg.episodes_per_update, cfg.group_size
    if g == 1:
        epoch, pos = divmod((update - 1) * n, len(offline))
        order = np.random.default_rng([cfg.seed, epoch, 4]).permutation(len(offline))
        return [offline[int(order[(pos + k) % len(offline)])] for k in range(n)]
    by_task: dict[str, list[int]] = {}
    for k, (spec, _) in enumerate(offline):
        by_task.setdefault(spec.task_id, []).append(k)
    tasks = sorted(t for t, ks in by_task.items() if len(ks) >= g)
    if not tasks:
        raise ConfigError(
            "offline",
            cfg.offline,
            f"group_size={g} needs tasks with at least {g} recorded episodes; the file has "
            f"at most {max((len(ks) for ks in by_task.values()), default=0)} per task",
        )
    rng = np.random.default_rng([cfg.seed, update, 4])
    picks = rng.choice(len(tasks), size=n // g, replace=n // g > len(tasks))
    chosen = []
    for t in picks:
        members = by_task[tasks[int(t)]]
        chosen += [offline[members[int(i)]] for i in rng.choice(len(members), g, replace=False)]
    return chosen


def _micro_batches(
    seqs: list[PackedSequence], cfg: TrainConfig, update: int
) -> list[list[PackedSequence]]:
    """The update's micro-batches: the sequences in a seeded order, cut every
    ``micro_batch_size``. Scoring and every learning epoch use exactly these."""
    order = np.random.default_rng([cfg.seed, update, 5]).permutation(len(seqs))
    ordered = [seqs[int(i)] for i in order]
    return cut_micro_batches(ordered, cfg.micro_batch_size, cfg.micro_batch_tokens)


def _score(
    policy: Any,
    reference: Reference,
    micros: list[list[PackedSequence]],
    items: list[StepItem],
    cfg: TrainConfig,
) -> None:
    """Old log-probs and values under the current policy, log-probs under the reference."""
    torch = require("torch", "train")
    temp = cfg.temperature  # both forwards score under the sampling distribution
    with torch.no_grad(), policy.autocast():
        for micro in micros:
            out = forward(
                policy.model,
                policy.value_head,
                micro,
                policy.pad_id,
                with_entropy=False,
                temperature=temp,
            )
            with reference.active() as ref_model:
                ref = forward(
                    ref_model, None, micro, policy.pad_id, with_entropy=False, temperature=temp
                )
            lp = out.logprobs.float().cpu().numpy()
            rlp = ref.logprobs.float().cpu().numpy()
            vals = out.values.float().cpu().numpy() if out.values is not None else None
            for j, (item, sl) in enumerate(zip(out.token_items, out.token_slices)):
                items[item].old_logprobs = lp[sl]
                items[item].ref_logprobs = rlp[sl]
                items[item].old_value = float(vals[j]) if vals is not None else 0.0


def _advantages(
    items: list[StepItem], trajs: list[Trajectory], cfg: TrainConfig, critic: bool
) -> None:
    by_ep: dict[int, list[StepItem]] = {}
    for it in items:
        by_ep.setdefault(it.episode, []).append(it)
    if not critic:  # GRPO: the episode's return against its task group
        eps = sorted(by_ep)
        returns = [sum(it.reward for it in by_ep[e]) for e in eps]
        groups = [trajs[e].spec.task_id for e in eps]
        for e, a in zip(eps, group_advantages(returns, groups)):
            for it in by_ep[e]:
                it.advantage = float(a)
        return
    for ep in by_ep.values():
        rewards = [it.reward for it in ep]
        values = [it.old_value for it in ep]
        if cfg.reward == "parity":
            _token_level(ep, cfg)
            continue
        adv, targets = step_gae(rewards, values, cfg.gamma, cfg.lam)
        for it, a, g in zip(ep, adv, targets):
            it.advantage, it.value_target = float(a), float(g)
    if cfg.whiten_advantages and cfg.reward == "parity":  # over every action token
        tokens = [(it, it.token_advantages) for it in items if it.token_advantages is not None]
        white = whiten(np.concatenate([adv for _, adv in tokens]))
        start = 0
        for it, adv in tokens:
            end = start + len(adv)
            it.token_advantages = white[start:end].astype(np.float32)
            it.advantage = float(it.token_advantages[0])
            start = end
    elif cfg.whiten_advantages:
        white = whiten(np.array([it.advantage for it in items]))
        for it, a in zip(items, white):
            it.advantage = float(a)


def _token_level(ep: list[StepItem], cfg: TrainConfig) -> None:
    """Parity: GAE on a token axis where each step's observation tokens sit between its
    actions (reward 0, value 0), the step reward on the action's last token; the token
    advantages are then whitened over the batch's action tokens, as the published code's
    trainer (TRL's PPO) does.

    It differs from the published code in one respect, by design of our value head: there the
    value head is read at every token, observation tokens included; here V(s_t) is read once
    per step (at the last context token before the action) and broadcast over the action's
    tokens, and observation tokens carry value 0. The reward weighting (r_t·(T−1−t), the
    final reward ×0) and the token-level recursion, which make cross-step credit vanish, are
    reproduced exactly."""
    rewards: list[float] = []
    values: list[float] = []
    spans = []
    prev_end = None
    for it in ep:
        if prev_end is not None:
            gap = max(len(it.context_ids) - prev_end, 0)
            rewards += [0.0] * gap
            values += [0.0] * gap
        start = len(rewards)
        n = len(it.action_ids)
        rewards += [0.0] * (n - 1) + [it.reward]
        values += [it.old_value] * n
        spans.append((it, start, start + n))
        prev_end = len(it.context_ids) + n
    adv, targets = step_gae(rewards, values, cfg.gamma, cfg.lam)
    for it, s, e in spans:
        it.advantage = float(adv[s])
        it.value_target = float(targets[s])
        it.token_advantages = adv[s:e].astype(np.float32)


def _learn(
    policy: Any,
    optimizer: Any,
    micros: list[list[PackedSequence]],
    items: list[StepItem],
    cfg: TrainConfig,
    kl_coef: float,
    update: int,
) -> dict[str, float]:
    torch = require("torch", "train")
    device = policy.device
    rng = np.random.default_rng([cfg.seed, update, 2])
    v_clip = value_clip_range([it.value_target for it in items], cfg.value_clip)
    sums: dict[str, float] = {}
    tokens_seen = 0
    steps_seen = 0
    skipped = 0
    kl_max = 0.0  # the largest per-token KL estimate: the tail that a mean hides
    for _ in range(cfg.ppo_epochs):
        order = rng.permutation(len(micros))
        for mb in group_minibatches([micros[int(i)] for i in order], cfg.minibatch_size):
            n_tok = sum(e - s for m in mb for q in m for _, s, e in q.spans)
            n_step = sum(len(q.spans) for m in mb for q in m)
            optimizer.zero_grad(set_to_none=True)
            for micro in mb:
                with policy.autocast(), policy.learning():
                    out = forward(
                        policy.model,
                        policy.value_head,
                        micro,
                        policy.pad_id,
                        temperature=cfg.temperature,
                    )
                old, ref, adv = [], [], []
                old_v, target = [], []
                for item in out.token_items:
                    it = items[item]
                    old.append(it.old_logprobs)
                    ref.append(it.ref_logprobs)
                    adv.append(
                        it.token_advantages
                        if it.token_advantages is not None
                        else np.full(len(it.action_ids), it.advantage, np.float32)
                    )
                    old_v.append(it.old_value)
                    target.append(it.value_target)
                t = lambda a: torch.as_tensor(np.concatenate(a), dtype=torch.float32, device=device)
                v = lambda a: torch.as_tensor(a, dtype=torch.float32, device=device)
                loss, parts = ppo_loss(
                    out.logprobs,
                    t(old),
                    t(ref),
                    t(adv),
                    out.values,
                    v(old_v) if out.values is not None else None,
                    v(target) if out.values is not None else None,
                    clip=cfg.clip,
                    value_clip=v_clip,
                    vf_coef=cfg.vf_coef,
                    kl_coef=kl_coef,
                    token_norm=n_tok,
                    step_norm=n_step,
                )
                policy.backward(loss)
                kl_max = max(kl_max, float(parts.pop("kl_max")))
                for k, val in parts.items():
                    w = n_step if k == "value_loss" else n_tok
                    sums[k] = sums.get(k, 0.0) + float(val.detach()) * w
                sums["entropy"] = sums.get("entropy", 0.0) + float(out.entropy.detach().sum())
                sums["loss"] = sums.get("loss", 0.0) + float(loss.detach()) * n_tok
            tokens_seen += n_tok
            steps_seen += n_step
            _, moved = policy.step(optimizer, cfg.max_grad_norm)
            skipped += not moved
    out_stats = {
        k: sums[k] / (steps_seen if k == "value_loss" else tokens_seen) for k in sums if k != "loss"
    }
    out_stats["loss"] = sums.get("loss", 0.0) / max(tokens_seen, 1)
    gaps = [
        float(np.abs(it.rollout_logprobs - it.old_logprobs).mean())
        for it in items
        if it.rollout_logprobs is not None and len(it.rollout_logprobs) == len(it.old_logprobs)
    ]
    if gaps:
        out_stats["logprob_gap"] = float(np.mean(gaps))
    out_stats["advantage_std"] = float(np.std([it.advantage for it in items]))
    out_stats["skipped_steps"] = float(skipped)
    out_stats["kl_max"] = kl_max
    if cfg.algo == "ppo":
        out_stats["value_target_mean"] = float(np.mean([it.value_target for it in items]))
    return out_stats
