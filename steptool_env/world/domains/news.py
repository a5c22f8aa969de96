"""News and media: news articles and outlets, podcasts, TV listings.

Tools: ``news_api`` (article search, details, headlines per country, outlets),
``podcasts`` (shows, episodes, guests) and ``tv_guide`` (channels, a week of daily
schedules, programme details and reminders — stateful, collection ``tv_reminders``).
Articles are set in geography countries and cities; some journalists host podcasts and
some outlets publish podcasts and own TV channels.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from operator import attrgetter
from typing import Any

from steptool_env.seeding import StableRng
from steptool_env.world.domain import Domain
from steptool_env.world.domains import geography, music
from steptool_env.world.generation import chosen_fact, index_search_call, ordinal
from steptool_env.world.helpers import (
    TODAY,
    ApiInputError,
    SearchIndex,
    compact_date,
    day,
    domain_data,
    find,
    get_by_id,
    hhmm,
    paginate,
    require_text,
    upcoming_date,
    warm,
)
from steptool_env.world.names import person, place, unique, word
from steptool_env.world.state import World, WorldState
from steptool_env.world.tasks import AnswerFact, GoldCall, StateFact, TaskDraft

DOMAIN = Domain("news", requires=("geography", "music"))

_NAME = attrgetter("name")
_TITLE = attrgetter("title")

SECTIONS = (
    "world",
    "business",
    "technology",
    "science",
    "politics",
    "health",
    "culture",
    "sport",
)
PODCAST_GENRES = (
    "news",
    "comedy",
    "true crime",
    "science",
    "business",
    "sports",
    "culture",
    "history",
)
TV_GENRES = (
    "news",
    "drama",
    "documentary",
    "comedy",
    "quiz",
    "sport",
    "cooking",
    "film",
    "kids",
    "talk show",
)
AGE_RATINGS = ("U", "PG", "12", "15", "18")
_PAPER = (
    "Herald",
    "Courier",
    "Gazette",
    "Times",
    "Chronicle",
    "Post",
    "Observer",
    "Tribune",
    "Dispatch",
    "Ledger",
    "Sentinel",
    "Record",
)
_TOPIC = (
    "trade",
    "water",
    "fisheries",
    "border",
    "climate",
    "energy",
    "rail",
    "tariff",
    "housing",
    "transit",
    "broadband",
    "pension",
    "wildlife",
    "tourism",
)
_THING = (
    "coral reefs",
    "dark matter",
    "glacier melt",
    "bee colonies",
    "deep-sea vents",
    "ancient roads",
    "river deltas",
    "soil microbes",
    "comet dust",
    "migratory birds",
)
_PRODUCT = (
    "phone",
    "tablet",
    "headset",
    "drone",
    "smartwatch",
    "e-reader",
    "router",
    "robot",
)
_SUFFIX_CO = (
    "Labs",
    "Industries",
    "Group",
    "Systems",
    "Motors",
    "Foods",
    "Energy",
    "Works",
)
_SHOW_WORDS = (
    "Tonight",
    "Live",
    "Files",
    "Kitchen",
    "Challenge",
    "Weekly",
    "Stories",
    "Detectives",
    "Quiz",
    "Hour",
    "Report",
    "Nights",
)

_ADJ_EP = (
    "Unfinished",
    "Secret",
    "Hidden",
    "Strange",
    "Long",
    "Quiet",
    "Lost",
    "Great",
    "Last",
    "Second",
    "Missing",
    "Curious",
    "Brief",
    "Loud",
    "Golden",
)
_NOUN_EP = (
    "Business",
    "Experiments",
    "Maps",
    "Elections",
    "Recipes",
    "Voyages",
    "Letters",
    "Archives",
    "Promises",
    "Inventions",
    "Borders",
    "Rivals",
    "Machines",
    "Seasons",
)

N_SOURCES = 12
N_JOURNALISTS = 48
N_ARTICLES = 420
N_PODCASTS = 100
N_CHANNELS = 20
SCHEDULE_DAYS = 7
PAGE = 5


@dataclass(frozen=True, slots=True)
class Source:
    source_id: str
    name: str
    country_code: str


@dataclass(frozen=True, slots=True)
class Article:
    article_id: str
    title: str
    section: str
    source_id: str
    author: str
    published: str
    """``YYYY-MM-DD HH:MM``; unique, so "the latest" is never a tie."""
    country_code: str
    city_id: str
    word_count: int
    summary: str


@dataclass(frozen=True, slots=True)
class Episode:
    episode_id: str
    podcast_id: str
    number: int
    title: str
    released: str
    duration_min: int
    guest: str | None


@dataclass(frozen=True, slots=True)
class Podcast:
    podcast_id: str
    title: str
    host: str
    genre: str
    publisher_id: str | None
    country_code: str
    rating: float
    episodes: tuple[Episode, ...]
    """Newest first."""


@dataclass(frozen=True, slots=True)
class Programme:
    start: str
    minutes: int
    title: str
    genre: str
    age_rating: str
    synopsis: str


@dataclass(frozen=True, slots=True)
class Channel:
    channel_id: str
    name: str
    country_code: str
    owner_id: str | None
    week: tuple[tuple[Programme, ...], ...]
    """One day's schedule per weekday (Monday first), in time order."""


