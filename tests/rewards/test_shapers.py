from __future__ import annotations

import pytest

from steptool_env.errors import ConfigError
from steptool_env.rewards import StepOutcome, make_shaper
from steptool_env.tools.status import Status


def mid(s: int, c: float, new: bool = True, distinct: int = 1, gold: int = 1) -> StepOutcome:
    status = Status.OK if s else Status.BAD_INPUT
    return StepOutcome(status, s, c, False, 0.0, False, bool(s) and new, distinct, gold)


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
def test_paper_intermediate_formula(s: int, c: float, alpha: float, want: float) -> None:
    shaper = make_shaper("paper", alpha)
    assert shaper(mid(s, c)) == pytest.approx(want)
    # the paper's formula pays a repeated successful call again: that is what makes it farmable
    assert shaper(mid(s, c, new=False, distinct=9)) == pytest.approx(want)


@pytest.mark.parametrize(
    ("s", "c", "new", "distinct", "gold", "alpha", "want"),
    [
        (1, 1.0, True, 1, 4, 1.0, 1 / 4),  # a new call that satisfies a node: (α + 1)/(N(1+α))
        (1, 0.0, True, 2, 4, 1.0, 1 / 8),  # a new successful call only: α/(N(1+α))
        (1, 0.0, False, 2, 4, 1.0, 0.0),  # a repeated call earns nothing
        (1, 1.0, False, 2, 4, 1.0, 1 / 8),  # ...unless it satisfies another node
        (1, 0.0, True, 5, 4, 1.0, 0.0),  # beyond N distinct calls nothing is paid for success
        (1, 1.0, True, 5, 4, 1.0, 1 / 8),  # ...but Contribution still is
        (0, 0.0, False, 0, 4, 1.0, 0.0),
        (1, 0.0, True, 1, 2, 3.0, 3 / 8),
        (1, 0.0, True, 1, 2, 0.0, 0.0),  # α = 0: Contribution only
        (1, 1.0, True, 1, 2, 0.0, 1 / 2),
    ],
)
def test_steptool_intermediate_formula(
    s: int, c: float, new: bool, distinct: int, gold: int, alpha: float, want: float
) -> None:
    got = make_shaper("steptool", alpha)(mid(s, c, new, distinct, gold))
    assert got == pytest.approx(want)


@pytest.mark.parametrize("mode", ["steptool", "paper", "outcome"])
@pytest.mark.parametrize("solved", [1.0, 0.5, 0.0])
def test_final_reward_is_is_solved_in_every_mode(mode: str, solved: float) -> None:
    assert make_shaper(mode)(final(solved)) == solved


def test_outcome_mode_gives_zero_before_the_end() -> None:
    shaper = make_shaper("outcome", 2.0)
    assert [shaper(mid(s, c)) for s, c in [(1, 1.0), (1, 0.0), (0, 0.0)]] == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("mode", ["steptool", "paper", "outcome"])
@pytest.mark.parametrize("alpha", [-1, float("nan"), float("inf"), "1", True, None])
def test_bad_alpha_is_a_config_error(mode: str, alpha: object) -> None:
    with pytest.raises(ConfigError, match="alpha"):
        make_shaper(mode, alpha)  # type: ignore[arg-type]


def test_unknown_mode_names_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"steptool, paper, outcome"):
        make_shaper("dense")
