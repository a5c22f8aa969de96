"""Behaviour of the education domain: books, dictionary, courses and universities."""

from __future__ import annotations

import pytest

from steptool_env.seeding import StableRng, derive_seed
from steptool_env.tools.catalogue import Catalogue
from steptool_env.world.checker import check_answer
from steptool_env.world.domain import all_domains
from steptool_env.world.domains import education
from steptool_env.world.helpers import TODAY, ApiInputError
from steptool_env.world.state import World, WorldState
from tests.world.domains.support import build_world, call, solve


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(("geography", "education"))


def test_build_is_deterministic(world: World) -> None:
    again = build_world(("geography", "education"))["education"]
    data = world["education"]
    assert again.university_list == data.university_list
    assert again.books == data.books
    assert again.courses == data.courses
    assert again.seed == data.seed


def test_book_search_details_and_author(state: WorldState) -> None:
    data = education.ed(state)
    book = data.books["B7010"]
    found = call(state, "book_library", "search_books", query=book.title)
    hit = next(r for r in found["results"] if r["book_id"] == book.book_id)
    assert hit["author_id"] == book.author_id
    detail = call(state, "book_library", "get_book", book_id=book.book_id)
    assert (detail["year"], detail["pages"]) == (book.year, book.pages)
    author = call(state, "book_library", "get_author", author_id=book.author_id)
    assert author["book_count"] == len(data.books_by_author[book.author_id])
    with pytest.raises(ApiInputError):
        call(state, "book_library", "get_book", book_id="B1")


def test_author_books_paginate_by_year(state: WorldState) -> None:
    data = education.ed(state)
    aid = next(k for k, v in data.books_by_author.items() if len(v) > 5)
    p1 = call(state, "book_library", "author_books", author_id=aid)
    p2 = call(state, "book_library", "author_books", author_id=aid, page=2)
    years = [b["year"] for b in p1["results"] + p2["results"]]
    assert years == sorted(years) and p1["total_pages"] == 2
    with pytest.raises(ApiInputError):
        call(state, "book_library", "author_books", author_id=aid, page=3)


def test_dictionary(state: WorldState) -> None:
    d = call(state, "dictionary_api", "define_word", word="Candid")
    assert d["part_of_speech"] == "adjective"
    assert "frank" in call(state, "dictionary_api", "synonyms", word="candid")["synonyms"]
    t1 = call(state, "dictionary_api", "translate_word", word="candid", language="Kesh")
    t2 = call(state, "dictionary_api", "translate_word", word="candid", language="Kesh")
    t3 = call(state, "dictionary_api", "translate_word", word="candid", language="Galic")
    assert t1 == t2 and t1["translation"] != t3["translation"]
    w1 = call(state, "dictionary_api", "word_of_the_day", date="2025-05-01")
    assert w1 == call(state, "dictionary_api", "word_of_the_day", date="2025-05-01")
    assert call(state, "dictionary_api", "word_of_the_day")["date"] == TODAY.isoformat()
    with pytest.raises(ApiInputError):
        call(state, "dictionary_api", "define_word", word="qwzrtx")
    with pytest.raises(ApiInputError):
        call(state, "dictionary_api", "translate_word", word="candid", language="Klingon")


def test_universities_by_city_and_name(state: WorldState, world: World) -> None:
    data = education.ed(state)
    city_id, own = next((k, v) for k, v in data.universities_by_city.items() if len(v) >= 2)
    city = world["geography"].cities[city_id].name
    res = call(state, "university_info", "search_universities", city=city)
    assert {r["university_id"] for r in res["results"]} == {u.university_id for u in own}
    u = own[0]
    res = call(state, "university_info", "search_universities", query=u.name)
    assert u.university_id in [r["university_id"] for r in res["results"]]
    detail = call(state, "university_info", "get_university", university_id=u.university_id)
    assert detail["world_rank"] == u.world_rank
    top = call(state, "university_info", "university_rankings")
    assert [r["rank"] for r in top["results"]] == list(range(1, 11))
    with pytest.raises(ApiInputError):
        call(state, "university_info", "search_universities")
    with pytest.raises(ApiInputError):
        call(state, "university_info", "search_universities", city="Nowhere Special")


def test_enrolment_is_recorded_and_takes_a_seat(state: WorldState) -> None:
    data = education.ed(state)
    course, session = next(
        (c, s) for c, s in data.sessions.values() if s.start > TODAY and s.seats == 1
    )
    before = call(state, "online_courses", "course_sessions", course_id=course.course_id)
    row = next(s for s in before["sessions"] if s["session_id"] == session.session_id)
    assert (row["status"], row["seats_left"]) == ("open", 1)
    args = {
        "course_id": course.course_id,
        "session_id": session.session_id,
        "student_name": "Ava Adler",
        "student_email": "Ava.Adler@postbox.net",
    }
    rec = call(state, "online_courses", "enroll", **args)
    assert rec["student_email"] == "ava.adler@postbox.net"
    assert state.find("enrollments", session_id=session.session_id)
    after = call(state, "online_courses", "course_sessions", course_id=course.course_id)
    row = next(s for s in after["sessions"] if s["session_id"] == session.session_id)
    assert (row["status"], row["seats_left"]) == ("full", 0)
    with pytest.raises(ApiInputError):  # no seat left
        call(state, "online_courses", "enroll", **{**args, "student_email": "x.y@postbox.net"})
    other = next(c for c in data.courses.values() if c.course_id != course.course_id)
    with pytest.raises(ApiInputError):  # session of another course
        call(state, "online_courses", "enroll", **{**args, "course_id": other.course_id})


def test_courses_by_university_sorts(state: WorldState) -> None:
    data = education.ed(state)
    uid = next(k for k, v in data.courses_by_university.items() if len(v) >= 3)
    res = call(state, "online_courses", "courses_by_university", university_id=uid, sort="price")
    prices = [c["price_usd"] for c in res["results"]]
    assert prices == sorted(prices)
    c = data.courses[res["results"][0]["course_id"]]
    detail = call(state, "online_courses", "get_course", course_id=c.course_id)
    assert detail["university_id"] == uid


_TYPES = next(d for d in all_domains() if d.name == "education").task_types


@pytest.mark.parametrize("type_id", sorted(_TYPES))
def test_task_type_yields_solvable_distinct_tasks(
    type_id: str, world: World, catalogue: Catalogue
) -> None:
    tt = _TYPES[type_id]
    assert {catalogue.by_tool[t].category for t in tt.tools} == {"Education"}
    seen = set()
    for i in range(400):
        draft = tt.generate(StableRng(derive_seed("test", type_id, i)), world)
        if draft is None:
            continue
        if len(seen) < 5:
            records = solve(world, catalogue, draft.gold)
            assert check_answer(draft.facts, draft.answer, records).is_solved == 1.0
        seen.add(draft.signature())
        if len(seen) >= 60:
            break
    assert len(seen) >= 60
