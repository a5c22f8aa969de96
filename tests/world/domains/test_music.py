"""Behaviour of the music domain: catalogue, weekly charts and playlists."""

from __future__ import annotations

import datetime as dt

import pytest

from steptool_env.world.domains import music
from steptool_env.world.helpers import ApiInputError
from steptool_env.world.state import World, WorldState
from tests.world.domains.support import build_world, call


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(("geography", "music"))


def test_build_is_deterministic(world: World) -> None:
    again = build_world(("geography", "music"))["music"]
    data = world["music"]
    assert list(again.tracks.values()) == list(data.tracks.values())
    assert again.charts == data.charts


def test_artist_search_albums_and_tracks(state: WorldState) -> None:
    d = music.mdata(state)
    a = next(x for x in d.artists.values() if len(x.album_ids) == 4)
    found = call(state, "music_catalog", "search_artists", query=a.name)
    assert found["results"][0]["artist_id"] == a.artist_id
    p1 = call(state, "music_catalog", "artist_albums", artist_id=a.artist_id)
    p2 = call(state, "music_catalog", "artist_albums", artist_id=a.artist_id, page=2)
    assert (len(p1["results"]), len(p2["results"]), p1["total_pages"]) == (3, 1, 2)
    years = [r["year"] for r in p1["results"] + p2["results"]]
    assert years == sorted(years, reverse=True)
    oldest = call(state, "music_catalog", "artist_albums", artist_id=a.artist_id, sort="oldest")
    assert oldest["results"][0]["album_id"] == p2["results"][0]["album_id"]
    album = call(state, "music_catalog", "album_tracks", album_id=p1["results"][0]["album_id"])
    assert album["total_duration_s"] == sum(t["duration_s"] for t in album["tracks"])
    assert [t["track_no"] for t in album["tracks"]] == list(range(1, len(album["tracks"]) + 1))


def test_track_search_then_details(state: WorldState) -> None:
    d = music.mdata(state)
    t = list(d.tracks.values())[123]
    found = call(state, "music_catalog", "search_tracks", query=t.title)
    assert found["results"][0]["track_id"] == t.track_id
    other = next(a for a in d.artists if a != t.artist_id)
    narrowed = call(state, "music_catalog", "search_tracks", query=t.title, artist_id=other)
    assert t.track_id not in [r["track_id"] for r in narrowed["results"]]
    info = call(state, "music_catalog", "get_track", track_id=t.track_id)
    m, s = divmod(info["duration_s"], 60)
    assert info["duration"] == f"{m}:{s:02d}"
    assert info["album"] == d.albums[t.album_id].title
    with pytest.raises(ApiInputError):
        call(state, "music_catalog", "get_track", track_id="TR0")
    with pytest.raises(ApiInputError):
        call(state, "music_catalog", "search_tracks", query="?!")


def test_chart_is_ranked_and_tracks_its_history(state: WorldState) -> None:
    d = music.mdata(state)
    code = d.chart_countries[0]
    week = d.chart_weeks[-1]
    rows = []
    for page in (1, 2, 3, 4):
        rows += call(
            state, "music_charts", "weekly_top_tracks", country_code=code, week=week, page=page
        )["results"]
    assert [r["position"] for r in rows] == list(range(1, 21))
    streams = [r["streams"] for r in rows]
    assert streams == sorted(streams, reverse=True)
    previous = {e.track_id: e.position for e in d.charts[(code, d.chart_weeks[-2])]}
    for r in rows:
        assert r["last_week_position"] == previous.get(r["track_id"])
        assert (r["weeks_on_chart"] == 1) == (r["last_week_position"] is None)


def test_chart_week_is_any_day_of_the_week(state: WorldState) -> None:
    d = music.mdata(state)
    code, monday = d.chart_countries[1], d.chart_weeks[2]
    sunday = (dt.date.fromisoformat(monday) + dt.timedelta(days=6)).isoformat()
    a = call(state, "music_charts", "weekly_top_tracks", country_code=code, week=monday)
    b = call(state, "music_charts", "weekly_top_tracks", country_code=code.lower(), week=sunday)
    assert a == b and a["week_start"] == monday
    for bad in (
        {"country_code": code, "week": "2025-06-02"},
        {"country_code": code, "week": "1999-01-01"},
        {"country_code": "ZZZ", "week": monday},
    ):
        with pytest.raises(ApiInputError):
            call(state, "music_charts", "weekly_top_tracks", **bad)


def test_top_artists_add_up_their_chart_streams(state: WorldState) -> None:
    d = music.mdata(state)
    code, week = d.chart_countries[2], d.chart_weeks[0]
    top = call(state, "music_charts", "weekly_top_artists", country_code=code, week=week)
    entries = d.charts[(code, week)]
    for row in top["results"]:
        own = [e for e in entries if d.tracks[e.track_id].artist_id == row["artist_id"]]
        assert row["streams"] == sum(e.streams for e in own)
        assert row["chart_entries"] == len(own)
    totals = [r["streams"] for r in top["results"]]
    assert totals == sorted(totals, reverse=True)


def test_playlist_create_add_and_read_back(state: WorldState) -> None:
    d = music.mdata(state)
    t1, t2 = list(d.tracks.values())[5:7]
    pl = call(state, "playlists", "create_playlist", name="Road Songs", public=False)
    assert pl["playlist_id"] == "PL-0001"
    call(state, "playlists", "add_track_to_playlist", playlist_id="PL-0001", track_id=t1.track_id)
    call(state, "playlists", "add_track_to_playlist", playlist_id="PL-0001", track_id=t2.track_id)
    out = call(state, "playlists", "get_playlist", playlist_id="PL-0001")
    assert [r["track_id"] for r in out["tracks"]] == [t1.track_id, t2.track_id]
    assert out["total_duration_s"] == t1.duration_s + t2.duration_s
    assert state.find("playlists", name="Road Songs", public=False)
    assert state.find("playlist_tracks", playlist_name="Road Songs", track_id=t2.track_id)
    assert call(state, "playlists", "create_playlist", name="Second")["playlist_id"] == "PL-0002"


def test_playlist_misuse_is_bad_input(state: WorldState) -> None:
    d = music.mdata(state)
    track = next(iter(d.tracks))
    curated = next(iter(d.curated))
    call(state, "playlists", "create_playlist", name="Mine")
    call(state, "playlists", "add_track_to_playlist", playlist_id="PL-0001", track_id=track)
    for pid, tid in (("PL-0001", track), (curated, track), ("PL-0099", track), ("PL-0001", "x")):
        with pytest.raises(ApiInputError):
            call(state, "playlists", "add_track_to_playlist", playlist_id=pid, track_id=tid)
    assert len(state.records["playlist_tracks"]) == 1
    with pytest.raises(ApiInputError):
        call(state, "playlists", "create_playlist", name="   ")


def test_curated_playlist_totals(state: WorldState) -> None:
    c = list(music.mdata(state).curated.values())[9]
    found = call(state, "playlists", "search_playlists", query=c.name)
    assert found["results"][0]["playlist_id"] == c.playlist_id
    out = call(state, "playlists", "get_playlist", playlist_id=c.playlist_id)
    assert out["track_count"] == len(c.track_ids)
    assert out["total_duration_min"] == round(out["total_duration_s"] / 60, 1)


def test_held_out_charts_tool_is_used_by_g1_types_only() -> None:
    types = music.DOMAIN.task_types.values()
    chart_types = [t for t in types if "music_charts" in t.tools]
    assert len(chart_types) >= 2
    assert all(t.group == "G1" and t.tools == ("music_charts",) for t in chart_types)
