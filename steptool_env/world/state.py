"""The seeded world and the per-episode state that stateful APIs change."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from steptool_env.errors import TaskError


@dataclass(frozen=True)
class World:
    """Everything the APIs can know: one immutable data object per domain.

    Built once from the suite seed (see :mod:`steptool_env.world.domain`); never changed by
    an episode. ``world["weather"]`` gives the weather domain's data.
    """

    seed: int
    domains: Mapping[str, Any]

    def __getitem__(self, name: str) -> Any:
        try:
            return self.domains[name]
        except KeyError:
            raise TaskError(f"no domain {name!r} in this world") from None


class WorldState:
    """The world as one episode sees it: the immutable :class:`World` plus the records
    that stateful APIs write (bookings, carts, sent messages...).

    ``records`` maps a collection name to a list of JSON-serialisable dictionaries; the
    answer checker verifies state facts against it. ``counters`` give deterministic ids.
    """

    __slots__ = ("counters", "records", "world")

    def __init__(self, world: World | None) -> None:
        self.world = world
        """None where the APIs need no world (StableToolBench's responses)."""
        self.records: dict[str, list[dict[str, Any]]] = {}
        self.counters: dict[str, int] = {}

    def next_id(self, prefix: str) -> str:
        """``PREFIX-0001``, ``PREFIX-0002``... per prefix and per episode."""
        n = self.counters.get(prefix, 0) + 1
        self.counters[prefix] = n
        return f"{prefix}-{n:04d}"

    def add(self, collection: str, record: dict[str, Any]) -> dict[str, Any]:
        self.records.setdefault(collection, []).append(record)
        return record

    def find(self, collection: str, **match: Any) -> list[dict[str, Any]]:
        return [
            r
            for r in self.records.get(collection, ())
            if all(r.get(k) == v for k, v in match.items())
        ]

    def snapshot(self) -> dict[str, Any]:
        """A deep, JSON-serialisable copy (used to compare or restore state)."""
        return {"records": copy.deepcopy(self.records), "counters": dict(self.counters)}

    def restore(self, snap: Mapping[str, Any]) -> None:
        self.records = copy.deepcopy(dict(snap["records"]))
        self.counters = dict(snap["counters"])
