"""Weather: current conditions, forecasts, air quality and climate normals per city.

Values are pure functions of (world seed, city, date): computed on demand, never stored.
Tools: ``open_weather`` (with its own city finder), ``air_quality`` (held out of train: the
unseen-tool subset uses it), ``climate_normals``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from steptool_env.seeding import StableRng, derive_seed
from steptool_env.world.domain import Domain
from steptool_env.world.domains.geography import City, geo
from steptool_env.world.helpers import (
    TODAY,
    ApiInputError,
    day,
    domain_data,
    get_by_id,
    parse_date,
    require_text,
)
from steptool_env.world.state import World, WorldState
from steptool_env.world.tasks import AnswerFact, GoldCall, TaskDraft

DOMAIN = Domain("weather", requires=("geography",))

CONDITIONS = (
    "clear",
    "partly cloudy",
    "overcast",
    "light rain",
    "heavy rain",
    "thunderstorm",
    "fog",
    "snow",
    "windy",
)
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
POLLUTANTS = ("pm25", "pm10", "o3", "no2", "so2", "co")


@dataclass(frozen=True)
class WeatherData:
    seed: int
    climate: Mapping[str, tuple[float, ...]]
    """City id → mean temperature (°C) for each month."""
    stations: Mapping[str, str]
    """Air-quality station id → city id."""
    station_of_city: Mapping[str, str]


@DOMAIN.builder
def build(rng: StableRng, world: Mapping[str, Any]) -> WeatherData:
    g = world["geography"]
    climate: dict[str, tuple[float, ...]] = {}
    stations: dict[str, str] = {}
    station_of: dict[str, str] = {}
    for i, c in enumerate(g.city_list):
        base = 28 - abs(c.lat) * 0.45 - c.elevation_m / 300
        amp = min(18.0, abs(c.lat) * 0.35)
        south = -1 if c.lat < 0 else 1
        months = []
        for m in range(12):
            season = [-1, -0.8, -0.4, 0.1, 0.5, 0.9, 1, 0.9, 0.5, 0.1, -0.4, -0.8][m] * south
            months.append(round(base + amp * season + rng.uniform(-1.5, 1.5), 1))
        climate[c.city_id] = tuple(months)
        sid = f"AQ{5000 + i * 7}"
        stations[sid] = c.city_id
        station_of[c.city_id] = sid
    return WeatherData(
        seed=rng.randint(0, 2**31), climate=climate, stations=stations, station_of_city=station_of
    )


def _data(state: WorldState | World) -> WeatherData:
    return domain_data(state, "weather")


def daily(data: WeatherData, city: City, date: dt.date) -> dict[str, Any]:
    """The weather of one city on one day (pure function of seed, city and date).

    Callers must not mutate the returned dictionary (it is cached)."""
    return _daily(
        data.seed, city.city_id, data.climate[city.city_id][date.month - 1], date.isoformat()
    )


@lru_cache(maxsize=1 << 16)
def _daily(seed: int, city_id: str, mean: float, iso: str) -> dict[str, Any]:
    r = StableRng(derive_seed(seed, city_id, iso))
    t_max = round(mean + r.uniform(2, 7), 1)
    t_min = round(mean - r.uniform(2, 7), 1)
    cond = r.choice(CONDITIONS if mean > 2 else (*CONDITIONS[:4], "snow", "fog"))
    rain = 0.0 if cond in ("clear", "partly cloudy", "fog") else round(r.uniform(0.2, 30), 1)
    return {
        "date": iso,
        "temp_max_c": t_max,
        "temp_min_c": t_min,
        "condition": cond,
        "precipitation_mm": rain,
        "humidity_pct": r.randint(25, 98),
        "wind_kph": round(r.uniform(0, 45), 1),
    }


def current(data: WeatherData, city: City) -> dict[str, Any]:
    d = daily(data, city, TODAY)
    temp = round(
        d["temp_min_c"] + (d["temp_max_c"] - d["temp_min_c"]) * _now(data.seed, city.city_id), 1
    )
    return {
        "city_id": city.city_id,
        "observed_at": f"{TODAY.isoformat()}T14:00",
        "temperature_c": temp,
        "condition": d["condition"],
        "humidity_pct": d["humidity_pct"],
        "wind_kph": d["wind_kph"],
    }


@lru_cache(maxsize=1 << 12)
def _now(seed: int, city_id: str) -> float:
    """Where the current temperature lies between today's low and high."""
    return StableRng(derive_seed(seed, city_id, "now")).uniform(0.3, 0.9)


