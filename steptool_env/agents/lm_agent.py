"""A Hugging Face causal language model as an agent (``make_agent("hf", model=...)``).

**Prompt.** Each turn the conversation (``view.messages``) is rendered with the tokenizer's
chat template. By default the env's own system prompt is kept: it lists the query's tools and
the action format of the env's parser (ReAct unless configured). When the template supports
``tools=`` and the env parses Hermes ``<tool_call>`` blocks (the format such templates make
models write), the tools travel as schemas instead (``native_tools``; auto-detected).

**Generation.** One batched call per turn for all envs that are waiting: left padding,
KV cache, stop at the end of one action (the tokenizer's end-of-turn/EOS tokens) or after
``max_new_tokens``. Greedy when ``temperature`` is 0, else sampled (with ``top_p``) from a
random stream of its own per episode and step, so an episode's actions do not depend on
which other episodes share its batch. A generation that is malformed or cut at
``max_new_tokens`` goes to the env as it is: its parser turns it into a bad-input
observation, never a crash.

**Training payload.** Every reply carries an :class:`LMSample` (``Reply.sample``): the
context token ids exactly as the model saw them, the generated action ids and their
log-probabilities under the distribution they were sampled from
(:func:`sampling_log_softmax`: the logits divided by the temperature, restricted to the
top-p nucleus and renormalised; temperature 1 for greedy decoding), so a trainer learns from
the very tokens that were generated (no re-tokenisation drift), on-policy at any temperature
and top-p. Only the last position's logits are computed (``logits_to_keep=1``): the
prompt's full ``(batch, length, vocabulary)`` logits are never built.

Needs the ``train`` extra (torch, transformers).
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from steptool_env.agents.base import Reply, TurnView
from steptool_env.agents.model_source import ModelSource, load_error, offline_var, resolve_model
from steptool_env.agents.named_models import NAMED_MODELS, converted_folder, provenance
from steptool_env.envs.prompts import tools_system_prompt
from steptool_env.errors import ConfigError, check_int, require

_STOP_TOKENS = ("<|im_end|>", "<|eot_id|>", "<|end|>", "<|endoftext|>", "<end_of_turn>")
DTYPES = ("auto", "float32", "bfloat16", "float16")
_MIN_REUSE = 8
"""Shortest shared prefix worth reusing (tokens)."""


@dataclass(frozen=True)
class LMAgentConfig:
    """Settings of :class:`LMAgent`."""

    model: str
    """Local folder or hub id of a causal LM (a checkpoint written by ``steptool train``);
    a path-like spec (``./x``, ``/x``, ``~/x``, ``a/b/c``) is only looked for locally (see
    :mod:`~steptool_env.agents.model_source`)."""
    tokenizer: str = ""
    """Folder or hub id of the tokenizer ("" = the model's)."""
    device: str = "auto"
    """``auto`` (CUDA when available, else CPU), ``cpu``, ``cuda``, ``cuda:1`` ..."""
    dtype: str = "auto"
    """``auto`` (bfloat16 on CUDA, float32 on CPU), ``float32``, ``bfloat16``, ``float16``."""
    max_new_tokens: int = 256
    """Generated tokens per action at most; a longer action is cut (and then fails to parse)."""
    temperature: float = 0.0
    """0 = greedy decoding; > 0 = sampling at this temperature."""
    top_p: float = 1.0
    """Nucleus sampling mass (1 = off); only used when sampling."""
    max_context_tokens: int = 4096
    """Longer contexts keep their first and last halves (middle turns are dropped)."""
    batch_size: int = 16
    """Rows per generation call; more waiting envs are split into several calls."""
    native_tools: bool | None = None
    """Pass tools as schemas to the chat template (None = when the template supports tools
    and the env's parser is ``hermes``)."""
    seed: int = 0
    """Base of the per-episode sampling streams."""
    kv_reuse: bool = True
    """Keep each env's keys/values between turns and prefill only what is new (the
    observation and the next prompt): the conversation grows, so re-prefilling it every
    turn costs more than generating. Off: every turn prefills its whole context."""

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model:
            raise ConfigError("model", self.model, "name a model (hub id or local folder)")
        if self.dtype not in DTYPES:
            raise ConfigError("dtype", self.dtype, choices=DTYPES)
        check_int("max_new_tokens", self.max_new_tokens)
        check_int("batch_size", self.batch_size)
        check_int("max_context_tokens", self.max_context_tokens, 16)
        if not isinstance(self.temperature, int | float) or self.temperature < 0:
            raise ConfigError("temperature", self.temperature, "must be a number >= 0")
        if not isinstance(self.top_p, int | float) or not 0 < self.top_p <= 1:
            raise ConfigError("top_p", self.top_p, "must be in (0, 1]")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ConfigError("seed", self.seed, "must be an integer")
        if not isinstance(self.kv_reuse, bool):
            raise ConfigError("kv_reuse", self.kv_reuse, "must be true or false")


@dataclass(frozen=True)
class LMSample:
    """What training needs from one action (see the module docstring)."""

    context_ids: np.ndarray
    """Token ids of the prompt the action was generated from (int64)."""
    action_ids: np.ndarray
    """Generated token ids, the stop token included when one was generated (int64)."""
    logprobs: np.ndarray
    """Log-probability of each action token under the sampling distribution (see
    :func:`sampling_log_softmax`; float32); empty for demonstrations that were not
    generated."""
    stopped: bool = True
    """False when generation hit ``max_new_tokens`` before a stop token."""


def resolve_device(device: str) -> Any:
    torch = require("torch", "train")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError as exc:
        raise ConfigError("device", device, str(exc)) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device", device, "CUDA is not available on this machine")
    return dev


def resolve_dtype(dtype: str, device: Any) -> Any:
    torch = require("torch", "train")
    if dtype not in DTYPES:
        raise ConfigError("dtype", dtype, choices=DTYPES)
    if dtype == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return getattr(torch, dtype)


def stop_token_ids(tokenizer: Any, model: Any = None) -> list[int]:
    """Ids that end one action: EOS, the model's generation EOS and end-of-turn tokens."""
    ids: set[int] = set()
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    gen = getattr(model, "generation_config", None)
    eos = getattr(gen, "eos_token_id", None)
    if isinstance(eos, int):
        ids.add(eos)
    elif isinstance(eos, list | tuple):
        ids.update(int(e) for e in eos)
    vocab = tokenizer.get_vocab()
    ids.update(vocab[t] for t in _STOP_TOKENS if t in vocab)
    if not ids:
        raise ConfigError("tokenizer", type(tokenizer).__name__, "has no EOS or end-of-turn token")
    return sorted(ids)


def end_of_turn_id(tokenizer: Any) -> int:
    """The token that closes an assistant turn (appended to demonstrated actions)."""
    vocab = tokenizer.get_vocab()
    for t in _STOP_TOKENS:
        if t in vocab:
            return int(vocab[t])
    if tokenizer.eos_token_id is None:
        raise ConfigError("tokenizer", type(tokenizer).__name__, "has no EOS or end-of-turn token")
    return int(tokenizer.eos_token_id)


def _supports_tools(tokenizer: Any) -> bool:
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, dict):
        template = template.get("default", "")
    return isinstance(template, str) and "tools" in template


