"""Location: countries and cities — the hub every other domain refers to.

Tools: ``geodb_cities`` (city search and details), ``countries_info`` (countries),
``timezone_db`` (UTC offsets and local times), ``distance_calculator`` (great-circle
distances). Other domains use :class:`City` ids (``"C1001"``) and country codes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from steptool_env.seeding import StableRng
from steptool_env.world.domain import Domain
from steptool_env.world.helpers import (
    ApiInputError,
    SearchIndex,
    domain_data,
    get_by_id,
    hhmm,
    paginate,
    require_text,
)
from steptool_env.world.names import place, unique, word
from steptool_env.world.state import World, WorldState
from steptool_env.world.tasks import AnswerFact, GoldCall, TaskDraft

DOMAIN = Domain("geography")

CONTINENTS = ("Africa", "Asia", "Europe", "North America", "South America", "Oceania")
LANGUAGES = (
    "Aldric",
    "Belamese",
    "Corvish",
    "Dunari",
    "Estovan",
    "Farrin",
    "Galic",
    "Hestian",
    "Ivorian",
    "Jorvic",
    "Kesh",
    "Lumeran",
)


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    name: str
    continent: str
    capital_id: str
    population: int
    area_km2: int
    currency: str
    languages: tuple[str, ...]
    calling_code: str


@dataclass(frozen=True, slots=True)
class City:
    city_id: str
    name: str
    country_code: str
    population: int
    lat: float
    lon: float
    utc_offset: int
    elevation_m: int
    founded: int
    is_capital: bool


@dataclass(frozen=True)
class GeoData:
    countries: Mapping[str, Country]
    cities: Mapping[str, City]
    cities_by_country: Mapping[str, tuple[City, ...]]
    """Each country's cities, most populous first."""
    city_index: SearchIndex[City]
    country_index: SearchIndex[Country]

    @property
    def city_list(self) -> tuple[City, ...]:
        return tuple(self.cities.values())


N_COUNTRIES = 64
CITIES_PER_COUNTRY = (3, 6)
CURRENCIES = (
    "USD",
    "EUR",
    "GBP",
    "JPY",
    "CHF",
    "AUD",
    "CAD",
    "SEK",
    "NOK",
    "INR",
    "BRL",
    "ZAR",
    "MXN",
    "SGD",
    "NZD",
    "KRW",
    "DKK",
    "PLN",
    "THB",
    "TRY",
    "CZK",
    "HUF",
    "ILS",
    "CLP",
)


@DOMAIN.builder
def build(rng: StableRng, world: Mapping[str, Any]) -> GeoData:
    names = unique(
        rng, lambda r: word(r, (2, 3)) + r.choice(("ia", "a", "land", "stan", "")), N_COUNTRIES
    )
    taken_codes: set[str] = set()
    countries: dict[str, Country] = {}
    cities: dict[str, City] = {}
    by_country: dict[str, tuple[City, ...]] = {}
    city_names = unique(rng, place, N_COUNTRIES * CITIES_PER_COUNTRY[1])
    cursor = 0
    next_city = 1001
    for i, name in enumerate(names):
        code = next(
            c
            for c in (name[:2].upper(), name[0] + name[2], name[0] + name[-1], f"{name[0]}{i}")
            if c.upper() not in taken_codes
        ).upper()
        taken_codes.add(code)
        continent = CONTINENTS[i % len(CONTINENTS)]
        base_lat = {
            "Africa": 0,
            "Asia": 35,
            "Europe": 50,
            "North America": 40,
            "South America": -20,
            "Oceania": -30,
        }[continent]
        base_lon = {
            "Africa": 20,
            "Asia": 100,
            "Europe": 10,
            "North America": -95,
            "South America": -60,
            "Oceania": 140,
        }[continent]
        offset = round(base_lon / 15) + rng.randint(-1, 1)
        n_cities = rng.randint(*CITIES_PER_COUNTRY)
        pops = sorted(
            (rng.randint(40, 4000) * 1000 + rng.randint(0, 999) for _ in range(n_cities)),
            reverse=True,
        )
        own: list[City] = []
        capital_idx = rng.below(min(2, n_cities))
        for j in range(n_cities):
            cid = f"C{next_city}"
            next_city += 1
            city = City(
                city_id=cid,
                name=city_names[cursor],
                country_code=code,
                population=pops[j],
                lat=round(base_lat + rng.uniform(-9, 9), 4),
                lon=round(base_lon + rng.uniform(-14, 14), 4),
                utc_offset=offset,
                elevation_m=rng.randint(0, 2400),
                founded=rng.randint(800, 1950),
                is_capital=(j == capital_idx),
            )
            cursor += 1
            own.append(city)
            cities[cid] = city
        by_country[code] = tuple(own)
        countries[code] = Country(
            code=code,
            name=name,
            continent=continent,
            capital_id=own[capital_idx].city_id,
            population=sum(c.population for c in own) * rng.randint(3, 9),
            area_km2=rng.randint(20, 2000) * 1000,
            currency=CURRENCIES[i % len(CURRENCIES)],
            languages=tuple(rng.sample(LANGUAGES, rng.randint(1, 3))),
            calling_code=f"+{rng.randint(20, 999)}",
        )
    return GeoData(
        countries=countries,
        cities=cities,
        cities_by_country=by_country,
        city_index=SearchIndex(cities.values(), lambda c: c.name),
        country_index=SearchIndex(countries.values(), lambda c: c.name),
    )


