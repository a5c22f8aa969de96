"""Sports: football leagues with fixtures and results, player statistics, tennis rankings.

Tools: ``football_data`` (leagues, teams, fixtures, match reports, standings),
``player_stats`` (footballers, season statistics, top scorers, squads) and
``tennis_rankings`` (tour rankings, profiles, head-to-head records; held out of the train
split: only G1 task types use it). Teams play in geography cities; the season 2024-25 runs
up to :data:`~steptool_env.world.helpers.TODAY` and has four rounds still to play.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter
from typing import Any

from steptool_env.seeding import StableRng
from steptool_env.world.domain import Domain
from steptool_env.world.domains import geography
from steptool_env.world.generation import chosen_fact, index_search_call, ordinal
from steptool_env.world.helpers import (
    ApiInputError,
    SearchIndex,
    day,
    domain_data,
    find,
    get_by_id,
    hhmm,
    paginate,
    require_text,
    warm,
)
from steptool_env.world.names import person, place, unique, word
from steptool_env.world.state import World, WorldState
from steptool_env.world.tasks import AnswerFact, GoldCall, TaskDraft

DOMAIN = Domain("sports", requires=("geography",))

_NAME = attrgetter("name")

SEASONS = ("2024-25", "2023-24")
CURRENT = SEASONS[0]
N_LEAGUES = 6
TEAMS_PER_LEAGUE = 12
PLAYED_ROUNDS = 18
"""Of the 22 rounds of the double round robin, 18 are played and 4 are still to come."""
POSITIONS = (
    "GK",
    "DF",
    "DF",
    "DF",
    "MF",
    "MF",
    "FW",
    "FW",
)
_SCORING = {"GK": 0.0, "DF": 1.0, "MF": 3.0, "FW": 6.0}
_LEAGUE_WORDS = (
    "Premier League",
    "First Division",
    "Super League",
    "Championship",
    "Pro League",
    "National League",
)
_SUFFIXES = (
    "United",
    "City",
    "Rovers",
    "Athletic",
    "Wanderers",
    "FC",
    "Albion",
    "Rangers",
    "Town",
    "Dynamo",
    "Sporting",
    "Olympic",
    "Harriers",
    "Academicals",
)
_GROUNDS = ("Park", "Arena", "Stadium", "Ground", "Field", "Road")
KICKOFFS = ("13:30", "15:00", "17:30", "19:45", "20:00")
TOURS = ("men", "women")
TENNIS_PER_TOUR = 36
TENNIS_PAGE = 10
PAGE = 5


@dataclass(frozen=True, slots=True)
class League:
    league_id: str
    name: str
    country_code: str
    team_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Team:
    team_id: str
    name: str
    league_id: str
    city_id: str
    stadium: str
    capacity: int
    founded: int
    coach: str


@dataclass(frozen=True, slots=True)
class Goal:
    minute: int
    player_id: str
    team_id: str


@dataclass(frozen=True, slots=True)
class Match:
    match_id: str
    league_id: str
    round: int
    date: str
    kickoff: str
    home_id: str
    away_id: str
    home_goals: int | None
    away_goals: int | None
    attendance: int | None
    goals: tuple[Goal, ...]

    @property
    def played(self) -> bool:
        return self.home_goals is not None


@dataclass(frozen=True, slots=True)
class SeasonStats:
    appearances: int
    minutes: int
    goals: int
    assists: int
    yellow_cards: int


@dataclass(frozen=True, slots=True)
class Player:
    player_id: str
    name: str
    team_id: str
    position: str
    shirt: int
    birth_year: int
    stats: Mapping[str, SeasonStats]


@dataclass(frozen=True, slots=True)
class Standing:
    team_id: str
    played: int
    won: int
    drawn: int
    lost: int
    goals_for: int
    goals_against: int

    @property
    def points(self) -> int:
        return 3 * self.won + self.drawn


@dataclass(frozen=True, slots=True)
class TennisPlayer:
    player_id: str
    name: str
    tour: str
    rank: int
    points: int
    country_code: str
    age: int
    plays: str
    titles: int
    turned_pro: int


@dataclass(frozen=True, slots=True)
class HeadToHead:
    wins: Mapping[str, int]
    last_date: str
    last_event: str
    last_winner: str


@dataclass(frozen=True)
class SportsData:
    leagues: Mapping[str, League]
    teams: Mapping[str, Team]
    matches: Mapping[str, Match]
    players: Mapping[str, Player]
    fixtures: Mapping[str, Mapping[str, tuple[Match, ...]]]
    """team id → ``"finished"`` (newest first) / ``"upcoming"`` (soonest first) → matches."""
    standings: Mapping[str, tuple[Standing, ...]]
    scorers: Mapping[tuple[str, str], tuple[Player, ...]]
    """``(league_id, season)`` → players with goals, most goals first."""
    rosters: Mapping[str, tuple[Player, ...]]
    tennis: Mapping[str, TennisPlayer]
    rankings: Mapping[str, tuple[TennisPlayer, ...]]
    h2h: Mapping[tuple[str, str], HeadToHead]
    team_index: SearchIndex[Team]
    player_index: SearchIndex[Player]
    tennis_index: SearchIndex[TennisPlayer]

    # Derived lookups (not fields: no part of the world's content; see helpers.warm).
    @cached_property
    def ranked_scorers(self) -> Mapping[tuple[str, str], tuple[tuple[int, Player], ...]]:
        """:attr:`scorers` with their ranks (1 first)."""
        return {k: tuple(enumerate(v, start=1)) for k, v in self.scorers.items()}

    @cached_property
    def ranked_standings(self) -> Mapping[str, tuple[tuple[int, Standing], ...]]:
        """:attr:`standings` with their positions (1 first)."""
        return {k: tuple(enumerate(v, start=1)) for k, v in self.standings.items()}


# ---------------------------------------------------------------- build
def _poisson(rng: StableRng, lam: float) -> int:
    x, p, k = rng.random(), math.exp(-lam), 0
    acc = p
    while x > acc and k < 9:
        k += 1
        p *= lam / k
        acc += p
    return k


def _round_robin(team_ids: Sequence[str]) -> list[list[tuple[str, str]]]:
    """Circle-method double round robin: rounds of (home, away) pairs."""
    ids = list(team_ids)
    n = len(ids)
    rounds: list[list[tuple[str, str]]] = []
    for r in range(n - 1):
        pairs = []
        for i in range(n // 2):
            a, b = ids[i], ids[n - 1 - i]
            pairs.append((a, b) if (r + i) % 2 == 0 else (b, a))
        rounds.append(pairs)
        ids = [ids[0], ids[-1], *ids[1:-1]]
    return rounds + [[(b, a) for a, b in pairs] for pairs in rounds]


def _build_football(rng: StableRng, g: geography.GeoData, taken: set[str]) -> dict[str, Any]:
    countries = rng.sample(tuple(g.countries.values()), N_LEAGUES)
    stadiums = unique(
        rng, lambda r: f"{word(r, (2, 2))} {r.choice(_GROUNDS)}", N_LEAGUES * TEAMS_PER_LEAGUE
    )
    names = unique(rng, person, N_LEAGUES * TEAMS_PER_LEAGUE * len(POSITIONS), taken)
    leagues: dict[str, League] = {}
    teams: dict[str, Team] = {}
    strength: dict[str, float] = {}
    players: dict[str, Player] = {}
    rosters: dict[str, list[str]] = {}
    matches_: dict[str, Match] = {}
    season_goals: dict[str, int] = {}
    t_no = p_no = m_no = 0
    for li, country in enumerate(countries):
        lid = f"LG{li + 1}"
        cities = g.cities_by_country[country.code]
        suffixes = {c.city_id: rng.sample(_SUFFIXES, len(_SUFFIXES)) for c in cities}
        team_ids = []
        for k in range(TEAMS_PER_LEAGUE):
            city = cities[k % len(cities)] if k < 2 * len(cities) else rng.choice(cities)
            tid = f"T{401 + t_no}"
            teams[tid] = Team(
                tid,
                f"{city.name} {suffixes[city.city_id].pop()}",
                lid,
                city.city_id,
                stadiums[t_no],
                rng.randint(80, 760) * 100,
                rng.randint(1872, 1995),
                person(rng),
            )
            strength[tid] = rng.uniform(0.6, 1.6)
            team_ids.append(tid)
            roster = []
            for shirt_i, pos in enumerate(POSITIONS):
                pid = f"FP{1001 + p_no}"
                shirt = (
                    (1, 4, 5, 3, 8, 10, 9, 11)[shirt_i]
                    if rng.random() < 0.7
                    else rng.randint(12, 40)
                    if pos != "GK"
                    else 1
                )
                players[pid] = Player(
                    pid, names[p_no], tid, pos, shirt, rng.randint(1988, 2006), {}
                )
                season_goals[pid] = 0
                roster.append(pid)
                p_no += 1
            rosters[tid] = roster
            t_no += 1
        leagues[lid] = League(
            lid, f"{country.name} {rng.choice(_LEAGUE_WORDS)}", country.code, tuple(team_ids)
        )
        for r, pairs in enumerate(_round_robin(team_ids), start=1):
            date = day(7 * (r - PLAYED_ROUNDS) - 1)
            for home, away in pairs:
                mid = f"MT{7001 + m_no}"
                m_no += 1
                kickoff = rng.choice(KICKOFFS)
                if r > PLAYED_ROUNDS:
                    matches_[mid] = Match(
                        mid, lid, r, date, kickoff, home, away, None, None, None, ()
                    )
                    continue
                ratio = strength[home] / strength[away]
                hg = _poisson(rng, 1.25 * math.sqrt(ratio) + 0.15)
                ag = _poisson(rng, 1.1 / math.sqrt(ratio))
                goals = []
                for side, n in ((home, hg), (away, ag)):
                    squad = rosters[side]
                    for _ in range(n):
                        scorer = rng.weighted(squad, [_SCORING[players[p].position] for p in squad])
                        season_goals[scorer] += 1
                        goals.append(Goal(rng.randint(1, 90), scorer, side))
                goals.sort(key=lambda x: (x.minute, x.team_id, x.player_id))
                cap = teams[home].capacity
                matches_[mid] = Match(
                    mid,
                    lid,
                    r,
                    date,
                    kickoff,
                    home,
                    away,
                    hg,
                    ag,
                    int(cap * rng.uniform(0.55, 1.0)),
                    tuple(goals),
                )

    for pid, p in list(players.items()):
        apps = (
            rng.randint(9, PLAYED_ROUNDS)
            if p.position != "GK" or rng.random() < 0.6
            else rng.randint(2, 8)
        )
        goals_now = season_goals[pid]
        apps = max(apps, min(PLAYED_ROUNDS, goals_now))
        scoring = _SCORING[p.position]
        old_apps = rng.randint(6, 34)
        stats = {
            CURRENT: SeasonStats(
                apps,
                apps * rng.randint(55, 90),
                goals_now,
                rng.randint(0, int(scoring) + 2),
                rng.randint(0, 7),
            ),
            SEASONS[1]: SeasonStats(
                old_apps,
                old_apps * rng.randint(55, 90),
                _poisson(rng, scoring * old_apps / 14),
                rng.randint(0, int(scoring) + 4),
                rng.randint(0, 9),
            ),
        }
        players[pid] = Player(
            p.player_id, p.name, p.team_id, p.position, p.shirt, p.birth_year, stats
        )

    own: dict[str, list[Match]] = {tid: [] for tid in teams}
    table: dict[str, list[int]] = {tid: [0, 0, 0, 0, 0, 0] for tid in teams}
    for m in matches_.values():
        own[m.home_id].append(m)
        own[m.away_id].append(m)
        if m.home_goals is None or m.away_goals is None:
            continue
        for side, gf, ga in (
            (m.home_id, m.home_goals, m.away_goals),
            (m.away_id, m.away_goals, m.home_goals),
        ):
            row = table[side]
            row[0] += 1
            row[1 if gf > ga else 2 if gf == ga else 3] += 1
            row[4] += gf
            row[5] += ga
    fixtures = {
        tid: {
            "finished": tuple(
                sorted(
                    (m for m in ms if m.played), key=lambda m: (m.date, m.match_id), reverse=True
                )
            ),
            "upcoming": tuple(
                sorted((m for m in ms if not m.played), key=lambda m: (m.date, m.match_id))
            ),
        }
        for tid, ms in own.items()
    }
    standings = {}
    for lid, lg in leagues.items():
        rows = [Standing(tid, *table[tid]) for tid in lg.team_ids]
        rows.sort(
            key=lambda s: (
                -s.points,
                -(s.goals_for - s.goals_against),
                -s.goals_for,
                teams[s.team_id].name,
            )
        )
        standings[lid] = tuple(rows)
    scorers = {}
    for lid, lg in leagues.items():
        members = [players[p] for t in lg.team_ids for p in rosters[t]]
        for season in SEASONS:
            ranked = sorted(
                (p for p in members if p.stats[season].goals > 0),
                key=lambda p: (-p.stats[season].goals, -p.stats[season].assists, p.name),
            )
            scorers[(lid, season)] = tuple(ranked)
    return {
        "leagues": leagues,
        "teams": teams,
        "matches": matches_,
        "players": players,
        "fixtures": fixtures,
        "standings": standings,
        "scorers": scorers,
        "rosters": {
            t: tuple(sorted((players[p] for p in r), key=lambda p: p.shirt))
            for t, r in rosters.items()
        },
    }


def _build_tennis(rng: StableRng, g: geography.GeoData, taken: set[str]) -> dict[str, Any]:
    codes = tuple(g.countries)
    names = unique(rng, person, 2 * TENNIS_PER_TOUR, taken)
    events = unique(rng, lambda r: f"{place(r)} {r.choice(('Open', 'Masters', 'Classic'))}", 24)
    tennis: dict[str, TennisPlayer] = {}
    rankings: dict[str, tuple[TennisPlayer, ...]] = {}
    h2h: dict[tuple[str, str], HeadToHead] = {}
    n = 0
    for tour in TOURS:
        points = sorted(rng.sample(range(300, 12000), TENNIS_PER_TOUR), reverse=True)
        ranked = []
        for rank, pts in enumerate(points, start=1):
            pid = f"TP{101 + n}"
            age = rng.randint(18, 36)
            p = TennisPlayer(
                pid,
                names[n],
                tour,
                rank,
                pts,
                rng.choice(codes),
                age,
                rng.weighted(("right-handed", "left-handed"), (5, 1)),
                rng.randint(0, max(1, 30 - rank // 2)),
                2025 - age + rng.randint(15, 18),
            )
            tennis[pid] = p
            ranked.append(p)
            n += 1
        rankings[tour] = tuple(ranked)
        for i, a in enumerate(ranked):
            for b in ranked[i + 1 :]:
                meetings = rng.randint(0, 9)
                share = a.points / (a.points + b.points)
                wins_a = min(meetings, max(0, round(meetings * share + rng.uniform(-1.5, 1.5))))
                # one draw picks the last meeting: its winner, how long ago, which event
                r = rng.below(1000 * len(events))
                last_winner = (
                    a.player_id
                    if wins_a and (wins_a == meetings or r % 1000 < 1000 * share)
                    else b.player_id
                )
                h2h[(a.player_id, b.player_id)] = HeadToHead(
                    {a.player_id: wins_a, b.player_id: meetings - wins_a},
                    day(-10 - (r % 890)),
                    events[r // 1000],
                    last_winner,
                )
    return {"tennis": tennis, "rankings": rankings, "h2h": h2h}


@DOMAIN.builder
def build(rng: StableRng, world: Mapping[str, Any]) -> SportsData:
    g: geography.GeoData = world["geography"]
    taken: set[str] = set()
    foot = _build_football(rng.child("football"), g, taken)
    ten = _build_tennis(rng.child("tennis"), g, taken)
    data = SportsData(
        **foot,
        **ten,
        team_index=SearchIndex(foot["teams"].values(), _NAME),
        player_index=SearchIndex(foot["players"].values(), _NAME),
        tennis_index=SearchIndex(ten["tennis"].values(), _NAME),
    )
    return warm(data)


def sdata(state_or_world: WorldState | World) -> SportsData:
    return domain_data(state_or_world, "sports")


def _season(args: Mapping[str, Any]) -> str:
    season = args.get("season", CURRENT)
    if season not in SEASONS:
        raise ApiInputError(f"season must be one of {', '.join(SEASONS)}")
    return season


# ---------------------------------------------------------------- football_data
@DOMAIN.api("football_data", "list_leagues")
def list_leagues(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = sdata(state)
    code = args.get("country_code")
    if code is not None and not isinstance(code, str):
        raise ApiInputError("country_code must be a string")
    rows = [lg for lg in d.leagues.values() if not code or lg.country_code == code.upper()]
    return {
        "season": CURRENT,
        "results": [
            {
                "league_id": lg.league_id,
                "name": lg.name,
                "country_code": lg.country_code,
                "teams": len(lg.team_ids),
            }
            for lg in rows
        ],
    }


@DOMAIN.api("football_data", "search_teams")
def search_teams(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = sdata(state)
    found = find(d.team_index, require_text(args, "query"))
    return paginate(
        found,
        args.get("page", 1),
        PAGE,
        lambda t: {"team_id": t.team_id, "name": t.name, "league_id": t.league_id},
    )


@DOMAIN.api("football_data", "get_team")
def get_team(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = sdata(state)
    t = get_by_id(d.teams, args["team_id"], "team")
    city = geography.geo(state).cities[t.city_id]
    return {
        "team_id": t.team_id,
        "name": t.name,
        "league_id": t.league_id,
        "league": d.leagues[t.league_id].name,
        "city_id": city.city_id,
        "city": city.name,
        "stadium": t.stadium,
        "capacity": t.capacity,
        "founded": t.founded,
        "coach": t.coach,
    }


def _fixture(d: SportsData, m: Match) -> dict[str, Any]:
    home = d.teams[m.home_id]
    score = f"{m.home_goals}:{m.away_goals}" if m.played else None
    return {
        "match_id": m.match_id,
        "round": m.round,
        "date": m.date,
        "kickoff_local": m.kickoff,
        "home_team_id": home.team_id,
        "home": home.name,
        "away_team_id": m.away_id,
        "away": d.teams[m.away_id].name,
        "venue": home.stadium,
        "venue_city_id": home.city_id,
        "score": score,
    }


@DOMAIN.api("football_data", "team_fixtures")
def team_fixtures(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = sdata(state)
    t = get_by_id(d.teams, args["team_id"], "team")
    status = args.get("status", "finished")
    if status not in ("finished", "upcoming"):
        raise ApiInputError("status must be 'finished' or 'upcoming'")
    return {
        "team_id": t.team_id,
        "status": status,
        **paginate(
            d.fixtures[t.team_id][status], args.get("page", 1), PAGE, lambda m: _fixture(d, m)
        ),
    }


@DOMAIN.api("football_data", "match_result")
def match_result(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = sdata(state)
    m = get_by_id(d.matches, args["match_id"], "match")
    out = {
        **_fixture(d, m),
        "league_id": m.league_id,
        "status": "finished" if m.played else "scheduled",
    }
    if m.played:
        out |= {
            "home_goals": m.home_goals,
            "away_goals": m.away_goals,
            "attendance": m.attendance,
            "goals": [
                {
                    "minute": g.minute,
                    "player_id": g.player_id,
                    "player": d.players[g.player_id].name,
                    "team": d.teams[g.team_id].name,
                }
                for g in m.goals
            ],
        }
    return out


@DOMAIN.api("football_data", "league_standings")
def league_standings(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = sdata(state)
    lg = get_by_id(d.leagues, args["league_id"], "league")

    def render(pair: tuple[int, Standing]) -> dict[str, Any]:
        pos, s = pair
        return {
            "position": pos,
            "team_id": s.team_id,
            "team": d.teams[s.team_id].name,
            "played": s.played,
            "won": s.won,
            "drawn": s.drawn,
            "lost": s.lost,
            "goals_for": s.goals_for,
            "goals_against": s.goals_against,
            "goal_difference": s.goals_for - s.goals_against,
            "points": s.points,
        }

    rows = d.ranked_standings[lg.league_id]
    return {
        "league_id": lg.league_id,
        "league": lg.name,
        "season": CURRENT,
        **paginate(rows, args.get("page", 1), PAGE, render),
    }


# ---------------------------------------------------------------- player_stats
def _player_summary(d: SportsData, p: Player) -> dict[str, Any]:
    return {
        "player_id": p.player_id,
        "name": p.name,
        "team_id": p.team_id,
        "team": d.teams[p.team_id].name,
        "position": p.position,
    }


@DOMAIN.api("player_stats", "search_players")
def search_players(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = sdata(state)
    found = find(d.player_index, require_text(args, "query"))
    return paginate(found, args.get("page", 1), PAGE, lambda p: _player_summary(d, p))


@DOMAIN.api("player_stats", "player_season_stats")
def player_season_stats(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = sdata(state)
    p = get_by_id(d.players, args["player_id"], "player")
    season = _season(args)
    s = p.stats[season]
    return {
        **_player_summary(d, p),
        "season": season,
        "appearances": s.appearances,
        "minutes": s.minutes,
        "goals": s.goals,
        "assists": s.assists,
        "yellow_cards": s.yellow_cards,
    }


@DOMAIN.api("player_stats", "top_scorers")
def top_scorers(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = sdata(state)
    lg = get_by_id(d.leagues, args["league_id"], "league")
    season = _season(args)
    rows = d.ranked_scorers[lg.league_id, season]
    return {
        "league_id": lg.league_id,
        "season": season,
        **paginate(
            rows,
            args.get("page", 1),
            PAGE,
            lambda r: {
                "rank": r[0],
                **_player_summary(d, r[1]),
                "goals": r[1].stats[season].goals,
                "assists": r[1].stats[season].assists,
            },
        ),
    }


@DOMAIN.api("player_stats", "team_roster")
def team_roster(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = sdata(state)
    t = get_by_id(d.teams, args["team_id"], "team")
    return {
        "team_id": t.team_id,
        "team": t.name,
        "players": [
            {
                "player_id": p.player_id,
                "name": p.name,
                "position": p.position,
                "shirt_number": p.shirt,
                "birth_year": p.birth_year,
            }
            for p in d.rosters[t.team_id]
        ],
    }


# ---------------------------------------------------------------- tennis_rankings
@DOMAIN.api("tennis_rankings", "search_tennis_players")
def search_tennis_players(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = sdata(state)
    found = find(d.tennis_index, require_text(args, "query"))
    return paginate(
        found,
        args.get("page", 1),
        PAGE,
        lambda p: {
            "player_id": p.player_id,
            "name": p.name,
            "tour": p.tour,
            "country_code": p.country_code,
        },
    )


@DOMAIN.api("tennis_rankings", "get_rankings")
def get_rankings(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = sdata(state)
    tour = args.get("tour", "men")
    if tour not in TOURS:
        raise ApiInputError("tour must be 'men' or 'women'")
    return {
        "tour": tour,
        **paginate(
            d.rankings[tour],
            args.get("page", 1),
            TENNIS_PAGE,
            lambda p: {
                "rank": p.rank,
                "player_id": p.player_id,
                "name": p.name,
                "points": p.points,
                "country_code": p.country_code,
            },
        ),
    }


@DOMAIN.api("tennis_rankings", "tennis_player_profile")
def tennis_player_profile(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    p = get_by_id(sdata(state).tennis, args["player_id"], "tennis player")
    return {
        "player_id": p.player_id,
        "name": p.name,
        "tour": p.tour,
        "rank": p.rank,
        "points": p.points,
        "country_code": p.country_code,
        "age": p.age,
        "plays": p.plays,
        "titles": p.titles,
        "turned_pro": p.turned_pro,
    }


@DOMAIN.api("tennis_rankings", "head_to_head")
def head_to_head(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = sdata(state)
    a = get_by_id(d.tennis, args["player_id_a"], "tennis player")
    b = get_by_id(d.tennis, args["player_id_b"], "tennis player")
    if a.player_id == b.player_id:
        raise ApiInputError("player_id_a and player_id_b must be different players")
    if a.tour != b.tour:
        return {
            "player_id_a": a.player_id,
            "player_id_b": b.player_id,
            "meetings": 0,
            "wins_a": 0,
            "wins_b": 0,
            "last_meeting": None,
        }
    key = (a.player_id, b.player_id) if a.rank < b.rank else (b.player_id, a.player_id)
    h = d.h2h[key]
    wins_a, wins_b = h.wins[a.player_id], h.wins[b.player_id]
    last = None
    if wins_a + wins_b:
        last = {"date": h.last_date, "event": h.last_event, "winner": d.tennis[h.last_winner].name}
    return {
        "player_id_a": a.player_id,
        "name_a": a.name,
        "player_id_b": b.player_id,
        "name_b": b.name,
        "meetings": wins_a + wins_b,
        "wins_a": wins_a,
        "wins_b": wins_b,
        "last_meeting": last,
    }


# ---------------------------------------------------------------- task helpers
def _team_search(d: SportsData, t: Team) -> GoldCall | None:
    return index_search_call(
        d.team_index, t, t.name, "football_data", "search_teams", page_size=PAGE
    )


def _player_search(d: SportsData, p: Player) -> GoldCall | None:
    return index_search_call(
        d.player_index, p, p.name, "player_stats", "search_players", page_size=PAGE
    )


def _tennis_search(d: SportsData, p: TennisPlayer) -> GoldCall | None:
    return index_search_call(
        d.tennis_index, p, p.name, "tennis_rankings", "search_tennis_players", page_size=PAGE
    )


def _season_stats_call(p: Player, season: str) -> GoldCall:
    """player_season_stats of ``p`` in ``season``, fed by the player search at node 0."""
    return GoldCall(
        "player_stats", "player_season_stats", {"player_id": p.player_id, "season": season}, (0,)
    )


def _paged(call: GoldCall, page: int, depends: tuple[int, ...]) -> GoldCall:
    args = dict(call.arguments)
    if page > 1:
        args["page"] = page
    return GoldCall(call.tool, call.api, args, depends, call.match)


# ---------------------------------------------------------------- G1: football_data
@DOMAIN.task("sports.team_stadium", group="G1", tools=("football_data",))
def task_team_stadium(rng: StableRng, world: World) -> TaskDraft | None:
    d = sdata(world)
    t = rng.choice(tuple(d.teams.values()))
    search = _team_search(d, t)
    if search is None:
        return None
    return TaskDraft(
        slots={"team": t.name},
        gold=(search, GoldCall("football_data", "get_team", {"team_id": t.team_id}, (0,))),
        facts=(AnswerFact(t.stadium, "stadium"), AnswerFact(t.capacity, "capacity")),
        answer=f"{t.name} play at {t.stadium}, which holds {t.capacity} spectators.",
    )


@DOMAIN.task("sports.match_report", group="G1", tools=("football_data",))
def task_match_report(rng: StableRng, world: World) -> TaskDraft | None:
    d = sdata(world)
    t = rng.choice(tuple(d.teams.values()))
    search = _team_search(d, t)
    if search is None:
        return None
    i = rng.randint(0, 2 * PAGE - 1)
    m = d.fixtures[t.team_id]["finished"][i]
    if m.home_goals is None or m.away_goals is None:
        return None
    home, away = d.teams[m.home_id], d.teams[m.away_id]
    total = m.home_goals + m.away_goals
    pages = [
        GoldCall("football_data", "team_fixtures", {"team_id": t.team_id}, (0,), match=("team_id",))
    ]
    if i >= PAGE:
        pages.append(_paged(pages[0], 2, (1,)))
    return TaskDraft(
        slots={"home": home.name, "away": away.name, "date": m.date},
        gold=(
            search,
            *pages,
            GoldCall("football_data", "match_result", {"match_id": m.match_id}, (len(pages),)),
        ),
        facts=(AnswerFact(total, "total goals"), AnswerFact(m.attendance or 0, "attendance")),
        answer=f"{home.name} against {away.name} on {m.date} ended {m.home_goals}:"
        f"{m.away_goals}, so {total} goals in total, watched by {m.attendance} fans.",
    )


@DOMAIN.task("sports.standings_position", group="G1", tools=("football_data",))
def task_standings_position(rng: StableRng, world: World) -> TaskDraft | None:
    d = sdata(world)
    lg = rng.choice(tuple(d.leagues.values()))
    pos = rng.randint(1, TEAMS_PER_LEAGUE)
    s = d.standings[lg.league_id][pos - 1]
    team = d.teams[s.team_id].name
    page = (pos - 1) // PAGE + 1
    on_page = [
        d.teams[x.team_id].name for x in d.standings[lg.league_id][(page - 1) * PAGE : page * PAGE]
    ]
    answer = f"{team} are {ordinal(pos)} in the {lg.name} with {s.points} points."
    return TaskDraft(
        slots={"league": lg.name, "position": ordinal(pos)},
        gold=(
            GoldCall("football_data", "list_leagues", {}),
            _paged(
                GoldCall("football_data", "league_standings", {"league_id": lg.league_id}),
                page,
                (0,),
            ),
        ),
        facts=(
            chosen_fact(team, "team", answer, on_page, within_value=True),
            AnswerFact(s.points, "points"),
        ),
        answer=answer,
    )


# ---------------------------------------------------------------- G1: player_stats
@DOMAIN.task("sports.player_season", group="G1", tools=("player_stats",))
def task_player_season(rng: StableRng, world: World) -> TaskDraft | None:
    d = sdata(world)
    p = rng.choice([x for x in d.players.values() if x.position != "GK"])
    search = _player_search(d, p)
    if search is None:
        return None
    season = rng.choice(SEASONS)
    s = p.stats[season]
    return TaskDraft(
        slots={"player": p.name, "season": season},
        gold=(
            search,
            _season_stats_call(p, season),
        ),
        facts=(AnswerFact(s.goals, "goals"), AnswerFact(s.assists, "assists")),
        answer=f"In {season}, {p.name} scored {s.goals} goals and made {s.assists} assists.",
    )


@DOMAIN.task("sports.minutes_per_goal", group="G1", tools=("player_stats",))
def task_minutes_per_goal(rng: StableRng, world: World) -> TaskDraft | None:
    d = sdata(world)
    season = rng.choice(SEASONS)
    p = rng.choice([x for x in d.players.values() if x.stats[season].goals > 0])
    s = p.stats[season]
    search = _player_search(d, p)
    if search is None:
        return None
    per_goal = round(s.minutes / s.goals, 1)
    return TaskDraft(
        slots={"player": p.name, "season": season},
        gold=(
            search,
            _season_stats_call(p, season),
        ),
        facts=(AnswerFact(per_goal, "minutes per goal"),),
        answer=f"In {season}, {p.name} played {s.minutes} minutes and scored {s.goals} goals: "
        f"one goal every {per_goal} minutes.",
    )


# ---------------------------------------------------------------- G1: tennis_rankings (held out)
@DOMAIN.task("sports.tennis_profile", group="G1", tools=("tennis_rankings",))
def task_tennis_profile(rng: StableRng, world: World) -> TaskDraft | None:
    d = sdata(world)
    p = rng.choice(tuple(d.tennis.values()))
    search = _tennis_search(d, p)
    if search is None:
        return None
    return TaskDraft(
        slots={"player": p.name},
        gold=(
            search,
            GoldCall("tennis_rankings", "tennis_player_profile", {"player_id": p.player_id}, (0,)),
        ),
        facts=(AnswerFact(p.rank, "rank"), AnswerFact(p.points, "points")),
        answer=f"{p.name} is ranked number {p.rank} on the {p.tour}'s tour with {p.points} points.",
    )


@DOMAIN.task("sports.tennis_h2h", group="G1", tools=("tennis_rankings",))
def task_tennis_h2h(rng: StableRng, world: World) -> TaskDraft | None:
    d = sdata(world)
    tour = rng.choice(TOURS)
    a, b = rng.sample(d.rankings[tour], 2)
    sa, sb = _tennis_search(d, a), _tennis_search(d, b)
    if sa is None or sb is None:
        return None
    key = (a.player_id, b.player_id) if a.rank < b.rank else (b.player_id, a.player_id)
    h = d.h2h[key]
    wa, wb = h.wins[a.player_id], h.wins[b.player_id]
    if wa + wb == 0:
        return None
    return TaskDraft(
        slots={"player_a": a.name, "player_b": b.name},
        gold=(
            sa,
            sb,
            GoldCall(
                "tennis_rankings",
                "head_to_head",
                {"player_id_a": a.player_id, "player_id_b": b.player_id},
                (0, 1),
            ),
        ),
        facts=(AnswerFact(wa, "wins a"), AnswerFact(wb, "wins b")),
        answer=f"{a.name} leads {b.name} {wa} wins to {wb}."
        if wa > wb
        else f"{a.name} has {wa} wins against {b.name}, who has {wb}.",
    )


@DOMAIN.task("sports.tennis_rank_holder", group="G1", tools=("tennis_rankings",))
def task_tennis_rank_holder(rng: StableRng, world: World) -> TaskDraft | None:
    d = sdata(world)
    tour = rng.choice(TOURS)
    rank = rng.randint(1, TENNIS_PER_TOUR)
    p = d.rankings[tour][rank - 1]
    page = (rank - 1) // TENNIS_PAGE + 1
    on_page = [x.name for x in d.rankings[tour][(page - 1) * TENNIS_PAGE : page * TENNIS_PAGE]]
    answer = f"Number {rank} on the {tour}'s tour is {p.name} with {p.points} points."
    args: dict[str, Any] = {"tour": tour}
    if page > 1:
        args["page"] = page
    return TaskDraft(
        slots={"rank": str(rank), "tour": tour},
        gold=(GoldCall("tennis_rankings", "get_rankings", args),),
        facts=(
            chosen_fact(p.name, "player", answer, on_page, within_value=True),
            AnswerFact(p.points, "points"),
        ),
        answer=answer,
    )


# ---------------------------------------------------------------- G2
@DOMAIN.task("sports.scorer_rank", group="G2", tools=("football_data", "player_stats"))
def task_scorer_rank(rng: StableRng, world: World) -> TaskDraft | None:
    d = sdata(world)
    lg = rng.choice(tuple(d.leagues.values()))
    season = rng.choice(SEASONS)
    rank = rng.randint(1, 2 * PAGE)
    ranked = d.scorers[(lg.league_id, season)]
    if rank > len(ranked):
        return None
    p = ranked[rank - 1]
    goals = p.stats[season].goals
    page = (rank - 1) // PAGE + 1
    on_page = [x.name for x in ranked[(page - 1) * PAGE : page * PAGE]]
    answer = (
        f"The {ordinal(rank)} top scorer of the {lg.name} in {season} is {p.name} "
        f"({d.teams[p.team_id].name}) with {goals} goals."
    )
    return TaskDraft(
        slots={"league": lg.name, "season": season, "rank": ordinal(rank)},
        gold=(
            GoldCall("football_data", "list_leagues", {}),
            _paged(
                GoldCall(
                    "player_stats", "top_scorers", {"league_id": lg.league_id, "season": season}
                ),
                page,
                (0,),
            ),
        ),
        facts=(
            chosen_fact(p.name, "player", answer, on_page, within_value=True),
            AnswerFact(goals, "goals"),
        ),
        answer=answer,
    )


@DOMAIN.task("sports.shirt_number", group="G2", tools=("football_data", "player_stats"))
def task_shirt_number(rng: StableRng, world: World) -> TaskDraft | None:
    d = sdata(world)
    t = rng.choice(tuple(d.teams.values()))
    search = _team_search(d, t)
    if search is None:
        return None
    roster = d.rosters[t.team_id]
    p = rng.choice(roster)
    if sum(1 for x in roster if x.shirt == p.shirt) > 1:
        return None
    s = p.stats[CURRENT]
    answer = (
        f"Number {p.shirt} at {t.name} is {p.name} ({p.position}), who has scored "
        f"{s.goals} goals in {CURRENT}."
    )
    return TaskDraft(
        slots={"team": t.name, "shirt": str(p.shirt)},
        gold=(
            search,
            GoldCall("player_stats", "team_roster", {"team_id": t.team_id}, (0,)),
            GoldCall(
                "player_stats",
                "player_season_stats",
                {"player_id": p.player_id},
                (1,),
                match=("player_id",),
            ),
        ),
        facts=(
            chosen_fact(p.name, "player", answer, [x.name for x in roster], within_value=True),
            AnswerFact(s.goals, "goals"),
        ),
        answer=answer,
    )


# ---------------------------------------------------------------- G3
@DOMAIN.task("sports.team_distance", group="G3", tools=("football_data", "distance_calculator"))
def task_team_distance(rng: StableRng, world: World) -> TaskDraft | None:
    d = sdata(world)
    g = geography.geo(world)
    a, b = rng.sample(tuple(d.teams.values()), 2)
    if a.city_id == b.city_id:
        return None
    sa, sb = _team_search(d, a), _team_search(d, b)
    if sa is None or sb is None:
        return None
    km = geography.haversine_km(g.cities[a.city_id], g.cities[b.city_id])
    return TaskDraft(
        slots={"team_a": a.name, "team_b": b.name},
        gold=(
            sa,
            sb,
            GoldCall("football_data", "get_team", {"team_id": a.team_id}, (0,)),
            GoldCall("football_data", "get_team", {"team_id": b.team_id}, (1,)),
            GoldCall(
                "distance_calculator",
                "city_distance",
                {"city_id_a": a.city_id, "city_id_b": b.city_id},
                (2, 3),
                match=("city_id_a", "city_id_b"),
            ),
        ),
        facts=(AnswerFact(km, "distance km"),),
        answer=f"{a.name} ({g.cities[a.city_id].name}) and {b.name} "
        f"({g.cities[b.city_id].name}) are {km} km apart.",
    )


@DOMAIN.task(
    "sports.kickoff_local_time", group="G3", tools=("football_data", "geodb_cities", "timezone_db")
)
def task_kickoff_local_time(rng: StableRng, world: World) -> TaskDraft | None:
    d = sdata(world)
    g = geography.geo(world)
    t = rng.choice(tuple(d.teams.values()))
    search = _team_search(d, t)
    if search is None:
        return None
    m = d.fixtures[t.team_id]["upcoming"][0]
    venue = g.cities[d.teams[m.home_id].city_id]
    home = rng.choice(g.city_list)
    if home.country_code == venue.country_code:
        return None
    if home not in g.city_index.search(home.name)[:5]:
        return None
    hh, mm = (int(x) for x in m.kickoff.split(":"))
    total = (hh * 60 + mm + (home.utc_offset - venue.utc_offset) * 60) % 1440
    local = hhmm(total)
    opponent = d.teams[m.away_id if m.home_id == t.team_id else m.home_id].name
    return TaskDraft(
        slots={"team": t.name, "city": home.name},
        gold=(
            search,
            GoldCall(
                "football_data", "team_fixtures", {"team_id": t.team_id, "status": "upcoming"}, (0,)
            ),
            GoldCall("geodb_cities", "search_cities", {"query": home.name}),
            GoldCall(
                "timezone_db",
                "convert_time",
                {"time": m.kickoff, "from_city_id": venue.city_id, "to_city_id": home.city_id},
                (1, 2),
            ),
        ),
        facts=(AnswerFact(opponent, "opponent"), AnswerFact(local, "local kickoff")),
        answer=f"{t.name} next play {opponent} on {m.date}, kicking off at {m.kickoff} in "
        f"{venue.name}, which is {local} in {home.name}.",
    )
