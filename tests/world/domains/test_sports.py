"""Behaviour of the sports domain: football data, player statistics and tennis rankings."""

from __future__ import annotations

from collections import Counter

import pytest

from steptool_env.world.domains import geography, sports
from steptool_env.world.helpers import TODAY, ApiInputError
from steptool_env.world.state import World, WorldState
from tests.world.domains.support import build_world, call


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(("geography", "sports"))


def test_build_is_deterministic(world: World) -> None:
    again = build_world(("geography", "sports"))["sports"]
    data = world["sports"]
    assert list(again.matches.values()) == list(data.matches.values())
    assert again.h2h == data.h2h


def test_team_search_then_details(state: WorldState) -> None:
    t = list(sports.sdata(state).teams.values())[30]
    found = call(state, "football_data", "search_teams", query=t.name)
    assert found["results"][0]["team_id"] == t.team_id
    info = call(state, "football_data", "get_team", team_id=t.team_id)
    city = geography.geo(state).cities[info["city_id"]]
    assert info["city"] == city.name
    league = sports.sdata(state).leagues[info["league_id"]]
    assert city.country_code == league.country_code
    with pytest.raises(ApiInputError):
        call(state, "football_data", "get_team", team_id="T0")


def test_standings_add_up(state: WorldState) -> None:
    lg = next(iter(sports.sdata(state).leagues.values()))
    rows = []
    for page in (1, 2, 3):
        rows += call(state, "football_data", "league_standings", league_id=lg.league_id, page=page)[
            "results"
        ]
    assert [r["position"] for r in rows] == list(range(1, sports.TEAMS_PER_LEAGUE + 1))
    assert all(r["played"] == sports.PLAYED_ROUNDS for r in rows)
    assert all(r["points"] == 3 * r["won"] + r["drawn"] for r in rows)
    assert [r["points"] for r in rows] == sorted((r["points"] for r in rows), reverse=True)
    assert sum(r["goals_for"] for r in rows) == sum(r["goals_against"] for r in rows)
    with pytest.raises(ApiInputError):
        call(state, "football_data", "league_standings", league_id=lg.league_id, page=4)


def test_fixtures_and_match_reports(state: WorldState) -> None:
    t = list(sports.sdata(state).teams.values())[7]
    done = call(state, "football_data", "team_fixtures", team_id=t.team_id)
    assert done["total_results"] == sports.PLAYED_ROUNDS
    dates = [m["date"] for m in done["results"]]
    assert dates == sorted(dates, reverse=True) and dates[0] < TODAY.isoformat()
    report = call(state, "football_data", "match_result", match_id=done["results"][0]["match_id"])
    assert report["status"] == "finished"
    assert len(report["goals"]) == report["home_goals"] + report["away_goals"]
    assert report["score"] == f"{report['home_goals']}:{report['away_goals']}"
    assert 0 < report["attendance"] <= sports.sdata(state).teams[report["home_team_id"]].capacity
    coming = call(state, "football_data", "team_fixtures", team_id=t.team_id, status="upcoming")
    assert coming["total_results"] == 2 * (sports.TEAMS_PER_LEAGUE - 1) - sports.PLAYED_ROUNDS
    nxt = coming["results"][0]
    assert nxt["date"] > TODAY.isoformat() and nxt["score"] is None
    assert t.team_id in (nxt["home_team_id"], nxt["away_team_id"])
    later = call(state, "football_data", "match_result", match_id=nxt["match_id"])
    assert later["status"] == "scheduled" and "home_goals" not in later


def test_player_goals_match_the_match_reports(state: WorldState) -> None:
    d = sports.sdata(state)
    scored = Counter(g.player_id for m in d.matches.values() for g in m.goals)
    for p in list(d.players.values())[:120]:
        stats = call(state, "player_stats", "player_season_stats", player_id=p.player_id)
        assert stats["goals"] == scored[p.player_id]
        assert stats["season"] == sports.CURRENT
    with pytest.raises(ApiInputError):
        call(state, "player_stats", "player_season_stats", player_id=p.player_id, season="1999")


def test_top_scorers_ranked_and_paged(state: WorldState) -> None:
    lg = list(sports.sdata(state).leagues.values())[2]
    p1 = call(state, "player_stats", "top_scorers", league_id=lg.league_id)
    p2 = call(state, "player_stats", "top_scorers", league_id=lg.league_id, page=2)
    rows = p1["results"] + p2["results"]
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    goals = [r["goals"] for r in rows]
    assert goals == sorted(goals, reverse=True)
    teams = set(lg.team_ids)
    assert all(r["team_id"] in teams for r in rows)


def test_roster_lists_the_squad(state: WorldState) -> None:
    t = list(sports.sdata(state).teams.values())[11]
    roster = call(state, "player_stats", "team_roster", team_id=t.team_id)["players"]
    assert len(roster) == len(sports.POSITIONS)
    for p in roster:
        found = call(state, "player_stats", "search_players", query=p["name"])
        assert found["results"][0]["player_id"] == p["player_id"]
        assert found["results"][0]["team_id"] == t.team_id


def test_tennis_rankings_and_head_to_head(state: WorldState) -> None:
    top = call(state, "tennis_rankings", "get_rankings", tour="women")
    assert [r["rank"] for r in top["results"]] == list(range(1, 11))
    points = [r["points"] for r in top["results"]]
    assert points == sorted(points, reverse=True)
    a, b = top["results"][0]["player_id"], top["results"][3]["player_id"]
    ab = call(state, "tennis_rankings", "head_to_head", player_id_a=a, player_id_b=b)
    ba = call(state, "tennis_rankings", "head_to_head", player_id_a=b, player_id_b=a)
    assert (ab["wins_a"], ab["wins_b"]) == (ba["wins_b"], ba["wins_a"])
    assert ab["meetings"] == ab["wins_a"] + ab["wins_b"]
    prof = call(state, "tennis_rankings", "tennis_player_profile", player_id=a)
    assert prof["rank"] == 1 and prof["tour"] == "women"
    with pytest.raises(ApiInputError):
        call(state, "tennis_rankings", "head_to_head", player_id_a=a, player_id_b=a)
    with pytest.raises(ApiInputError):
        call(state, "tennis_rankings", "get_rankings", tour="mixed")


def test_held_out_tennis_tool_is_used_by_g1_types_only() -> None:
    types = sports.DOMAIN.task_types.values()
    tennis = [t for t in types if "tennis_rankings" in t.tools]
    assert len(tennis) >= 2
    assert all(t.group == "G1" and t.tools == ("tennis_rankings",) for t in tennis)