class Prompter:
    """Turns a :class:`TurnView` into the context token ids the model reads."""

    def __init__(self, tokenizer: Any, max_context_tokens: int, native_tools: bool | None) -> None:
        if not getattr(tokenizer, "chat_template", None):
            raise ConfigError(
                "tokenizer", getattr(tokenizer, "name_or_path", "?"), "has no chat template"
            )
        self.tokenizer = tokenizer
        self.max_context_tokens = max_context_tokens
        self.native_tools = native_tools
        self.template_tools = _supports_tools(tokenizer)

    def uses_native_tools(self, parser: str) -> bool:
        if self.native_tools is None:
            return self.template_tools and parser == "hermes"
        return self.native_tools

    def text(self, view: TurnView) -> str:
        messages = [dict(m) for m in view.messages]
        tools = None
        if self.uses_native_tools(view.parser):
            messages[0] = {"role": "system", "content": tools_system_prompt()}
            tools = [{"type": "function", "function": s} for s in view.tools]
            for m in messages:
                if m.get("tool_calls"):
                    m["tool_calls"] = [_dict_arguments(c) for c in m["tool_calls"]]
        return self.tokenizer.apply_chat_template(
            messages, tools=tools, add_generation_prompt=True, tokenize=False
        )

    def ids(self, view: TurnView) -> list[int]:
        ids = self.tokenizer(self.text(view), add_special_tokens=False)["input_ids"]
        limit = self.max_context_tokens
        if len(ids) > limit:
            head = limit // 2
            ids = ids[:head] + ids[len(ids) - (limit - head) :]
        return list(ids)


