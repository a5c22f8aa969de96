"""Music: a catalogue of artists, albums and tracks, weekly streaming charts, playlists.

Tools: ``music_catalog`` (artists, albums, tracks), ``music_charts`` (weekly top tracks and
artists per country; held out of the train split: only G1 task types use it) and
``playlists`` (curated playlists to read; user playlists to create and fill — stateful,
collections ``playlists`` and ``playlist_tracks``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter
from typing import Any

from steptool_env.seeding import StableRng
from steptool_env.world.domain import Domain
from steptool_env.world.domains import geography
from steptool_env.world.generation import chosen_fact, index_search_call
from steptool_env.world.helpers import (
    TODAY,
    ApiInputError,
    SearchIndex,
    domain_data,
    find,
    get_by_id,
    paginate,
    parse_date,
    require_text,
    warm,
)
from steptool_env.world.names import person, place, unique, word
from steptool_env.world.state import World, WorldState
from steptool_env.world.tasks import AnswerFact, GoldCall, StateFact, TaskDraft

DOMAIN = Domain("music", requires=("geography",))

_NAME = attrgetter("name")
_TITLE = attrgetter("title")

GENRES = (
    "Pop",
    "Rock",
    "Hip-Hop",
    "Electronic",
    "Jazz",
    "Folk",
    "Soul",
    "Metal",
    "Classical",
    "Indie",
)
_ADJ = (
    "Neon",
    "Paper",
    "Golden",
    "Lonely",
    "Electric",
    "Slow",
    "Velvet",
    "Broken",
    "Silver",
    "Wild",
    "Endless",
    "Quiet",
    "Burning",
    "Hollow",
    "Sweet",
    "Cold",
    "Blue",
    "Secret",
    "Bright",
    "Faded",
    "Midnight",
    "Sugar",
    "Stormy",
    "Open",
)
_NOUN = (
    "Hearts",
    "Lights",
    "Summer",
    "Rain",
    "Highway",
    "Dreams",
    "Echo",
    "Window",
    "Fire",
    "Ocean",
    "Letters",
    "Shadows",
    "Skyline",
    "Parade",
    "Motel",
    "Signal",
    "Season",
    "Static",
    "Garden",
    "Satellite",
    "Weekend",
    "Thunder",
    "Avenue",
    "Mirrors",
)
_LABELS = (
    "Northwind Records",
    "Blue Tern Music",
    "Palisade Sound",
    "Halcyon Audio",
    "Copperleaf Records",
    "Lowtide Label",
    "Marrow & Vine",
    "Orbit House",
)
_MOODS = (
    "Mornings",
    "Focus",
    "Drive",
    "Workout",
    "Chill",
    "Party",
    "Sunset",
    "Rainy Days",
    "Roadtrip",
    "Study",
    "Dinner",
    "Sleep",
    "Coffeehouse",
)
_MOOD_ADJ = (
    "Deep",
    "Pure",
    "Golden",
    "Late Night",
    "Fresh",
    "Acoustic",
    "Electric",
    "Lazy",
    "Sunday",
    "Hazy",
    "Easy",
    "Cosmic",
)

N_ARTISTS = 80
N_CURATED = 72
N_CHART_COUNTRIES = 12
CHART_WEEKS = 8
CHART_SIZE = 20
CHART_POOL = 32
PAGE = 5
ALBUM_PAGE = 3


@dataclass(frozen=True, slots=True)
class Artist:
    artist_id: str
    name: str
    genre: str
    country_code: str
    formed: int
    monthly_listeners: int
    album_ids: tuple[str, ...]
    """Newest first."""


@dataclass(frozen=True, slots=True)
class Album:
    album_id: str
    title: str
    artist_id: str
    year: int
    label: str
    track_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Track:
    track_id: str
    title: str
    artist_id: str
    album_id: str
    track_no: int
    duration_s: int
    plays: int
    explicit: bool


@dataclass(frozen=True, slots=True)
class ChartEntry:
    position: int
    track_id: str
    streams: int
    last_week: int | None
    weeks_on_chart: int


@dataclass(frozen=True, slots=True)
class Curated:
    playlist_id: str
    name: str
    curator: str
    track_ids: tuple[str, ...]


@dataclass(frozen=True)
class MusicData:
    artists: Mapping[str, Artist]
    albums: Mapping[str, Album]
    tracks: Mapping[str, Track]
    curated: Mapping[str, Curated]
    charts: Mapping[tuple[str, str], tuple[ChartEntry, ...]]
    """``(country_code, week_start ISO)`` → the week's chart, number one first."""
    chart_weeks: tuple[str, ...]
    """Week start dates (Mondays) with a chart, oldest first."""
    chart_countries: tuple[str, ...]
    artist_index: SearchIndex[Artist]
    track_index: SearchIndex[Track]
    curated_index: SearchIndex[Curated]

    # Derived lookups (not fields: no part of the world's content; see helpers.warm).
    @cached_property
    def playlist_rows(self) -> dict[str, tuple[tuple[dict[str, Any], ...], int]]:
        """Curated playlist id → (get_playlist's track rows, total seconds) (filled on use;
        shared: callers copy the rows)."""
        return {}

    @cached_property
    def top_artist_rows(self) -> dict[tuple[str, str], tuple[dict[str, Any], ...]]:
        """(country, week) → weekly_top_artists' rows (filled on use; shared: callers
        copy them)."""
        return {}


