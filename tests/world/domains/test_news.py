"""Behaviour of the news and media domain: articles, podcasts and TV listings."""

from __future__ import annotations

from itertools import pairwise

import pytest

from steptool_env.world.domains import music, news
from steptool_env.world.helpers import ApiInputError, day
from steptool_env.world.state import World, WorldState
from tests.world.domains.support import build_world, call


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(("geography", "music", "news"))


def test_build_is_deterministic(world: World) -> None:
    again = build_world(("geography", "music", "news"))["news"]
    data = world["news"]
    assert list(again.articles.values()) == list(data.articles.values())
    assert list(again.channels.values()) == list(data.channels.values())


def test_article_search_then_details(state: WorldState) -> None:
    a = list(news.ndata(state).articles.values())[50]
    found = call(state, "news_api", "search_articles", query=a.title)
    assert found["results"][0]["article_id"] == a.article_id
    other = next(s for s in news.SECTIONS if s != a.section)
    narrowed = call(state, "news_api", "search_articles", query=a.title, section=other)
    assert a.article_id not in [r["article_id"] for r in narrowed["results"]]
    info = call(state, "news_api", "get_article", article_id=a.article_id)
    assert info["author"] == a.author
    assert info["source"] == news.ndata(state).sources[a.source_id].name
    with pytest.raises(ApiInputError):
        call(state, "news_api", "get_article", article_id="ART0")


def test_headlines_are_newest_first_per_country(state: WorldState) -> None:
    d = news.ndata(state)
    code = next(iter(d.by_country))
    out = call(state, "news_api", "top_headlines", country_code=code.lower())
    stamps = [r["published"] for r in out["results"]]
    assert stamps == sorted(stamps, reverse=True)
    assert len(set(stamps)) == len(stamps)
    assert all(d.articles[r["article_id"]].country_code == code for r in out["results"])
    assert out["total_results"] == sum(1 for a in d.articles.values() if a.country_code == code)
    with pytest.raises(ApiInputError):
        call(state, "news_api", "top_headlines", country_code="QQ")
    with pytest.raises(ApiInputError):
        call(state, "news_api", "top_headlines", country_code=code, section="gossip")


def test_source_articles_match_source_counts(state: WorldState) -> None:
    sources = call(state, "news_api", "list_sources")["results"]
    assert sum(s["articles"] for s in sources) == len(news.ndata(state).articles)
    src = sources[0]
    out = call(state, "news_api", "source_articles", source_id=src["source_id"])
    assert out["total_results"] == src["articles"]
    last = out["total_pages"]
    tail = call(state, "news_api", "source_articles", source_id=src["source_id"], page=last)
    assert tail["results"]
    with pytest.raises(ApiInputError):
        call(state, "news_api", "source_articles", source_id=src["source_id"], page=last + 1)


def test_podcast_episodes_and_guests(state: WorldState) -> None:
    d = news.ndata(state)
    p = next(x for x in d.podcasts.values() if len(x.episodes) > 5)
    found = call(state, "podcasts", "search_podcasts", query=p.title)
    assert found["results"][0]["podcast_id"] == p.podcast_id
    by_host = call(state, "podcasts", "search_podcasts", query=p.host)
    assert p.podcast_id in [r["podcast_id"] for r in by_host["results"]]
    p1 = call(state, "podcasts", "podcast_episodes", podcast_id=p.podcast_id)
    p2 = call(state, "podcasts", "podcast_episodes", podcast_id=p.podcast_id, page=2)
    numbers = [e["episode_number"] for e in p1["results"] + p2["results"]]
    assert numbers == list(range(len(p.episodes), len(p.episodes) - len(numbers), -1))
    ep = call(state, "podcasts", "get_episode", episode_id=p2["results"][0]["episode_id"])
    assert ep["podcast_id"] == p.podcast_id and ep["host"] == p.host
    info = call(state, "podcasts", "get_podcast", podcast_id=p.podcast_id)
    assert info["episode_count"] == len(p.episodes)
    assert info["latest_release"] == p1["results"][0]["released"]


def test_tv_schedule_is_contiguous(state: WorldState) -> None:
    ch = next(iter(news.ndata(state).channels.values()))
    out = call(state, "tv_guide", "channel_schedule", channel_id=ch.channel_id, date=day(2))
    progs = out["programmes"]
    assert progs[0]["start"] == "06:00"
    assert all(a["end"] == b["start"] for a, b in pairwise(progs))
    detail = call(state, "tv_guide", "get_programme", programme_id=progs[3]["programme_id"])
    assert detail["title"] == progs[3]["title"] and detail["channel_id"] == ch.channel_id
    for bad in (day(-1), day(news.SCHEDULE_DAYS)):
        with pytest.raises(ApiInputError):
            call(state, "tv_guide", "channel_schedule", channel_id=ch.channel_id, date=bad)


def test_reminders_are_recorded(state: WorldState) -> None:
    ch = next(iter(news.ndata(state).channels.values()))
    prog = call(state, "tv_guide", "channel_schedule", channel_id=ch.channel_id, date=day(1))[
        "programmes"
    ][5]
    out = call(
        state, "tv_guide", "set_reminder", programme_id=prog["programme_id"], minutes_before=15
    )
    assert out["reminder_id"] == "RM-0001"
    assert state.find("tv_reminders", programme_id=prog["programme_id"], minutes_before=15)
    for pid, before in (
        (prog["programme_id"], 500),
        ("CH0-20250603-01", 10),
        ("x", 10),
        (f"{ch.channel_id}-20240101-01", 10),
    ):
        with pytest.raises(ApiInputError):
            call(state, "tv_guide", "set_reminder", programme_id=pid, minutes_before=before)
    assert len(state.records["tv_reminders"]) == 1


def test_artist_country_links_to_headlines(state: WorldState) -> None:
    artist = next(iter(music.mdata(state).artists.values()))
    info = call(state, "music_catalog", "get_artist", artist_id=artist.artist_id)
    heads = call(state, "news_api", "top_headlines", country_code=info["country_code"])
    assert heads["results"]
    assert all(
        news.ndata(state).articles[r["article_id"]].country_code == info["country_code"]
        for r in heads["results"]
    )