def _dict_arguments(call: dict[str, Any]) -> dict[str, Any]:
    fn = dict(call["function"])
    with contextlib.suppress(TypeError, ValueError):
        fn["arguments"] = json.loads(fn["arguments"])
    return {**call, "function": fn}


def sampling_generator(seed: int, episode_seed: int, step: int) -> Any:
    """The random stream of one action: a function of the seeds only, not of the batch."""
    torch = require("torch", "train")
    digest = hashlib.sha256(f"{seed}|{episode_seed}|{step}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") >> 1)


Prefix = tuple[int, list[tuple[Any, Any]]]
"""A reusable prefix of one row: its length L and, per layer, the keys and values of its
first L tokens (each ``(heads, L, head_dim)``)."""


def generate(
    model: Any,
    prompts: Sequence[Sequence[int]],
    *,
    pad_id: int,
    stop_ids: Sequence[int],
    max_new_tokens: int,
    temperature: float = 0.0,
    top_p: float = 1.0,
    generators: Sequence[Any] | None = None,
    prefixes: Sequence[Prefix | None] | None = None,
    keep: Sequence[bool] | None = None,
) -> tuple[list[LMSample], list[Prefix | None]]:
    """Batched decoding with a KV cache; one :class:`LMSample` per prompt, and per row the
    :data:`Prefix` of its context and action (where ``keep[i]``), for the next turn.

    ``prefixes[i]``, when given, holds the keys and values of the first L tokens of
    ``prompts[i]``: only the rest is prefilled. Each row lies in the batch as ``[padding,
    reused prefix, padding, new tokens]``; the attention mask hides the padding and the
    position ids continue the prefix, so the result is the same computation as a full
    prefill. Sampling (:func:`_choose`) draws its random numbers on the CPU from
    ``generators[i]`` for row i, so results do not depend on the device's random state or on
    the other rows; the logits stay on the device.
    """
    torch = require("torch", "train")
    if not prompts:
        return [], []
    device = next(model.parameters()).device
    n = len(prompts)
    reused = [0] * n
    if prefixes is not None:  # at least one token of each prompt is read anew (its logits)
        reused = [
            0 if pre is None else max(min(pre[0], len(p) - 1), 0)
            for pre, p in zip(prefixes, prompts)
        ]
    past_w = max(reused)
    new_w = max(len(p) - r for p, r in zip(prompts, reused))
    ids = torch.full((n, new_w), pad_id, dtype=torch.long)
    mask = torch.zeros((n, past_w + new_w), dtype=torch.long)
    for i, (p, r) in enumerate(zip(prompts, reused)):
        tail = list(p)[r:]
        if tail:
            ids[i, new_w - len(tail) :] = torch.tensor(tail, dtype=torch.long)
            mask[i, past_w + new_w - len(tail) :] = 1
        mask[i, past_w - r : past_w] = 1
    ids, mask = ids.to(device), mask.to(device)
    position = ((mask.cumsum(-1) - 1).clamp(min=0))[:, past_w:]
    cache = _batched_cache(prefixes, reused, past_w, device) if past_w else None
    stops = set(stop_ids)
    out_ids: list[list[int]] = [[] for _ in range(n)]
    out_lp: list[list[float]] = [[] for _ in range(n)]
    done = [False] * n
    step_ids, step_pos = ids, position
    with torch.inference_mode():
        for _ in range(max_new_tokens):
            out = _last_logits(model, step_ids, mask, step_pos, cache)
            cache = _returned_cache(out)
            logp = sampling_log_softmax(out.logits[:, -1, :].float(), temperature, top_p)
            chosen = _choose(logp, temperature, generators)
            picked = logp.gather(1, chosen.view(n, 1)).view(n)
            # two small copies to the CPU a token, not the (n, vocabulary) logits
            chosen_ids, chosen_lps = chosen.tolist(), picked.tolist()
            for i in range(n):
                if done[i]:
                    continue
                tok = chosen_ids[i]
                out_ids[i].append(tok)
                out_lp[i].append(chosen_lps[i])
                if tok in stops:
                    done[i] = True
            if all(done):
                break
            nxt = torch.tensor(
                [pad_id if d and not o else o[-1] for d, o in zip(done, out_ids)], dtype=torch.long
            )
            step_ids = nxt.view(n, 1).to(device)
            step_pos = step_pos[:, -1:] + 1
            mask = torch.cat([mask, torch.ones((n, 1), dtype=mask.dtype, device=device)], dim=1)
        after = [
            _row_prefix(cache, mask, i, len(p) + len(o) - 1) if keep and keep[i] else None
            for i, (p, o) in enumerate(zip(prompts, out_ids))
        ]
    samples = [
        LMSample(
            np.asarray(list(p), dtype=np.int64),
            np.asarray(o, dtype=np.int64),
            np.asarray(lp, dtype=np.float32),
            stopped=d,
        )
        for p, o, lp, d in zip(prompts, out_ids, out_lp, done)
    ]
    return samples, after


