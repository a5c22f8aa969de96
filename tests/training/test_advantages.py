"""Hand-checked values for steptool_env.training.advantages.

The running example is a 3-step episode with gamma = 0.9:

    rewards r = [1, 2, 3]
    values  V = [0.5, 1.0, 2.0]   (V(s_t), read before action t)
"""

from __future__ import annotations

import numpy as np
import pytest

from steptool_env.errors import ConfigError
from steptool_env.training.advantages import (
    discounted_returns,
    group_advantages,
    step_gae,
    step_rewards,
    whiten,
)

GAMMA = 0.9
REWARDS = [1.0, 2.0, 3.0]
VALUES = [0.5, 1.0, 2.0]

# G_2 = 3
# G_1 = 2 + 0.9 * 3    = 4.7
# G_0 = 1 + 0.9 * 4.7  = 1 + 4.23 = 5.23
RETURNS = [5.23, 4.7, 3.0]


# --- discounted_returns -----------------------------------------------------------------


def test_discounted_returns_multi_step() -> None:
    np.testing.assert_allclose(discounted_returns(REWARDS, GAMMA), RETURNS, rtol=0, atol=1e-12)


def test_discounted_returns_gamma_one_is_suffix_sum() -> None:
    # gamma = 1: G = [1+2+3, 2+3, 3] = [6, 5, 3]
    np.testing.assert_allclose(discounted_returns(REWARDS, 1.0), [6.0, 5.0, 3.0])


def test_discounted_returns_gamma_zero_is_rewards() -> None:
    np.testing.assert_allclose(discounted_returns(REWARDS, 0.0), REWARDS)


def test_discounted_returns_empty() -> None:
    assert discounted_returns([], GAMMA).shape == (0,)


# --- step_gae -----------------------------------------------------------------------------
#
# TD errors with last_value = 0 (terminated episode):
#   delta_2 = r_2 + 0.9 * 0   - V_2 = 3 + 0   - 2   = 1.0
#   delta_1 = r_1 + 0.9 * V_2 - V_1 = 2 + 1.8 - 1   = 2.8
#   delta_0 = r_0 + 0.9 * V_1 - V_0 = 1 + 0.9 - 0.5 = 1.4


