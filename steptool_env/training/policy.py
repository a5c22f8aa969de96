"""The trained policy: a causal LM, its tokenizer, an optional value head, the frozen
reference, and checkpoints (save, find the latest, load for resume).

A checkpoint folder is an ordinary Hugging Face model folder (so ``hf:<folder>`` is an agent
for ``steptool bench``) plus ``value_head.pt``, ``optimizer.pt`` and ``state.json``; with LoRA
(``lora_r`` > 0) it holds the adapters instead of the model (``adapter_config.json``,
``adapter_model.safetensors``), which resume loads onto the start model again, and the
final folder holds the merged model.

**The reference** (:class:`Reference`) of the KL term is the start policy: a frozen copy of
it, or with LoRA the policy itself with its adapters switched off, so no second copy of
the model is held.

**Gradient checkpointing** (``gradient_checkpointing``) recomputes each layer's activations
in the backward pass instead of keeping them: memory for compute. Dropout is switched off
at load (every dropout probability set to 0), so the model may run in training mode for
this without the loss becoming random.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from steptool_env.agents.lm_agent import load_model
from steptool_env.errors import ConfigError, require
from steptool_env.training.config import TrainConfig

_CKPT = re.compile(r"^update-(\d{6})$")


class Policy:
    """Model + tokenizer (+ value head) on one device, with the run's compute precision."""

    def __init__(self, model: Any, tokenizer: Any, value_head: Any | None, dtype: str) -> None:
        torch = require("torch", "train")
        self.model = model
        self.tokenizer = tokenizer
        self.value_head = value_head
        self.device = next(model.parameters()).device
        use_bf16 = dtype == "bfloat16" or (dtype == "auto" and self.device.type == "cuda")
        self.autocast_dtype = (
            torch.float16 if dtype == "float16" else torch.bfloat16 if use_bf16 else None
        )
        self.scaler = torch.amp.GradScaler(self.device.type) if dtype == "float16" else None
        """Dynamic loss scaling for float16 (gradients underflow without it); None otherwise."""
        pad = tokenizer.pad_token_id
        self.pad_id = int(pad if pad is not None else tokenizer.eos_token_id)
        self.gradient_checkpointing = False

    @contextlib.contextmanager
    def learning(self) -> Iterator[None]:
        """The model in training mode while gradients are taken, if gradient checkpointing
        is on (transformers checkpoints only in training mode; dropout is off, see the
        module docstring); back in eval mode after."""
        if not self.gradient_checkpointing:
            yield
            return
        self.model.train()
        try:
            yield
        finally:
            self.model.eval()

    def autocast(self) -> Any:
        torch = require("torch", "train")
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)

    def backward(self, loss: Any) -> None:
        """Gradients of ``loss`` (scaled first under float16)."""
        (self.scaler.scale(loss) if self.scaler is not None else loss).backward()

    def step(self, optimizer: Any, max_grad_norm: float) -> tuple[float, bool]:
        """Clip the gradients (unscaled first under float16) and take the optimiser step,
        unless the gradient is exactly zero (no training signal: AdamW would still decay
        and coast) or, under float16, not finite (the scaler skips it and lowers the scale).
        Returns ``(gradient norm, whether the weights moved)``."""
        torch = require("torch", "train")
        if self.scaler is not None:
            self.scaler.unscale_(optimizer)
        norm = float(torch.nn.utils.clip_grad_norm_(self.parameters(), max_grad_norm))
        if self.scaler is None:
            if norm == 0.0:
                return norm, False
            optimizer.step()
            return norm, True
        stepped = norm != 0.0 and math.isfinite(norm)
        if norm != 0.0:
            self.scaler.step(optimizer)  # skipped by the scaler when not finite
        self.scaler.update()
        return norm, stepped

    def parameters(self) -> list[Any]:
        params = [p for p in self.model.parameters() if p.requires_grad]
        if self.value_head is not None:
            params += list(self.value_head.parameters())
        return params

    def save(self, folder: Path, optimizer: Any = None, state: dict | None = None) -> Path:
        torch = require("torch", "train")
        folder.mkdir(parents=True, exist_ok=True)
        model = self.model
        if hasattr(model, "merge_and_unload") and state is None:
            model = copy.deepcopy(model).merge_and_unload()  # a plain model for the agent
        model.save_pretrained(folder)
        self.tokenizer.save_pretrained(folder)
        if self.value_head is not None:
            torch.save(self.value_head.state_dict(), folder / "value_head.pt")
        if optimizer is not None:
            torch.save(optimizer.state_dict(), folder / "optimizer.pt")
            if self.scaler is not None:
                torch.save(self.scaler.state_dict(), folder / "grad_scaler.pt")
        if state is not None:
            (folder / "state.json").write_text(json.dumps(state, indent=1) + "\n")
        return folder