def _cache_layers(cache: Any) -> list[Any] | None:
    """The layers of a plain :class:`DynamicCache` (keys/values of every position), or None
    for any other cache (sliding windows, recurrent state...), which is never reused."""
    plain = getattr(require("transformers.cache_utils", "train"), "DynamicLayer", None)
    layers = getattr(cache, "layers", None)
    if plain is None or not layers:
        return None
    # exactly the plain layer: its subclasses (sliding windows...) keep other positions
    if any(type(la) is not plain or getattr(la, "keys", None) is None for la in layers):
        return None
    return list(layers)


def _row_prefix(cache: Any, mask: Any, i: int, length: int) -> Prefix | None:
    """Row ``i``'s keys and values of its first ``length`` real tokens (a copy)."""
    torch = require("torch", "train")
    layers = _cache_layers(cache)
    if layers is None or length < 1:
        return None
    seq = layers[0].keys.shape[2]
    where = torch.nonzero(mask[i, :seq], as_tuple=False).flatten()[:length]
    if len(where) < length:
        return None
    return (
        length,
        [(la.keys[i].index_select(1, where), la.values[i].index_select(1, where)) for la in layers],
    )


def _batched_cache(
    prefixes: Sequence[Prefix | None] | None, reused: Sequence[int], width: int, device: Any
) -> Any:
    """A cache holding each row's reused prefix right-aligned in ``width`` positions."""
    torch = require("torch", "train")
    transformers = require("transformers", "train")
    assert prefixes is not None
    template = next(pre for pre, r in zip(prefixes, reused) if pre is not None and r > 0)
    data = []
    for layer, (k0, v0) in enumerate(template[1]):
        keys = torch.zeros((len(reused), k0.shape[0], width, k0.shape[2]), dtype=k0.dtype)
        values = torch.zeros((len(reused), v0.shape[0], width, v0.shape[2]), dtype=v0.dtype)
        keys, values = keys.to(device), values.to(device)
        for i, (pre, r) in enumerate(zip(prefixes, reused)):
            if pre is not None and r > 0:
                keys[i, :, width - r :] = pre[1][layer][0][:, :r]
                values[i, :, width - r :] = pre[1][layer][1][:, :r]
        data.append((keys, values))
    return transformers.DynamicCache(data)


