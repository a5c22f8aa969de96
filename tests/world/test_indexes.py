"""The lookups that make the API implementations fast: prebuilt search indexes must give
exactly what a scan of the rows gives, and memoised responses must be fresh copies."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pytest

from steptool_env.errors import TaskError
from steptool_env.seeding import StableRng
from steptool_env.world.domain import api_table, build_world
from steptool_env.world.helpers import (
    TODAY,
    ApiInputError,
    SearchIndex,
    compact_date,
    domain_data,
    has_words,
    keyword_find,
    keyword_search,
    search_text,
    warm,
)
from steptool_env.world.state import World, WorldState


@dataclass(frozen=True)
class _Show:
    title: str
    host: str


_SHOWS = (
    _Show("Kel Mont Live", "Ana Kel"),
    _Show("Kel Mont", "Bo Pike"),
    _Show("Morning Kel", "Kel Mont"),
    _Show("Pike's Peak", "Ana Mont"),
)


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(20241010)


def _queries(rng: StableRng, hay: str) -> list[list[str]]:
    """Word lists to search for, derived from a haystack: whole words, prefixes, reordered
    words, and a word that matches nothing."""
    words = hay.split()
    w = rng.choice(words)
    out = [words, [w], [w[: max(1, len(w) // 2)]], words[::-1][:2], [w, "zzqx"]]
    if len(words) > 1:
        out.append([words[-1][:1], words[0]])
    return out


def _scan(rows: Sequence[tuple[str, Any]], words: Sequence[str]) -> list[Any]:
    return [item for hay, item in rows if has_words(words, hay)]


def test_of_rows_selects_what_a_scan_selects() -> None:
    rows = [(search_text(s.title, s.host), s) for s in _SHOWS]
    index = SearchIndex.of_rows(rows, name=lambda s: s.title)
    assert index.items == _SHOWS
    for words in (["kel"], ["mont", "kel"], ["pik"], ["ana", "m"], ["zz"], ["p", "s"]):
        assert index.select(words) == _scan(rows, words)
        assert sorted(index.hits(words)) == [
            i for i, r in enumerate(rows) if r[1] in index.select(words)
        ]
    assert index.hits([]) == frozenset(range(len(_SHOWS)))
    assert index.select([]) == list(_SHOWS)
    # hits of two indexes over the same rows intersect to what both scans keep
    by_title = SearchIndex.of_rows((search_text(s.title), s) for s in _SHOWS)
    by_host = SearchIndex.of_rows((search_text(s.host), s) for s in _SHOWS)
    both = by_title.hits(["kel"]) & by_host.hits(["ana"])
    assert [_SHOWS[i] for i in sorted(both)] == [_SHOWS[0]]


def test_keyword_find_is_keyword_search() -> None:
    rows = [(search_text(s.title, s.host), s) for s in _SHOWS]
    index = SearchIndex.of_rows(rows, name=lambda s: s.title)
    for query in ("kel mont", "Mont  Kel", "kel", "KEL-MONT", "ana", "pike s peak", "nothing"):
        assert keyword_find(index, query) == keyword_search(rows, query, lambda s: s.title)
    with pytest.raises(ApiInputError, match="letters or digits"):
        keyword_find(index, " -- ")


def test_search_puts_only_matching_exact_names_first() -> None:
    index = SearchIndex(_SHOWS, lambda s: s.title)
    assert index.search("kel mont") == [_SHOWS[1], _SHOWS[0]]
    assert index.search_normalised("kel mont") == [_SHOWS[1], _SHOWS[0]]
    assert index.search("?") == []


@pytest.mark.parametrize(
    ("domain", "rows", "index"),
    [
        ("communication", "contact_rows", "contact_index"),
        ("education", "book_rows", "book_index"),
        ("education", "author_rows", "author_index"),
        ("education", "course_rows", "course_index"),
        ("education", "university_rows", "university_index"),
        ("food", "recipe_rows", "recipe_index"),
        ("food", "food_rows", "food_index"),
    ],
)
def test_domain_indexes_match_their_rows(world: World, domain: str, rows: str, index: str) -> None:
    data = world[domain]
    keyed = getattr(data, rows)
    idx = getattr(data, index)
    rng = StableRng(7)
    for _ in range(60):
        hay, _item = rng.choice(keyed)
        for words in _queries(rng, hay):
            assert idx.select(words) == _scan(keyed, words), words


@pytest.mark.parametrize(
    ("domain", "rows", "index", "name"),
    [
        ("finance", "stock_keys", "stock_index", lambda s: s.name),
        ("jobs", "company_keys", "company_index", lambda c: c.name),
        ("travel", "airport_keys", "airport_index", lambda a: a.city),
        ("shopping", "product_keys", "product_index", lambda p: p.name),
    ],
)
def test_keyword_indexes_match_keyword_search(
    world: World, domain: str, rows: str, index: str, name: Callable[[Any], str]
) -> None:
    data = world[domain]
    keyed = getattr(data, rows)
    idx = getattr(data, index)
    rng = StableRng(11)
    for _ in range(60):
        hay, item = rng.choice(keyed)
        queries = [" ".join(words) for words in _queries(rng, hay)] + [name(item)]
        for q in queries:
            assert keyword_find(idx, q) == keyword_search(keyed, q, name), q


def test_inbox_filters_match_a_scan(world: World) -> None:
    data = world["communication"]
    rng = StableRng(3)
    for _ in range(40):
        s_hay, t_hay, _e = rng.choice(data.inbox)
        s_words, t_words = rng.choice(s_hay.split())[:3], rng.choice(t_hay.split())
        for sw, tw, unread in ((s_words, "", False), ("", t_words, True), (s_words, t_words, True)):
            got = api_table()[("email_service", "list_inbox")](
                WorldState(world), {"sender": sw, "subject": tw, "unread_only": unread, "page": 1}
            )
            want = [
                e.email_id
                for sh, th, e in data.inbox
                if (not sw or has_words([sw], sh))
                and (not tw or has_words([tw], th))
                and (e.unread or not unread)
            ]
            assert got["total_results"] == len(want)
            assert [r["email_id"] for r in got["results"]] == want[:5]


def test_derived_lookups_are_no_part_of_the_world_content(world: World) -> None:
    for name, data in world.domains.items():
        if not dataclasses.is_dataclass(data):
            continue
        fields = {f.name for f in dataclasses.fields(data)}
        derived = [k for k, v in vars(type(data)).items() if isinstance(v, cached_property)]
        assert not fields & set(derived), name
        # warmed by the builder: already computed
        assert all(k in vars(data) for k in derived), name


def test_warm_computes_cached_properties() -> None:
    calls: list[str] = []

    @dataclass(frozen=True)
    class Data:
        x: int

        @cached_property
        def double(self) -> int:
            calls.append("double")
            return 2 * self.x

    d = warm(Data(4))
    assert calls == ["double"]
    assert d.double == 8 and calls == ["double"]
    assert [f.name for f in dataclasses.fields(d)] == ["x"]


def test_compact_date_reads_like_strptime() -> None:
    assert compact_date("20250602") == dt.date(2025, 6, 2)
    assert compact_date("2025062") == dt.datetime.strptime("2025062", "%Y%m%d").date()
    for bad in ("2025-06-02", "20251302", "", "abc"):
        assert compact_date(bad) is None


def test_domain_data_reports_missing_domains(world: World) -> None:
    with pytest.raises(TaskError, match="no domain"):
        domain_data(WorldState(world), "no-such-domain")


_MEMOISED: list[tuple[str, str, dict[str, Any]]] = [
    ("stock_market", "top_movers", {"direction": "gainers"}),
    ("stock_market", "top_movers", {"direction": "losers"}),
    ("salary_estimates", "top_paying_cities", {"title": "Data Analyst"}),
    ("salary_estimates", "top_paying_cities", {"title": "Accountant", "country": ""}),
    ("tv_guide", "channel_schedule", {"channel_id": "CH11", "date": TODAY.isoformat()}),
    ("cinema_showtimes", "get_showtimes", {"cinema_id": "", "date": TODAY.isoformat()}),
    ("music_charts", "weekly_top_artists", {"country_code": "", "week": TODAY.isoformat()}),
    ("playlists", "get_playlist", {"playlist_id": ""}),
    ("price_tracker", "product_price_history", {"product_id": "", "days": 90}),
    ("price_tracker", "lowest_price", {"product_id": "", "days": 90}),
    ("hotel_booking", "hotel_reviews", {"hotel_id": "", "sort": "lowest", "page": 1}),
    ("product_catalog", "product_reviews", {"product_id": "", "sort": "newest", "page": 1}),
    ("calendar_api", "list_events", {"date": TODAY.isoformat(), "page": 1}),
    ("coupon_codes", "search_coupons", {"page": 1}),
    ("job_search", "search_jobs", {"title": "engineer", "sort": "salary", "page": 1}),
]


def _fill(world: World, args: dict[str, Any]) -> dict[str, Any]:
    """Arguments with the empty ids replaced by a real one of the world."""
    out = dict(args)
    ids = {
        "cinema_id": next(iter(world["movies"].cinemas)),
        "playlist_id": next(iter(world["music"].curated)),
        "product_id": next(iter(world["shopping"].products)),
        "hotel_id": next(iter(world["travel"].hotels)),
    }
    for k, v in args.items():
        if v == "" and k in ids:
            out[k] = ids[k]
    if out.get("country") == "":
        out["country"] = next(iter(world["geography"].countries))
    if out.get("country_code") == "":
        out["country_code"] = world["music"].chart_countries[0]
        out["week"] = world["music"].chart_weeks[-1]
    return out


def _mutate(value: Any) -> None:
    """Change every dictionary and list inside ``value`` in place."""
    if isinstance(value, dict):
        for v in list(value.values()):
            _mutate(v)
        value["_mutated"] = True
    elif isinstance(value, list):
        for v in value:
            _mutate(v)
        value.append("_mutated")


@pytest.mark.parametrize(("tool", "api", "args"), _MEMOISED)
def test_memoised_responses_are_fresh_copies(
    world: World, tool: str, api: str, args: dict[str, Any]
) -> None:
    fn = api_table()[(tool, api)]
    args = _fill(world, args)
    first = fn(WorldState(world), args)
    kept = copy.deepcopy(first)
    _mutate(first)
    again = fn(WorldState(world), args)
    assert again == kept