def air(data: WeatherData, city: City) -> dict[str, Any]:
    a = _air(data.seed, city.city_id)
    return {**a, "levels": dict(a["levels"])}


@lru_cache(maxsize=1 << 12)
def _air(seed: int, city_id: str) -> dict[str, Any]:
    """Callers must not mutate the returned dictionary (it is cached): see :func:`air`."""
    r = StableRng(derive_seed(seed, city_id, "air"))
    levels = {p: round(r.uniform(2, 80), 1) for p in POLLUTANTS}
    aqi = int(max(levels["pm25"] * 2.1, levels["pm10"] * 1.2, levels["o3"] * 1.1))
    category = (
        "good"
        if aqi <= 50
        else "moderate"
        if aqi <= 100
        else "unhealthy for sensitive groups"
        if aqi <= 150
        else "unhealthy"
    )
    dominant = max(POLLUTANTS, key=lambda p: (levels[p], p))
    return {"aqi": aqi, "category": category, "dominant_pollutant": dominant, "levels": levels}


# ---------------------------------------------------------------- open_weather
@DOMAIN.api("open_weather", "find_city")
def find_city(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    q = require_text(args, "q")
    found = [
        {"city_id": c.city_id, "name": c.name, "country_code": c.country_code}
        for c in geo(state).city_index.search(q)
    ]
    return {"count": len(found), "list": found[:8]}


@DOMAIN.api("open_weather", "current_weather")
def current_weather(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    city = get_by_id(geo(state).cities, args["city_id"], "city")
    out = current(_data(state), city)
    if args.get("units", "metric") == "imperial":
        out["temperature_f"] = round(out.pop("temperature_c") * 9 / 5 + 32, 1)
    return out


@DOMAIN.api("open_weather", "forecast")
def forecast(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    city = get_by_id(geo(state).cities, args["city_id"], "city")
    days = args.get("days", 3)
    if not isinstance(days, int) or not 1 <= days <= 7:
        raise ApiInputError("days must be an integer from 1 to 7")
    data = _data(state)
    return {
        "city_id": city.city_id,
        "days": [daily(data, city, TODAY + dt.timedelta(days=k)) for k in range(1, days + 1)],
    }


@DOMAIN.api("open_weather", "historical_weather")
def historical_weather(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    city = get_by_id(geo(state).cities, args["city_id"], "city")
    date = parse_date(args["date"])
    if not (TODAY - dt.timedelta(days=365)) <= date < TODAY:
        raise ApiInputError("date must be within the last 365 days (before today)")
    return {"city_id": city.city_id, **daily(_data(state), city, date)}


# ---------------------------------------------------------------- air_quality
@DOMAIN.api("air_quality", "search_stations")
def search_stations(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    q = require_text(args, "city_name")
    data = _data(state)
    return {
        "stations": [
            {"station_id": data.station_of_city[c.city_id], "city": c.name}
            for c in geo(state).city_index.search(q)
        ][:8]
    }


@DOMAIN.api("air_quality", "station_aqi")
def station_aqi(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = _data(state)
    city_id = get_by_id(data.stations, args["station_id"], "station")
    a = air(data, geo(state).cities[city_id])
    return {
        "station_id": args["station_id"].strip(),
        "aqi": a["aqi"],
        "category": a["category"],
        "dominant_pollutant": a["dominant_pollutant"],
    }


@DOMAIN.api("air_quality", "pollutant_levels")
def pollutant_levels(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = _data(state)
    city_id = get_by_id(data.stations, args["station_id"], "station")
    levels = air(data, geo(state).cities[city_id])["levels"]
    pol = args.get("pollutant")
    if pol:
        if pol not in levels:
            raise ApiInputError(f"pollutant must be one of {', '.join(POLLUTANTS)}")
        return {"station_id": args["station_id"].strip(), pol: levels[pol], "unit": "ug/m3"}
    return {"station_id": args["station_id"].strip(), "unit": "ug/m3", **levels}


# ---------------------------------------------------------------- climate_normals
@DOMAIN.api("climate_normals", "monthly_normals")
def monthly_normals(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    city = get_by_id(geo(state).cities, args["city_id"], "city")
    month = args["month"]
    if month not in MONTHS:
        raise ApiInputError(f"month must be a month name, e.g. {MONTHS[0]}")
    mean = _data(state).climate[city.city_id][MONTHS.index(month)]
    return {"city_id": city.city_id, "month": month, "mean_temp_c": mean}


@DOMAIN.api("climate_normals", "warmest_month")
def warmest_month(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    city = get_by_id(geo(state).cities, args["city_id"], "city")
    temps = _data(state).climate[city.city_id]
    i = max(range(12), key=lambda k: (temps[k], -k))
    return {"city_id": city.city_id, "month": MONTHS[i], "mean_temp_c": temps[i]}


@DOMAIN.api("climate_normals", "daylight_hours")
def daylight_hours(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    city = get_by_id(geo(state).cities, args["city_id"], "city")
    date = parse_date(args["date"])
    hours = _daylight(city.lat, date.timetuple().tm_yday)
    return {"city_id": city.city_id, "date": date.isoformat(), "daylight_hours": hours}


@lru_cache(maxsize=1 << 14)
def _daylight(lat: float, doy: int) -> float:
    decl = 23.44 * math.sin(math.radians(360 / 365 * (doy - 81)))
    x = -math.tan(math.radians(lat)) * math.tan(math.radians(decl))
    hours = 24.0 if x < -1 else 0.0 if x > 1 else 2 * math.degrees(math.acos(x)) / 15
    return round(hours, 2)


# ---------------------------------------------------------------- tasks
def _find_city(c: City) -> GoldCall:
    return GoldCall("open_weather", "find_city", {"q": c.name})


@DOMAIN.task("weather.current", group="G1", tools=("open_weather",))
def task_current(rng: StableRng, world: World) -> TaskDraft:
    c = rng.choice(geo(world).city_list)
    now = current(_data(world), c)
    return TaskDraft(
        slots={"city": c.name},
        gold=(
            _find_city(c),
            GoldCall("open_weather", "current_weather", {"city_id": c.city_id}, (0,)),
        ),
        facts=(
            AnswerFact(now["temperature_c"], "temperature"),
            AnswerFact(now["condition"], "condition"),
        ),
        answer=f"It is {now['temperature_c']} °C and {now['condition']} in {c.name}.",
    )


@DOMAIN.task("weather.forecast_max", group="G1", tools=("open_weather",))
def task_forecast(rng: StableRng, world: World) -> TaskDraft:
    c = rng.choice(geo(world).city_list)
    k = rng.randint(1, 5)
    d = daily(_data(world), c, TODAY + dt.timedelta(days=k))
    return TaskDraft(
        slots={"city": c.name, "date": d["date"]},
        gold=(
            _find_city(c),
            GoldCall(
                "open_weather",
                "forecast",
                {"city_id": c.city_id, "days": k},
                (0,),
                match=("city_id",),
            ),
        ),
        facts=(AnswerFact(d["temp_max_c"], "max temperature"),),
        answer=f"On {d['date']} the high in {c.name} will be {d['temp_max_c']} °C.",
    )


@DOMAIN.task("weather.history_rain", group="G1", tools=("open_weather",))
def task_history(rng: StableRng, world: World) -> TaskDraft:
    c = rng.choice(geo(world).city_list)
    date = day(-rng.randint(1, 300))
    d = daily(_data(world), c, dt.date.fromisoformat(date))
    return TaskDraft(
        slots={"city": c.name, "date": date},
        gold=(
            _find_city(c),
            GoldCall(
                "open_weather", "historical_weather", {"city_id": c.city_id, "date": date}, (0,)
            ),
        ),
        facts=(
            AnswerFact(d["precipitation_mm"], "precipitation"),
            AnswerFact(d["condition"], "condition"),
        ),
        answer=f"On {date} {c.name} had {d['condition']} with {d['precipitation_mm']} mm.",
    )


@DOMAIN.task("weather.aqi", group="G1", tools=("air_quality",))
def task_aqi(rng: StableRng, world: World) -> TaskDraft:
    c = rng.choice(geo(world).city_list)
    data = _data(world)
    sid = data.station_of_city[c.city_id]
    a = air(data, c)
    return TaskDraft(
        slots={"city": c.name},
        gold=(
            GoldCall("air_quality", "search_stations", {"city_name": c.name}),
            GoldCall("air_quality", "station_aqi", {"station_id": sid}, (0,)),
        ),
        facts=(AnswerFact(a["aqi"], "aqi"), AnswerFact(a["category"], "category")),
        answer=f"The AQI in {c.name} is {a['aqi']} ({a['category']}).",
    )


@DOMAIN.task("weather.pollutant", group="G1", tools=("air_quality",))
def task_pollutant(rng: StableRng, world: World) -> TaskDraft:
    c = rng.choice(geo(world).city_list)
    data = _data(world)
    sid = data.station_of_city[c.city_id]
    pol = rng.choice(POLLUTANTS)
    level = air(data, c)["levels"][pol]
    return TaskDraft(
        slots={"city": c.name, "pollutant": pol.upper()},
        gold=(
            GoldCall("air_quality", "search_stations", {"city_name": c.name}),
            GoldCall(
                "air_quality",
                "pollutant_levels",
                {"station_id": sid, "pollutant": pol},
                (0,),
                match=("station_id",),
            ),
        ),
        facts=(AnswerFact(level, "level"),),
        answer=f"The {pol.upper()} level in {c.name} is {level} ug/m3.",
    )


@DOMAIN.task("weather.warmest_month", group="G2", tools=("open_weather", "climate_normals"))
def task_warmest(rng: StableRng, world: World) -> TaskDraft:
    c = rng.choice(geo(world).city_list)
    temps = _data(world).climate[c.city_id]
    i = max(range(12), key=lambda k: (temps[k], -k))
    others = tuple(m for m in MONTHS if m != MONTHS[i])
    return TaskDraft(
        slots={"city": c.name},
        gold=(
            _find_city(c),
            GoldCall("climate_normals", "warmest_month", {"city_id": c.city_id}, (0,)),
        ),
        facts=(AnswerFact(MONTHS[i], "month", others), AnswerFact(temps[i], "mean temperature")),
        answer=f"The warmest month in {c.name} is {MONTHS[i]} with a mean of {temps[i]} °C.",
    )


@DOMAIN.task("weather.month_normal_daylight", group="G2", tools=("open_weather", "climate_normals"))
def task_month_daylight(rng: StableRng, world: World) -> TaskDraft:
    c = rng.choice(geo(world).city_list)
    date = day(rng.randint(1, 200))
    month = MONTHS[int(date[5:7]) - 1]
    mean = _data(world).climate[c.city_id][MONTHS.index(month)]
    hours = _daylight(c.lat, dt.date.fromisoformat(date).timetuple().tm_yday)
    return TaskDraft(
        slots={"city": c.name, "date": date},
        gold=(
            _find_city(c),
            GoldCall(
                "climate_normals", "monthly_normals", {"city_id": c.city_id, "month": month}, (0,)
            ),
            GoldCall(
                "climate_normals", "daylight_hours", {"city_id": c.city_id, "date": date}, (0,)
            ),
        ),
        facts=(AnswerFact(mean, "mean temperature"), AnswerFact(hours, "daylight hours")),
        answer=f"In {month} {c.name} averages {mean} °C; on {date} it gets {hours} hours of light.",
    )


@DOMAIN.task("weather.capital_weather", group="G3", tools=("countries_info", "open_weather"))
def task_capital_weather(rng: StableRng, world: World) -> TaskDraft:
    g = geo(world)
    country = rng.choice(tuple(g.countries.values()))
    cap = g.cities[country.capital_id]
    now = current(_data(world), cap)
    return TaskDraft(
        slots={"country": country.name},
        gold=(
            GoldCall("countries_info", "search_countries", {"name": country.name}),
            GoldCall("countries_info", "get_country", {"country_code": country.code}, (0,)),
            GoldCall("open_weather", "current_weather", {"city_id": cap.city_id}, (1,)),
        ),
        facts=(AnswerFact(cap.name, "capital"), AnswerFact(now["temperature_c"], "temperature")),
        answer=f"The capital of {country.name} is {cap.name}; "
        f"it is {now['temperature_c']} °C there.",
    )


@DOMAIN.task("weather.largest_city_forecast", group="G3", tools=("countries_info", "open_weather"))
def task_largest_city_forecast(rng: StableRng, world: World) -> TaskDraft:
    g = geo(world)
    country = rng.choice(tuple(g.countries.values()))
    top = g.cities_by_country[country.code][0]
    d = daily(_data(world), top, TODAY + dt.timedelta(days=1))
    return TaskDraft(
        slots={"country": country.name},
        gold=(
            GoldCall("countries_info", "search_countries", {"name": country.name}),
            GoldCall("countries_info", "get_country_cities", {"country_code": country.code}, (0,)),
            GoldCall(
                "open_weather",
                "forecast",
                {"city_id": top.city_id, "days": 1},
                (1,),
                match=("city_id",),
            ),
        ),
        facts=(
            AnswerFact(top.name, "city"),
            AnswerFact(d["condition"], "condition"),
            AnswerFact(d["temp_max_c"], "max temperature"),
        ),
        answer=f"Tomorrow in {top.name}, the largest city of {country.name}: {d['condition']}, "
        f"high of {d['temp_max_c']} °C.",
    )
