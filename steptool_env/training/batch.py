"""From episodes to token batches: one item per action, packed into as few sequences as
possible, and the forward pass that reads log-probs, entropies and values off them.

**Items.** Each action of an episode is a :class:`StepItem`: the context ids the model saw,
the action ids it generated, and the per-step numbers (reward, advantage, value target...).

**Packing.** When step t+1's context starts with step t's context followed by step t's
action (the chat template renders prefix-consistently and the action re-tokenised to the
same ids), the two steps share one sequence: ``context_0 + action_0 + observation_1 +
action_1 + ...``. Under causal attention the log-probs of an action are the same in the
packed sequence as in its own, so packing is exact and saves recomputing the shared prefix.
Anything else (a template that rewrites history, a context cut to ``max_context_tokens``)
starts a new sequence. Either way, a sequence's only trained positions are its action
tokens: prompt and observation tokens are never gathered, so they get exactly zero policy,
value and KL gradient.

**Values.** V(s_t) is read from the hidden state at the last context token before action t.

**Log-probs.** Action tokens are scored under the distribution the rollout sampled from
(:func:`~steptool_env.agents.lm_agent.sampling_log_softmax` at the run's temperature), the
very function generation used, so a rollout at any temperature is learned from on-policy.
(Training samples without top-p truncation: ``TrainConfig`` refuses ``top_p < 1`` for
PPO/GRPO, since a token outside the current nucleus would have log-probability ``-inf``.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from steptool_env.agents.lm_agent import sampling_log_softmax
from steptool_env.errors import require


@dataclass
class StepItem:
    """One action of one episode, with what the losses need."""

    episode: int
    """Index of the episode in its rollout batch."""
    step: int
    """Index of the action in its episode."""
    context_ids: np.ndarray
    action_ids: np.ndarray
    reward: float = 0.0
    rollout_logprobs: np.ndarray | None = None
    """Log-probs recorded at generation (None for demonstrations and replays)."""
    advantage: float = 0.0
    value_target: float = 0.0
    old_value: float = 0.0
    old_logprobs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    ref_logprobs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    token_advantages: np.ndarray | None = None
    """Per-token advantages (parity mode's token-level GAE); None = ``advantage`` broadcast."""


@dataclass
class PackedSequence:
    """Token ids and where each of its actions lies: ``spans[k] = (item, start, end)``."""

    ids: np.ndarray
    spans: list[tuple[int, int, int]]


def pack(items: Sequence[StepItem], indices: Sequence[int]) -> list[PackedSequence]:
    """Pack the items ``indices`` (one episode's actions, in step order) into sequences."""
    out: list[PackedSequence] = []
    current: np.ndarray | None = None
    spans: list[tuple[int, int, int]] = []
    for k in indices:
        it = items[k]
        ctx, act = it.context_ids, it.action_ids
        if len(act) == 0:
            continue
        if (
            current is not None
            and len(ctx) >= len(current)
            and np.array_equal(ctx[: len(current)], current)
        ):
            start = len(ctx)
            current = np.concatenate([ctx, act])
        else:
            if current is not None:
                out.append(PackedSequence(current, spans))
            start = len(ctx)
            current = np.concatenate([ctx, act])
            spans = []
        spans.append((k, start, start + len(act)))
    if current is not None:
        out.append(PackedSequence(current, spans))
    return out


def pack_all(items: Sequence[StepItem]) -> list[PackedSequence]:
    """Pack every episode's items (items of one episode are consecutive and in step order)."""
    by_episode: dict[int, list[int]] = {}
    for k, it in enumerate(items):
        by_episode.setdefault(it.episode, []).append(k)
    return [seq for idx in by_episode.values() for seq in pack(items, idx)]


def cut_micro_batches(
    seqs: Sequence[PackedSequence], size: int, max_tokens: int = 0
) -> list[list[PackedSequence]]:
    """``seqs`` cut, in their order, into micro-batches (one forward pass each): every
    ``size`` sequences, or with ``max_tokens`` > 0 as many as fit in that many padded
    tokens (the longest sequence × their number), at least one each. A token budget keeps
    memory flat whatever the lengths: long episodes go alone, short ones travel together."""
    if max_tokens <= 0:
        return [list(seqs[i : i + size]) for i in range(0, len(seqs), size)]
    out: list[list[PackedSequence]] = []
    current: list[PackedSequence] = []
    widest = 0
    for seq in seqs:
        width = max(widest, len(seq.ids))
        if current and width * (len(current) + 1) > max_tokens:
            out.append(current)
            current, width = [], len(seq.ids)
        current.append(seq)
        widest = width
    if current:
        out.append(current)
    return out


def group_minibatches(
    micros: Sequence[list[PackedSequence]], minibatch_size: int
) -> list[list[list[PackedSequence]]]:
    """Consecutive micro-batches grouped into minibatches of at least ``minibatch_size``
    sequences (the last may hold fewer): one optimiser step each."""
    out: list[list[list[PackedSequence]]] = []
    current: list[list[PackedSequence]] = []
    count = 0
    for micro in micros:
        current.append(micro)
        count += len(micro)
        if count >= minibatch_size:
            out.append(current)
            current, count = [], 0
    if current:
        out.append(current)
    return out


@dataclass
class ForwardOut:
    """Per-token results in span order (sequence by sequence, span by span)."""

    logprobs: Any
    entropy: Any
    values: Any | None
    """One value per span (V at the token before the action), or None without a value head."""
    correct: Any
    """1.0 where the most likely token is the action's token (SFT's token accuracy)."""
    token_items: list[int]
    """For each span, its item index (tokens of span j are ``token_slices[j]``)."""
    token_slices: list[slice]


def forward(
    model: Any,
    value_head: Any | None,
    sequences: Sequence[PackedSequence],
    pad_id: int,
    *,
    with_entropy: bool = True,
    temperature: float = 1.0,
) -> ForwardOut:
    """Run ``model`` on right-padded ``sequences``; gather action-token log-probs (under the
    sampling distribution at ``temperature``), entropies and (with a value head) values."""
    torch = require("torch", "train")
    device = next(model.parameters()).device
    width = max(len(s.ids) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    rows: list[int] = []
    pred_pos: list[int] = []
    targets: list[int] = []
    v_rows: list[int] = []
    v_pos: list[int] = []
    items: list[int] = []
    slices: list[slice] = []
    for b, seq in enumerate(sequences):
        ids[b, : len(seq.ids)] = torch.from_numpy(np.asarray(seq.ids, dtype=np.int64))
        mask[b, : len(seq.ids)] = 1
        for item, start, end in seq.spans:
            first = len(targets)
            rows.extend([b] * (end - start))
            pred_pos.extend(range(start - 1, end - 1))
            targets.extend(int(t) for t in seq.ids[start:end])
            slices.append(slice(first, len(targets)))
            items.append(item)
            v_rows.append(b)
            v_pos.append(start - 1)
    ids, mask = ids.to(device), mask.to(device)
    out = _run(model, ids, mask)
    hidden = out.hidden_states[-1]
    r = torch.tensor(rows, device=device)
    p = torch.tensor(pred_pos, device=device)
    selected = hidden[r, p]
    logits = _project(model, selected).float()
    logp_all = sampling_log_softmax(logits, temperature, 1.0)
    tgt = torch.tensor(targets, device=device)
    logprobs = logp_all.gather(-1, tgt[:, None]).squeeze(-1)
    entropy = -(logp_all.exp() * logp_all).sum(-1) if with_entropy else None
    correct = (logits.argmax(-1) == tgt).float().detach()
    values = None
    if value_head is not None:
        vh = hidden[torch.tensor(v_rows, device=device), torch.tensor(v_pos, device=device)]
        values = value_head(vh.float()).squeeze(-1)
    return ForwardOut(logprobs, entropy, values, correct, items, slices)


def _run(model: Any, ids: Any, mask: Any) -> Any:
    """One pass over whole sequences: hidden states, no KV cache (nothing is decoded after
    it; a cache would hold every layer's keys and values of every token for nothing)."""
    kwargs = dict(input_ids=ids, attention_mask=mask, output_hidden_states=True, use_cache=False)
    try:
        return model(**kwargs, logits_to_keep=1)
    except TypeError:  # models without logits_to_keep compute every position's logits
        return model(**kwargs)


def _project(model: Any, hidden: Any) -> Any:
    logits = model.get_output_embeddings()(hidden)
    cap = getattr(model.config, "final_logit_softcapping", None)
    if cap:
        logits = require("torch", "train").tanh(logits / cap) * cap
    return logits
