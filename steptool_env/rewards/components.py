"""The per-step reward components of StepTool and how they are measured.

- **SuccCalling** ``s_t ∈ {0, 1}``: the action parsed, named a function offered for this
  query, its arguments were valid and the API answered with status 0.
- **Contribution** ``c_t ∈ {0, 1}``: the call satisfied a node of the gold solution DAG that
  no earlier call satisfied (same function, and equal normalised values for the node's match
  arguments). Each node pays once; repeats pay nothing.
- **IsSolved** ``∈ {1, 0.5, 0}``: the answer checker's verdict at ``Finish`` (0 on give-up or
  when the episode is truncated without ``Finish``).

Three counts let a shaper bound what shaping can pay in one episode (the default shaper uses
them so that no trajectory that fails to solve the task out-earns solving it):

- **new_call**: the call succeeded and no earlier successful call of this episode had the
  same function and arguments;
- **distinct_calls**: distinct successful calls so far, this one included;
- **gold_total**: nodes in the task's gold DAG (``N``; relevant APIs on StableToolBench).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from steptool_env.tools.status import Status
from steptool_env.world.checker import normalize_value
from steptool_env.world.tasks import Task


class StepOutcome(NamedTuple):
    """Everything a reward shaper may use about one step."""

    status: Status
    succ_calling: int
    contribution: float
    final: bool
    """True on the step that calls ``Finish`` (answer or give-up)."""
    is_solved: float
    """IsSolved on the final step; 0.0 otherwise."""
    truncated: bool = False
    new_call: bool = False
    """A successful call whose function and arguments no earlier successful call had."""
    distinct_calls: int = 0
    """Distinct successful calls of the episode so far, this step's included."""
    gold_total: int = 1
    """Nodes of the task's gold DAG (each pays Contribution once)."""


class GoldTracker:
    """Which nodes of a task's gold DAG earlier calls have satisfied."""

    __slots__ = ("_index", "satisfied")

    def __init__(
        self, index: Mapping[str, tuple[tuple[int, dict[str, Any], dict[str, Any]], ...]]
    ) -> None:
        self._index = index
        self.satisfied: set[int] = set()

    def observe(self, function: str, arguments: Mapping[str, Any]) -> tuple[int, ...]:
        """Register a successful call; return the nodes it newly satisfies (at most one)."""
        for node, raw, want in self._index.get(function, ()):
            if node in self.satisfied:
                continue
            for k, v in want.items():
                got = arguments.get(k)
                if got != raw[k] and normalize_value(got) != v:
                    break
            else:
                self.satisfied.add(node)
                return (node,)
        return ()


def gold_index(
    task: Task, function_of: Callable[[str, str], str]
) -> dict[str, tuple[tuple[int, dict[str, Any], dict[str, Any]], ...]]:
    """Function name → ``(node, raw match arguments, normalised match arguments)`` for each
    gold node (a raw-equal argument matches without normalising)."""
    index: dict[str, list[tuple[int, dict[str, Any], dict[str, Any]]]] = {}
    for i, g in enumerate(task.gold):
        raw = {k: g.arguments[k] for k in g.match_keys}
        want = {k: normalize_value(v) for k, v in raw.items()}
        index.setdefault(function_of(g.tool, g.api), []).append((i, raw, want))
    return {k: tuple(v) for k, v in index.items()}
