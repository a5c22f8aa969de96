"""The helpers shared by the domains: API-side (:mod:`steptool_env.world.helpers`) and
task-generation side (:mod:`steptool_env.world.generation`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from steptool_env.seeding import StableRng
from steptool_env.world.checker import check_answer
from steptool_env.world.domain import build_world
from steptool_env.world.domains import geography
from steptool_env.world.generation import (
    all_results,
    checked_draft,
    chosen_fact,
    fmt,
    index_search_call,
    listed_call,
    ordinal,
    pick_distractors,
    retrying,
    run_api,
)
from steptool_env.world.helpers import (
    TODAY,
    ApiInputError,
    SearchIndex,
    clock_minutes,
    domain_data,
    enum_arg,
    find,
    has_words,
    hhmm,
    keyword_search,
    matches,
    parse_clock,
    query_words,
    search_text,
    upcoming_date,
)
from steptool_env.world.state import World, WorldState
from steptool_env.world.tasks import AnswerFact, GoldCall, TaskDraft


@dataclass(frozen=True)
class _Show:
    title: str
    host: str


_SHOWS = (
    _Show("Kel Mont Live", "Ana Kel"),
    _Show("Kel Mont", "Bo Pike"),
    _Show("Morning Kel", "Kel Mont"),
)


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(20241010)


def test_search_text_and_word_prefixes() -> None:
    hay = search_text("Kel-Mont", "Rovers FC")
    assert hay == " kel mont rovers fc "
    assert has_words(query_words("mont rov"), hay)
    assert not has_words(query_words("ont"), hay)
    assert matches("KEL rovers", "Kel-Mont", "Rovers FC")
    assert not matches("!!", "Kel-Mont")
    with pytest.raises(ApiInputError, match="letters or digits"):
        query_words(" -- ")


def test_find_puts_exact_names_first_and_rejects_empty_queries() -> None:
    by_title = SearchIndex(_SHOWS, lambda s: s.title)
    assert find(by_title, "kel mont") == [_SHOWS[1], _SHOWS[0]]
    assert find(by_title, "kel") == list(_SHOWS)
    # keyed on more than the name: the name decides what comes first
    by_both = SearchIndex(_SHOWS, lambda s: f"{s.title} {s.host}")
    assert find(by_both, "kel mont") == list(_SHOWS)
    assert find(by_both, "Kel Mont ", lambda s: s.title) == [_SHOWS[1], _SHOWS[0], _SHOWS[2]]
    with pytest.raises(ApiInputError, match="letters or digits"):
        find(by_title, "?")


def test_keyword_search_orders_exact_name_first() -> None:
    keyed = [(search_text(s.title), s) for s in _SHOWS]
    assert keyword_search(keyed, "kel mont", lambda s: s.title) == [_SHOWS[1], _SHOWS[0]]
    assert keyword_search(keyed, "mont kel", lambda s: s.title) == [_SHOWS[0], _SHOWS[1]]
    with pytest.raises(ApiInputError):
        keyword_search(keyed, "  ", lambda s: s.title)


def test_clock_helpers() -> None:
    assert hhmm(0) == "00:00"
    assert hhmm(9 * 60 + 5) == "09:05"
    assert clock_minutes("23:59") == 23 * 60 + 59
    assert parse_clock("9:05") == "09:05"
    assert parse_clock(" 18:30 ", "latest") == "18:30"
    for bad in ("24:00", "9", "ab:cd", 930):
        with pytest.raises(ApiInputError, match="HH:MM"):
            parse_clock(bad, "start_time")


def test_argument_helpers() -> None:
    assert enum_arg({}, "sort", ("year", "title"), "year") == "year"
    assert enum_arg({"sort": "title"}, "sort", ("year", "title"), "year") == "title"
    with pytest.raises(ApiInputError, match="sort must be one of year, title"):
        enum_arg({"sort": "rating"}, "sort", ("year", "title"), "year")
    assert upcoming_date(TODAY.isoformat(), 7, "listings are available") == TODAY
    last = (TODAY + dt.timedelta(days=6)).isoformat()
    assert upcoming_date(last, 7, "x").isoformat() == last
    with pytest.raises(ApiInputError, match=r"^listings are available from .* only$"):
        upcoming_date((TODAY + dt.timedelta(days=7)).isoformat(), 7, "listings are available")
    with pytest.raises(ApiInputError):
        upcoming_date((TODAY - dt.timedelta(days=1)).isoformat(), 7, "x")


def test_domain_data_from_state_or_world(world: World) -> None:
    assert domain_data(world, "geography") is world["geography"]
    assert domain_data(WorldState(world), "geography") is world["geography"]


def test_ordinal_and_fmt() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "101st",
        "111th",
    ]
    assert fmt(12) == "12"
    assert fmt(2500.0) == "2500"
    assert fmt(12.50) == "12.5"
    assert fmt(0.000012) == "0.000012"
    assert fmt(0.0) == "0"


def test_pick_distractors() -> None:
    answer = "The winner is Kel Mont Rovers, ahead of Bo Pike."
    others = ["Kel Mont", "Bo Pike", "Ana", "", "Ana", "kel mont rovers"]
    # not stated by the answer, not blank, not repeated, not the value itself
    assert pick_distractors(answer, "Kel Mont Rovers", others) == ("Ana",)
    assert pick_distractors("It is Rovers.", "Kel Mont Rovers", others) == (
        "Kel Mont",
        "Bo Pike",
        "Ana",
    )
    # within_value also drops candidates whose words occur inside the value
    assert pick_distractors("It is Rovers.", "Kel Mont Rovers", others, within_value=True) == (
        "Bo Pike",
        "Ana",
    )
    fact = chosen_fact("Kel Mont Rovers", "team", answer, others)
    assert fact == AnswerFact("Kel Mont Rovers", "team", ("Ana",))


def test_checked_draft_refuses_an_answer_that_misses_a_fact() -> None:
    gold = [GoldCall("t", "a", {"x": 1})]
    good = checked_draft({"q": "1"}, gold, (AnswerFact(12, "n"),), "It is 12.")
    assert good == TaskDraft({"q": "1"}, tuple(gold), (AnswerFact(12, "n"),), "It is 12.")
    assert check_answer(good.facts, good.answer, {}).is_solved == 1.0
    assert checked_draft({"q": "1"}, gold, (AnswerFact(12, "n"),), "It is 13.") is None
    hidden = (AnswerFact("Kel", "name", ("Kel Mont",)),)
    assert checked_draft({}, gold, hidden, "Kel Mont and Kel.") is None


def test_retrying_draws_again_from_the_same_stream(world: World) -> None:
    seen: list[int] = []

    def gen(rng: StableRng, world: World) -> TaskDraft | None:
        seen.append(rng.below(1000))
        if len(seen) < 3:
            return None
        return TaskDraft({"n": str(seen[-1])}, (), ())

    draft = retrying(gen)(StableRng(7), world)
    assert draft is not None and draft.slots == {"n": str(seen[2])}
    again = StableRng(7)
    assert seen == [again.below(1000) for _ in range(3)]
    assert retrying(lambda rng, world: None, tries=4)(StableRng(7), world) is None
    assert retrying(gen).__name__ == "gen"


def test_search_calls(world: World) -> None:
    g = geography.geo(world)
    city = g.city_list[3]
    call = GoldCall("geodb_cities", "search_cities", {"query": city.name})
    assert listed_call(world, geography.search_cities, call, "city_id", city.city_id) is call
    assert listed_call(world, geography.search_cities, call, "city_id", "nope") is None
    found = index_search_call(
        g.city_index, city, city.name, "geodb_cities", "search_cities", page_size=5
    )
    assert found == call
    other = next(c for c in g.city_list if c not in find(g.city_index, city.name)[:5])
    assert (
        index_search_call(
            g.city_index, other, city.name, "geodb_cities", "search_cities", page_size=5
        )
        is None
    )


def test_run_api_and_all_results(world: World) -> None:
    g = geography.geo(world)
    country = g.countries[g.city_list[0].country_code]
    first = run_api(world, geography.list_cities_in_country, country_code=country.code)
    rows = all_results(world, geography.list_cities_in_country, country_code=country.code)
    assert rows[: len(first["results"])] == first["results"]
    assert len(rows) == first["total_results"]
    assert [r["city_id"] for r in rows] == [c.city_id for c in g.cities_by_country[country.code]]
