"""How much can a trajectory that does not solve its task earn? Computed, not sampled.

:func:`best_unsolved_return` treats a shaper as a black box and maximises the return over
every sequence of step outcomes an episode can produce, given what the env guarantees:

- a step is a failed call (any non-OK, non-final status), a successful repeat of an earlier
  call, or a successful new call; a successful step satisfies at most one new gold node, and
  at most ``gold_total`` nodes are satisfied in an episode;
- the episode ends with ``Finish`` (an answer with IsSolved below 1, or a give-up) after at
  most ``max_steps − 1`` calls, or is truncated on its ``max_steps``-th call.

It is an upper bound on what any real trajectory earns (it allows outcome sequences that no
task may produce, never fewer), so a shaper for which it is below the oracle's return cannot
be farmed. Use it to check a shaper of your own::

    from steptool_env.rewards import best_unsolved_return, make_shaper
    best_unsolved_return(make_shaper("paper"), gold_total=2, max_steps=12)     # 7.0 > 3.0
    best_unsolved_return(make_shaper("steptool"), gold_total=2, max_steps=12)  # 1.5 < 2.0
"""

from __future__ import annotations

from collections.abc import Iterator

from steptool_env.errors import check_int
from steptool_env.rewards.components import StepOutcome
from steptool_env.rewards.shapers import RewardShaper
from steptool_env.tools.status import Status

_ENDINGS = ((Status.FINAL_ANSWER, 0.5), (Status.FINAL_ANSWER, 0.0), (Status.GIVE_UP, 0.0))
_FAILURES = tuple(s for s in Status if s not in (Status.OK, Status.FINAL_ANSWER, Status.GIVE_UP))


def best_unsolved_return(
    shaper: RewardShaper, gold_total: int, max_steps: int, gamma: float = 1.0
) -> float:
    """The largest return ``Σ_t γ^(t−1)·r_t`` of an episode whose IsSolved is below 1."""
    n = check_int("gold_total", gold_total)
    horizon = check_int("max_steps", max_steps)
    # best[(g, d)]: the best return so far with g gold nodes and d distinct calls paid.
    best: dict[tuple[int, int], float] = {(0, 0): 0.0}
    top = float("-inf")
    for t in range(1, horizon + 1):
        weight = gamma ** (t - 1)
        last = t == horizon
        for (_, d), value in best.items():  # step t is Finish: an answer or a give-up
            for status, solved in _ENDINGS:
                r = shaper(StepOutcome(status, 0, 0.0, True, solved, False, False, d, n))
                top = max(top, value + weight * r)
        nxt: dict[tuple[int, int], float] = {}
        for (g, d), value in best.items():
            for outcome, state in _calls(g, d, n, last):
                v = value + weight * shaper(outcome)
                if v > nxt.get(state, float("-inf")):
                    nxt[state] = v
        best = nxt
    return max(top, *best.values())


def _calls(
    g: int, d: int, n: int, truncated: bool
) -> Iterator[tuple[StepOutcome, tuple[int, int]]]:
    """Every outcome of one call from state ``(g, d)`` and the state after it."""
    for status in _FAILURES:
        yield StepOutcome(status, 0, 0.0, False, 0.0, truncated, False, d, n), (g, d)
    for new in (False, True):
        d2 = d + new
        for c in (0, 1) if g < n else (0,):
            outcome = StepOutcome(Status.OK, 1, float(c), False, 0.0, truncated, new, d2, n)
            yield outcome, (g + c, d2)