@dataclass(frozen=True)
class NewsData:
    sources: Mapping[str, Source]
    articles: Mapping[str, Article]
    podcasts: Mapping[str, Podcast]
    episodes: Mapping[str, Episode]
    channels: Mapping[str, Channel]
    by_country: Mapping[str, tuple[Article, ...]]
    """country code → its articles, newest first."""
    by_source: Mapping[str, tuple[Article, ...]]
    """source id → its articles, newest first."""
    article_index: SearchIndex[Article]
    podcast_index: SearchIndex[Podcast]
    channel_index: SearchIndex[Channel]

    # Derived lookups (not fields: no part of the world's content; see helpers.warm).
    @cached_property
    def schedules(self) -> dict[tuple[str, dt.date], tuple[dict[str, Any], ...]]:
        """(channel id, date) → channel_schedule's programme rows (filled on use; shared:
        callers copy them)."""
        return {}


# ---------------------------------------------------------------- build
def _company(rng: StableRng) -> str:
    return f"{word(rng, (2, 2))} {rng.choice(_SUFFIX_CO)}"


def _headline(rng: StableRng, section: str, city: str, country: str, other: str) -> str:
    """A headline of ``section`` about ``city`` (in ``country``); ``other`` is a second country."""
    makers: dict[str, tuple[Callable[[], str], ...]] = {
        "world": (
            lambda: f"{country} and {other} sign {rng.choice(_TOPIC)} accord",
            lambda: f"Floods hit {city} as rivers rise",
            lambda: f"{country} recalls ambassador from {other}",
        ),
        "business": (
            lambda: f"{_company(rng)} shares jump after strong quarter in {country}",
            lambda: f"{_company(rng)} to open new plant in {city}",
            lambda: f"{_company(rng)} agrees takeover of {_company(rng)}",
        ),
        "technology": (
            lambda: f"{_company(rng)} unveils {rng.choice(_PRODUCT)} {rng.randint(2, 12)}",
            lambda: f"{city} rolls out citywide free broadband",
            lambda: f"Startup from {city} raises funds for {rng.choice(_PRODUCT)}",
        ),
        "science": (
            lambda: f"Researchers in {city} map {rng.choice(_THING)}",
            lambda: f"{country} launches {word(rng, (2, 2))} space probe",
            lambda: f"Fossil find near {city} rewrites {rng.choice(_THING)} story",
        ),
        "politics": (
            lambda: f"{city} council approves {rng.choice(_TOPIC)} plan",
            lambda: f"{country} parliament debates {rng.choice(_TOPIC)} bill",
            lambda: f"Mayor of {city} faces {rng.choice(_TOPIC)} inquiry",
        ),
        "health": (
            lambda: f"New children's clinic opens in {city}",
            lambda: f"{city} hospital trials {word(rng, (2, 3)).lower()} therapy",
            lambda: f"{country} extends {rng.choice(_TOPIC)} health scheme",
        ),
        "culture": (
            lambda: f"{city} festival draws record crowds",
            lambda: f"{person(rng)} wins {place(rng)} book prize",
            lambda: f"Museum in {city} returns {word(rng, (2, 2))} artefacts",
        ),
        "sport": (
            lambda: f"{city} marathon sees course record",
            lambda: f"{person(rng)} retires after {rng.randint(8, 19)} seasons",
            lambda: f"{country} names new national coach",
        ),
    }
    return rng.choice(makers[section])()


def _podcast_title(rng: StableRng) -> str:
    k = rng.below(5)
    if k == 0:
        return f"The {word(rng, (2, 2))} Hour"
    if k == 1:
        return f"{place(rng)} Talks"
    if k == 2:
        return f"Inside {word(rng, (2, 3))}"
    if k == 3:
        return f"{word(rng, (2, 2))} and {word(rng, (2, 2))}"
    return f"The {word(rng, (2, 3))} Podcast"


def _channel_name(rng: StableRng) -> str:
    k = rng.below(3)
    if k == 0:
        return f"{word(rng, (2, 2))} TV"
    if k == 1:
        return f"{place(rng)} One"
    return f"Channel {word(rng, (2, 2))}"