# ---------------------------------------------------------------- build
def _artist_name(rng: StableRng) -> str:
    k = rng.below(4)
    if k == 0:
        return word(rng, (2, 3))
    if k == 1:
        return f"The {word(rng, (2, 2))}s"
    if k == 2:
        return f"{person(rng).split()[0]} {word(rng, (2, 2))}"
    return f"{word(rng, (1, 2))} and the {rng.choice(_NOUN)}"


def _album_title(rng: StableRng) -> str:
    k = rng.below(3)
    if k == 0:
        return f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}"
    if k == 1:
        return f"Songs from {place(rng)}"
    return word(rng, (2, 3))


def _track_title(rng: StableRng) -> str:
    k = rng.below(4)
    if k == 0:
        return f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}"
    if k == 1:
        return f"{rng.choice(_NOUN)} in {place(rng)}"
    if k == 2:
        return word(rng, (2, 3))
    return f"{rng.choice(_ADJ)} {word(rng, (2, 2))}"


@DOMAIN.builder
def build(rng: StableRng, world: Mapping[str, Any]) -> MusicData:
    g: geography.GeoData = world["geography"]
    codes = tuple(g.countries)
    artist_names = unique(rng, _artist_name, N_ARTISTS)
    n_albums = [rng.randint(2, 4) for _ in artist_names]
    album_titles = unique(rng, _album_title, sum(n_albums))
    n_tracks = [rng.randint(5, 9) for _ in album_titles]
    track_titles = unique(rng, _track_title, sum(n_tracks))

    artists: dict[str, Artist] = {}
    albums: dict[str, Album] = {}
    tracks: dict[str, Track] = {}
    a_cursor = t_cursor = 0
    for i, name in enumerate(artist_names):
        aid = f"AR{101 + i}"
        formed = rng.randint(1975, 2019)
        years = sorted(rng.sample(range(formed + 1, 2026), n_albums[i]), reverse=True)
        own_albums = []
        for year in years:
            alid = f"AL{5001 + a_cursor}"
            own_tracks = []
            for no in range(1, n_tracks[a_cursor] + 1):
                tid = f"TR{90001 + t_cursor}"
                tracks[tid] = Track(
                    tid,
                    track_titles[t_cursor],
                    aid,
                    alid,
                    no,
                    rng.randint(124, 418),
                    rng.randint(5_000, 90_000_000),
                    rng.random() < 0.2,
                )
                own_tracks.append(tid)
                t_cursor += 1
            albums[alid] = Album(
                alid, album_titles[a_cursor], aid, year, rng.choice(_LABELS), tuple(own_tracks)
            )
            own_albums.append(alid)
            a_cursor += 1
        artists[aid] = Artist(
            aid,
            name,
            rng.choice(GENRES),
            rng.choice(codes),
            formed,
            rng.randint(2_000, 40_000_000),
            tuple(own_albums),
        )

    track_list = tuple(tracks)
    curated_names = unique(rng, lambda r: f"{r.choice(_MOOD_ADJ)} {r.choice(_MOODS)}", N_CURATED)
    curated: dict[str, Curated] = {}
    for i, name in enumerate(curated_names):
        pid = f"EP{201 + i}"
        curator = "Editorial Team" if rng.random() < 0.5 else f"{word(rng, (2, 2))} Radio"
        curated[pid] = Curated(
            pid, name, curator, tuple(rng.sample(track_list, rng.randint(8, 14)))
        )

    chart_countries = tuple(sorted(rng.sample(codes, N_CHART_COUNTRIES)))
    weeks = tuple((TODAY - dt.timedelta(days=7 * k)).isoformat() for k in range(CHART_WEEKS, 0, -1))
    charts: dict[tuple[str, str], tuple[ChartEntry, ...]] = {}
    for code in chart_countries:
        pool = rng.sample(track_list, CHART_POOL)
        base = {t: rng.uniform(0.2, 1.0) for t in pool}
        prev: dict[str, int] = {}
        runs: dict[str, int] = {}
        for week in weeks:
            score = {t: base[t] * rng.uniform(0.6, 1.4) for t in pool}
            top = sorted(pool, key=lambda t: (-score[t], t))[:CHART_SIZE]
            entries = []
            for pos, t in enumerate(top, start=1):
                runs[t] = runs.get(t, 0) + 1 if t in prev else 1
                streams = int(score[t] * 1_500_000)
                entries.append(ChartEntry(pos, t, streams, prev.get(t), runs[t]))
            charts[(code, week)] = tuple(entries)
            prev = {e.track_id: e.position for e in entries}

    data = MusicData(
        artists=artists,
        albums=albums,
        tracks=tracks,
        curated=curated,
        charts=charts,
        chart_weeks=weeks,
        chart_countries=chart_countries,
        artist_index=SearchIndex(artists.values(), _NAME),
        track_index=SearchIndex(tracks.values(), _TITLE),
        curated_index=SearchIndex(curated.values(), _NAME),
    )
    return warm(data)


