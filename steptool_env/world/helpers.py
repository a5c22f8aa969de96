"""Small building blocks shared by the API implementations of every domain.

Task generators have their own toolbox in :mod:`steptool_env.world.generation`.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property, lru_cache
from typing import Any, Generic, NamedTuple, TypeVar

from steptool_env.errors import ModelMistake
from steptool_env.tools.status import Status
from steptool_env.world.state import World, WorldState

T = TypeVar("T")

TODAY = _dt.date(2025, 6, 2)
"""The fixed 'today' of the world: dates in tasks and APIs are relative to it."""


class ApiInputError(ModelMistake):
    """Raised by an API implementation when the agent's input is wrong (unknown id, bad
    value, page out of range). Becomes a response with the given status (2 by default)."""

    def __init__(self, message: str, status: Status = Status.BAD_INPUT, source: str = "") -> None:
        self.status = status
        self.source = source
        super().__init__(message)


class Sourced(NamedTuple):
    """A response together with where it came from (``cache``, ``mock``...), for APIs that
    answer from more than one source; plain responses come from the ``world``."""

    value: Any
    source: str


_NORM = re.compile(r"[^a-z0-9]+")


def norm(text: str) -> str:
    """Lower case, non-alphanumerics to single spaces, stripped: the matching key of names."""
    return _NORM.sub(" ", text.lower()).strip()


def domain_data(state_or_world: WorldState | World, name: str) -> Any:
    """The data object of domain ``name``, from an episode's state or from the world itself
    (each domain wraps this in a typed accessor such as ``geo()``)."""
    world = state_or_world.world if isinstance(state_or_world, WorldState) else state_or_world
    if world is None:  # a programming error, as before (not a StepToolError, so not caught as one)
        raise TypeError(f"no world to take domain {name!r} from: this state has none")
    try:
        return world.domains[name]
    except KeyError:
        return world[name]  # raises the world's error for a missing domain


def warm(data: T) -> T:
    """``data`` (a domain's data object), with every :class:`functools.cached_property` of
    its class computed now.

    Domains derive their search indexes and lookup tables as cached properties: they are
    not fields of the data class (so they are no part of the world's content), and warming
    them in the builder means no API call pays for them and the suite's ``gc.freeze``
    covers them.
    """
    for name, attr in vars(type(data)).items():
        if isinstance(attr, cached_property):
            getattr(data, name)
    return data


def search_text(*fields: str) -> str:
    """The haystack of a word-prefix search: the normalised ``fields`` joined by single
    spaces, with a space at each end (``" kel mont pro "``), ready for :func:`has_words`."""
    return " " + " ".join(norm(f) for f in fields) + " "


def query_words(query: str) -> list[str]:
    """The normalised words of a search query; a query without letters or digits is bad
    input."""
    words = norm(query).split()
    if not words:
        raise ApiInputError("query must contain letters or digits")
    return words


def has_words(words: Sequence[str], hay: str) -> bool:
    """Whether every one of ``words`` starts a word of ``hay`` (built by :func:`search_text`)."""
    return all(f" {w}" in hay for w in words)


def matches(query: str, *fields: str) -> bool:
    """Whether every word of ``query`` occurs in the joined, normalised ``fields``."""
    words = norm(query).split()
    if not words:
        return False
    return has_words(words, search_text(*fields))


class SearchIndex(Generic[T]):
    """Word-prefix search over a fixed collection, in microseconds.

    ``SearchIndex(items, key=lambda x: x.name).search("kel mont")`` returns, in the
    original order, the items whose key has, for every query word, a word starting with it
    — the same rule as :func:`matches`, without scanning the collection. Build it once in a
    domain's builder.

    :meth:`of_rows` indexes ``(haystack, item)`` rows (haystacks as :func:`search_text`
    builds them): :meth:`select` then gives exactly the items of the rows for which
    :func:`has_words` holds, in row order, and :meth:`hits` their positions, so that the
    hits of several indexes over the same rows can be intersected.
    """

    __slots__ = ("_exact", "_items", "_prefixes")

    def __init__(self, items: Iterable[T], key: Callable[[T], str]) -> None:
        self._items: tuple[T, ...] = tuple(items)
        names = [norm(key(item)) for item in self._items]
        self._fill(names, names)

    @classmethod
    def of_rows(
        cls, rows: Iterable[tuple[str, T]], name: Callable[[T], str] | None = None
    ) -> SearchIndex[T]:
        """An index over ``(haystack, item)`` rows. :meth:`search` puts first the items
        whose ``name`` (the whole haystack by default) equals the query, as
        :func:`keyword_search` does."""
        pairs = tuple(rows)
        index: SearchIndex[T] = cls.__new__(cls)
        index._items = tuple(item for _, item in pairs)
        keys = [norm(hay) for hay, _ in pairs]
        index._fill(keys, keys if name is None else [norm(name(x)) for x in index._items])
        return index

    def _fill(self, keys: Sequence[str], names: Sequence[str]) -> None:
        prefixes: dict[str, set[int]] = {}
        exact: dict[str, list[int]] = {}
        for i, (key, name) in enumerate(zip(keys, names)):
            exact.setdefault(name, []).append(i)
            for w in set(key.split()):
                for k in range(1, len(w) + 1):
                    prefixes.setdefault(w[:k], set()).add(i)
        self._prefixes = {k: frozenset(v) for k, v in prefixes.items()}
        self._exact = {k: tuple(v) for k, v in exact.items()}

    @property
    def items(self) -> tuple[T, ...]:
        """The whole collection, in its order."""
        return self._items

    def hits(self, words: Iterable[str]) -> frozenset[int]:
        """Positions of the items whose key has, for every one of ``words`` (normalised
        query words, as :func:`query_words` gives them), a word starting with it; every
        position when ``words`` is empty."""
        hits: frozenset[int] | None = None
        for w in words:
            found = self._prefixes.get(w)
            if not found:
                return frozenset()
            hits = found if hits is None else hits & found
        return frozenset(range(len(self._items))) if hits is None else hits

    def select(self, words: Iterable[str]) -> list[T]:
        """The items of :meth:`hits`, in collection order (no exact-name-first reordering)."""
        items = self._items
        return [items[i] for i in sorted(self.hits(words))]

    def search(self, query: str) -> list[T]:
        """Matches in collection order, except that exact name matches come first."""
        return self.search_normalised(norm(query) if isinstance(query, str) else "")

    def search_normalised(self, q: str) -> list[T]:
        """:meth:`search` of a query already normalised by :func:`norm`."""
        words = q.split()
        if not words:
            return []
        hits: frozenset[int] | None = None
        for w in words:
            found = self._prefixes.get(w)
            if not found:
                return []
            hits = found if hits is None else hits & found
        hits = hits or frozenset()
        first = [i for i in self._exact.get(q, ()) if i in hits]
        rest = sorted(hits.difference(first))
        return [self._items[i] for i in (*first, *rest)]


def find(index: SearchIndex[T], query: str, name: Callable[[T], str] | None = None) -> list[T]:
    """The hits of a search API: :meth:`SearchIndex.search` (exact normalised key matches
    first), after checking that ``query`` has letters or digits.

    Give ``name`` when the index key holds more than the name (e.g. title and host): items
    whose name equals the query (ignoring case and surrounding space) then come first of all.
    """
    q = norm(query)
    if not q:
        raise ApiInputError("query must contain letters or digits")
    hits = index.search_normalised(q)
    if name is None:
        return hits
    key = query.strip().lower()
    return sorted(hits, key=lambda x: name(x).lower() != key)


def keyword_search(
    keyed: Sequence[tuple[str, T]], query: str, exact: Callable[[T], str]
) -> list[T]:
    """Items whose precomputed key (``" normalised words "``, see :func:`search_text`) holds
    every query word as a word prefix; exact name matches first, then in key order."""
    words = norm(query).split()
    if not words:
        raise ApiInputError("the search query must contain letters or digits")
    q = " ".join(words)
    pairs = list(keyed)
    for w in sorted(set(words), key=len, reverse=True):
        needle = f" {w}"
        pairs = [p for p in pairs if needle in p[0]]
    return sorted((item for _, item in pairs), key=lambda it: 0 if norm(exact(it)) == q else 1)


def keyword_find(index: SearchIndex[T], query: str) -> list[T]:
    """:func:`keyword_search` over an index built with ``SearchIndex.of_rows(keyed,
    name=exact)``: the same items in the same order, without scanning the rows."""
    q = norm(query)
    if not q:
        raise ApiInputError("the search query must contain letters or digits")
    return index.search_normalised(q)


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


@lru_cache(maxsize=4096)
def compact_date(text: str) -> _dt.date | None:
    """The date of a ``YYYYMMDD`` part of an id (as ``strptime(text, "%Y%m%d")`` reads
    it), or None when it is no date."""
    try:
        return _dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def upcoming_date(value: Any, days: int, what: str) -> _dt.date:
    """A date from today to ``days - 1`` days ahead (e.g. of a published schedule); any
    other date is bad input, reported as ``"{what} from <today> to <last day> only"``."""
    date = parse_date(value)
    if not 0 <= (date - TODAY).days < days:
        raise ApiInputError(f"{what} from {day(0)} to {day(days - 1)} only")
    return date


def enum_arg(args: Mapping[str, Any], name: str, allowed: Sequence[str], default: str) -> str:
    """Argument ``name`` (``default`` when absent), which must be one of ``allowed``."""
    value = args.get(name, default)
    if value not in allowed:
        raise ApiInputError(f"{name} must be one of {', '.join(allowed)}")
    return value


def hhmm(minutes: int) -> str:
    """Minutes after midnight as a 24-hour clock time ``HH:MM``."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


_MINUTES = {hhmm(m): m for m in range(24 * 60 + 1)}


def clock_minutes(clock: str) -> int:
    """Minutes after midnight of an ``HH:MM`` clock time (as :func:`hhmm` writes it)."""
    m = _MINUTES.get(clock)
    return int(clock[:2]) * 60 + int(clock[3:5]) if m is None else m


def parse_clock(value: Any, name: str = "time") -> str:
    """A 24-hour clock time argument (``9:05`` or ``09:05``), normalised to ``HH:MM``."""
    if not isinstance(value, str):
        raise ApiInputError(f"{name} must be HH:MM (24-hour clock)")
    return _parse_clock(value, name)


@lru_cache(maxsize=4096)
def _parse_clock(value: str, name: str) -> str:
    try:
        hh, mm = (int(x) for x in value.strip().split(":"))
        if not (0 <= hh < 24 and 0 <= mm < 60):
            raise ValueError
    except ValueError:
        raise ApiInputError(f"{name} must be HH:MM (24-hour clock), got {value!r}") from None
    return hhmm(hh * 60 + mm)


def day(offset: int) -> str:
    """The ISO date ``offset`` days after :data:`TODAY`."""
    return (TODAY + _dt.timedelta(days=offset)).isoformat()


def money(x: float) -> float:
    return round(x + 0.0, 2)
