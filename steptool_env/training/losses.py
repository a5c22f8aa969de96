"""The PPO objective's terms, per token, and the adaptive KL coefficient.

All functions take flat tensors over the action tokens of a batch (prompt and observation
tokens never reach them: the batch builder only gathers action positions), so masking is
structural rather than a multiplication that could leak.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from steptool_env.errors import ConfigError, require


def clipped_policy_loss(logp: Any, old_logp: Any, advantages: Any, clip: float) -> tuple[Any, Any]:
    """Per-token clipped surrogate ``max(−Â·ρ, −Â·clip(ρ, 1−ε, 1+ε))`` and a 0/1 tensor
    marking tokens where the clipped branch was taken."""
    torch = require("torch", "train")
    ratio = torch.exp(logp - old_logp)
    unclipped = -advantages * ratio
    clipped = -advantages * torch.clamp(ratio, 1.0 - clip, 1.0 + clip)
    return torch.maximum(unclipped, clipped), (clipped > unclipped).float()


def clipped_value_loss(values: Any, old_values: Any, targets: Any, clip: float) -> Any:
    """Per-step ``½·max((V − R)², (V_old + clip(V − V_old, ±ε) − R)²)``."""
    torch = require("torch", "train")
    clipped = old_values + torch.clamp(values - old_values, -clip, clip)
    return 0.5 * torch.maximum((values - targets) ** 2, (clipped - targets) ** 2)


def value_clip_range(targets: Any, value_clip: float) -> float:
    """The absolute value-clip range of an update: ``value_clip`` times the standard deviation
    of its value targets. PPO's value clip (0.2) was made for normalised returns; applied
    as an absolute 0.2 to returns of 2-5 it froze the critic, and its effect changed with the
    reward scale. In units of the returns' spread it is scale-free: multiplying every reward
    by k multiplies the clip range by k and leaves which updates are clipped unchanged."""
    spread = float(np.std(np.asarray(targets, dtype=np.float64))) if len(targets) else 0.0
    return value_clip * max(spread, 1e-8)


def kl_penalty(logp: Any, ref_logp: Any) -> Any:
    """Per-token KL(π‖π_ref) estimate ``exp(d) − d − 1`` with ``d = log π_ref − log π`` (the
    non-negative, low-variance "k3" estimator); exactly 0 where the two policies agree."""
    torch = require("torch", "train")
    d = ref_logp - logp
    return torch.exp(d) - d - 1.0


def ppo_loss(
    logp: Any,
    old_logp: Any,
    ref_logp: Any,
    advantages: Any,
    values: Any | None,
    old_values: Any | None,
    targets: Any | None,
    *,
    clip: float,
    value_clip: float,
    vf_coef: float,
    kl_coef: float,
    token_norm: float | None = None,
    step_norm: float | None = None,
) -> tuple[Any, dict[str, Any]]:
    """The scalar loss of one (micro-)batch and its parts.

    Token terms are summed and divided by ``token_norm`` (default: the number of tokens
    here), step terms by ``step_norm``, so micro-batches of a gradient-accumulation step can
    share the normaliser of the whole minibatch. ``values`` is None for critic-free runs.
    The parts also hold ``kl_max``, the largest per-token KL estimate (a statistic only).
    """
    n_tok = float(token_norm if token_norm is not None else max(int(logp.numel()), 1))
    pg, clipped = clipped_policy_loss(logp, old_logp, advantages, clip)
    kl = kl_penalty(logp, ref_logp)
    policy = pg.sum() / n_tok
    kl_term = kl.sum() / n_tok
    loss = policy + kl_coef * kl_term
    parts = {
        "policy_loss": policy,
        "kl": kl_term,
        "clipfrac": clipped.sum() / n_tok,
        # the largest per-token estimate, the tail the mean hides (not part of the loss)
        "kl_max": kl.detach().max() if kl.numel() else kl.detach().new_zeros(()),
    }
    if values is not None:
        n_step = float(step_norm if step_norm is not None else max(int(values.numel()), 1))
        v = clipped_value_loss(values, old_values, targets, value_clip).sum() / n_step
        loss = loss + vf_coef * v
        parts["value_loss"] = v
    return loss, parts


class AdaptiveKL:
    """The adaptive KL coefficient of Ziegler et al. (2019), nudged after every update so the
    measured KL tracks ``target``: ``β ← β·(1 + clip(KL/target − 1, ±0.2)/horizon)``.

    ``horizon`` is counted in updates (Ziegler et al. count samples, ``n/horizon`` with n
    samples per update and a horizon of 10,000 samples; at our batch sizes of tens of
    episodes that froze β). With ``horizon = 1`` β moves by up to 20 % per update: ten
    updates at 10× the target multiply it by 1.2¹⁰ ≈ 6.2. ``target`` None keeps β fixed."""

    def __init__(self, init: float, target: float | None, horizon: int) -> None:
        if init < 0:
            raise ConfigError("kl_coef", init, "must be >= 0")
        if target is not None and target <= 0:
            raise ConfigError("kl_target", target, "must be > 0 (or unset for a fixed coef)")
        if horizon < 1:
            raise ConfigError("kl_horizon", horizon, "must be >= 1")
        self.value = float(init)
        self.target = target
        self.horizon = horizon

    def update(self, kl: float) -> float:
        """Adapt β to the KL measured over one update; the new β."""
        if self.target is not None:
            error = min(max(kl / self.target - 1.0, -0.2), 0.2)
            self.value *= 1.0 + error / self.horizon
        return self.value