def geo(state_or_world: WorldState | World) -> GeoData:
    return domain_data(state_or_world, "geography")


def city_summary(c: City) -> dict[str, Any]:
    return {"city_id": c.city_id, "name": c.name, "country_code": c.country_code}


def haversine_km(a: City, b: City) -> float:
    r = 6371.0
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * r * math.asin(math.sqrt(h)), 1)


def _country_by_code(g: GeoData, code: Any) -> Country:
    if not isinstance(code, str):
        raise ApiInputError("country_code must be a string")
    return get_by_id(g.countries, code.upper(), "country")


# ---------------------------------------------------------------- geodb_cities
@DOMAIN.api("geodb_cities", "search_cities")
def search_cities(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    g = geo(state)
    q = require_text(args, "query")
    code = args.get("country_code")
    found = [c for c in g.city_index.search(q) if not code or c.country_code == str(code).upper()]
    return paginate(found, args.get("page", 1), 5, city_summary)


@DOMAIN.api("geodb_cities", "get_city_details")
def get_city_details(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    c = get_by_id(geo(state).cities, args["city_id"], "city")
    return {
        "city_id": c.city_id,
        "name": c.name,
        "country_code": c.country_code,
        "population": c.population,
        "latitude": c.lat,
        "longitude": c.lon,
        "elevation_m": c.elevation_m,
        "founded": c.founded,
        "is_capital": c.is_capital,
    }


@DOMAIN.api("geodb_cities", "list_cities_in_country")
def list_cities_in_country(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    g = geo(state)
    country = _country_by_code(g, args["country_code"])
    own = g.cities_by_country[country.code]
    if args.get("sort", "population") == "name":
        own = tuple(sorted(own, key=lambda c: c.name))
    return paginate(
        own, args.get("page", 1), 3, lambda c: {**city_summary(c), "population": c.population}
    )


@DOMAIN.api("geodb_cities", "nearby_cities")
def nearby_cities(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    g = geo(state)
    origin = get_by_id(g.cities, args["city_id"], "city")
    radius = args.get("radius_km", 500)
    if not isinstance(radius, (int, float)) or radius <= 0 or radius > 5000:
        raise ApiInputError("radius_km must be a number in (0, 5000]")
    near = sorted(
        ((haversine_km(origin, c), c) for c in g.city_list if c.city_id != origin.city_id),
        key=lambda x: (x[0], x[1].city_id),
    )
    return {"results": [{**city_summary(c), "distance_km": d} for d, c in near if d <= radius][:10]}


# ---------------------------------------------------------------- countries_info
def _country_view(g: GeoData, c: Country) -> dict[str, Any]:
    cap = g.cities[c.capital_id]
    return {
        "country_code": c.code,
        "name": c.name,
        "continent": c.continent,
        "capital": cap.name,
        "capital_city_id": cap.city_id,
        "population": c.population,
        "area_km2": c.area_km2,
        "currency": c.currency,
        "languages": list(c.languages),
        "calling_code": c.calling_code,
    }


@DOMAIN.api("countries_info", "search_countries")
def search_countries(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    g = geo(state)
    q = require_text(args, "name")
    found = [{"country_code": c.code, "name": c.name} for c in g.country_index.search(q)]
    return {"results": found}


@DOMAIN.api("countries_info", "get_country")
def get_country(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    g = geo(state)
    return _country_view(g, _country_by_code(g, args["country_code"]))


@DOMAIN.api("countries_info", "list_countries_by_continent")
def list_countries_by_continent(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    g = geo(state)
    cont = args["continent"]
    if cont not in CONTINENTS:
        raise ApiInputError(f"unknown continent {cont!r}")
    found = sorted((c for c in g.countries.values() if c.continent == cont), key=lambda c: c.name)
    return paginate(
        found, args.get("page", 1), 5, lambda c: {"country_code": c.code, "name": c.name}
    )


@DOMAIN.api("countries_info", "get_country_cities")
def get_country_cities(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    g = geo(state)
    country = _country_by_code(g, args["country_code"])
    return {
        "country_code": country.code,
        "cities": [
            {**city_summary(c), "population": c.population}
            for c in g.cities_by_country[country.code]
        ],
    }


# ---------------------------------------------------------------- timezone_db
@DOMAIN.api("timezone_db", "get_city_timezone")
def get_city_timezone(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    c = get_by_id(geo(state).cities, args["city_id"], "city")
    sign = "+" if c.utc_offset >= 0 else "-"
    return {
        "city_id": c.city_id,
        "utc_offset_hours": c.utc_offset,
        "timezone": f"UTC{sign}{abs(c.utc_offset):02d}:00",
    }


@DOMAIN.api("timezone_db", "convert_time")
def convert_time(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    g = geo(state)
    a = get_by_id(g.cities, args["from_city_id"], "city")
    b = get_by_id(g.cities, args["to_city_id"], "city")
    t = require_text(args, "time")
    try:
        hh, mm = (int(x) for x in t.split(":"))
        if not (0 <= hh < 24 and 0 <= mm < 60):
            raise ValueError
    except ValueError:
        raise ApiInputError("time must be HH:MM (24-hour clock)") from None
    total = (hh * 60 + mm + (b.utc_offset - a.utc_offset) * 60) % (24 * 60)
    return {
        "from_city_id": a.city_id,
        "to_city_id": b.city_id,
        "from_time": f"{hh:02d}:{mm:02d}",
        "to_time": hhmm(total),
        "difference_hours": b.utc_offset - a.utc_offset,
    }


@DOMAIN.api("timezone_db", "list_cities_in_timezone")
def list_cities_in_timezone(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    off = args["utc_offset_hours"]
    if not isinstance(off, int) or not -12 <= off <= 14:
        raise ApiInputError("utc_offset_hours must be an integer in [-12, 14]")
    found = sorted((c for c in geo(state).city_list if c.utc_offset == off), key=lambda c: c.name)
    return paginate(found, args.get("page", 1), 5, city_summary)


# ---------------------------------------------------------------- distance_calculator
@DOMAIN.api("distance_calculator", "city_distance")
def city_distance(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    g = geo(state)
    a = get_by_id(g.cities, args["city_id_a"], "city")
    b = get_by_id(g.cities, args["city_id_b"], "city")
    km = haversine_km(a, b)
    unit = args.get("unit", "km")
    if unit not in ("km", "mi"):
        raise ApiInputError("unit must be 'km' or 'mi'")
    value = km if unit == "km" else round(km / 1.609344, 1)
    return {"city_id_a": a.city_id, "city_id_b": b.city_id, "distance": value, "unit": unit}


@DOMAIN.api("distance_calculator", "travel_time")
def travel_time(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    km = args["distance_km"]
    if not isinstance(km, (int, float)) or km < 0:
        raise ApiInputError("distance_km must be a non-negative number")
    speed = {"car": 80.0, "train": 120.0, "plane": 750.0, "walk": 5.0}
    mode = args["mode"]
    if mode not in speed:
        raise ApiInputError(f"mode must be one of {', '.join(speed)}")
    return {"distance_km": km, "mode": mode, "hours": round(km / speed[mode], 2)}


# ---------------------------------------------------------------- tasks
def _pick_city(rng: StableRng, g: GeoData) -> City:
    return rng.choice(g.city_list)


def _search(city: City) -> GoldCall:
    return GoldCall("geodb_cities", "search_cities", {"query": city.name})


def _details_call(city: City) -> GoldCall:
    """get_city_details of ``city``, fed by the search call at node 0."""
    return GoldCall("geodb_cities", "get_city_details", {"city_id": city.city_id}, (0,))


def _distance_call(a: City, b: City) -> GoldCall:
    """city_distance between ``a`` and ``b``, fed by their searches at nodes 0 and 1."""
    return GoldCall(
        "distance_calculator",
        "city_distance",
        {"city_id_a": a.city_id, "city_id_b": b.city_id},
        (0, 1),
    )


@DOMAIN.task("geo.city_population", group="G1", tools=("geodb_cities",))
def task_city_population(rng: StableRng, world: World) -> TaskDraft:
    c = _pick_city(rng, geo(world))
    return TaskDraft(
        slots={"city": c.name},
        gold=(_search(c), _details_call(c)),
        facts=(AnswerFact(c.population, "population"),),
        answer=f"{c.name} has a population of {c.population}.",
    )


@DOMAIN.task("geo.city_founded_elevation", group="G1", tools=("geodb_cities",))
def task_city_founded(rng: StableRng, world: World) -> TaskDraft:
    c = _pick_city(rng, geo(world))
    return TaskDraft(
        slots={"city": c.name},
        gold=(_search(c), _details_call(c)),
        facts=(AnswerFact(c.founded, "founded"), AnswerFact(c.elevation_m, "elevation")),
        answer=f"{c.name} was founded in {c.founded} and lies at {c.elevation_m} m.",
    )


@DOMAIN.task("geo.country_capital", group="G1", tools=("countries_info",))
def task_country_capital(rng: StableRng, world: World) -> TaskDraft:
    g = geo(world)
    country = rng.choice(tuple(g.countries.values()))
    cap = g.cities[country.capital_id]
    return TaskDraft(
        slots={"country": country.name},
        gold=(
            GoldCall("countries_info", "search_countries", {"name": country.name}),
            GoldCall("countries_info", "get_country", {"country_code": country.code}, (0,)),
        ),
        facts=(AnswerFact(cap.name, "capital"), AnswerFact(country.currency, "currency")),
        answer=f"The capital of {country.name} is {cap.name}; it pays in {country.currency}.",
    )


@DOMAIN.task("geo.largest_city", group="G1", tools=("countries_info",))
def task_largest_city(rng: StableRng, world: World) -> TaskDraft:
    g = geo(world)
    country = rng.choice(tuple(g.countries.values()))
    own = g.cities_by_country[country.code]
    top = own[0]
    return TaskDraft(
        slots={"country": country.name},
        gold=(
            GoldCall("countries_info", "search_countries", {"name": country.name}),
            GoldCall("countries_info", "get_country_cities", {"country_code": country.code}, (0,)),
        ),
        facts=(
            AnswerFact(top.name, "largest city", tuple(c.name for c in own[1:])),
            AnswerFact(top.population, "population"),
        ),
        answer=f"The most populous city of {country.name} is {top.name} ({top.population}).",
    )


@DOMAIN.task("geo.distance", group="G2", tools=("geodb_cities", "distance_calculator"))
def task_distance(rng: StableRng, world: World) -> TaskDraft | None:
    g = geo(world)
    a, b = rng.sample(g.city_list, 2)
    if a.name == b.name:
        return None
    km = haversine_km(a, b)
    return TaskDraft(
        slots={"city_a": a.name, "city_b": b.name},
        gold=(
            _search(a),
            _search(b),
            _distance_call(a, b),
        ),
        facts=(AnswerFact(km, "distance km"),),
        answer=f"{a.name} and {b.name} are {km} km apart.",
    )


@DOMAIN.task("geo.time_difference", group="G2", tools=("geodb_cities", "timezone_db"))
def task_time_difference(rng: StableRng, world: World) -> TaskDraft | None:
    g = geo(world)
    a, b = rng.sample(g.city_list, 2)
    hh = rng.randint(6, 20)
    t = f"{hh:02d}:{rng.choice((0, 15, 30, 45)):02d}"
    total = (int(t[:2]) * 60 + int(t[3:]) + (b.utc_offset - a.utc_offset) * 60) % 1440
    to_time = hhmm(total)
    return TaskDraft(
        slots={"city_a": a.name, "city_b": b.name, "time": t},
        gold=(
            _search(a),
            _search(b),
            GoldCall(
                "timezone_db",
                "convert_time",
                {"time": t, "from_city_id": a.city_id, "to_city_id": b.city_id},
                (0, 1),
            ),
        ),
        facts=(AnswerFact(to_time, "local time"),),
        answer=f"When it is {t} in {a.name} it is {to_time} in {b.name}.",
    )


@DOMAIN.task("geo.travel_time", group="G2", tools=("geodb_cities", "distance_calculator"))
def task_travel_time(rng: StableRng, world: World) -> TaskDraft | None:
    g = geo(world)
    a, b = rng.sample(g.city_list, 2)
    km = haversine_km(a, b)
    mode = rng.choice(("car", "train"))
    hours = round(km / {"car": 80.0, "train": 120.0}[mode], 2)
    return TaskDraft(
        slots={"city_a": a.name, "city_b": b.name, "mode": mode},
        gold=(
            _search(a),
            _search(b),
            _distance_call(a, b),
            GoldCall("distance_calculator", "travel_time", {"distance_km": km, "mode": mode}, (2,)),
        ),
        facts=(AnswerFact(hours, "hours"),),
        answer=f"By {mode}, {a.name} to {b.name} ({km} km) takes about {hours} hours.",
    )
