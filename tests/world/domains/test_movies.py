"""Behaviour of the movies domain: film database, film people, cinemas and ticket booking."""

from __future__ import annotations

from typing import Any

import pytest

from steptool_env.world.domains import geography, movies
from steptool_env.world.helpers import ApiInputError, day
from steptool_env.world.state import World, WorldState
from tests.world.domains.support import SEED, build_world, call


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(("geography", "movies"))


def test_build_is_deterministic_and_seeded(world: World) -> None:
    again = build_world(("geography", "movies"))["movies"]
    other = build_world(("geography", "movies"), SEED + 1)["movies"]
    data = world["movies"]
    assert list(again.movies.values()) == list(data.movies.values())
    assert list(again.cinemas.values()) == list(data.cinemas.values())
    assert [m.title for m in other.movies.values()] != [m.title for m in data.movies.values()]


def test_search_then_details_and_cast(state: WorldState) -> None:
    d = movies.mdata(state)
    m = list(d.movies.values())[17]
    found = call(state, "moviedb", "search_movies", query=m.title)
    assert found["results"][0]["movie_id"] == m.movie_id  # whole-title match comes first
    detail = call(state, "moviedb", "get_movie", movie_id=m.movie_id)
    assert detail["title"] == m.title
    assert detail["director"]["person_id"] == m.director_id
    cast = call(state, "moviedb", "get_movie_cast", movie_id=m.movie_id)
    assert [c["billing"] for c in cast["cast"]] == list(range(1, len(m.cast) + 1))
    assert all(d.people[c["person_id"]].known_for == "actor" for c in cast["cast"])


def test_search_filters_by_year(state: WorldState) -> None:
    m = list(movies.mdata(state).movies.values())[3]
    hit = call(state, "moviedb", "search_movies", query=m.title, year=m.year)
    assert m.movie_id in [r["movie_id"] for r in hit["results"]]
    miss = call(state, "moviedb", "search_movies", query=m.title, year=m.year - 100)
    assert miss["results"] == []


def test_genre_chart_pages_are_ordered_and_disjoint(state: WorldState) -> None:
    p1 = call(state, "moviedb", "movies_by_genre", genre="Drama", sort_by="rating", page=1)
    p2 = call(state, "moviedb", "movies_by_genre", genre="Drama", sort_by="rating", page=2)
    assert len(p1["results"]) == 5
    ratings = [r["rating"] for r in p1["results"] + p2["results"]]
    assert ratings == sorted(ratings, reverse=True)
    assert not {r["movie_id"] for r in p1["results"]} & {r["movie_id"] for r in p2["results"]}
    with pytest.raises(ApiInputError):
        call(state, "moviedb", "movies_by_genre", genre="Drama", page=p1["total_pages"] + 1)
    with pytest.raises(ApiInputError):
        call(state, "moviedb", "movies_by_genre", genre="Western")


def test_similar_movies_share_the_main_genre(state: WorldState) -> None:
    d = movies.mdata(state)
    m = list(d.movies.values())[40]
    out = call(state, "moviedb", "similar_movies", movie_id=m.movie_id)
    assert 0 < len(out["results"]) <= 5
    for r in out["results"]:
        assert r["movie_id"] != m.movie_id
        assert m.genres[0] in d.movies[r["movie_id"]].genres


def test_unknown_ids_are_bad_input(state: WorldState) -> None:
    for tool, api, args in (
        ("moviedb", "get_movie", {"movie_id": "M0"}),
        ("film_people", "get_person", {"person_id": "nobody"}),
        ("cinema_showtimes", "get_showtimes", {"cinema_id": "CN0", "date": day(1)}),
        ("cinema_showtimes", "list_cinemas", {"city_id": "C0"}),
    ):
        with pytest.raises(ApiInputError):
            call(state, tool, api, **args)


