from __future__ import annotations

import pytest

from steptool_env.errors import ConfigError
from steptool_env.rewards import StepOutcome, make_shaper
from steptool_env.tools.status import Status


def mid(s: int, c: float) -> StepOutcome:
    return StepOutcome(Status.OK if s else Status.BAD_INPUT, s, c, False, 0.0)


def final(solved: float, status: Status = Status.FINAL_ANSWER) -> StepOutcome:
    return StepOutcome(status, 0, 0.0, True, solved)


@pytest.mark.parametrize(
    ("s", "c", "alpha", "want"),
    [
        (1, 1.0, 1.0, 1.0),
        (1, 0.0, 1.0, 0.5),
        (0, 0.0, 1.0, 0.0),
        (1, 0.0, 3.0, 0.75),
        (1, 1.0, 3.0, 1.0),
        (0, 1.0, 3.0, 0.25),
        (1, 0.0, 0.0, 0.0),
        (0, 1.0, 0.0, 1.0),
    ],
)
def test_steptool_intermediate_formula(s: int, c: float, alpha: float, want: float) -> None:
    assert make_shaper("steptool", alpha)(mid(s, c)) == pytest.approx(want)


@pytest.mark.parametrize("solved", [1.0, 0.5, 0.0])
def test_final_reward_is_is_solved_in_both_modes(solved: float) -> None:
    assert make_shaper("steptool")(final(solved)) == solved
    assert make_shaper("outcome")(final(solved)) == solved


def test_outcome_mode_gives_zero_before_the_end() -> None:
    shaper = make_shaper("outcome", 2.0)
    assert [shaper(mid(s, c)) for s, c in [(1, 1.0), (1, 0.0), (0, 0.0)]] == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("alpha", [-1, float("nan"), float("inf"), "1", True, None])
def test_bad_alpha_is_a_config_error(alpha: object) -> None:
    with pytest.raises(ConfigError, match="alpha"):
        make_shaper("steptool", alpha)  # type: ignore[arg-type]


def test_unknown_mode_names_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"steptool, outcome"):
        make_shaper("dense")
