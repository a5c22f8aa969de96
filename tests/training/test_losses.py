"""Hand-checked values for steptool_env.training.losses (PPO terms and adaptive KL)."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from steptool_env.errors import ConfigError  # noqa: E402
from steptool_env.training.losses import (  # noqa: E402
    AdaptiveKL,
    clipped_policy_loss,
    clipped_value_loss,
    kl_penalty,
    ppo_loss,
)


def t(xs: list[float]) -> torch.Tensor:
    return torch.tensor(xs, dtype=torch.float64)


def close(got: torch.Tensor, want: list[float] | float, atol: float = 1e-9) -> None:
    # check_dtype=False: the clipped indicator is a float32 0/1 tensor whatever the input dtype
    want_t = torch.as_tensor(want, dtype=torch.float64)
    torch.testing.assert_close(got, want_t, rtol=0, atol=atol, check_dtype=False)


# --- clipped_policy_loss --------------------------------------------------------------------
#
# eps = 0.2, so clip(rho) lies in [0.8, 1.2]; per token max(-A*rho, -A*clip(rho)):
#   rho = 1.1, A = +2: max(-2.2, -2.2) = -2.2   not clipped (inside the range)
#   rho = 1.1, A = -2: max( 2.2,  2.2) =  2.2   not clipped
#   rho = 1.5, A = +2: max(-3.0, -2.4) = -2.4   clipped  (gain capped at 1+eps)
#   rho = 1.5, A = -2: max( 3.0,  2.4) =  3.0   not clipped (pessimistic: unclipped)
#   rho = 0.5, A = +2: max(-1.0, -1.6) = -1.0   not clipped
#   rho = 0.5, A = -2: max( 1.0,  1.6) =  1.6   clipped  (1-eps floor)
RATIOS = [1.1, 1.1, 1.5, 1.5, 0.5, 0.5]
ADVS = [2.0, -2.0, 2.0, -2.0, 2.0, -2.0]
WANT_PG = [-2.2, 2.2, -2.4, 3.0, -1.0, 1.6]
WANT_CLIPPED = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0]


def test_clipped_policy_loss_hand_values() -> None:
    old = t([-1.0] * 6)
    logp = old + torch.log(t(RATIOS))
    pg, clipped = clipped_policy_loss(logp, old, t(ADVS), 0.2)
    close(pg, WANT_PG)
    close(clipped, WANT_CLIPPED, atol=0)


def test_clipped_policy_loss_on_policy_is_minus_advantage() -> None:
    # rho = 1 everywhere: loss = -A, nothing clipped
    logp = t([-0.3, -2.0, -5.0])
    pg, clipped = clipped_policy_loss(logp, logp.clone(), t([1.0, -0.5, 0.0]), 0.2)
    close(pg, [-1.0, 0.5, 0.0])
    close(clipped, [0.0, 0.0, 0.0], atol=0)


# --- clipped_value_loss ---------------------------------------------------------------------
#
# clip = 0.2, per step 0.5 * max((V-R)^2, (V_old + clip(V-V_old, +-0.2) - R)^2):
#   V=1.0, V_old=0.5, R= 2.0: Vc = 0.5+0.2 = 0.7; (1-2)^2 = 1, (0.7-2)^2 = 1.69 -> 0.845 (clipped)
#   V=1.0, V_old=0.5, R= 0.0: Vc = 0.7;           (1-0)^2 = 1, (0.7-0)^2 = 0.49 -> 0.5   (plain)
#   V=0.0, V_old=0.5, R=-1.0: Vc = 0.5-0.2 = 0.3; (0+1)^2 = 1, (0.3+1)^2 = 1.69 -> 0.845 (clipped)
#   V=0.0, V_old=0.5, R= 1.0: Vc = 0.3;           (0-1)^2 = 1, (0.3-1)^2 = 0.49 -> 0.5   (plain)
#   V=0.6, V_old=0.5, R= 1.0: Vc = 0.6 (inside);  (0.6-1)^2 = 0.16              -> 0.08


def test_clipped_value_loss_hand_values() -> None:
    values = t([1.0, 1.0, 0.0, 0.0, 0.6])
    old = t([0.5, 0.5, 0.5, 0.5, 0.5])
    targets = t([2.0, 0.0, -1.0, 1.0, 1.0])
    close(clipped_value_loss(values, old, targets, 0.2), [0.845, 0.5, 0.845, 0.5, 0.08])


# --- kl_penalty -----------------------------------------------------------------------------


def test_kl_penalty_zero_when_policies_agree() -> None:
    logp = t([-0.1, -1.0, -7.5])
    kl = kl_penalty(logp, logp.clone())
    assert torch.equal(kl, torch.zeros(3, dtype=torch.float64))


def test_kl_penalty_hand_values() -> None:
    # d = ref - logp
    #   logp = -1.0, ref = -0.5: d =  0.5 -> e^0.5 - 0.5 - 1 = 1.6487212707 - 1.5 = 0.1487212707
    #   logp = -1.0, ref = -2.0: d = -1.0 -> e^-1 + 1 - 1   = 0.3678794412
    #   logp = -2.0, ref = -0.5: d =  1.5 -> e^1.5 - 2.5    = 4.4816890703 - 2.5 = 1.9816890703
    kl = kl_penalty(t([-1.0, -1.0, -2.0]), t([-0.5, -2.0, -0.5]))
    close(kl, [0.1487212707, 0.3678794412, 1.9816890703], atol=1e-9)
    close(kl, [math.exp(0.5) - 0.5 - 1, math.exp(-1.0) + 1.0 - 1, math.exp(1.5) - 1.5 - 1])
    assert bool((kl > 0).all())


# --- ppo_loss -------------------------------------------------------------------------------
#
# 4 action tokens over 2 steps; clip = 0.2, value_clip = 0.2, kl_coef = 0.1, vf_coef = 0.5.
#   token  rho   A    pg                         clipped  d = ref - logp  kl = e^d - d - 1
#   0      1.0   1   max(-1, -1)     = -1        0        0               0
#   1      1.5   2   max(-3, -2.4)   = -2.4      1        0               0
#   2      0.5  -1   max(0.5, 0.8)   =  0.8      1        0.5             0.1487212707
#   3      1.0  -1   max(1, 1)       =  1        0        -1              0.3678794412
#   sum pg = -1 - 2.4 + 0.8 + 1 = -1.6;  sum kl = 0.5166007119;  clipped = 2
# steps (same values as the value-loss example): V = [1, 1], V_old = [0.5, 0.5], R = [2, 0]
#   -> [0.845, 0.5], sum = 1.345
OLD_LOGP = [-1.0, -1.0, -1.0, -1.0]
PPO_RATIOS = [1.0, 1.5, 0.5, 1.0]
PPO_ADVS = [1.0, 2.0, -1.0, -1.0]
KL_D = [0.0, 0.0, 0.5, -1.0]
SUM_PG = -1.6
SUM_KL = (math.exp(0.5) - 0.5 - 1) + (math.exp(-1.0) + 1.0 - 1)  # 0.5166007119
SUM_V = 1.345
KW = {"clip": 0.2, "value_clip": 0.2, "vf_coef": 0.5, "kl_coef": 0.1}


def ppo_batch() -> dict[str, torch.Tensor]:
    old = t(OLD_LOGP)
    logp = old + torch.log(t(PPO_RATIOS))
    return {
        "logp": logp,
        "old_logp": old,
        "ref_logp": logp + t(KL_D),
        "advantages": t(PPO_ADVS),
        "values": t([1.0, 1.0]),
        "old_values": t([0.5, 0.5]),
        "targets": t([2.0, 0.0]),
    }


def test_ppo_loss_default_normalisers() -> None:
    # policy   = -1.6 / 4         = -0.4
    # kl       = 0.5166007119 / 4 = 0.1291501780
    # value    = 1.345 / 2        = 0.6725
    # clipfrac = 2 / 4            = 0.5
    # loss     = -0.4 + 0.1 * 0.1291501780 + 0.5 * 0.6725
    #          = -0.4 + 0.0129150178 + 0.33625 = -0.0508349822
    assert abs(SUM_KL - 0.5166007119) < 1e-10
    loss, parts = ppo_loss(**ppo_batch(), **KW)
    assert set(parts) == {"policy_loss", "kl", "clipfrac", "kl_max", "value_loss"}
    close(parts["policy_loss"], -0.4)
    close(parts["kl_max"], 0.3678794412, atol=1e-9)  # token 3
    close(parts["kl"], 0.1291501780, atol=1e-9)
    close(parts["value_loss"], 0.6725)
    close(parts["clipfrac"], 0.5)
    close(loss, -0.0508349822, atol=1e-9)
    close(loss, SUM_PG / 4 + 0.1 * SUM_KL / 4 + 0.5 * SUM_V / 2)


def test_ppo_loss_given_normalisers() -> None:
    # As one micro-batch of a minibatch with 8 tokens and 4 steps:
    # policy   = -1.6 / 8         = -0.2
    # kl       = 0.5166007119 / 8 = 0.0645750890
    # value    = 1.345 / 4        = 0.33625
    # clipfrac = 2 / 8            = 0.25
    # loss     = -0.2 + 0.1 * 0.0645750890 + 0.5 * 0.33625
    #          = -0.2 + 0.0064575089 + 0.168125 = -0.0254174911
    loss, parts = ppo_loss(**ppo_batch(), **KW, token_norm=8, step_norm=4)
    close(parts["policy_loss"], -0.2)
    close(parts["kl"], 0.0645750890, atol=1e-9)
    close(parts["value_loss"], 0.33625)
    close(parts["clipfrac"], 0.25)
    close(loss, -0.0254174911, atol=1e-9)
    close(loss, SUM_PG / 8 + 0.1 * SUM_KL / 8 + 0.5 * SUM_V / 4)


def test_ppo_loss_critic_free_drops_value_term() -> None:
    # values=None: loss = -0.4 + 0.1 * 0.1291501780 = -0.3870849822, no "value_loss" part
    batch = ppo_batch()
    batch.update(values=None, old_values=None, targets=None)
    loss, parts = ppo_loss(**batch, **KW)
    assert "value_loss" not in parts
    assert set(parts) == {"policy_loss", "kl", "clipfrac", "kl_max"}
    close(loss, -0.3870849822, atol=1e-9)
    close(loss, SUM_PG / 4 + 0.1 * SUM_KL / 4)
    # step_norm is irrelevant without a critic
    loss2, _ = ppo_loss(**batch, **KW, step_norm=123)
    close(loss2, loss.item())


def test_ppo_loss_backpropagates() -> None:
    batch = ppo_batch()
    logp = batch["logp"].clone().requires_grad_(True)
    values = batch["values"].clone().requires_grad_(True)
    batch.update(logp=logp, values=values)
    loss, _ = ppo_loss(**batch, **KW)
    loss.backward()
    assert logp.grad is not None
    assert values.grad is not None
    assert torch.isfinite(logp.grad).all()


# --- AdaptiveKL -----------------------------------------------------------------------------
#
# beta <- beta * (1 + clip(KL/target - 1, +-0.2) / horizon), once per update (horizon in
# updates); init 0.1, target 0.01, H 10


def test_adaptive_kl_above_target_raises_by_clipped_error() -> None:
    # KL = 0.05: 0.05/0.01 - 1 = 4 -> clipped to 0.2:
    #   0.1 * (1 + 0.2 / 10) = 0.1 * 1.02 = 0.102
    kl = AdaptiveKL(0.1, 0.01, 10)
    assert kl.update(0.05) == pytest.approx(0.102, abs=1e-15)
    assert kl.value == pytest.approx(0.102, abs=1e-15)
    # a second identical update compounds: 0.102 * 1.02 = 0.10404
    assert kl.update(0.05) == pytest.approx(0.10404, abs=1e-15)


def test_adaptive_kl_below_target_lowers() -> None:
    # KL = 0: 0/0.01 - 1 = -1 -> clipped to -0.2:
    #   0.1 * (1 - 0.2 / 10) = 0.1 * 0.98 = 0.098
    kl = AdaptiveKL(0.1, 0.01, 10)
    assert kl.update(0.0) == pytest.approx(0.098, abs=1e-15)


def test_adaptive_kl_inside_clip_range() -> None:
    # KL = 0.011: 0.011/0.01 - 1 = 0.1 (not clipped):
    #   0.1 * (1 + 0.1 / 10) = 0.1 * 1.01 = 0.101
    kl = AdaptiveKL(0.1, 0.01, 10)
    assert kl.update(0.011) == pytest.approx(0.101, abs=1e-12)


def test_adaptive_kl_on_target_unchanged() -> None:
    kl = AdaptiveKL(0.1, 0.01, 10)
    assert kl.update(0.01) == pytest.approx(0.1, abs=1e-15)


def test_adaptive_kl_fixed_without_target() -> None:
    kl = AdaptiveKL(0.1, None, 10)
    for measured in (0.0, 0.05, 10.0):
        assert kl.update(measured) == 0.1
    assert kl.value == 0.1


def test_adaptive_kl_zero_init_allowed() -> None:
    kl = AdaptiveKL(0.0, 0.01, 10)
    assert kl.update(1.0) == 0.0


@pytest.mark.parametrize(
    ("init", "target", "horizon", "field"),
    [
        (-0.1, 0.01, 100, "kl_coef"),
        (0.1, 0.0, 100, "kl_target"),
        (0.1, -0.5, 100, "kl_target"),
        (0.1, 0.01, 0, "kl_horizon"),
        (0.1, None, -3, "kl_horizon"),
    ],
)
def test_adaptive_kl_rejects_bad_settings(
    init: float, target: float | None, horizon: int, field: str
) -> None:
    with pytest.raises(ConfigError) as info:
        AdaptiveKL(init, target, horizon)
    assert info.value.field == field
