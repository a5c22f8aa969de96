"""The settings of a ``steptool train`` run, validated on construction.

A run is described by a TOML file with one ``[train]`` table (recipes live in ``agents/``),
plus ``--set key=value`` overrides on the command line; every field below may appear in both.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from steptool_env.envs.parsing import PARSERS
from steptool_env.envs.prompts import PROMPT_STYLES
from steptool_env.errors import ConfigError, check_int
from steptool_env.rollout.batch import EXECUTORS
from steptool_env.training.advantages import TRAINING_REWARDS
from steptool_env.world.suite import SPLITS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ALGOS = ("sft", "ppo", "grpo")
DTYPES = ("auto", "float32", "bfloat16", "float16")
LR_SCHEDULES = ("constant", "cosine")


@dataclass(frozen=True)
class TrainConfig:
    """One training run: SFT, step-grained PPO (or outcome-only PPO) or GRPO."""

    algo: str
    """``sft`` (behaviour cloning on oracle demonstrations), ``ppo`` or ``grpo``."""
    model: str
    """Hub id or folder of the starting causal LM (e.g. an SFT run's ``final`` folder), or
    ``scratch:<preset>`` to build a from-scratch model (``tiny``, ``small``, ``base``)."""
    out: Path
    """Run folder: metrics.jsonl, config.json, checkpoints/ and final/ (the trained agent)."""
    tokenizer: str = ""
    """Tokenizer hub id or folder ("" = the model's)."""
    seed: int = 0
    """Seeds tasks, sampling, shuffling and initialisation: a run is a function of it."""
    device: str = "auto"
    """``auto`` (CUDA when available), ``cpu``, ``cuda``, ``cuda:N``."""
    dtype: str = "auto"
    """Compute precision: ``auto`` (bfloat16 autocast on CUDA, float32 on CPU), ``float32``,
    ``bfloat16``, or ``float16`` (autocast with dynamic loss scaling, for GPUs without
    bfloat16 such as T4 or V100). Weights and optimiser state stay float32."""
    updates: int = 10
    """Optimiser updates (SFT: gradient steps; PPO/GRPO: rollout-then-learn iterations)."""
    lr: float = 1e-5
    """AdamW peak learning rate."""
    lr_schedule: str = "constant"
    """``constant`` or ``cosine`` (decay from ``lr`` to ``lr / 10`` at the last update)."""
    warmup_updates: int = 0
    """Updates over which the learning rate rises linearly from ``lr / warmup_updates``."""
    weight_decay: float = 0.0
    """AdamW weight decay."""
    max_grad_norm: float = 1.0
    """Gradient-norm clip per optimiser step."""
    split: str = "train"
    """Tasks to train on."""
    parser: str = "react"
    """Action format of the env (the model must write it)."""
    prompt_style: str = "full"
    """How the env's system prompt lists the functions: ``full`` (JSON schemas) or
    ``compact`` (one signature line each: about a third of the tokens, so rollouts and
    updates are that much cheaper)."""
    max_steps: int = 12
    """Env step budget per episode (12 as in the paper)."""
    num_envs: int = 8
    """Envs stepped together (one batched generation per turn)."""
    episodes_per_update: int = 16
    """Episodes collected per PPO/GRPO update."""
    group_size: int = 1
    """Episodes per task in one update (GRPO's group; must divide episodes_per_update)."""
    reward: str = "steptool"
    """``steptool`` (the env's default step rewards, bounded so that solving is the
    optimum), ``paper`` (the paper's ``(α·s + c)/(1 + α)``, farmable online), ``outcome``
    (IsSolved at the last action only) or ``parity`` (the paper's rewards with the published
    code's weighting and token-level GAE; comparison only)."""
    alpha: float = 1.0
    """Weight of SuccCalling against Contribution in the ``steptool`` and ``paper`` step
    rewards (0 pays Contribution only; see the README's reward section)."""
    temperature: float = 1.0
    """Sampling temperature of training rollouts (0 = greedy); actions are scored under the
    same tempered distribution, so training stays on-policy."""
    top_p: float = 1.0
    """Nucleus mass of training rollouts; PPO and GRPO need 1 (a token outside the nucleus
    of the updated policy would have probability 0 and an infinite ratio)."""
    max_new_tokens: int = 128
    """Tokens per generated action at most."""
    max_context_tokens: int = 4096
    """Context budget per action (longer contexts keep their first and last halves)."""
    ppo_epochs: int = 2
    """Passes over each rollout batch."""
    minibatch_size: int = 8
    """Sequences per optimiser step (an episode is one sequence when its steps pack)."""
    micro_batch_size: int = 2
    """Sequences per forward pass; minibatch/micro = gradient-accumulation steps."""
    micro_batch_tokens: int = 0
    """Cut forward passes by a token budget instead (> 0): as many sequences as fit in
    this many padded tokens, at least one; ``micro_batch_size`` is then unused."""
    clip: float = 0.2
    """PPO ratio clip ε."""
    value_clip: float = 0.2
    """Value-loss clip around the rollout-time value, in units of the standard deviation of
    the update's value targets (scale-free; see ``losses.value_clip_range``)."""
    vf_coef: float = 0.5
    """Weight of the value loss."""
    gamma: float = 0.99
    """Discount over steps."""
    lam: float = 0.95
    """Step-level GAE λ (1 gives Â_t = G_t − V(s_t))."""
    whiten_advantages: bool = True
    """Whiten advantages over the batch's steps."""
    kl_coef: float = 0.3
    """Initial coefficient of the per-token KL to the frozen reference (the start policy)."""
    kl_target: float | None = 0.1
    """Target KL of the adaptive coefficient (unset: fixed coefficient)."""
    kl_horizon: int = 1
    """Horizon of the adaptive KL controller, in updates: β moves by up to 20 %/horizon per
    update towards the target (see ``AdaptiveKL``)."""
    sft_episodes: int = 500
    """Oracle demonstration episodes for SFT (from the train split)."""
    offline: str = ""
    """A trajectory file (JSONL, see training/replay.py) to learn from instead of online
    rollouts: demonstrations for SFT, recorded episodes for PPO/GRPO (the paper's setting)."""
    save_rollouts: bool = False
    """Append every online rollout to ``out/rollouts.jsonl`` (a file ``offline`` can read)."""
    eval_split: str = "val"
    """Split of the greedy evaluation run during training."""
    eval_episodes: int = 0
    """Tasks of ``eval_split`` evaluated greedily every ``eval_every`` updates (0 = off)."""
    eval_every: int = 5
    """Updates between evaluations (and after the last one)."""
    checkpoint_every: int = 0
    """Updates between checkpoints (0 = only the final one); resume starts from the latest."""
    lora_r: int = 0
    """LoRA rank (0 = full fine-tuning): adapters on every linear layer (peft); the KL
    reference is the model with its adapters off (no second copy); resumable."""
    lora_alpha: int = 16
    """LoRA alpha."""
    gradient_checkpointing: bool = False
    """Recompute activations in the backward pass instead of keeping them (less memory,
    about a third more compute): for long contexts and large models on a GPU."""
    executor: str = "local"
    """Where rollout envs live: ``local`` (this process) or ``ray`` (Ray env workers; the
    model stays here, on its device). Trajectories do not depend on it."""
    ray_address: str = ""
    """Address of a running Ray cluster (``host:port``, ``auto``); "" starts a local one."""
    ray_workers: int = 2
    """Ray env workers; the ``num_envs`` envs are spread over them."""
    progress: bool = field(default=True, compare=False)
    """Show a progress bar."""

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if self.algo not in ALGOS:
            raise ConfigError("algo", self.algo, choices=ALGOS)
        if not isinstance(self.model, str) or not self.model:
            raise ConfigError("model", self.model, "name a model, folder or scratch:<preset>")
        set_(self, "out", Path(self.out))
        for name in (
            "updates", "max_steps", "num_envs", "episodes_per_update", "group_size",
            "max_new_tokens", "max_context_tokens", "ppo_epochs", "minibatch_size",
            "micro_batch_size", "sft_episodes", "eval_every", "kl_horizon", "lora_alpha",
        ):  # fmt: skip
            check_int(name, getattr(self, name), 1)
        for name in (
            "seed", "eval_episodes", "checkpoint_every", "lora_r", "warmup_updates",
            "micro_batch_tokens",
        ):  # fmt: skip
            check_int(name, getattr(self, name), 0)
        for name, lo, hi in (
            ("lr", 0.0, None), ("clip", 0.0, None), ("value_clip", 0.0, None),
            ("max_grad_norm", 0.0, None), ("top_p", 0.0, 1.0), ("gamma", 0.0, 1.0),
            ("lam", 0.0, 1.0),
        ):  # fmt: skip
            _float(name, getattr(self, name), lo, hi, open_low=True)
        for name in ("weight_decay", "vf_coef", "kl_coef", "temperature", "alpha"):
            _float(name, getattr(self, name), 0.0, None)
        if self.kl_target is not None:
            _float("kl_target", self.kl_target, 0.0, None, open_low=True)
        if self.algo in ("ppo", "grpo") and self.top_p < 1.0:
            raise ConfigError(
                "top_p",
                self.top_p,
                f"{self.algo} samples from the whole tempered distribution (top_p = 1): a "
                "token outside the nucleus of the updated policy has probability 0, so its "
                "ratio and KL are infinite; lower temperature instead",
            )
        if self.kl_horizon > 1000:
            raise ConfigError(
                "kl_horizon",
                self.kl_horizon,
                "is counted in updates (at most 1000); a horizon in samples, as in Ziegler "
                "et al., would all but freeze the KL coefficient",
            )
        if self.lr_schedule not in LR_SCHEDULES:
            raise ConfigError("lr_schedule", self.lr_schedule, choices=LR_SCHEDULES)
        if self.dtype not in DTYPES:
            raise ConfigError("dtype", self.dtype, choices=DTYPES)
        if self.parser not in PARSERS:
            raise ConfigError("parser", self.parser, choices=PARSERS)
        if self.prompt_style not in PROMPT_STYLES:
            raise ConfigError("prompt_style", self.prompt_style, choices=PROMPT_STYLES)
        for name in ("split", "eval_split"):
            if getattr(self, name) not in SPLITS:
                raise ConfigError(name, getattr(self, name), choices=SPLITS)
        if self.reward not in TRAINING_REWARDS:
            raise ConfigError("reward", self.reward, choices=TRAINING_REWARDS)
        if self.episodes_per_update % self.group_size:
            raise ConfigError(
                "group_size",
                self.group_size,
                f"must divide episodes_per_update ({self.episodes_per_update})",
            )
        if self.algo == "grpo" and self.group_size < 2:
            raise ConfigError("group_size", self.group_size, "grpo needs groups of >= 2")
        if self.minibatch_size % self.micro_batch_size:
            raise ConfigError(
                "micro_batch_size",
                self.micro_batch_size,
                f"must divide minibatch_size ({self.minibatch_size})",
            )
        for name in ("whiten_advantages", "save_rollouts", "progress", "gradient_checkpointing"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(name, getattr(self, name), "must be true or false")
        if self.executor not in EXECUTORS:
            raise ConfigError("executor", self.executor, choices=EXECUTORS)
        check_int("ray_workers", self.ray_workers, 1)
        if not isinstance(self.ray_address, str):
            raise ConfigError("ray_address", self.ray_address, "an address such as 10.0.0.5:6379")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings (written to ``out/config.json``)."""
        d = asdict(self)
        d["out"] = str(self.out)
        d.pop("progress")
        return d


FIELDS = tuple(f.name for f in fields(TrainConfig))


def field_docs(cls: type) -> dict[str, tuple[str, str]]:
    """Field name → ``(default as text, its docstring's first sentence)`` of a dataclass whose
    fields carry attribute docstrings (read from the source: for generated ``--help``)."""
    import ast
    import inspect
    import textwrap

    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body  # type: ignore[attr-defined]
    defaults = {f.name: f.default for f in fields(cls)}
    out: dict[str, tuple[str, str]] = {}
    for node, after in zip(body, [*body[1:], None]):
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            continue
        doc = ""
        if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant):
            text = " ".join(str(after.value.value).replace("``", "").split())
            doc = text.split(". ")[0].rstrip(".") + "."
        name = node.target.id
        default = defaults.get(name)
        shown = "required" if default is MISSING else repr(default)
        out[name] = (shown, doc)
    return out


def learning_rate(cfg: TrainConfig, update: int) -> float:
    """Learning rate of ``update`` (1-based): linear warmup, then constant or cosine to lr/10."""
    if update <= cfg.warmup_updates:
        return cfg.lr * update / cfg.warmup_updates
    if cfg.lr_schedule == "constant":
        return cfg.lr
    span = max(cfg.updates - cfg.warmup_updates, 1)
    progress = min((update - cfg.warmup_updates) / span, 1.0)
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * progress)))


def parse_override(text: str) -> tuple[str, Any]:
    """``key=value`` with a TOML value (``lr=3e-4``, ``reward="outcome"``); a bare word that is
    not TOML is taken as a string (``reward=outcome``)."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError("--set", text, "expected key=value")
    if key not in FIELDS:
        raise ConfigError(f"--set {key}", value, "unknown field", choices=FIELDS)
    try:
        return key, tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return key, value.strip()


def load_train_config(path: str | Path | None, **overrides: Any) -> TrainConfig:
    """A :class:`TrainConfig` from a TOML recipe (``[train]`` table) and overrides.

    Errors name the field and, when it came from the file, the file.
    """
    data: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError("config", str(path), "no such training recipe") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError("config", str(path), f"not a readable TOML file: {exc}") from None
        unknown = set(doc) - {"train"}
        if unknown:
            raise ConfigError(sorted(unknown)[0], str(path), "unknown table", ("train",))
        data = doc.get("train", {})
        if not isinstance(data, dict):
            raise ConfigError("train", data, f"must be a table (in {path})")
        for key in data:
            if key not in FIELDS:
                raise ConfigError(f"train.{key}", data[key], f"unknown field (in {path})", FIELDS)
    given = {k: v for k, v in overrides.items() if v is not None}
    kwargs = {**data, **given}
    for required in ("algo", "model", "out"):
        if required not in kwargs:
            where = f" (in {path})" if path is not None else ""
            raise ConfigError(required, None, f"missing: set it in the recipe or with --set{where}")
    try:
        return TrainConfig(**kwargs)
    except ConfigError as exc:
        if path is None or re.split(r"[.\[]", exc.field)[0] in given:
            raise
        reason = f"{exc.reason} (in {path})" if exc.reason else f"in {path}"
        raise ConfigError(f"train.{exc.field}", exc.value, reason, exc.choices) from None


def _float(name: str, value: Any, lo: float, hi: float | None, *, open_low: bool = False) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok:
        ok = (value > lo if open_low else value >= lo) and (hi is None or value <= hi)
    if not ok:
        bound = f"> {lo}" if open_low else f">= {lo}"
        raise ConfigError(
            name, value, f"must be a number {bound}" + (f" and <= {hi}" if hi else "")
        )
