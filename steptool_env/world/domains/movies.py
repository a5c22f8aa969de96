"""Movies: a film database, the people who make films, and cinemas with bookable showtimes.

Tools: ``moviedb`` (movie search, details, cast, similar films, genre charts),
``film_people`` (actors and directors, their filmographies) and ``cinema_showtimes``
(cinemas in geography cities, daily programmes for two weeks, ticket booking — stateful,
collection ``ticket_bookings``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter
from typing import Any

from steptool_env.seeding import StableRng
from steptool_env.world.domain import Domain
from steptool_env.world.domains import geography
from steptool_env.world.generation import chosen_fact, index_search_call, ordinal, pick_distractors
from steptool_env.world.helpers import (
    TODAY,
    ApiInputError,
    SearchIndex,
    compact_date,
    domain_data,
    find,
    get_by_id,
    money,
    paginate,
    require_text,
    upcoming_date,
    warm,
)
from steptool_env.world.names import person, place, unique, word
from steptool_env.world.state import World, WorldState
from steptool_env.world.tasks import AnswerFact, GoldCall, StateFact, TaskDraft

DOMAIN = Domain("movies", requires=("geography",))

_NAME = attrgetter("name")
_TITLE = attrgetter("title")

GENRES = (
    "Action",
    "Adventure",
    "Animation",
    "Comedy",
    "Documentary",
    "Drama",
    "Horror",
    "Romance",
    "Science Fiction",
    "Thriller",
)
_ADJ = (
    "Silent",
    "Crimson",
    "Hollow",
    "Broken",
    "Golden",
    "Hidden",
    "Distant",
    "Frozen",
    "Burning",
    "Midnight",
    "Electric",
    "Velvet",
    "Iron",
    "Paper",
    "Wild",
    "Quiet",
    "Falling",
    "Scarlet",
    "Bright",
    "Restless",
    "Sunken",
    "Glass",
    "Northern",
    "Painted",
)
_NOUN = (
    "Harbor",
    "Orchard",
    "Signal",
    "Kingdom",
    "Promise",
    "Tide",
    "Mirror",
    "Lantern",
    "Frontier",
    "Garden",
    "Horizon",
    "Engine",
    "Station",
    "Winter",
    "Canyon",
    "Letter",
    "River",
    "Crown",
    "Circuit",
    "Voyage",
    "Archive",
    "Compass",
    "Meridian",
    "Citadel",
)
_HONORIFIC = (
    "Captain",
    "Doctor",
    "Agent",
    "Professor",
    "Sister",
    "Detective",
    "Old",
    "Young",
    "Mayor",
    "Lady",
    "Inspector",
)
_CINEMA_PATTERNS = (
    "{w} Cinema",
    "Cineplex {w}",
    "{w} Picturehouse",
    "The {w} Screen",
    "{w} Filmhouse",
    "Roxy {w}",
)
SHOW_TIMES = ("11:00", "13:30", "15:45", "18:00", "19:30", "20:45", "22:15")
FORMAT_SURCHARGE = {"2D": 0.0, "3D": 2.5, "IMAX": 5.0}
SCHEDULE_DAYS = 14
"""Showtimes are published for TODAY and the 13 days after it."""

N_MOVIES = 160
N_NOW_SHOWING = 20
N_DIRECTORS = 45
N_ACTORS = 170
N_CINEMA_CITIES = 18
PAGE = 5


@dataclass(frozen=True, slots=True)
class Movie:
    movie_id: str
    title: str
    year: int
    genres: tuple[str, ...]
    runtime_min: int
    rating: float
    votes: int
    director_id: str
    cast: tuple[tuple[str, str], ...]
    """``(person_id, character)`` in billing order."""
    box_office_usd: int
    budget_usd: int
    language: str
    country_code: str
    in_theaters: bool


@dataclass(frozen=True, slots=True)
class Person:
    person_id: str
    name: str
    known_for: str
    """``"actor"`` or ``"director"``."""
    birth_year: int
    birth_city_id: str
    awards: int


@dataclass(frozen=True, slots=True)
class Credit:
    movie_id: str
    role: str
    character: str | None


@dataclass(frozen=True, slots=True)
class Showing:
    time: str
    movie_id: str
    format: str
    price: float


@dataclass(frozen=True, slots=True)
class Cinema:
    cinema_id: str
    name: str
    city_id: str
    address: str
    screens: int
    programme: tuple[tuple[Showing, ...], ...]
    """One list of showings per weekday (Monday first), in time order."""


@dataclass(frozen=True)
class MovieData:
    movies: Mapping[str, Movie]
    people: Mapping[str, Person]
    cinemas: Mapping[str, Cinema]
    credits: Mapping[str, tuple[Credit, ...]]
    """person id → credits, newest film first."""
    by_genre: Mapping[str, Mapping[str, tuple[Movie, ...]]]
    """genre → sort key (rating, year, box_office) → movies in that order."""
    cinemas_by_city: Mapping[str, tuple[Cinema, ...]]
    movie_index: SearchIndex[Movie]
    people_index: SearchIndex[Person]
    cinema_index: SearchIndex[Cinema]

    # Derived lookups (not fields: no part of the world's content; see helpers.warm).
    @cached_property
    def showtimes(self) -> dict[tuple[str, dt.date], tuple[dict[str, Any], ...]]:
        """(cinema id, date) → get_showtimes' rows of every showing (filled on use;
        shared: callers copy them)."""
        return {}


# ---------------------------------------------------------------- build
def _title(rng: StableRng) -> str:
    k = rng.below(6)
    if k == 0:
        return f"The {rng.choice(_ADJ)} {rng.choice(_NOUN)}"
    if k == 1:
        return f"{rng.choice(_NOUN)} of {place(rng)}"
    if k == 2:
        return word(rng, (2, 3))
    if k == 3:
        return f"Return to {place(rng)}"
    if k == 4:
        return f"{word(rng, (2, 2))}: {rng.choice(_ADJ)} {rng.choice(_NOUN)}"
    return f"{rng.choice(_ADJ)} {place(rng)}"


def _character(rng: StableRng) -> str:
    return f"{rng.choice(_HONORIFIC)} {word(rng, (2, 2))}"


@DOMAIN.builder
def build(rng: StableRng, world: Mapping[str, Any]) -> MovieData:
    g: geography.GeoData = world["geography"]
    city_list = g.city_list
    codes = tuple(g.countries)

    names = unique(rng, person, N_DIRECTORS + N_ACTORS)
    people: dict[str, Person] = {}
    for i, name in enumerate(names):
        is_director = i < N_DIRECTORS
        born = rng.randint(1935, 1975) if is_director else rng.randint(1950, 2004)
        pid = f"P{3001 + i}"
        awards = rng.weighted(range(8), (8, 5, 4, 3, 2, 1, 1, 1))
        people[pid] = Person(
            pid,
            name,
            "director" if is_director else "actor",
            born,
            rng.choice(city_list).city_id,
            awards,
        )
    directors = [p for p in people.values() if p.known_for == "director"]
    actors = [p for p in people.values() if p.known_for == "actor"]

    titles = unique(rng, _title, N_MOVIES)
    movies: dict[str, Movie] = {}
    for i, title in enumerate(titles):
        now = i >= N_MOVIES - N_NOW_SHOWING
        year = 2025 if now else rng.randint(1988, 2024)
        # every director gets a film first; nobody directs before the age of 25
        eligible = [p for p in directors if p.birth_year <= year - 25]
        director = directors[i] if i < len(directors) else rng.choice(eligible)
        if director.birth_year > year - 25:
            director = rng.choice(eligible)
        pool = [a for a in actors if a.birth_year <= year - 8]
        cast_people = rng.sample(pool, rng.randint(4, 6))
        chars = unique(rng, _character, len(cast_people))
        genres = tuple(rng.sample(GENRES, rng.weighted((1, 2), (2, 3))))
        budget = rng.randint(2, 220) * 1_000_000
        mid = f"M{2001 + i}"
        movies[mid] = Movie(
            movie_id=mid,
            title=title,
            year=year,
            genres=genres,
            runtime_min=rng.randint(78, 172),
            rating=round(rng.uniform(4.0, 9.2), 1),
            votes=rng.randint(800, 950_000),
            director_id=director.person_id,
            cast=tuple((p.person_id, c) for p, c in zip(cast_people, chars)),
            box_office_usd=int(budget * rng.uniform(0.3, 6.0)) // 1000 * 1000,
            budget_usd=budget,
            language=rng.choice(geography.LANGUAGES),
            country_code=rng.choice(codes),
            in_theaters=now,
        )

    credit_lists: dict[str, list[Credit]] = {pid: [] for pid in people}
    for m in movies.values():
        credit_lists[m.director_id].append(Credit(m.movie_id, "director", None))
        for pid, char in m.cast:
            credit_lists[pid].append(Credit(m.movie_id, "actor", char))
    credits = {
        pid: tuple(sorted(cs, key=lambda c: (-movies[c.movie_id].year, c.movie_id)))
        for pid, cs in credit_lists.items()
    }

    sorters: dict[str, Callable[[Movie], Any]] = {
        "rating": lambda m: (-m.rating, -m.votes, m.movie_id),
        "year": lambda m: (-m.year, m.title),
        "box_office": lambda m: (-m.box_office_usd, m.movie_id),
    }
    by_genre = {
        genre: {
            key: tuple(sorted((m for m in movies.values() if genre in m.genres), key=fn))
            for key, fn in sorters.items()
        }
        for genre in GENRES
    }

    now_showing = [m for m in movies.values() if m.in_theaters]
    cinema_cities = rng.sample(city_list, N_CINEMA_CITIES)
    n_per_city = [rng.weighted((1, 2, 3), (4, 4, 2)) for _ in cinema_cities]
    cinema_names = unique(
        rng, lambda r: r.choice(_CINEMA_PATTERNS).format(w=word(r, (2, 2))), sum(n_per_city)
    )
    cinemas: dict[str, Cinema] = {}
    by_city: dict[str, list[Cinema]] = {}
    k = 0
    for city, n in zip(cinema_cities, n_per_city):
        for _ in range(n):
            cid = f"CN{101 + k}"
            base = rng.randint(16, 28) / 2
            shown = rng.sample(now_showing, rng.randint(5, 7))
            fmt = {m.movie_id: rng.weighted(("2D", "3D", "IMAX"), (6, 2, 1)) for m in shown}
            programme = []
            for weekday in range(7):
                extra = 2.0 if weekday >= 4 else 0.0
                day_list = [
                    Showing(
                        t,
                        m.movie_id,
                        fmt[m.movie_id],
                        money(base + FORMAT_SURCHARGE[fmt[m.movie_id]] + extra),
                    )
                    for m in shown
                    for t in rng.sample(SHOW_TIMES, rng.randint(1, 2))
                ]
                day_list.sort(key=lambda s: (s.time, movies[s.movie_id].title))
                programme.append(tuple(day_list))
            cin = Cinema(
                cid,
                cinema_names[k],
                city.city_id,
                f"{rng.randint(1, 240)} {word(rng, (2, 2))} Street",
                rng.randint(3, 14),
                tuple(programme),
            )
            cinemas[cid] = cin
            by_city.setdefault(city.city_id, []).append(cin)
            k += 1

    data = MovieData(
        movies=movies,
        people=people,
        cinemas=cinemas,
        credits=credits,
        by_genre=by_genre,
        cinemas_by_city={c: tuple(v) for c, v in by_city.items()},
        movie_index=SearchIndex(movies.values(), _TITLE),
        people_index=SearchIndex(people.values(), _NAME),
        cinema_index=SearchIndex(cinemas.values(), _NAME),
    )
    return warm(data)


def mdata(state_or_world: WorldState | World) -> MovieData:
    return domain_data(state_or_world, "movies")


def _int_arg(args: Mapping[str, Any], name: str) -> int | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ApiInputError(f"{name} must be an integer")
    return value


# ---------------------------------------------------------------- moviedb
def _movie_summary(m: Movie) -> dict[str, Any]:
    return {"movie_id": m.movie_id, "title": m.title, "year": m.year}


@DOMAIN.api("moviedb", "search_movies")
def search_movies(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    found = find(d.movie_index, require_text(args, "query"))
    year = _int_arg(args, "year")
    if year is not None:
        found = [m for m in found if m.year == year]
    return paginate(found, args.get("page", 1), PAGE, _movie_summary)


@DOMAIN.api("moviedb", "get_movie")
def get_movie(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    m = get_by_id(d.movies, args["movie_id"], "movie")
    director = d.people[m.director_id]
    return {
        "movie_id": m.movie_id,
        "title": m.title,
        "year": m.year,
        "genres": list(m.genres),
        "runtime_min": m.runtime_min,
        "rating": m.rating,
        "votes": m.votes,
        "director": {"person_id": director.person_id, "name": director.name},
        "language": m.language,
        "country_code": m.country_code,
        "budget_usd": m.budget_usd,
        "box_office_usd": m.box_office_usd,
        "in_theaters": m.in_theaters,
    }


@DOMAIN.api("moviedb", "get_movie_cast")
def get_movie_cast(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    m = get_by_id(d.movies, args["movie_id"], "movie")
    director = d.people[m.director_id]
    return {
        "movie_id": m.movie_id,
        "title": m.title,
        "director": {"person_id": director.person_id, "name": director.name},
        "cast": [
            {"billing": i + 1, "person_id": pid, "name": d.people[pid].name, "character": char}
            for i, (pid, char) in enumerate(m.cast)
        ],
    }


@DOMAIN.api("moviedb", "similar_movies")
def similar_movies(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    m = get_by_id(d.movies, args["movie_id"], "movie")
    same = [x for x in d.by_genre[m.genres[0]]["rating"] if x.movie_id != m.movie_id]
    return {
        "movie_id": m.movie_id,
        "genre": m.genres[0],
        "results": [{**_movie_summary(x), "rating": x.rating} for x in same[:5]],
    }


@DOMAIN.api("moviedb", "movies_by_genre")
def movies_by_genre(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    genre = args["genre"]
    if genre not in d.by_genre:
        raise ApiInputError(f"unknown genre {genre!r}; valid genres: {', '.join(GENRES)}")
    sort = args.get("sort_by", "rating")
    if sort not in ("rating", "year", "box_office"):
        raise ApiInputError("sort_by must be one of rating, year, box_office")
    return paginate(
        d.by_genre[genre][sort],
        args.get("page", 1),
        PAGE,
        lambda m: {**_movie_summary(m), "rating": m.rating, "box_office_usd": m.box_office_usd},
    )


# ---------------------------------------------------------------- film_people
@DOMAIN.api("film_people", "search_people")
def search_people(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    found = find(d.people_index, require_text(args, "query"))
    return paginate(
        found,
        args.get("page", 1),
        PAGE,
        lambda p: {"person_id": p.person_id, "name": p.name, "known_for": p.known_for},
    )


@DOMAIN.api("film_people", "get_person")
def get_person(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    p = get_by_id(d.people, args["person_id"], "person")
    city = geography.geo(state).cities[p.birth_city_id]
    return {
        "person_id": p.person_id,
        "name": p.name,
        "known_for": p.known_for,
        "birth_year": p.birth_year,
        "birth_city_id": city.city_id,
        "birth_city": city.name,
        "birth_country_code": city.country_code,
        "awards": p.awards,
        "credits": len(d.credits[p.person_id]),
    }


@DOMAIN.api("film_people", "person_filmography")
def person_filmography(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    p = get_by_id(d.people, args["person_id"], "person")
    role = args.get("role", "all")
    if role not in ("all", "actor", "director"):
        raise ApiInputError("role must be one of all, actor, director")
    creds = [c for c in d.credits[p.person_id] if role in ("all", c.role)]

    def render(c: Credit) -> dict[str, Any]:
        m = d.movies[c.movie_id]
        return {**_movie_summary(m), "role": c.role, "character": c.character}

    return {"person_id": p.person_id, **paginate(creds, args.get("page", 1), PAGE, render)}


# ---------------------------------------------------------------- cinema_showtimes
def _cinema_summary(state: WorldState, c: Cinema) -> dict[str, Any]:
    city = geography.geo(state).cities[c.city_id]
    return {
        "cinema_id": c.cinema_id,
        "name": c.name,
        "city_id": c.city_id,
        "city": city.name,
        "screens": c.screens,
    }


def showtime_id(cinema_id: str, date: dt.date, slot: int) -> str:
    return f"{cinema_id}-{date.year:04d}{date.month:02d}{date.day:02d}-{slot:02d}"


@DOMAIN.api("cinema_showtimes", "search_cinemas")
def search_cinemas(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    found = find(mdata(state).cinema_index, require_text(args, "query"))
    return paginate(found, args.get("page", 1), PAGE, lambda c: _cinema_summary(state, c))


@DOMAIN.api("cinema_showtimes", "list_cinemas")
def list_cinemas(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    city = get_by_id(geography.geo(state).cities, args["city_id"], "city")
    own = mdata(state).cinemas_by_city.get(city.city_id, ())
    return {
        "city_id": city.city_id,
        "city": city.name,
        "results": [{**_cinema_summary(state, c), "address": c.address} for c in own],
    }


@DOMAIN.api("cinema_showtimes", "get_showtimes")
def get_showtimes(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    c = get_by_id(d.cinemas, args["cinema_id"], "cinema")
    date = upcoming_date(args["date"], SCHEDULE_DAYS, "showtimes are published")
    movie_id = args.get("movie_id")
    if movie_id:
        get_by_id(d.movies, movie_id, "movie")
    every = d.showtimes.get((c.cinema_id, date))
    if every is None:
        every = d.showtimes[c.cinema_id, date] = tuple(
            {
                "showtime_id": showtime_id(c.cinema_id, date, slot),
                "movie_id": s.movie_id,
                "title": d.movies[s.movie_id].title,
                "time": s.time,
                "format": s.format,
                "price": s.price,
            }
            for slot, s in enumerate(c.programme[date.weekday()], start=1)
        )
    if movie_id:
        wanted = movie_id.strip()
        rows = [dict(r) for r in every if r["movie_id"] == wanted]
    else:
        rows = [dict(r) for r in every]
    return {"cinema_id": c.cinema_id, "cinema": c.name, "date": date.isoformat(), "showtimes": rows}


def _parse_showtime(d: MovieData, value: Any) -> tuple[Cinema, dt.date, int]:
    """Cinema, date and 1-based slot of a showtime id ``CINEMA-YYYYMMDD-SLOT``."""
    parts = value.strip().split("-") if isinstance(value, str) else []
    if len(parts) != 3 or parts[0] not in d.cinemas:
        raise ApiInputError(f"no showtime with id {value!r}")
    cinema = d.cinemas[parts[0]]
    date = compact_date(parts[1])
    try:
        slot = int(parts[2])
    except ValueError:
        raise ApiInputError(f"no showtime with id {value!r}") from None
    if date is None:
        raise ApiInputError(f"no showtime with id {value!r}")
    if not 0 <= (date - TODAY).days < SCHEDULE_DAYS:
        raise ApiInputError(f"showtime {value!r} is not bookable (past or not yet published)")
    if not 1 <= slot <= len(cinema.programme[date.weekday()]):
        raise ApiInputError(f"no showtime with id {value!r}")
    return cinema, date, slot


@DOMAIN.api("cinema_showtimes", "book_tickets")
def book_tickets(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    cinema, date, slot = _parse_showtime(d, args["showtime_id"])
    s = cinema.programme[date.weekday()][slot - 1]
    seats = args["seats"]
    if not isinstance(seats, int) or isinstance(seats, bool) or not 1 <= seats <= 10:
        raise ApiInputError("seats must be an integer from 1 to 10")
    name = require_text(args, "customer_name")
    record = {
        "booking_id": state.next_id("TB"),
        "showtime_id": showtime_id(cinema.cinema_id, date, slot),
        "cinema_id": cinema.cinema_id,
        "movie_id": s.movie_id,
        "title": d.movies[s.movie_id].title,
        "date": date.isoformat(),
        "time": s.time,
        "format": s.format,
        "seats": seats,
        "customer_name": name,
        "total_price": money(s.price * seats),
    }
    state.add("ticket_bookings", record)
    return {**record, "status": "confirmed"}


# ---------------------------------------------------------------- task helpers
def _movie_search(d: MovieData, m: Movie) -> GoldCall | None:
    return index_search_call(d.movie_index, m, m.title, "moviedb", "search_movies", page_size=PAGE)


def _person_search(d: MovieData, p: Person) -> GoldCall | None:
    return index_search_call(
        d.people_index, p, p.name, "film_people", "search_people", page_size=PAGE
    )


def _cinema_search(d: MovieData, c: Cinema) -> GoldCall | None:
    return index_search_call(
        d.cinema_index, c, c.name, "cinema_showtimes", "search_cinemas", page_size=PAGE
    )


def _showtimes_call(c: Cinema, date: dt.date) -> GoldCall:
    """get_showtimes of cinema ``c`` on ``date``, fed by the cinema search at node 0."""
    return GoldCall(
        "cinema_showtimes",
        "get_showtimes",
        {"cinema_id": c.cinema_id, "date": date.isoformat()},
        (0,),
        match=("cinema_id", "date"),
    )


def _pick_movie(rng: StableRng, d: MovieData) -> Movie:
    return rng.choice(tuple(d.movies.values()))


# ---------------------------------------------------------------- G1 tasks
@DOMAIN.task("movies.director_rating", group="G1", tools=("moviedb",))
def task_director_rating(rng: StableRng, world: World) -> TaskDraft | None:
    d = mdata(world)
    m = _pick_movie(rng, d)
    search = _movie_search(d, m)
    if search is None:
        return None
    director = d.people[m.director_id]
    return TaskDraft(
        slots={"title": m.title},
        gold=(search, GoldCall("moviedb", "get_movie", {"movie_id": m.movie_id}, (0,))),
        facts=(AnswerFact(director.name, "director"), AnswerFact(m.rating, "rating")),
        answer=f"{m.title} ({m.year}) was directed by {director.name}; it is rated {m.rating}.",
    )


@DOMAIN.task("movies.character_actor", group="G1", tools=("moviedb",))
def task_character_actor(rng: StableRng, world: World) -> TaskDraft | None:
    d = mdata(world)
    m = _pick_movie(rng, d)
    search = _movie_search(d, m)
    if search is None:
        return None
    pid, char = rng.choice(m.cast)
    actor = d.people[pid]
    answer = f"In {m.title}, {char} is played by {actor.name}."
    others = pick_distractors(
        answer, actor.name, [d.people[p].name for p, _ in m.cast], within_value=True
    )
    return TaskDraft(
        slots={"title": m.title, "character": char},
        gold=(search, GoldCall("moviedb", "get_movie_cast", {"movie_id": m.movie_id}, (0,))),
        facts=(AnswerFact(actor.name, "actor", others),),
        answer=answer,
    )


@DOMAIN.task("movies.genre_rank", group="G1", tools=("moviedb",))
def task_genre_rank(rng: StableRng, world: World) -> TaskDraft | None:
    d = mdata(world)
    genre = rng.choice(GENRES)
    sort = rng.choice(("rating", "box_office"))
    rank = rng.randint(1, 10)
    ranked = d.by_genre[genre][sort]
    if rank > len(ranked):
        return None
    m = ranked[rank - 1]
    if sort == "rating" and any(
        0 <= j < len(ranked) and ranked[j].rating == m.rating for j in (rank - 2, rank)
    ):
        return None
    page = (rank - 1) // PAGE + 1
    on_page = ranked[(page - 1) * PAGE : page * PAGE]
    criterion = "rating" if sort == "rating" else "box office takings"
    value = f"rated {m.rating}" if sort == "rating" else f"grossing {m.box_office_usd} USD"
    answer = f"The {ordinal(rank)} {genre} film by {criterion} is {m.title} ({value})."
    return TaskDraft(
        slots={"genre": genre, "rank": ordinal(rank), "criterion": criterion},
        gold=(
            GoldCall("moviedb", "movies_by_genre", {"genre": genre, "sort_by": sort, "page": page}),
        ),
        facts=(
            chosen_fact(m.title, "title", answer, [x.title for x in on_page], within_value=True),
        ),
        answer=answer,
    )


@DOMAIN.task("movies.person_birth", group="G1", tools=("film_people",))
def task_person_birth(rng: StableRng, world: World) -> TaskDraft | None:
    d = mdata(world)
    p = rng.choice(tuple(d.people.values()))
    search = _person_search(d, p)
    if search is None:
        return None
    city = geography.geo(world).cities[p.birth_city_id]
    return TaskDraft(
        slots={"person": p.name},
        gold=(search, GoldCall("film_people", "get_person", {"person_id": p.person_id}, (0,))),
        facts=(AnswerFact(p.birth_year, "birth year"), AnswerFact(city.name, "birth city")),
        answer=f"{p.name} was born in {city.name} in {p.birth_year}.",
    )


@DOMAIN.task("movies.filmography_count", group="G1", tools=("film_people",))
def task_filmography_count(rng: StableRng, world: World) -> TaskDraft | None:
    d = mdata(world)
    p = rng.choice(tuple(d.people.values()))
    search = _person_search(d, p)
    if search is None:
        return None
    creds = [c for c in d.credits[p.person_id] if c.role == p.known_for]
    if not creds:
        return None
    latest = d.movies[creds[0].movie_id]
    if len(creds) > 1 and d.movies[creds[1].movie_id].year == latest.year:
        return None
    verb = "directed" if p.known_for == "director" else "acted in"
    n = len(creds)
    answer = (
        f"{p.name} has {verb} {n} film{'s' if n != 1 else ''}; the most recent is {latest.title}."
    )
    others = pick_distractors(
        answer, latest.title, [d.movies[c.movie_id].title for c in creds[:PAGE]], within_value=True
    )
    return TaskDraft(
        slots={"person": p.name, "verb": verb},
        gold=(
            search,
            GoldCall(
                "film_people",
                "person_filmography",
                {"person_id": p.person_id, "role": p.known_for},
                (0,),
            ),
        ),
        facts=(AnswerFact(n, "film count"), AnswerFact(latest.title, "latest film", others)),
        answer=answer,
    )


def _pick_showing(
    rng: StableRng, d: MovieData, unique_time: bool = False
) -> tuple[Cinema, dt.date, int, Showing] | None:
    """A showing at a random cinema on a random future day; with ``unique_time``, only one
    that is the sole showing starting at its time (so "the film at 19:30" is one film)."""
    c = rng.choice(tuple(d.cinemas.values()))
    date = TODAY + dt.timedelta(days=rng.randint(1, SCHEDULE_DAYS - 1))
    showings = c.programme[date.weekday()]
    slots = [
        i
        for i, s in enumerate(showings, start=1)
        if not unique_time or sum(1 for x in showings if x.time == s.time) == 1
    ]
    if not slots:
        return None
    slot = rng.choice(slots)
    return c, date, slot, showings[slot - 1]


@DOMAIN.task("movies.book_tickets", group="G1", tools=("cinema_showtimes",))
def task_book_tickets(rng: StableRng, world: World) -> TaskDraft | None:
    d = mdata(world)
    picked = _pick_showing(rng, d)
    if picked is None:
        return None
    c, date, slot, s = picked
    search = _cinema_search(d, c)
    if search is None:
        return None
    seats = rng.randint(1, 6)
    customer = person(rng)
    sid = showtime_id(c.cinema_id, date, slot)
    title = d.movies[s.movie_id].title
    total = money(s.price * seats)
    return TaskDraft(
        slots={
            "cinema": c.name,
            "title": title,
            "date": date.isoformat(),
            "time": s.time,
            "seats": str(seats),
            "customer": customer,
        },
        gold=(
            search,
            _showtimes_call(c, date),
            GoldCall(
                "cinema_showtimes",
                "book_tickets",
                {"showtime_id": sid, "seats": seats, "customer_name": customer},
                (1,),
            ),
        ),
        facts=(
            StateFact(
                "ticket_bookings",
                {"showtime_id": sid, "seats": seats, "customer_name": customer},
                "booking",
            ),
            AnswerFact(total, "total price"),
        ),
        answer=f"Booked {seats} seat(s) for {title} at {c.name} on {date.isoformat()} at "
        f"{s.time} under {customer}; the total is {total}.",
    )


# ---------------------------------------------------------------- G2 tasks
@DOMAIN.task("movies.showing_director", group="G2", tools=("cinema_showtimes", "moviedb"))
def task_showing_director(rng: StableRng, world: World) -> TaskDraft | None:
    d = mdata(world)
    picked = _pick_showing(rng, d, unique_time=True)
    if picked is None:
        return None
    c, date, _, s = picked
    search = _cinema_search(d, c)
    if search is None:
        return None
    m = d.movies[s.movie_id]
    director = d.people[m.director_id]
    answer = (
        f"The {s.time} film at {c.name} on {date.isoformat()} is {m.title}, "
        f"directed by {director.name}."
    )
    others = pick_distractors(
        answer,
        director.name,
        [d.people[d.movies[x.movie_id].director_id].name for x in c.programme[date.weekday()]],
        within_value=True,
    )
    return TaskDraft(
        slots={"cinema": c.name, "date": date.isoformat(), "time": s.time},
        gold=(
            search,
            _showtimes_call(c, date),
            GoldCall("moviedb", "get_movie", {"movie_id": m.movie_id}, (1,)),
        ),
        facts=(AnswerFact(m.title, "title"), AnswerFact(director.name, "director", others)),
        answer=answer,
    )


@DOMAIN.task("movies.lead_birthplace", group="G2", tools=("moviedb", "film_people"))
def task_lead_birthplace(rng: StableRng, world: World) -> TaskDraft | None:
    d = mdata(world)
    m = _pick_movie(rng, d)
    search = _movie_search(d, m)
    if search is None:
        return None
    lead = d.people[m.cast[0][0]]
    city = geography.geo(world).cities[lead.birth_city_id]
    return TaskDraft(
        slots={"title": m.title},
        gold=(
            search,
            GoldCall("moviedb", "get_movie_cast", {"movie_id": m.movie_id}, (0,)),
            GoldCall("film_people", "get_person", {"person_id": lead.person_id}, (1,)),
        ),
        facts=(AnswerFact(lead.name, "lead actor"), AnswerFact(city.name, "birth city")),
        answer=f"The lead of {m.title} is {lead.name}, who was born in {city.name}.",
    )


@DOMAIN.task("movies.director_age", group="G2", tools=("moviedb", "film_people"))
def task_director_age(rng: StableRng, world: World) -> TaskDraft | None:
    d = mdata(world)
    m = _pick_movie(rng, d)
    search = _movie_search(d, m)
    if search is None:
        return None
    director = d.people[m.director_id]
    age = m.year - director.birth_year
    return TaskDraft(
        slots={"title": m.title},
        gold=(
            search,
            GoldCall("moviedb", "get_movie", {"movie_id": m.movie_id}, (0,)),
            GoldCall("film_people", "get_person", {"person_id": director.person_id}, (1,)),
        ),
        facts=(AnswerFact(director.name, "director"), AnswerFact(age, "age")),
        answer=f"{m.title} came out in {m.year}; its director {director.name} "
        f"(born {director.birth_year}) was about {age} years old.",
    )


# ---------------------------------------------------------------- G3 tasks
@DOMAIN.task(
    "movies.director_birth_country", group="G3", tools=("moviedb", "film_people", "countries_info")
)
def task_director_birth_country(rng: StableRng, world: World) -> TaskDraft | None:
    d = mdata(world)
    g = geography.geo(world)
    m = _pick_movie(rng, d)
    search = _movie_search(d, m)
    if search is None:
        return None
    director = d.people[m.director_id]
    country = g.countries[g.cities[director.birth_city_id].country_code]
    capital = g.cities[country.capital_id]
    return TaskDraft(
        slots={"title": m.title},
        gold=(
            search,
            GoldCall("moviedb", "get_movie", {"movie_id": m.movie_id}, (0,)),
            GoldCall("film_people", "get_person", {"person_id": director.person_id}, (1,)),
            GoldCall("countries_info", "get_country", {"country_code": country.code}, (2,)),
        ),
        facts=(AnswerFact(country.name, "country"), AnswerFact(capital.name, "capital")),
        answer=f"{director.name}, director of {m.title}, was born in {country.name}, "
        f"whose capital is {capital.name}.",
    )


@DOMAIN.task(
    "movies.cinema_distance",
    group="G3",
    tools=("cinema_showtimes", "geodb_cities", "distance_calculator"),
)
def task_cinema_distance(rng: StableRng, world: World) -> TaskDraft | None:
    d = mdata(world)
    g = geography.geo(world)
    c = rng.choice(tuple(d.cinemas.values()))
    home = rng.choice(g.city_list)
    if home.city_id == c.city_id:
        return None
    search = _cinema_search(d, c)
    if search is None:
        return None
    if home not in g.city_index.search(home.name)[:5]:
        return None
    km = geography.haversine_km(home, g.cities[c.city_id])
    return TaskDraft(
        slots={"cinema": c.name, "city": home.name},
        gold=(
            search,
            GoldCall("geodb_cities", "search_cities", {"query": home.name}),
            GoldCall(
                "distance_calculator",
                "city_distance",
                {"city_id_a": home.city_id, "city_id_b": c.city_id},
                (0, 1),
            ),
        ),
        facts=(AnswerFact(km, "distance km"),),
        answer=f"{c.name} is in {g.cities[c.city_id].name}, {km} km from {home.name}.",
    )