class Reference:
    """The KL reference: ``active()`` yields the model whose log-probs are the reference's."""

    def __init__(self, model: Any, adapters_off: bool) -> None:
        self.model = model
        self.adapters_off = adapters_off

    @classmethod
    def of(cls, policy: Policy, start_path: str, cfg: TrainConfig, resumed: bool) -> Reference:
        """The start policy: the LoRA policy with its adapters off, else a frozen copy (of
        the live model on a fresh run; loaded again from ``start_path`` on a resumed one)."""
        if cfg.lora_r:
            return cls(policy.model, adapters_off=True)
        if resumed:
            return cls(
                freeze(load_model(start_path, cfg.tokenizer, cfg.device, "float32")[0]), False
            )
        return cls(freeze(copy.deepcopy(policy.model)), False)

    @contextlib.contextmanager
    def active(self) -> Iterator[Any]:
        if self.adapters_off:
            with self.model.disable_adapter():
                yield self.model
        else:
            yield self.model


def freeze(model: Any) -> Any:
    """``model`` in eval mode with gradients off (the KL reference)."""
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def start_model_path(cfg: TrainConfig) -> str:
    """The folder or hub id the run starts from (building a scratch model on first use)."""
    if not cfg.model.startswith("scratch:"):
        return cfg.model
    from steptool_env.training.scratch import build_scratch_model

    folder = cfg.out / "init"
    if not (folder / "config.json").exists():
        build_scratch_model(folder, cfg.model.split(":", 1)[1], seed=cfg.seed, parser=cfg.parser)
    return str(folder)


def load_policy(
    cfg: TrainConfig, path: str, with_value: bool, adapters: Path | None = None
) -> Policy:
    """The policy from ``path`` (with a value head when ``with_value``), LoRA-wrapped when
    ``cfg.lora_r`` > 0: fresh adapters, or those saved in ``adapters`` (a checkpoint)."""
    torch = require("torch", "train")
    model, tokenizer = load_model(path, cfg.tokenizer, cfg.device, "float32")
    model.config.use_cache = True
    for module in model.modules():  # the loss of a batch is a function of the weights
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    if cfg.lora_r:
        peft = require("peft", "train")
        if adapters is not None:
            model = peft.PeftModel.from_pretrained(model, str(adapters), is_trainable=True)
        else:
            lora = peft.LoraConfig(
                r=cfg.lora_r,
                lora_alpha=cfg.lora_alpha,
                target_modules="all-linear",
                lora_dropout=0.0,
            )
            model = peft.get_peft_model(model, lora)
    if cfg.gradient_checkpointing:
        _checkpoint_activations(model)
    model.eval()
    value_head = None
    if with_value:
        hidden = model.get_input_embeddings().embedding_dim
        value_head = torch.nn.Linear(hidden, 1).to(next(model.parameters()).device)
        torch.nn.init.zeros_(value_head.weight)
        torch.nn.init.zeros_(value_head.bias)
        vh = Path(adapters if adapters is not None else path) / "value_head.pt"
        if vh.exists():
            value_head.load_state_dict(torch.load(vh, map_location=value_head.weight.device))
    policy = Policy(model, tokenizer, value_head, cfg.dtype)
    policy.gradient_checkpointing = cfg.gradient_checkpointing
    return policy


def _checkpoint_activations(model: Any) -> None:
    """Activation (gradient) checkpointing on, by the name this transformers version uses:
    ``activation_checkpointing_enable`` (>= 5.2x; the old name is deprecated there) or
    ``gradient_checkpointing_enable``; non-reentrant either way."""
    if hasattr(model, "activation_checkpointing_enable"):
        model.activation_checkpointing_enable(
            activation_checkpointing_kwargs={"use_reentrant": False}
        )
    else:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})


def make_optimizer(policy: Policy, cfg: TrainConfig) -> Any:
    torch = require("torch", "train")
    return torch.optim.AdamW(policy.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)


def latest_checkpoint(out: Path) -> Path | None:
    folder = out / "checkpoints"
    if not folder.is_dir():
        return None
    found = sorted(
        p for p in folder.iterdir() if _CKPT.match(p.name) and (p / "state.json").exists()
    )
    return found[-1] if found else None


def checkpoint_dir(out: Path, update: int) -> Path:
    return out / "checkpoints" / f"update-{update:06d}"


def load_checkpoint(
    folder: Path, cfg: TrainConfig, with_value: bool, start_path: str
) -> tuple[Policy, Any, dict]:
    """Policy, optimizer and state saved by :meth:`Policy.save` in ``folder`` (with LoRA:
    the saved adapters on the start model ``start_path``)."""
    torch = require("torch", "train")
    if cfg.lora_r:
        if not (folder / "adapter_config.json").exists():
            raise ConfigError("lora_r", cfg.lora_r, f"{folder} holds no LoRA adapters to resume")
        policy = load_policy(cfg, start_path, with_value, adapters=folder)
    else:
        policy = load_policy(cfg, str(folder), with_value)
    optimizer = make_optimizer(policy, cfg)
    optimizer.load_state_dict(torch.load(folder / "optimizer.pt", map_location=policy.device))
    if policy.scaler is not None and (folder / "grad_scaler.pt").exists():
        policy.scaler.load_state_dict(torch.load(folder / "grad_scaler.pt"))
    state = json.loads((folder / "state.json").read_text())
    return policy, optimizer, state