def _build_articles(
    rng: StableRng, g: geography.GeoData, sources: Sequence[Source], journalists: Sequence[str]
) -> dict[str, Article]:
    codes = tuple(g.countries)
    seen: set[str] = set()
    stamps: set[str] = set()
    articles: dict[str, Article] = {}
    for i in range(N_ARTICLES):
        j = rng.below(len(journalists))
        src = sources[j % len(sources)]
        code = src.country_code if rng.random() < 0.4 else rng.choice(codes)
        city = rng.choice(g.cities_by_country[code])
        other = rng.choice([c for c in codes if c != code])
        section = rng.choice(SECTIONS)
        while True:
            title = _headline(
                rng, section, city.name, g.countries[code].name, g.countries[other].name
            )
            if title.lower() not in seen:
                seen.add(title.lower())
                break
        stamp = ""
        while not stamp or stamp in stamps:
            minute = rng.randint(6 * 60, 23 * 60)
            stamp = f"{day(-rng.randint(0, 120))} {hhmm(minute)}"
        stamps.add(stamp)
        aid = f"ART{40001 + i}"
        articles[aid] = Article(
            aid,
            title,
            section,
            src.source_id,
            journalists[j],
            stamp,
            code,
            city.city_id,
            rng.randint(250, 2400),
            f"{src.name} reports from {city.name}, {g.countries[code].name} ({section}).",
        )
    return articles


def _newest(items: Sequence[Article]) -> tuple[Article, ...]:
    return tuple(sorted(items, key=lambda a: (a.published, a.article_id), reverse=True))


def _build_podcasts(
    rng: StableRng, g: geography.GeoData, sources: Sequence[Source], journalists: Sequence[str]
) -> dict[str, Podcast]:
    codes = tuple(g.countries)
    titles = unique(rng, _podcast_title, N_PODCASTS)
    hosts = unique(rng, person, N_PODCASTS, taken={j.lower() for j in journalists})
    podcasts: dict[str, Podcast] = {}
    for i, title in enumerate(titles):
        pid = f"POD{101 + i}"
        if i < N_JOURNALISTS // 2:
            host = journalists[i]
            publisher: str | None = sources[i % len(sources)].source_id
        else:
            host = hosts[i]
            publisher = rng.choice(sources).source_id if rng.random() < 0.75 else None
        n = rng.randint(6, 18)
        gap = rng.choice((7, 7, 14))
        newest = -rng.randint(0, 6)
        ep_titles = unique(rng, lambda r: f"{r.choice(_ADJ_EP)} {r.choice(_NOUN_EP)}", n)
        episodes = []
        for k, number in enumerate(range(n, 0, -1)):
            eid = f"{pid}-E{number:03d}"
            guest = person(rng) if rng.random() < 0.75 else None
            if guest == host:
                guest = None
            episodes.append(
                Episode(
                    eid,
                    pid,
                    number,
                    f"{ep_titles[k]}",
                    day(newest - k * gap),
                    rng.randint(18, 95),
                    guest,
                )
            )
        podcasts[pid] = Podcast(
            pid,
            title,
            host,
            rng.choice(PODCAST_GENRES),
            publisher,
            rng.choice(codes),
            round(rng.uniform(3.0, 5.0), 1),
            tuple(episodes),
        )
    return podcasts


def _build_channels(
    rng: StableRng, g: geography.GeoData, sources: Sequence[Source]
) -> dict[str, Channel]:
    names = unique(rng, _channel_name, N_CHANNELS)
    channels: dict[str, Channel] = {}
    for i, name in enumerate(names):
        cid = f"CH{11 + i}"
        owner = sources[i % len(sources)] if rng.random() < 0.6 else None
        shows = unique(rng, lambda r: f"{word(r, (2, 2))} {r.choice(_SHOW_WORDS)}", 12)
        genre = {s: rng.choice(TV_GENRES) for s in shows}
        rating = {s: rng.choice(AGE_RATINGS) for s in shows}
        grids = []
        for _ in range(2):
            minute, grid = 6 * 60, []
            while minute < 23 * 60 + 30:
                length = rng.choice((30, 30, 45, 60, 60, 90, 120))
                grid.append((hhmm(minute), length))
                minute += length
            grids.append(grid)
        week = []
        for weekday in range(7):
            day_list = []
            for start, length in grids[weekday >= 5]:
                show = rng.choice(shows)
                day_list.append(
                    Programme(
                        start,
                        length,
                        show,
                        genre[show],
                        rating[show],
                        f"{show}: a {genre[show]} programme on {name}.",
                    )
                )
            week.append(tuple(day_list))
        channels[cid] = Channel(
            cid,
            name,
            owner.country_code if owner else rng.choice(tuple(g.countries)),
            owner.source_id if owner else None,
            tuple(week),
        )
    return channels


