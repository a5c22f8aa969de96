"""Small building blocks shared by the task generators of every domain.

A task generator (``@DOMAIN.task``) draws from its :class:`~steptool_env.seeding.StableRng`
and returns a :class:`~steptool_env.world.tasks.TaskDraft`, or None when the sample is
unusable. The helpers here consume no random numbers themselves (except through the
generator that :func:`retrying` calls again), so using them never changes a suite.

API-side helpers (search, pagination, argument checks) live in
:mod:`steptool_env.world.helpers`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from steptool_env.seeding import StableRng
from steptool_env.world.checker import check_answer, normalize_text
from steptool_env.world.domain import ApiFn, TaskFn
from steptool_env.world.helpers import SearchIndex, find
from steptool_env.world.state import World, WorldState
from steptool_env.world.tasks import AnswerFact, Fact, GoldCall, TaskDraft

T = TypeVar("T")


def retrying(fn: TaskFn, tries: int = 10) -> TaskFn:
    """A task generator that draws again (from the same stream) when a sample is unusable,
    up to ``tries`` times; None when every draw was."""

    @functools.wraps(fn)
    def wrapper(rng: StableRng, world: World) -> TaskDraft | None:
        for _ in range(tries):
            draft = fn(rng, world)
            if draft is not None:
                return draft
        return None

    return wrapper


def run_api(world: World, fn: ApiFn, /, **args: Any) -> Any:
    """Call an API implementation on a fresh state, the way the gold solution will (task
    generators use it for ground truth)."""
    return fn(WorldState(world), args)


def all_results(world: World, fn: ApiFn, /, **args: Any) -> list[Any]:
    """Every result row of a paginated API (see :func:`~steptool_env.world.helpers.paginate`),
    page after page, run on a fresh state."""
    first = run_api(world, fn, **args)
    rows = list(first["results"])
    for page in range(2, first["total_pages"] + 1):
        rows += run_api(world, fn, **args, page=page)["results"]
    return rows


def checked_draft(
    slots: Mapping[str, str], gold: Sequence[GoldCall], facts: Sequence[Fact], answer: str
) -> TaskDraft | None:
    """The task, or None when its reference answer would not state every answer fact
    cleanly (e.g. a distractor name hidden inside another name)."""
    answer_facts = [f for f in facts if isinstance(f, AnswerFact)]
    if answer_facts and check_answer(answer_facts, answer, {}).is_solved < 1.0:
        return None
    return TaskDraft(slots=slots, gold=tuple(gold), facts=tuple(facts), answer=answer)


def pick_distractors(
    answer: str, value: str, others: Iterable[str], *, within_value: bool = False
) -> tuple[str, ...]:
    """The distractors of a 'which one' fact: the other candidates, in order and without
    repeats, minus any that the reference answer itself states (as the checker sees it, so
    the reference answer stays correct) and any blank one.

    A candidate that reads the same as ``value`` is dropped too; with ``within_value``, so is
    one whose words occur inside ``value`` (e.g. "Kel Mont" when the value is
    "Kel Mont Rovers").
    """
    said = normalize_text(answer)
    own = normalize_text(value)
    out: list[str] = []
    for o in others:
        n = normalize_text(o)
        same = n in own if within_value else n == own
        if not n.strip() or same or n in said or o in out:
            continue
        out.append(o)
    return tuple(out)


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``... ``11th``, ``12th``, ``13th``, ``21st``..."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def fmt(x: float | int) -> str:
    """A number as plain text the answer checker reads back (never in exponent form)."""
    if isinstance(x, int) and not isinstance(x, bool):
        return str(x)
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x)) if abs(x) >= 1000 else f"{x:.1f}".rstrip("0").rstrip(".")
    text = f"{x:.10f}".rstrip("0").rstrip(".")
    return text or "0"


def index_search_call(
    index: SearchIndex[T],
    item: T,
    query: str,
    tool: str,
    api: str,
    *,
    page_size: int,
    name: Callable[[T], str] | None = None,
) -> GoldCall | None:
    """The gold call ``api(query=query)`` of a search API that serves
    ``find(index, query, name)`` (see :func:`~steptool_env.world.helpers.find`)
    ``page_size`` results a page, or None when its first page would not list ``item``."""
    if item not in find(index, query, name)[:page_size]:
        return None
    return GoldCall(tool, api, {"query": query})


def listed_call(world: World, fn: ApiFn, call: GoldCall, key: str, target: Any) -> GoldCall | None:
    """``call`` itself when the first page of results of its API (``fn``, run on a fresh
    state with the call's arguments) has a row whose ``key`` is ``target``; otherwise None."""
    res = run_api(world, fn, **call.arguments)
    if target not in [x[key] for x in res["results"]]:
        return None
    return call


def chosen_fact(
    value: str, label: str, answer: str, others: Iterable[str], *, within_value: bool = False
) -> AnswerFact:
    """The answer fact of a 'which one' question: ``value``, with the other candidates as
    its distractors (as far as :func:`pick_distractors` keeps them)."""
    return AnswerFact(
        value, label, pick_distractors(answer, value, others, within_value=within_value)
    )