def _cache_argument(model: Any) -> str:
    """The name the model class's ``forward`` takes its KV cache by: ``cache`` in
    transformers >= 5.2x, ``past_key_values`` before (still accepted there, with a
    deprecation warning). Read from the class (a PEFT wrapper: its base model's class), so
    an instance's wrapped ``forward`` does not hide it."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    cls = type(base)
    name = _CACHE_ARGUMENT.get(cls)
    if name is None:
        try:
            takes_cache = "cache" in inspect.signature(cls.forward).parameters
        except (AttributeError, TypeError, ValueError):
            takes_cache = False
        name = _CACHE_ARGUMENT[cls] = "cache" if takes_cache else "past_key_values"
    return name


_CACHE_ARGUMENT: dict[type, str] = {}


def _returned_cache(out: Any) -> Any:
    """The KV cache a forward pass returned, under either of its names."""
    cache = getattr(out, "cache", None)
    return cache if cache is not None else getattr(out, "past_key_values", None)


def _last_logits(model: Any, ids: Any, mask: Any, position: Any, cache: Any) -> Any:
    """One decoding step with logits at the last position only."""
    kwargs = dict(input_ids=ids, attention_mask=mask, position_ids=position)
    kwargs[_cache_argument(model)] = cache
    try:
        return model(**kwargs, use_cache=True, logits_to_keep=1)
    except TypeError:  # a model without logits_to_keep
        return model(**kwargs, use_cache=True)


def sampling_log_softmax(logits: Any, temperature: float, top_p: float) -> Any:
    """Log-probabilities of the distribution that decoding samples from, row by row.

    The logits are divided by ``temperature`` (1 when it is 0: greedy decoding picks the
    most likely token of the plain distribution); with ``top_p < 1`` only the nucleus, the
    most likely tokens up to and including the one whose cumulative probability reaches
    ``top_p``, keeps probability, renormalised (log-probability ``-inf`` elsewhere). The
    trainer scores actions with this same function, so rollouts are on-policy."""
    torch = require("torch", "train")
    scaled = logits / temperature if temperature > 0 else logits
    logp = torch.log_softmax(scaled, dim=-1)
    if top_p >= 1.0 or temperature <= 0:
        return logp
    with torch.no_grad():
        sorted_lp, order = logp.sort(dim=-1, descending=True)
        p = sorted_lp.exp()
        keep_sorted = p.cumsum(-1) - p < top_p
        keep = torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)
    return torch.log_softmax(scaled.masked_fill(~keep, float("-inf")), dim=-1)


def _choose(logp: Any, temperature: float, generators: Sequence[Any] | None) -> Any:
    """One token per row of ``logp`` (on the model's device): the most likely at temperature
    0; else a draw by inversion, with one uniform number per row from that row's generator
    (on the CPU: the same stream on every device, whatever the other rows), and the row's
    cumulative distribution on the device. Tokens of probability 0 (outside a top-p nucleus)
    are never drawn.

    (``torch.multinomial`` with a CPU generator, used before 2026-12-04, draws one random
    number per vocabulary entry and needs the whole row on the CPU: ~0.8 ms a row for a 49k
    vocabulary, 70 % of a batched generation of 64 rows with a small model on two cores.)"""
    torch = require("torch", "train")
    if temperature <= 0:
        return logp.argmax(dim=-1)
    n = logp.shape[0]
    if generators is None:
        u = torch.rand(n, dtype=torch.float64)
    else:
        u = torch.cat([torch.rand(1, generator=g, dtype=torch.float64) for g in generators])
    cdf = logp.exp().cumsum(dim=-1)
    # u scaled by the row's total, so that rounding never puts it beyond the last bin
    target = u.to(cdf.device, torch.float32).view(n, 1) * cdf[:, -1:]
    chosen = torch.searchsorted(cdf, target, right=True).view(n)
    return chosen.clamp(max=logp.shape[1] - 1)


class LMAgent:
    """A causal LM acting in the env (see the module docstring).

    Build it from a name or folder with ``LMAgent.from_pretrained(LMAgentConfig(...))`` or
    ``make_agent("hf", model=...)``; a trainer passes its live model and tokenizer.
    """

    name = "hf"

    def __init__(self, model: Any, tokenizer: Any, config: LMAgentConfig) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.settings = config
        self.prompter = Prompter(tokenizer, config.max_context_tokens, config.native_tools)
        self.stop_ids = stop_token_ids(tokenizer, model)
        self._stops = frozenset(self.stop_ids)
        pad = tokenizer.pad_token_id
        self.pad_id = int(pad) if pad is not None else self.stop_ids[0]
        self._prefixes: dict[int, tuple[np.ndarray, Prefix]] = {}
        """Env slot -> token ids of its last context + action and their keys/values."""

    @classmethod
    def from_pretrained(cls, config: LMAgentConfig) -> LMAgent:
        model, tokenizer = load_model(config.model, config.tokenizer, config.device, config.dtype)
        model.eval()
        return cls(model, tokenizer, config)

    def config(self) -> dict[str, Any]:
        out = asdict(self.settings)
        out["agent"] = self.name
        named = NAMED_MODELS.get(self.settings.model.lower())
        if named is not None:  # provenance of the weights: package, version, file digest
            out["weights"] = provenance(converted_folder(named))
        return out

    def act(self, views: Sequence[TurnView]) -> list[Reply]:
        replies: list[Reply] = []
        size = self.settings.batch_size
        for start in range(0, len(views), size):
            replies.extend(self._act(views[start : start + size]))
        return replies

    def _act(self, views: Sequence[TurnView]) -> list[Reply]:
        cfg = self.settings
        prompts = [self.prompter.ids(v) for v in views]
        gens = (
            [sampling_generator(cfg.seed, v.episode_seed, v.step) for v in views]
            if cfg.temperature > 0
            else None
        )
        prefixes = [self._prefix_for(v.index, p) for v, p in zip(views, prompts)]
        samples, after = generate(
            self.model,
            prompts,
            pad_id=self.pad_id,
            stop_ids=self.stop_ids,
            max_new_tokens=cfg.max_new_tokens,
            temperature=cfg.temperature,
            top_p=cfg.top_p,
            generators=gens,
            prefixes=prefixes if any(prefixes) else None,
            keep=[cfg.kv_reuse] * len(views),
        )
        for v, s, pre in zip(views, samples, after):
            if pre is None:
                self._prefixes.pop(v.index, None)
            else:
                ids = np.concatenate([s.context_ids, s.action_ids])[: pre[0]]
                self._prefixes[v.index] = (ids, pre)
        return [
            Reply(
                text=self.decode(s.action_ids),
                tokens_in=len(s.context_ids),
                tokens_out=len(s.action_ids),
                sample=s,
            )
            for s in samples
        ]

    def _prefix_for(self, slot: int, prompt: Sequence[int]) -> Prefix | None:
        """The part of env ``slot``'s previous context and action that starts ``prompt``
        (the chat template renders history the same way each turn, so usually all of it)."""
        entry = self._prefixes.get(slot)
        if entry is None:
            return None
        ids, (_, kv) = entry
        p = np.asarray(prompt[: len(ids)], dtype=np.int64)
        differ = np.nonzero(p != ids[: len(p)])[0]
        common = int(differ[0]) if len(differ) else len(p)
        if common < _MIN_REUSE:
            return None
        return common, kv

    def reset_cache(self) -> None:
        """Forget every kept prefix (needed only if the model's weights change in place)."""
        self._prefixes.clear()

    def decode(self, ids: Iterable[int]) -> str:
        keep = [int(t) for t in ids if int(t) not in self._stops]
        return self.tokenizer.decode(keep, skip_special_tokens=True)

    def close(self) -> None:
        """Release the keys/values kept between turns (the model goes with the agent)."""
        self._prefixes.clear()


def load_model(model: str, tokenizer: str = "", device: str = "auto", dtype: str = "auto"):
    """A causal LM and its tokenizer from a local folder or hub id (resolved by
    :func:`~steptool_env.agents.model_source.resolve_model`: a path-like spec is only looked
    for locally), on ``device``."""
    require("torch", "train")
    transformers = require("transformers", "train")
    source = resolve_model(model)
    tok_source = resolve_model(tokenizer, "tokenizer") if tokenizer else source
    dev = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, dev)
    try:
        tok = transformers.AutoTokenizer.from_pretrained(
            tok_source.location, local_files_only=_local_only(tok_source)
        )
    except (OSError, ValueError) as exc:
        raise load_error(tok_source, exc, "tokenizer" if tokenizer else "model") from None
    try:
        lm = transformers.AutoModelForCausalLM.from_pretrained(
            source.location, dtype=torch_dtype, local_files_only=_local_only(source)
        )
    except (OSError, ValueError) as exc:
        raise load_error(source, exc) from None
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return lm.to(dev), tok


def _local_only(source: ModelSource) -> bool:
    # a folder never needs the hub; HF_HUB_OFFLINE is read here, not when huggingface_hub
    # was imported, so setting it later still keeps the hub unasked
    return source.kind != "hub" or offline_var() is not None
