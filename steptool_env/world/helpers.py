"""Small building blocks shared by the API implementations of every domain."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from steptool_env.errors import StepToolError
from steptool_env.tools.status import Status

T = TypeVar("T")

TODAY = _dt.date(2025, 6, 2)
"""The fixed 'today' of the world: dates in tasks and APIs are relative to it."""


class ApiInputError(StepToolError):
    """Raised by an API implementation when the agent's input is wrong (unknown id, bad
    value, page out of range). Becomes a response with the given status (2 by default)."""

    def __init__(self, message: str, status: Status = Status.BAD_INPUT) -> None:
        self.status = status
        super().__init__(message)


_NORM = re.compile(r"[^a-z0-9]+")


def norm(text: str) -> str:
    """Lower case, non-alphanumerics to single spaces, stripped: the matching key of names."""
    return _NORM.sub(" ", text.lower()).strip()


def matches(query: str, *fields: str) -> bool:
    """Whether every word of ``query`` occurs in the joined, normalised ``fields``."""
    words = norm(query).split()
    if not words:
        return False
    hay = " " + " ".join(norm(f) for f in fields) + " "
    return all(f" {w}" in hay for w in words)


class SearchIndex(Generic[T]):
    """Word-prefix search over a fixed collection, in microseconds.

    ``SearchIndex(items, key=lambda x: x.name).search("kel mont")`` returns, in the
    original order, the items whose key has, for every query word, a word starting with it
    — the same rule as :func:`matches`, without scanning the collection. Build it once in a
    domain's builder.
    """

    __slots__ = ("_exact", "_items", "_prefixes")

    def __init__(self, items: Iterable[T], key: Callable[[T], str]) -> None:
        self._items: tuple[T, ...] = tuple(items)
        prefixes: dict[str, set[int]] = {}
        exact: dict[str, list[int]] = {}
        for i, item in enumerate(self._items):
            name = norm(key(item))
            exact.setdefault(name, []).append(i)
            for w in set(name.split()):
                for k in range(1, len(w) + 1):
                    prefixes.setdefault(w[:k], set()).add(i)
        self._prefixes = {k: frozenset(v) for k, v in prefixes.items()}
        self._exact = {k: tuple(v) for k, v in exact.items()}

    def search(self, query: str) -> list[T]:
        """Matches in collection order, except that exact name matches come first."""
        q = norm(query) if isinstance(query, str) else ""
        words = q.split()
        if not words:
            return []
        hits: frozenset[int] | None = None
        for w in words:
            found = self._prefixes.get(w)
            if not found:
                return []
            hits = found if hits is None else hits & found
        first = self._exact.get(q, ())
        rest = sorted((hits or frozenset()).difference(first))
        return [self._items[i] for i in (*first, *rest)]


def require_text(args: Mapping[str, Any], name: str, *, min_len: int = 1) -> str:
    value = args.get(name, "")
    if not isinstance(value, str) or len(value.strip()) < min_len:
        raise ApiInputError(f"parameter {name!r} must be a non-empty string")
    return value.strip()


def get_by_id(table: Mapping[str, T], key: Any, kind: str) -> T:
    """Look an entity up by id, or fail with status 2 naming the kind of id."""
    if not isinstance(key, str):
        raise ApiInputError(f"{kind} id must be a string")
    try:
        return table[key.strip()]
    except KeyError:
        raise ApiInputError(f"no {kind} with id {key!r}") from None


def paginate(
    items: Sequence[T],
    page: Any,
    page_size: int,
    render: Callable[[T], Any] = lambda x: x,
) -> dict[str, Any]:
    """One page of results: ``{page, total_pages, total_results, results}``.

    Pages start at 1. A page beyond the last (when there are results) is bad input.
    """
    if not isinstance(page, int) or isinstance(page, bool) or page < 1:
        raise ApiInputError("page must be an integer >= 1")
    total = len(items)
    pages = max(1, -(-total // page_size))
    if page > pages:
        raise ApiInputError(f"page {page} is out of range (total_pages={pages})")
    start = (page - 1) * page_size
    return {
        "page": page,
        "total_pages": pages,
        "total_results": total,
        "results": [render(x) for x in items[start : start + page_size]],
    }


def parse_date(value: Any, name: str = "date") -> _dt.date:
    if not isinstance(value, str):
        raise ApiInputError(f"{name} must be a date string YYYY-MM-DD")
    try:
        return _dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ApiInputError(f"{name} {value!r} is not a valid date (YYYY-MM-DD)") from None


def day(offset: int) -> str:
    """The ISO date ``offset`` days after :data:`TODAY`."""
    return (TODAY + _dt.timedelta(days=offset)).isoformat()


def money(x: float) -> float:
    return round(x + 0.0, 2)


def first(items: Iterable[T], pred: Callable[[T], bool]) -> T | None:
    for x in items:
        if pred(x):
            return x
    return None
