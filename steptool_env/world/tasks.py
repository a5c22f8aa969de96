"""Typed records of a task: its gold solution DAG, the facts that solve it, and the task."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Group = Literal["G1", "G2", "G3"]
GROUPS: tuple[str, ...] = ("G1", "G2", "G3")
"""G1: one tool; G2: several tools of one category; G3: tools across categories."""


@dataclass(frozen=True, slots=True)
class GoldCall:
    """One node of a gold solution DAG: a call the oracle makes.

    ``match`` names the arguments a call must agree on (after normalisation) to satisfy
    this node and earn its Contribution; by default every argument in ``arguments``.
    ``depends_on`` lists the indices of earlier nodes whose outputs this call consumes.
    """

    tool: str
    api: str
    arguments: Mapping[str, Any]
    depends_on: tuple[int, ...] = ()
    match: tuple[str, ...] | None = None

    @property
    def match_keys(self) -> tuple[str, ...]:
        return tuple(self.arguments) if self.match is None else self.match

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "api": self.api,
            "arguments": dict(self.arguments),
            "depends_on": list(self.depends_on),
            "match": list(self.match_keys),
        }


@dataclass(frozen=True, slots=True)
class AnswerFact:
    """A value the final answer must state. ``distractors`` are values that contradict it
    (e.g. the other candidates of a 'which is cheapest' question): an answer that states
    any of them does not get this fact, so listing everything does not pay."""

    value: str | int | float
    label: str = ""
    distractors: tuple[str | int | float, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "answer",
            "value": self.value,
            "label": self.label,
            "distractors": list(self.distractors),
        }


@dataclass(frozen=True, slots=True)
class StateFact:
    """A record that must exist in the final world state (e.g. a booking)."""

    collection: str
    match: Mapping[str, Any]
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "state",
            "collection": self.collection,
            "match": dict(self.match),
            "label": self.label,
        }


Fact = AnswerFact | StateFact


@dataclass(frozen=True, slots=True)
class TaskDraft:
    """What a task type's generator returns: template slots, gold DAG and facts."""

    slots: Mapping[str, str]
    gold: tuple[GoldCall, ...]
    facts: tuple[Fact, ...]
    answer: str = ""
    """A reference final answer (the oracle's); built from the answer facts when empty."""

    def signature(self) -> tuple[Any, ...]:
        """Identifies the task instance regardless of wording (used for de-duplication)."""
        return tuple(sorted(self.slots.items()))


@dataclass(frozen=True)
class Task:
    """One query of a split, with everything needed to run and check it."""

    task_id: str
    split: str
    group: str
    task_type: str
    template_id: str
    query: str
    api_list: tuple[str, ...]
    """Function names offered to the agent (relevant APIs plus distractors), in prompt order."""
    relevant_apis: tuple[tuple[str, str], ...]
    """``(tool_name, api_name)`` of every API the gold solution calls."""
    gold: tuple[GoldCall, ...]
    facts: tuple[Fact, ...]
    reference_answer: str
    signature: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "split": self.split,
            "group": self.group,
            "task_type": self.task_type,
            "template_id": self.template_id,
            "query": self.query,
            "api_list": list(self.api_list),
            "relevant_apis": [list(k) for k in self.relevant_apis],
            "gold": [g.to_dict() for g in self.gold],
            "facts": [f.to_dict() for f in self.facts],
            "reference_answer": self.reference_answer,
        }