def test_person_details_and_filmography(state: WorldState) -> None:
    d = movies.mdata(state)
    director = next(p for p in d.people.values() if p.known_for == "director")
    found = call(state, "film_people", "search_people", query=director.name)
    assert found["results"][0]["person_id"] == director.person_id
    info = call(state, "film_people", "get_person", person_id=director.person_id)
    city = geography.geo(state).cities[info["birth_city_id"]]
    assert info["birth_city"] == city.name
    films = call(
        state, "film_people", "person_filmography", person_id=director.person_id, role="director"
    )
    years = [d.movies[r["movie_id"]].year for r in films["results"]]
    assert years == sorted(years, reverse=True)
    assert all(d.movies[r["movie_id"]].director_id == director.person_id for r in films["results"])
    assert films["total_results"] == sum(
        1 for m in d.movies.values() if m.director_id == director.person_id
    )


def test_cinemas_of_a_city_live_there(state: WorldState) -> None:
    d = movies.mdata(state)
    city_id = next(iter(d.cinemas_by_city))
    out = call(state, "cinema_showtimes", "list_cinemas", city_id=city_id)
    assert out["results"]
    assert {c["city_id"] for c in out["results"]} == {city_id}
    empty = next(c for c in geography.geo(state).cities if c not in d.cinemas_by_city)
    assert call(state, "cinema_showtimes", "list_cinemas", city_id=empty)["results"] == []


def test_showtimes_window_and_movie_filter(state: WorldState) -> None:
    cinema = next(iter(movies.mdata(state).cinemas.values()))
    day_list = call(
        state, "cinema_showtimes", "get_showtimes", cinema_id=cinema.cinema_id, date=day(2)
    )
    times = [s["time"] for s in day_list["showtimes"]]
    assert times == sorted(times)
    one = day_list["showtimes"][0]["movie_id"]
    only = call(
        state,
        "cinema_showtimes",
        "get_showtimes",
        cinema_id=cinema.cinema_id,
        date=day(2),
        movie_id=one,
    )
    assert only["showtimes"] and {s["movie_id"] for s in only["showtimes"]} == {one}
    for bad in (day(-1), day(movies.SCHEDULE_DAYS), "2025-02-30"):
        with pytest.raises(ApiInputError):
            call(state, "cinema_showtimes", "get_showtimes", cinema_id=cinema.cinema_id, date=bad)


def test_booking_is_recorded_with_its_total(state: WorldState) -> None:
    cinema = next(iter(movies.mdata(state).cinemas.values()))
    show = call(
        state, "cinema_showtimes", "get_showtimes", cinema_id=cinema.cinema_id, date=day(3)
    )["showtimes"][1]
    booked = call(
        state,
        "cinema_showtimes",
        "book_tickets",
        showtime_id=show["showtime_id"],
        seats=3,
        customer_name="Mira Falk",
    )
    assert booked["total_price"] == pytest.approx(3 * show["price"])
    assert booked["booking_id"] == "TB-0001"
    rec = state.find("ticket_bookings", showtime_id=show["showtime_id"])
    assert rec and rec[0]["seats"] == 3 and rec[0]["customer_name"] == "Mira Falk"
    assert rec[0]["movie_id"] == show["movie_id"] and rec[0]["time"] == show["time"]


@pytest.mark.parametrize(
    ("showtime", "seats", "name"),
    [
        ("CN101-20250101-01", 2, "A"),
        ("CN101-x-01", 2, "A"),
        ("-1", 2, "A"),
        ("CN101-20250604-99", 2, "A"),
        (None, 2, "A"),
        ("CN101-20250604-01", 0, "A"),
        ("CN101-20250604-01", 11, "A"),
        ("CN101-20250604-01", 2, " "),
    ],
)
def test_bad_bookings_are_rejected_and_not_recorded(
    state: WorldState, showtime: Any, seats: int, name: str
) -> None:
    with pytest.raises(ApiInputError):
        call(
            state,
            "cinema_showtimes",
            "book_tickets",
            showtime_id=showtime,
            seats=seats,
            customer_name=name,
        )
    assert state.records.get("ticket_bookings", []) == []