def mdata(state_or_world: WorldState | World) -> MusicData:
    return domain_data(state_or_world, "music")


def _duration(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


# ---------------------------------------------------------------- music_catalog
def _artist_summary(a: Artist) -> dict[str, Any]:
    return {
        "artist_id": a.artist_id,
        "name": a.name,
        "genre": a.genre,
        "country_code": a.country_code,
    }


def _track_summary(d: MusicData, t: Track) -> dict[str, Any]:
    return {
        "track_id": t.track_id,
        "title": t.title,
        "artist_id": t.artist_id,
        "artist": d.artists[t.artist_id].name,
        "album": d.albums[t.album_id].title,
    }


@DOMAIN.api("music_catalog", "search_artists")
def search_artists(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    found = find(d.artist_index, require_text(args, "query"))
    return paginate(found, args.get("page", 1), PAGE, _artist_summary)


@DOMAIN.api("music_catalog", "get_artist")
def get_artist(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    a = get_by_id(d.artists, args["artist_id"], "artist")
    country = geography.geo(state).countries[a.country_code]
    return {
        **_artist_summary(a),
        "country": country.name,
        "formed": a.formed,
        "monthly_listeners": a.monthly_listeners,
        "album_count": len(a.album_ids),
    }


@DOMAIN.api("music_catalog", "artist_albums")
def artist_albums(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    a = get_by_id(d.artists, args["artist_id"], "artist")
    order = args.get("sort", "newest")
    if order not in ("newest", "oldest"):
        raise ApiInputError("sort must be 'newest' or 'oldest'")
    ids = a.album_ids if order == "newest" else a.album_ids[::-1]

    def render(alid: str) -> dict[str, Any]:
        al = d.albums[alid]
        return {
            "album_id": al.album_id,
            "title": al.title,
            "year": al.year,
            "track_count": len(al.track_ids),
        }

    return {"artist_id": a.artist_id, **paginate(ids, args.get("page", 1), ALBUM_PAGE, render)}


@DOMAIN.api("music_catalog", "album_tracks")
def album_tracks(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    al = get_by_id(d.albums, args["album_id"], "album")
    rows = [d.tracks[t] for t in al.track_ids]
    total = sum(t.duration_s for t in rows)
    return {
        "album_id": al.album_id,
        "title": al.title,
        "artist": d.artists[al.artist_id].name,
        "year": al.year,
        "label": al.label,
        "total_duration_s": total,
        "tracks": [
            {
                "track_no": t.track_no,
                "track_id": t.track_id,
                "title": t.title,
                "duration_s": t.duration_s,
            }
            for t in rows
        ],
    }


@DOMAIN.api("music_catalog", "search_tracks")
def search_tracks(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    found = find(d.track_index, require_text(args, "query"))
    artist_id = args.get("artist_id")
    if artist_id:
        get_by_id(d.artists, artist_id, "artist")
        found = [t for t in found if t.artist_id == artist_id.strip()]
    return paginate(found, args.get("page", 1), PAGE, lambda t: _track_summary(d, t))


@DOMAIN.api("music_catalog", "get_track")
def get_track(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    t = get_by_id(d.tracks, args["track_id"], "track")
    al = d.albums[t.album_id]
    return {
        **_track_summary(d, t),
        "album_id": al.album_id,
        "year": al.year,
        "track_no": t.track_no,
        "duration_s": t.duration_s,
        "duration": _duration(t.duration_s),
        "plays": t.plays,
        "explicit": t.explicit,
    }


# ---------------------------------------------------------------- music_charts
def _chart_key(d: MusicData, args: Mapping[str, Any]) -> tuple[str, str]:
    code = args["country_code"]
    if not isinstance(code, str) or code.strip().upper() not in d.chart_countries:
        raise ApiInputError(f"no chart for country {code!r}; see chart_countries")
    date = parse_date(args["week"], "week")
    start = (date - dt.timedelta(days=date.weekday())).isoformat()
    if start not in d.chart_weeks:
        raise ApiInputError(
            f"charts are available for the weeks starting {d.chart_weeks[0]} to {d.chart_weeks[-1]}"
        )
    return code.strip().upper(), start


@DOMAIN.api("music_charts", "chart_countries")
def chart_countries(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    g = geography.geo(state)
    return {
        "weeks": list(d.chart_weeks),
        "countries": [{"country_code": c, "name": g.countries[c].name} for c in d.chart_countries],
    }


@DOMAIN.api("music_charts", "weekly_top_tracks")
def weekly_top_tracks(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    code, week = _chart_key(d, args)

    def render(e: ChartEntry) -> dict[str, Any]:
        t = d.tracks[e.track_id]
        return {
            "position": e.position,
            "track_id": t.track_id,
            "title": t.title,
            "artist": d.artists[t.artist_id].name,
            "streams": e.streams,
            "last_week_position": e.last_week,
            "weeks_on_chart": e.weeks_on_chart,
        }

    page = paginate(d.charts[(code, week)], args.get("page", 1), PAGE, render)
    return {"country_code": code, "week_start": week, **page}


def top_artists(d: MusicData, code: str, week: str) -> list[tuple[str, int, int]]:
    """``(artist_id, streams, entries)`` of a week's chart, most streamed first."""
    totals: dict[str, list[int]] = {}
    for e in d.charts[(code, week)]:
        acc = totals.setdefault(d.tracks[e.track_id].artist_id, [0, 0])
        acc[0] += e.streams
        acc[1] += 1
    return sorted(((a, s, n) for a, (s, n) in totals.items()), key=lambda x: (-x[1], x[0]))


@DOMAIN.api("music_charts", "weekly_top_artists")
def weekly_top_artists(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    code, week = _chart_key(d, args)
    rows = d.top_artist_rows.get((code, week))
    if rows is None:
        rows = d.top_artist_rows[code, week] = tuple(
            {
                "rank": i + 1,
                "artist_id": a,
                "name": d.artists[a].name,
                "streams": s,
                "chart_entries": n,
            }
            for i, (a, s, n) in enumerate(top_artists(d, code, week)[:5])
        )
    return {"country_code": code, "week_start": week, "results": [dict(r) for r in rows]}


# ---------------------------------------------------------------- playlists
@DOMAIN.api("playlists", "search_playlists")
def search_playlists(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    found = find(d.curated_index, require_text(args, "query"))
    return paginate(
        found,
        args.get("page", 1),
        PAGE,
        lambda c: {
            "playlist_id": c.playlist_id,
            "name": c.name,
            "curator": c.curator,
            "track_count": len(c.track_ids),
        },
    )


def _user_playlist(state: WorldState, pid: Any) -> dict[str, Any] | None:
    if not isinstance(pid, str):
        raise ApiInputError("playlist id must be a string")
    found = state.find("playlists", playlist_id=pid.strip())
    return found[0] if found else None


@DOMAIN.api("playlists", "get_playlist")
def get_playlist(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    pid = args["playlist_id"]
    user = _user_playlist(state, pid)
    if user is not None:
        head = {
            "playlist_id": user["playlist_id"],
            "name": user["name"],
            "curator": "you",
            "public": user["public"],
        }
        ids = [
            r["track_id"] for r in state.find("playlist_tracks", playlist_id=user["playlist_id"])
        ]
        listing, total = _playlist_rows(d, ids)
    else:
        c = get_by_id(d.curated, pid, "playlist")
        head = {"playlist_id": c.playlist_id, "name": c.name, "curator": c.curator, "public": True}
        memo = d.playlist_rows.get(c.playlist_id)
        if memo is None:
            memo = d.playlist_rows[c.playlist_id] = _playlist_rows(d, c.track_ids)
        listing, total = memo
    return {
        **head,
        "track_count": len(listing),
        "total_duration_s": total,
        "total_duration_min": round(total / 60, 1),
        "tracks": [dict(r) for r in listing],
    }


def _playlist_rows(d: MusicData, ids: Sequence[str]) -> tuple[tuple[dict[str, Any], ...], int]:
    """get_playlist's track rows for the tracks ``ids``, and their total seconds."""
    rows = [d.tracks[t] for t in ids]
    listing = tuple(
        {"position": i + 1, **_track_summary(d, t), "duration_s": t.duration_s}
        for i, t in enumerate(rows)
    )
    return listing, sum(t.duration_s for t in rows)


@DOMAIN.api("playlists", "create_playlist")
def create_playlist(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    name = require_text(args, "name")
    if len(name) > 100:
        raise ApiInputError("name must be at most 100 characters")
    public = args.get("public", True)
    if not isinstance(public, bool):
        raise ApiInputError("public must be true or false")
    desc = args.get("description", "")
    record = {
        "playlist_id": state.next_id("PL"),
        "name": name,
        "description": desc.strip() if isinstance(desc, str) else "",
        "public": public,
    }
    state.add("playlists", record)
    return {**record, "track_count": 0}


@DOMAIN.api("playlists", "add_track_to_playlist")
def add_track_to_playlist(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = mdata(state)
    pid = args["playlist_id"]
    user = _user_playlist(state, pid)
    if user is None:
        if isinstance(pid, str) and pid.strip() in d.curated:
            raise ApiInputError("curated playlists are read-only; create your own playlist")
        raise ApiInputError(f"no playlist with id {pid!r}")
    t = get_by_id(d.tracks, args["track_id"], "track")
    present = state.find("playlist_tracks", playlist_id=user["playlist_id"])
    if any(r["track_id"] == t.track_id for r in present):
        raise ApiInputError(f"track {t.track_id} is already in playlist {user['playlist_id']}")
    record = {
        "playlist_id": user["playlist_id"],
        "playlist_name": user["name"],
        "track_id": t.track_id,
        "title": t.title,
        "position": len(present) + 1,
    }
    state.add("playlist_tracks", record)
    return {**record, "track_count": len(present) + 1}


# ---------------------------------------------------------------- task helpers
def artist_search(d: MusicData, a: Artist) -> GoldCall | None:
    """The gold search call for an artist, or None when page 1 would not show it."""
    return index_search_call(
        d.artist_index, a, a.name, "music_catalog", "search_artists", page_size=PAGE
    )


def _track_search(d: MusicData, t: Track) -> GoldCall | None:
    return index_search_call(
        d.track_index, t, t.title, "music_catalog", "search_tracks", page_size=PAGE
    )


def _curated_search(d: MusicData, c: Curated) -> GoldCall | None:
    return index_search_call(
        d.curated_index, c, c.name, "playlists", "search_playlists", page_size=PAGE
    )


def _album_pages(a: Artist, album_id: str, depends: int) -> list[GoldCall]:
    """Calls of artist_albums (newest first) up to the page that lists ``album_id``."""
    page = a.album_ids.index(album_id) // ALBUM_PAGE + 1
    calls = []
    for p in range(1, page + 1):
        args: dict[str, Any] = {"artist_id": a.artist_id}
        if p > 1:
            args["page"] = p
        calls.append(
            GoldCall("music_catalog", "artist_albums", args, (depends + p - 1,), match=tuple(args))
        )
    return calls


def _artist_album(rng: StableRng, d: MusicData) -> tuple[Artist, GoldCall, Album] | None:
    """A random artist whose search call finds them on page 1, that call, and one of their
    albums; None when the search would not show the artist."""
    a = rng.choice(tuple(d.artists.values()))
    search = artist_search(d, a)
    if search is None:
        return None
    return a, search, d.albums[rng.choice(a.album_ids)]


_PLAYLIST_WORDS = ("Mix", "Vibes", "Favourites", "Picks", "Jams", "Selection", "Rotation")


def _playlist_name(rng: StableRng) -> str:
    return f"{person(rng).split()[0]}'s {rng.choice(_ADJ)} {rng.choice(_PLAYLIST_WORDS)}"


# ---------------------------------------------------------------- G1: music_catalog
@DOMAIN.task("music.track_length", group="G1", tools=("music_catalog",))
def task_track_length(rng: StableRng, world: World) -> TaskDraft | None:
    d = mdata(world)
    t = rng.choice(tuple(d.tracks.values()))
    search = _track_search(d, t)
    if search is None:
        return None
    a = d.artists[t.artist_id]
    album = d.albums[t.album_id]
    return TaskDraft(
        slots={"track": t.title, "artist": a.name},
        gold=(search, GoldCall("music_catalog", "get_track", {"track_id": t.track_id}, (0,))),
        facts=(AnswerFact(t.duration_s, "duration seconds"), AnswerFact(album.title, "album")),
        answer=f"{t.title} by {a.name} lasts {t.duration_s} seconds ({_duration(t.duration_s)})"
        f" and appears on the album {album.title}.",
    )


@DOMAIN.task("music.album_facts", group="G1", tools=("music_catalog",))
def task_album_facts(rng: StableRng, world: World) -> TaskDraft | None:
    d = mdata(world)
    picked = _artist_album(rng, d)
    if picked is None:
        return None
    a, search, al = picked
    n = len(al.track_ids)
    return TaskDraft(
        slots={"artist": a.name, "album": al.title},
        gold=(search, *_album_pages(a, al.album_id, 0)),
        facts=(AnswerFact(al.year, "year"), AnswerFact(n, "track count")),
        answer=f"{a.name} released {al.title} in {al.year}; it has {n} tracks.",
    )


@DOMAIN.task("music.album_longest_track", group="G1", tools=("music_catalog",))
def task_album_longest_track(rng: StableRng, world: World) -> TaskDraft | None:
    d = mdata(world)
    picked = _artist_album(rng, d)
    if picked is None:
        return None
    a, search, al = picked
    rows = sorted((d.tracks[t] for t in al.track_ids), key=lambda t: -t.duration_s)
    top = rows[0]
    if rows[1].duration_s == top.duration_s:
        return None
    pages = _album_pages(a, al.album_id, 0)
    answer = f"The longest track on {al.title} is {top.title} ({top.duration_s} seconds)."
    return TaskDraft(
        slots={"artist": a.name, "album": al.title},
        gold=(
            search,
            *pages,
            GoldCall("music_catalog", "album_tracks", {"album_id": al.album_id}, (len(pages),)),
        ),
        facts=(
            chosen_fact(
                top.title, "longest track", answer, [t.title for t in rows[1:]], within_value=True
            ),
        ),
        answer=answer,
    )


# ---------------------------------------------------------------- G1: playlists
@DOMAIN.task("music.curated_duration", group="G1", tools=("playlists",))
def task_curated_duration(rng: StableRng, world: World) -> TaskDraft | None:
    d = mdata(world)
    c = rng.choice(tuple(d.curated.values()))
    search = _curated_search(d, c)
    if search is None:
        return None
    total = sum(d.tracks[t].duration_s for t in c.track_ids)
    minutes = round(total / 60, 1)
    n = len(c.track_ids)
    return TaskDraft(
        slots={"playlist": c.name},
        gold=(search, GoldCall("playlists", "get_playlist", {"playlist_id": c.playlist_id}, (0,))),
        facts=(AnswerFact(n, "track count"), AnswerFact(minutes, "minutes")),
        answer=f"The playlist {c.name} has {n} tracks and runs {minutes} minutes.",
    )


@DOMAIN.task("music.copy_opening_track", group="G1", tools=("playlists",))
def task_copy_opening_track(rng: StableRng, world: World) -> TaskDraft | None:
    d = mdata(world)
    c = rng.choice(tuple(d.curated.values()))
    search = _curated_search(d, c)
    if search is None:
        return None
    name = _playlist_name(rng)
    first = d.tracks[c.track_ids[0]]
    return TaskDraft(
        slots={"playlist": c.name, "new_playlist": name},
        gold=(
            search,
            GoldCall("playlists", "get_playlist", {"playlist_id": c.playlist_id}, (0,)),
            GoldCall("playlists", "create_playlist", {"name": name}),
            GoldCall(
                "playlists",
                "add_track_to_playlist",
                {"playlist_id": "PL-0001", "track_id": first.track_id},
                (1, 2),
            ),
        ),
        facts=(
            StateFact("playlists", {"name": name}, "playlist created"),
            StateFact(
                "playlist_tracks",
                {"playlist_name": name, "track_id": first.track_id},
                "track added",
            ),
            AnswerFact(first.title, "track"),
        ),
        answer=f"Created the playlist {name} and added {first.title}, the opening track of "
        f"{c.name}.",
    )


# ---------------------------------------------------------------- G1: music_charts (held out)
def _chart_pick(rng: StableRng, d: MusicData, world: World) -> tuple[str, str, str]:
    code = rng.choice(d.chart_countries)
    week = rng.choice(d.chart_weeks)
    return code, week, geography.geo(world).countries[code].name


@DOMAIN.task("music.chart_position", group="G1", tools=("music_charts",))
def task_chart_position(rng: StableRng, world: World) -> TaskDraft | None:
    d = mdata(world)
    code, week, country = _chart_pick(rng, d, world)
    pos = rng.randint(1, 10)
    chart = d.charts[(code, week)]
    e = chart[pos - 1]
    t = d.tracks[e.track_id]
    page = (pos - 1) // PAGE + 1
    args: dict[str, Any] = {"country_code": code, "week": week}
    if page > 1:
        args["page"] = page
    artist = d.artists[t.artist_id].name
    answer = f"In the week of {week}, number {pos} in {country} was {t.title} by {artist}."
    on_page = [d.tracks[x.track_id].title for x in chart[(page - 1) * PAGE : page * PAGE]]
    return TaskDraft(
        slots={"country": country, "week": week, "position": str(pos)},
        gold=(
            GoldCall("music_charts", "chart_countries", {}),
            GoldCall("music_charts", "weekly_top_tracks", args, (0,)),
        ),
        facts=(
            chosen_fact(t.title, "track", answer, on_page, within_value=True),
            AnswerFact(artist, "artist"),
        ),
        answer=answer,
    )


@DOMAIN.task("music.chart_leader", group="G1", tools=("music_charts",))
def task_chart_leader(rng: StableRng, world: World) -> TaskDraft | None:
    d = mdata(world)
    code, week, country = _chart_pick(rng, d, world)
    e = d.charts[(code, week)][0]
    t = d.tracks[e.track_id]
    return TaskDraft(
        slots={"country": country, "week": week},
        gold=(
            GoldCall("music_charts", "chart_countries", {}),
            GoldCall(
                "music_charts", "weekly_top_tracks", {"country_code": code, "week": week}, (0,)
            ),
        ),
        facts=(
            AnswerFact(t.title, "number one"),
            AnswerFact(e.streams, "streams"),
            AnswerFact(e.weeks_on_chart, "weeks on chart"),
        ),
        answer=f"{t.title} topped the {country} chart for the week of {week} with "
        f"{e.streams} streams, in its week number {e.weeks_on_chart} on the chart.",
    )


@DOMAIN.task("music.chart_top_artist", group="G1", tools=("music_charts",))
def task_chart_top_artist(rng: StableRng, world: World) -> TaskDraft | None:
    d = mdata(world)
    code, week, country = _chart_pick(rng, d, world)
    ranked = top_artists(d, code, week)
    aid, streams, _ = ranked[0]
    name = d.artists[aid].name
    answer = (
        f"The most streamed artist in {country} in the week of {week} was {name} "
        f"with {streams} chart streams."
    )
    return TaskDraft(
        slots={"country": country, "week": week},
        gold=(
            GoldCall("music_charts", "chart_countries", {}),
            GoldCall(
                "music_charts", "weekly_top_artists", {"country_code": code, "week": week}, (0,)
            ),
        ),
        facts=(
            chosen_fact(
                name,
                "artist",
                answer,
                [d.artists[a].name for a, _, _ in ranked[1:5]],
                within_value=True,
            ),
            AnswerFact(streams, "streams"),
        ),
        answer=answer,
    )


# ---------------------------------------------------------------- G2
@DOMAIN.task("music.playlist_add_track", group="G2", tools=("music_catalog", "playlists"))
def task_playlist_add_track(rng: StableRng, world: World) -> TaskDraft | None:
    d = mdata(world)
    t = rng.choice(tuple(d.tracks.values()))
    search = _track_search(d, t)
    if search is None:
        return None
    name = _playlist_name(rng)
    a = d.artists[t.artist_id]
    return TaskDraft(
        slots={"track": t.title, "artist": a.name, "new_playlist": name},
        gold=(
            search,
            GoldCall("playlists", "create_playlist", {"name": name}),
            GoldCall(
                "playlists",
                "add_track_to_playlist",
                {"playlist_id": "PL-0001", "track_id": t.track_id},
                (0, 1),
            ),
        ),
        facts=(
            StateFact("playlists", {"name": name}, "playlist created"),
            StateFact(
                "playlist_tracks", {"playlist_name": name, "track_id": t.track_id}, "track added"
            ),
        ),
        answer=f"Created the playlist {name} and added {t.title} by {a.name} to it.",
    )


@DOMAIN.task("music.newest_album_opener", group="G2", tools=("music_catalog", "playlists"))
def task_newest_album_opener(rng: StableRng, world: World) -> TaskDraft | None:
    d = mdata(world)
    a = rng.choice(tuple(d.artists.values()))
    search = artist_search(d, a)
    if search is None:
        return None
    al = d.albums[a.album_ids[0]]
    first = d.tracks[al.track_ids[0]]
    name = _playlist_name(rng)
    return TaskDraft(
        slots={"artist": a.name, "new_playlist": name},
        gold=(
            search,
            GoldCall(
                "music_catalog",
                "artist_albums",
                {"artist_id": a.artist_id},
                (0,),
                match=("artist_id",),
            ),
            GoldCall("music_catalog", "album_tracks", {"album_id": al.album_id}, (1,)),
            GoldCall("playlists", "create_playlist", {"name": name}),
            GoldCall(
                "playlists",
                "add_track_to_playlist",
                {"playlist_id": "PL-0001", "track_id": first.track_id},
                (2, 3),
            ),
        ),
        facts=(
            StateFact(
                "playlist_tracks",
                {"playlist_name": name, "track_id": first.track_id},
                "track added",
            ),
            AnswerFact(al.title, "newest album"),
            AnswerFact(first.title, "opening track"),
        ),
        answer=f"{a.name}'s newest album is {al.title} ({al.year}); its opening track "
        f"{first.title} is now in your new playlist {name}.",
    )