@DOMAIN.builder
def build(rng: StableRng, world: Mapping[str, Any]) -> NewsData:
    g: geography.GeoData = world["geography"]
    codes = tuple(g.countries)
    source_names = unique(rng, lambda r: f"The {place(r)} {r.choice(_PAPER)}", N_SOURCES)
    sources = [
        Source(f"SRC{i + 1}", name, rng.choice(codes)) for i, name in enumerate(source_names)
    ]
    journalists = unique(rng, person, N_JOURNALISTS)
    articles = _build_articles(rng.child("articles"), g, sources, journalists)
    podcasts = _build_podcasts(rng.child("podcasts"), g, sources, journalists)
    channels = _build_channels(rng.child("tv"), g, sources)
    ordered = _newest(tuple(articles.values()))
    by_country: dict[str, list[Article]] = {c: [] for c in codes}
    by_source: dict[str, list[Article]] = {s.source_id: [] for s in sources}
    for a in ordered:
        by_country[a.country_code].append(a)
        by_source[a.source_id].append(a)
    data = NewsData(
        sources={s.source_id: s for s in sources},
        articles={a.article_id: a for a in ordered},
        podcasts=podcasts,
        episodes={e.episode_id: e for p in podcasts.values() for e in p.episodes},
        channels=channels,
        by_country={c: tuple(v) for c, v in by_country.items()},
        by_source={s: tuple(v) for s, v in by_source.items()},
        article_index=SearchIndex(ordered, _TITLE),
        podcast_index=SearchIndex(podcasts.values(), lambda p: f"{p.title} {p.host}"),
        channel_index=SearchIndex(channels.values(), _NAME),
    )
    return warm(data)


def ndata(state_or_world: WorldState | World) -> NewsData:
    return domain_data(state_or_world, "news")


# ---------------------------------------------------------------- news_api
def _article_summary(d: NewsData, a: Article) -> dict[str, Any]:
    return {
        "article_id": a.article_id,
        "title": a.title,
        "section": a.section,
        "source": d.sources[a.source_id].name,
        "published": a.published,
    }


def _section(args: Mapping[str, Any]) -> str | None:
    section = args.get("section")
    if section in (None, ""):
        return None
    if section not in SECTIONS:
        raise ApiInputError(f"section must be one of {', '.join(SECTIONS)}")
    return section