def test_step_gae_lambda_one_is_return_minus_value() -> None:
    # lam = 1: A_t = G_t - V(s_t) = [5.23 - 0.5, 4.7 - 1.0, 3.0 - 2.0] = [4.73, 3.7, 1.0]
    # (check via deltas: A_2 = 1; A_1 = 2.8 + 0.9*1 = 3.7; A_0 = 1.4 + 0.9*3.7 = 4.73)
    adv, targets = step_gae(REWARDS, VALUES, GAMMA, 1.0)
    np.testing.assert_allclose(adv, [4.73, 3.7, 1.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(adv, np.asarray(RETURNS) - np.asarray(VALUES), atol=1e-12)
    # value targets = A_t + V(s_t) = G_t
    np.testing.assert_allclose(targets, RETURNS, rtol=0, atol=1e-12)


def test_step_gae_lambda_half_hand_computed() -> None:
    # gamma * lam = 0.9 * 0.5 = 0.45
    #   A_2 = 1.0
    #   A_1 = 2.8 + 0.45 * 1.0  = 3.25
    #   A_0 = 1.4 + 0.45 * 3.25 = 1.4 + 1.4625 = 2.8625
    # targets = A + V = [2.8625 + 0.5, 3.25 + 1.0, 1.0 + 2.0] = [3.3625, 4.25, 3.0]
    adv, targets = step_gae(REWARDS, VALUES, GAMMA, 0.5)
    np.testing.assert_allclose(adv, [2.8625, 3.25, 1.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(targets, [3.3625, 4.25, 3.0], rtol=0, atol=1e-12)


def test_step_gae_lambda_zero_is_one_step_td() -> None:
    # lam = 0: A_t = delta_t = [1.4, 2.8, 1.0]
    adv, _ = step_gae(REWARDS, VALUES, GAMMA, 0.0)
    np.testing.assert_allclose(adv, [1.4, 2.8, 1.0], rtol=0, atol=1e-12)


def test_step_gae_bootstraps_from_last_value() -> None:
    # Truncated episode, V(s_3) = last_value = 4:
    #   delta_2 = 3 + 0.9 * 4 - 2 = 3 + 3.6 - 2 = 4.6   (delta_1, delta_0 unchanged)
    # lam = 0.5 (gamma*lam = 0.45):
    #   A_2 = 4.6
    #   A_1 = 2.8 + 0.45 * 4.6  = 2.8 + 2.07   = 4.87
    #   A_0 = 1.4 + 0.45 * 4.87 = 1.4 + 2.1915 = 3.5915
    #   targets = [3.5915 + 0.5, 4.87 + 1.0, 4.6 + 2.0] = [4.0915, 5.87, 6.6]
    adv, targets = step_gae(REWARDS, VALUES, GAMMA, 0.5, last_value=4.0)
    np.testing.assert_allclose(adv, [3.5915, 4.87, 4.6], rtol=0, atol=1e-12)
    np.testing.assert_allclose(targets, [4.0915, 5.87, 6.6], rtol=0, atol=1e-12)


def test_step_gae_lambda_one_with_last_value_is_bootstrapped_return() -> None:
    # lam = 1, last_value = 4: the return is bootstrapped with gamma * 4 after the last step
    #   G_2 = 3 + 0.9 * 4    = 6.6
    #   G_1 = 2 + 0.9 * 6.6  = 7.94
    #   G_0 = 1 + 0.9 * 7.94 = 8.146
    #   A = G - V = [7.646, 6.94, 4.6]
    adv, targets = step_gae(REWARDS, VALUES, GAMMA, 1.0, last_value=4.0)
    np.testing.assert_allclose(adv, [7.646, 6.94, 4.6], rtol=0, atol=1e-12)
    np.testing.assert_allclose(targets, [8.146, 7.94, 6.6], rtol=0, atol=1e-12)


def test_step_gae_needs_one_value_per_step() -> None:
    with pytest.raises(ConfigError):
        step_gae(REWARDS, VALUES[:2], GAMMA, 0.5)


# --- step_rewards ---------------------------------------------------------------------------

ENV_REWARDS = [0.5, 0.25, 1.0]  # two shaped intermediate rewards, then IsSolved = 1


def test_step_rewards_steptool_is_unchanged() -> None:
    src = np.asarray(ENV_REWARDS)
    out = step_rewards(src, 1.0, "steptool")
    np.testing.assert_array_equal(out, ENV_REWARDS)
    out[0] = 99.0  # a copy, not a view of the caller's array
    assert src[0] == 0.5


@pytest.mark.parametrize("solved", [1.0, 0.5, 0.0])
def test_step_rewards_outcome_only_on_last_action(solved: float) -> None:
    out = step_rewards(ENV_REWARDS, solved, "outcome")
    np.testing.assert_array_equal(out, [0.0, 0.0, solved])


def test_step_rewards_outcome_empty_episode() -> None:
    assert step_rewards([], 1.0, "outcome").shape == (0,)


def test_step_rewards_parity_weights_by_remaining_steps() -> None:
    # T = 3, weights (T-1-t) = [2, 1, 0]:
    #   [0.5 * 2, 0.25 * 1, 1.0 * 0] = [1.0, 0.25, 0.0]  (the final reward gets weight 0)
    out = step_rewards(ENV_REWARDS, 1.0, "parity")
    np.testing.assert_array_equal(out, [1.0, 0.25, 0.0])


def test_step_rewards_parity_single_step_is_zero() -> None:
    # T = 1: the only (final) reward has weight 0
    np.testing.assert_array_equal(step_rewards([1.0], 1.0, "parity"), [0.0])


def test_step_rewards_unknown_mode() -> None:
    with pytest.raises(ConfigError) as info:
        step_rewards(ENV_REWARDS, 1.0, "dense")
    assert info.value.field == "reward"
    assert info.value.choices == ("steptool", "paper", "outcome", "parity")


# --- whiten ---------------------------------------------------------------------------------


def test_whiten_hand_example() -> None:
    # x = [2, 4, 4, 4, 5, 5, 7, 9]: mean = 40/8 = 5,
    # deviations [-3, -1, -1, -1, 0, 0, 2, 4], squares sum 9+1+1+1+0+0+4+16 = 32,
    # variance 32/8 = 4, std = 2  ->  [-1.5, -0.5, -0.5, -0.5, 0, 0, 1, 2]
    x = np.array([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])
    out = whiten(x)
    np.testing.assert_allclose(out, [-1.5, -0.5, -0.5, -0.5, 0.0, 0.0, 1.0, 2.0], atol=1e-7)
    assert out.mean() == pytest.approx(0.0, abs=1e-12)
    assert out.std() == pytest.approx(1.0, abs=1e-7)


@pytest.mark.parametrize("x", [[3.0], [2.0, 2.0, 2.0]])
def test_whiten_degenerate_gives_zeros(x: list[float]) -> None:
    out = whiten(np.array(x))
    assert not np.isnan(out).any()
    np.testing.assert_array_equal(out, np.zeros(len(x)))


def test_whiten_empty() -> None:
    assert whiten(np.array([])).shape == (0,)


# --- group_advantages -----------------------------------------------------------------------


def test_group_advantages_two_groups() -> None:
    # Interleaved groups, eps = 1e-6:
    #   "a": returns [1, 3]  mean 2, std 1 -> [-1/(1+eps), 1/(1+eps)]
    #   "b": returns [0, 6]  mean 3, std 3 -> [-3/(3+eps), 3/(3+eps)]
    eps = 1e-6
    out = group_advantages([1.0, 0.0, 3.0, 6.0], ["a", "b", "a", "b"])
    want = [-1 / (1 + eps), -3 / (3 + eps), 1 / (1 + eps), 3 / (3 + eps)]
    np.testing.assert_allclose(out, want, rtol=0, atol=1e-12)


def test_group_advantages_three_member_group() -> None:
    # "q": [2, 4, 9]: mean 5, deviations [-3, -1, 4], variance (9+1+16)/3 = 26/3
    #   -> deviations / (sqrt(26/3) + eps); "r": a single episode -> 0 / eps = 0
    eps = 1e-6
    out = group_advantages([2.0, 4.0, 9.0, 7.0], ["q", "q", "q", "r"], eps=eps)
    std = (26 / 3) ** 0.5 + eps
    np.testing.assert_allclose(out, [-3 / std, -1 / std, 4 / std, 0.0], rtol=0, atol=1e-12)


def test_group_advantages_equal_returns_give_zeros() -> None:
    # group 0: all returns 5 -> zeros (0 / eps, no NaN); group 1: [0, 2] -> [-1, 1]/(1+eps)
    out = group_advantages([5.0, 5.0, 0.0, 5.0, 2.0], [0, 0, 1, 0, 1])
    assert not np.isnan(out).any()
    np.testing.assert_array_equal(out[[0, 1, 3]], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(out[[2, 4]], [-1 / (1 + 1e-6), 1 / (1 + 1e-6)], atol=1e-12)


def test_group_advantages_length_mismatch() -> None:
    with pytest.raises(ConfigError):
        group_advantages([1.0, 2.0, 3.0], ["a", "a"])