@DOMAIN.api("news_api", "search_articles")
def search_articles(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = ndata(state)
    found = find(d.article_index, require_text(args, "query"))
    section = _section(args)
    if section:
        found = [a for a in found if a.section == section]
    return paginate(found, args.get("page", 1), PAGE, lambda a: _article_summary(d, a))


@DOMAIN.api("news_api", "get_article")
def get_article(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = ndata(state)
    a = get_by_id(d.articles, args["article_id"], "article")
    city = geography.geo(state).cities[a.city_id]
    return {
        **_article_summary(d, a),
        "source_id": a.source_id,
        "author": a.author,
        "country_code": a.country_code,
        "city_id": city.city_id,
        "city": city.name,
        "word_count": a.word_count,
        "summary": a.summary,
    }


@DOMAIN.api("news_api", "top_headlines")
def top_headlines(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = ndata(state)
    code = args["country_code"]
    if not isinstance(code, str) or code.strip().upper() not in d.by_country:
        raise ApiInputError(f"unknown country code {code!r}")
    section = _section(args)
    rows = [a for a in d.by_country[code.strip().upper()] if not section or a.section == section]
    return {
        "country_code": code.strip().upper(),
        **paginate(rows, args.get("page", 1), PAGE, lambda a: _article_summary(d, a)),
    }


@DOMAIN.api("news_api", "list_sources")
def list_sources(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = ndata(state)
    return {
        "results": [
            {
                "source_id": s.source_id,
                "name": s.name,
                "country_code": s.country_code,
                "articles": len(d.by_source[sid]),
            }
            for sid, s in d.sources.items()
        ]
    }


@DOMAIN.api("news_api", "source_articles")
def source_articles(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = ndata(state)
    s = get_by_id(d.sources, args["source_id"], "source")
    return {
        "source_id": s.source_id,
        "source": s.name,
        **paginate(
            d.by_source[s.source_id],
            args.get("page", 1),
            PAGE,
            lambda a: {**_article_summary(d, a), "author": a.author},
        ),
    }


# ---------------------------------------------------------------- podcasts
def _podcast_summary(p: Podcast) -> dict[str, Any]:
    return {"podcast_id": p.podcast_id, "title": p.title, "host": p.host, "genre": p.genre}


@DOMAIN.api("podcasts", "search_podcasts")
def search_podcasts(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = ndata(state)
    found = find(d.podcast_index, require_text(args, "query"), _TITLE)
    return paginate(found, args.get("page", 1), PAGE, _podcast_summary)


@DOMAIN.api("podcasts", "get_podcast")
def get_podcast(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = ndata(state)
    p = get_by_id(d.podcasts, args["podcast_id"], "podcast")
    pub = d.sources[p.publisher_id] if p.publisher_id else None
    return {
        **_podcast_summary(p),
        "country_code": p.country_code,
        "rating": p.rating,
        "episode_count": len(p.episodes),
        "latest_release": p.episodes[0].released,
        "publisher_source_id": pub.source_id if pub else None,
        "publisher": pub.name if pub else "independent",
    }


@DOMAIN.api("podcasts", "podcast_episodes")
def podcast_episodes(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = ndata(state)
    p = get_by_id(d.podcasts, args["podcast_id"], "podcast")
    return {
        "podcast_id": p.podcast_id,
        **paginate(
            p.episodes,
            args.get("page", 1),
            PAGE,
            lambda e: {
                "episode_id": e.episode_id,
                "episode_number": e.number,
                "title": e.title,
                "released": e.released,
                "duration_min": e.duration_min,
            },
        ),
    }


@DOMAIN.api("podcasts", "get_episode")
def get_episode(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = ndata(state)
    e = get_by_id(d.episodes, args["episode_id"], "episode")
    p = d.podcasts[e.podcast_id]
    return {
        "episode_id": e.episode_id,
        "podcast_id": p.podcast_id,
        "podcast": p.title,
        "episode_number": e.number,
        "title": e.title,
        "released": e.released,
        "duration_min": e.duration_min,
        "host": p.host,
        "guest": e.guest,
        "description": f"{p.host} talks about {e.title.lower()}"
        + (f" with {e.guest}." if e.guest else "."),
    }


# ---------------------------------------------------------------- tv_guide
def programme_id(channel_id: str, date: dt.date, slot: int) -> str:
    return f"{channel_id}-{date.year:04d}{date.month:02d}{date.day:02d}-{slot:02d}"


def _end(p: Programme) -> str:
    return _end_clock(p.start, p.minutes)


@lru_cache(maxsize=4096)
def _end_clock(start: str, minutes: int) -> str:
    hh, mm = (int(x) for x in start.split(":"))
    total = (hh * 60 + mm + minutes) % 1440
    return hhmm(total)


def _parse_programme(d: NewsData, value: Any) -> tuple[Channel, dt.date, int, Programme]:
    parts = value.strip().split("-") if isinstance(value, str) else []
    if len(parts) != 3 or parts[0] not in d.channels:
        raise ApiInputError(f"no programme with id {value!r}")
    ch = d.channels[parts[0]]
    date = compact_date(parts[1])
    try:
        slot = int(parts[2])
    except ValueError:
        raise ApiInputError(f"no programme with id {value!r}") from None
    if date is None:
        raise ApiInputError(f"no programme with id {value!r}")
    if not 0 <= (date - TODAY).days < SCHEDULE_DAYS:
        raise ApiInputError(f"programme {value!r} is outside the published listings")
    listing = ch.week[date.weekday()]
    if not 1 <= slot <= len(listing):
        raise ApiInputError(f"no programme with id {value!r}")
    return ch, date, slot, listing[slot - 1]


@DOMAIN.api("tv_guide", "search_channels")
def search_channels(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = ndata(state)
    found = find(d.channel_index, require_text(args, "query"))
    return paginate(
        found,
        args.get("page", 1),
        PAGE,
        lambda c: {
            "channel_id": c.channel_id,
            "name": c.name,
            "country_code": c.country_code,
            "owner_source_id": c.owner_id,
            "owner": d.sources[c.owner_id].name if c.owner_id else None,
        },
    )


@DOMAIN.api("tv_guide", "channel_schedule")
def channel_schedule(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = ndata(state)
    ch = get_by_id(d.channels, args["channel_id"], "channel")
    date = upcoming_date(args["date"], SCHEDULE_DAYS, "listings are available")
    rows = d.schedules.get((ch.channel_id, date))
    if rows is None:
        rows = tuple(
            {
                "programme_id": programme_id(ch.channel_id, date, i),
                "start": p.start,
                "end": _end(p),
                "title": p.title,
            }
            for i, p in enumerate(ch.week[date.weekday()], start=1)
        )
        d.schedules[ch.channel_id, date] = rows
    return {
        "channel_id": ch.channel_id,
        "channel": ch.name,
        "date": date.isoformat(),
        "programmes": [dict(r) for r in rows],
    }


@DOMAIN.api("tv_guide", "get_programme")
def get_programme(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = ndata(state)
    ch, date, slot, p = _parse_programme(d, args["programme_id"])
    return {
        "programme_id": programme_id(ch.channel_id, date, slot),
        "title": p.title,
        "channel_id": ch.channel_id,
        "channel": ch.name,
        "date": date.isoformat(),
        "start": p.start,
        "end": _end(p),
        "duration_min": p.minutes,
        "genre": p.genre,
        "age_rating": p.age_rating,
        "synopsis": p.synopsis,
    }


@DOMAIN.api("tv_guide", "set_reminder")
def set_reminder(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = ndata(state)
    ch, date, slot, p = _parse_programme(d, args["programme_id"])
    before = args.get("minutes_before", 10)
    if not isinstance(before, int) or isinstance(before, bool) or not 0 <= before <= 120:
        raise ApiInputError("minutes_before must be an integer from 0 to 120")
    record = {
        "reminder_id": state.next_id("RM"),
        "programme_id": programme_id(ch.channel_id, date, slot),
        "channel_id": ch.channel_id,
        "title": p.title,
        "date": date.isoformat(),
        "start": p.start,
        "minutes_before": before,
    }
    state.add("tv_reminders", record)
    return {**record, "status": "set"}


# ---------------------------------------------------------------- task helpers
def _podcast_search(d: NewsData, p: Podcast, query: str | None = None) -> GoldCall | None:
    q = p.title if query is None else query
    return index_search_call(
        d.podcast_index, p, q, "podcasts", "search_podcasts", page_size=PAGE, name=_TITLE
    )


def _article_search(d: NewsData, a: Article) -> GoldCall | None:
    return index_search_call(
        d.article_index, a, a.title, "news_api", "search_articles", page_size=PAGE
    )


def _channel_search(d: NewsData, c: Channel) -> GoldCall | None:
    return index_search_call(
        d.channel_index, c, c.name, "tv_guide", "search_channels", page_size=PAGE
    )


def _unique_latest(rows: Sequence[Article]) -> Article | None:
    """The newest article, when no other shares its date."""
    if not rows or (len(rows) > 1 and rows[1].published == rows[0].published):
        return None
    return rows[0]


def _schedule_call(ch: Channel, date: dt.date) -> GoldCall:
    """channel_schedule of ``ch`` on ``date``, fed by the channel search at node 0."""
    return GoldCall(
        "tv_guide",
        "channel_schedule",
        {"channel_id": ch.channel_id, "date": date.isoformat()},
        (0,),
    )


def _pick_programme(rng: StableRng, d: NewsData) -> tuple[Channel, dt.date, int, Programme]:
    ch = rng.choice(tuple(d.channels.values()))
    date = TODAY + dt.timedelta(days=rng.randint(0, SCHEDULE_DAYS - 1))
    listing = ch.week[date.weekday()]
    slot = rng.randint(1, len(listing))
    return ch, date, slot, listing[slot - 1]


# ---------------------------------------------------------------- G1: news_api
@DOMAIN.task("news.article_byline", group="G1", tools=("news_api",))
def task_article_byline(rng: StableRng, world: World) -> TaskDraft | None:
    d = ndata(world)
    a = rng.choice(tuple(d.articles.values()))
    search = _article_search(d, a)
    if search is None:
        return None
    src = d.sources[a.source_id]
    return TaskDraft(
        slots={"title": a.title},
        gold=(search, GoldCall("news_api", "get_article", {"article_id": a.article_id}, (0,))),
        facts=(AnswerFact(a.author, "author"), AnswerFact(src.name, "source")),
        answer=f'The article "{a.title}" was written by {a.author} for {src.name}.',
    )


@DOMAIN.task("news.source_nth_latest", group="G1", tools=("news_api",))
def task_source_nth_latest(rng: StableRng, world: World) -> TaskDraft | None:
    d = ndata(world)
    src = rng.choice(tuple(d.sources.values()))
    rank = rng.randint(1, 2 * PAGE)
    rows = d.by_source[src.source_id]
    if rank > len(rows):
        return None
    a = rows[rank - 1]
    if any(0 <= j < len(rows) and rows[j].published == a.published for j in (rank - 2, rank)):
        return None
    page = (rank - 1) // PAGE + 1
    args: dict[str, Any] = {"source_id": src.source_id}
    if page > 1:
        args["page"] = page
    which = "latest" if rank == 1 else f"{ordinal(rank)} most recent"
    answer = f'The {which} article from {src.name} is "{a.title}" by {a.author}.'
    on_page = [x.title for x in rows[(page - 1) * PAGE : page * PAGE]]
    return TaskDraft(
        slots={"source": src.name, "rank": ordinal(rank)},
        gold=(
            GoldCall("news_api", "list_sources", {}),
            GoldCall("news_api", "source_articles", args, (0,)),
        ),
        facts=(
            chosen_fact(a.title, "title", answer, on_page, within_value=True),
            AnswerFact(a.author, "author"),
        ),
        answer=answer,
    )


# ---------------------------------------------------------------- G1: podcasts
@DOMAIN.task("news.podcast_latest_episode", group="G1", tools=("podcasts",))
def task_podcast_latest_episode(rng: StableRng, world: World) -> TaskDraft | None:
    d = ndata(world)
    p = rng.choice(tuple(d.podcasts.values()))
    search = _podcast_search(d, p)
    if search is None:
        return None
    e = p.episodes[0]
    answer = f'The latest episode of {p.title} is "{e.title}" ({e.duration_min} minutes).'
    return TaskDraft(
        slots={"podcast": p.title},
        gold=(search, GoldCall("podcasts", "podcast_episodes", {"podcast_id": p.podcast_id}, (0,))),
        facts=(
            chosen_fact(
                e.title, "episode", answer, [x.title for x in p.episodes[1:PAGE]], within_value=True
            ),
            AnswerFact(e.duration_min, "minutes"),
        ),
        answer=answer,
    )


@DOMAIN.task("news.episode_guest", group="G1", tools=("podcasts",))
def task_episode_guest(rng: StableRng, world: World) -> TaskDraft | None:
    d = ndata(world)
    p = rng.choice(tuple(d.podcasts.values()))
    search = _podcast_search(d, p)
    if search is None:
        return None
    with_guest = [i for i, e in enumerate(p.episodes[: 2 * PAGE]) if e.guest is not None]
    if not with_guest:
        return None
    i = rng.choice(with_guest)
    e = p.episodes[i]
    guest = e.guest or ""
    calls = [search, GoldCall("podcasts", "podcast_episodes", {"podcast_id": p.podcast_id}, (0,))]
    if i >= PAGE:
        calls.append(
            GoldCall("podcasts", "podcast_episodes", {"podcast_id": p.podcast_id, "page": 2}, (1,))
        )
    calls.append(
        GoldCall("podcasts", "get_episode", {"episode_id": e.episode_id}, (len(calls) - 1,))
    )
    return TaskDraft(
        slots={"podcast": p.title, "number": str(e.number)},
        gold=tuple(calls),
        facts=(AnswerFact(guest, "guest"),),
        answer=f'The guest of episode {e.number} of {p.title} ("{e.title}") was {guest}.',
    )


# ---------------------------------------------------------------- G1: tv_guide
@DOMAIN.task("news.tv_reminder", group="G1", tools=("tv_guide",))
def task_tv_reminder(rng: StableRng, world: World) -> TaskDraft | None:
    d = ndata(world)
    ch, date, slot, p = _pick_programme(rng, d)
    search = _channel_search(d, ch)
    if search is None:
        return None
    before = rng.choice((5, 10, 15, 20, 30))
    pid = programme_id(ch.channel_id, date, slot)
    return TaskDraft(
        slots={
            "channel": ch.name,
            "show": p.title,
            "date": date.isoformat(),
            "time": p.start,
            "minutes": str(before),
        },
        gold=(
            search,
            _schedule_call(ch, date),
            GoldCall(
                "tv_guide", "set_reminder", {"programme_id": pid, "minutes_before": before}, (1,)
            ),
        ),
        facts=(
            StateFact("tv_reminders", {"programme_id": pid, "minutes_before": before}, "reminder"),
        ),
        answer=f"A reminder is set {before} minutes before {p.title} on {ch.name} "
        f"({date.isoformat()} {p.start}).",
    )


@DOMAIN.task("news.tv_whats_on", group="G1", tools=("tv_guide",))
def task_tv_whats_on(rng: StableRng, world: World) -> TaskDraft | None:
    d = ndata(world)
    ch, date, slot, p = _pick_programme(rng, d)
    search = _channel_search(d, ch)
    if search is None:
        return None
    pid = programme_id(ch.channel_id, date, slot)
    return TaskDraft(
        slots={"channel": ch.name, "date": date.isoformat(), "time": p.start},
        gold=(
            search,
            _schedule_call(ch, date),
            GoldCall("tv_guide", "get_programme", {"programme_id": pid}, (1,)),
        ),
        facts=(
            AnswerFact(p.title, "programme"),
            AnswerFact(p.genre, "genre"),
            AnswerFact(p.age_rating, "age rating"),
        ),
        answer=f"At {p.start} on {date.isoformat()} {ch.name} shows {p.title}, a {p.genre} "
        f"programme rated {p.age_rating}.",
    )


# ---------------------------------------------------------------- G2
@DOMAIN.task("news.podcast_publisher_news", group="G2", tools=("podcasts", "news_api"))
def task_podcast_publisher_news(rng: StableRng, world: World) -> TaskDraft | None:
    d = ndata(world)
    p = rng.choice([x for x in d.podcasts.values() if x.publisher_id is not None])
    src = d.sources[p.publisher_id or ""]
    search = _podcast_search(d, p)
    latest = _unique_latest(d.by_source[src.source_id])
    if search is None or latest is None:
        return None
    answer = f'{p.title} is published by {src.name}, whose latest article is "{latest.title}".'
    return TaskDraft(
        slots={"podcast": p.title},
        gold=(
            search,
            GoldCall("podcasts", "get_podcast", {"podcast_id": p.podcast_id}, (0,)),
            GoldCall("news_api", "source_articles", {"source_id": src.source_id}, (1,)),
        ),
        facts=(
            AnswerFact(src.name, "publisher"),
            chosen_fact(
                latest.title,
                "latest article",
                answer,
                [x.title for x in d.by_source[src.source_id][1:PAGE]],
                within_value=True,
            ),
        ),
        answer=answer,
    )


@DOMAIN.task("news.author_podcast", group="G2", tools=("news_api", "podcasts"))
def task_author_podcast(rng: StableRng, world: World) -> TaskDraft | None:
    d = ndata(world)
    shows: dict[str, list[Podcast]] = {}
    for pod in d.podcasts.values():
        shows.setdefault(pod.host, []).append(pod)
    a = rng.choice([x for x in d.articles.values() if len(shows.get(x.author, ())) == 1])
    p = shows[a.author][0]
    sa, sp = _article_search(d, a), _podcast_search(d, p, a.author)
    if sa is None or sp is None:
        return None
    e = p.episodes[0]
    return TaskDraft(
        slots={"title": a.title},
        gold=(
            sa,
            GoldCall("news_api", "get_article", {"article_id": a.article_id}, (0,)),
            GoldCall("podcasts", "search_podcasts", {"query": a.author}, (1,)),
            GoldCall("podcasts", "podcast_episodes", {"podcast_id": p.podcast_id}, (2,)),
        ),
        facts=(AnswerFact(p.title, "podcast"), AnswerFact(e.title, "latest episode")),
        answer=f"{a.author} wrote that article and hosts {p.title}; the newest episode is "
        f'"{e.title}".',
    )


# ---------------------------------------------------------------- G3
@DOMAIN.task("news.country_headline", group="G3", tools=("countries_info", "news_api"))
def task_country_headline(rng: StableRng, world: World) -> TaskDraft | None:
    d = ndata(world)
    g = geography.geo(world)
    covered = sorted({(a.country_code, a.section) for a in d.articles.values()})
    code, section = rng.choice(covered)
    country = g.countries[code]
    rows = [a for a in d.by_country[code] if a.section == section]
    latest = _unique_latest(rows)
    if latest is None:
        return None
    answer = (
        f'The latest {section} headline from {country.name} is "{latest.title}" '
        f"({d.sources[latest.source_id].name}, {latest.published})."
    )
    return TaskDraft(
        slots={"country": country.name, "section": section},
        gold=(
            GoldCall("countries_info", "search_countries", {"name": country.name}),
            GoldCall(
                "news_api",
                "top_headlines",
                {"country_code": country.code, "section": section},
                (0,),
            ),
        ),
        facts=(
            chosen_fact(
                latest.title, "headline", answer, [x.title for x in rows[1:PAGE]], within_value=True
            ),
        ),
        answer=answer,
    )


@DOMAIN.task("news.artist_country_headline", group="G3", tools=("music_catalog", "news_api"))
def task_artist_country_headline(rng: StableRng, world: World) -> TaskDraft | None:
    d = ndata(world)
    md = music.mdata(world)
    artist = rng.choice(tuple(md.artists.values()))
    search = music.artist_search(md, artist)
    latest = _unique_latest(d.by_country[artist.country_code])
    if search is None or latest is None:
        return None
    country = geography.geo(world).countries[artist.country_code]
    answer = f'{artist.name} comes from {country.name}; the top headline there is "{latest.title}".'
    return TaskDraft(
        slots={"artist": artist.name},
        gold=(
            search,
            GoldCall("music_catalog", "get_artist", {"artist_id": artist.artist_id}, (0,)),
            GoldCall(
                "news_api",
                "top_headlines",
                {"country_code": country.code},
                (1,),
                match=("country_code",),
            ),
        ),
        facts=(
            AnswerFact(country.name, "country"),
            chosen_fact(
                latest.title,
                "headline",
                answer,
                [x.title for x in d.by_country[country.code][1:PAGE]],
                within_value=True,
            ),
        ),
        answer=answer,
    )
