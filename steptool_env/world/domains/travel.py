"""Travel: flights, hotels and rental cars between the cities of the world.

Tools: ``flight_search`` (airports, flights, booking), ``hotel_booking`` (hotels per city,
reviews, bookings) and ``car_rental`` (fleets per city, renting). ``car_rental`` is the
category's held-out tool: only G1 task types use it.

Every geography city has one airport. Flights are not stored: the flights of a route on a
date are a pure function of (world salt, origin, destination, date), computed on demand
(and cached). Hotels and cars are seeded tables; hotel reviews are computed on demand.
Prices are in US dollars. Stateful APIs write ``flight_bookings``, ``hotel_bookings`` and
``car_rentals``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from steptool_env.seeding import StableRng, derive_seed
from steptool_env.world.domain import Domain
from steptool_env.world.domains.finance import convert, convert_call, fin
from steptool_env.world.domains.geography import City, GeoData, geo, haversine_km
from steptool_env.world.generation import all_results, chosen_fact, fmt, retrying, run_api
from steptool_env.world.helpers import (
    TODAY,
    ApiInputError,
    SearchIndex,
    compact_date,
    day,
    domain_data,
    get_by_id,
    hhmm,
    keyword_find,
    money,
    norm,
    paginate,
    parse_date,
    require_text,
    search_text,
    warm,
)
from steptool_env.world.names import person, unique, word
from steptool_env.world.state import World, WorldState
from steptool_env.world.tasks import AnswerFact, GoldCall, StateFact, TaskDraft

DOMAIN = Domain("travel", requires=("geography", "finance"))

HELDOUT_TOOL = "car_rental"
"""The tool of this category reserved for the unseen-tool test subset."""

FLIGHT_DAYS = 180
"""Flights can be searched from TODAY to TODAY + 180 days."""
BOOKING_DAYS = 365
N_AIRLINES = 14
AIRCRAFT = ("A220", "A320neo", "A321", "A330", "A350", "B737", "B787", "E195", "ATR 72")
HOTEL_PATTERNS = (
    "Hotel {}",
    "The {} Inn",
    "{} Grand Hotel",
    "{} Suites",
    "{} Lodge",
    "{} Palace",
    "{} Boutique Hotel",
    "Residence {}",
    "{} Plaza Hotel",
)
AMENITIES = (
    "wifi",
    "pool",
    "gym",
    "spa",
    "parking",
    "breakfast",
    "airport shuttle",
    "restaurant",
    "bar",
    "pet friendly",
    "room service",
    "sauna",
)
STREETS = ("Street", "Avenue", "Road", "Lane", "Boulevard", "Square")
REVIEW_TITLES = (
    (3, ("Disappointing stay", "Would not return", "Not worth the price")),
    (6, ("Average at best", "Mixed feelings", "Okay for one night")),
    (8, ("Good value", "Pleasant stay", "Nice location")),
    (10, ("Outstanding!", "Perfect in every way", "Best hotel in town")),
)
CAR_CLASSES = ("economy", "compact", "midsize", "suv", "van", "luxury")
CLASS_SEATS = {"economy": 4, "compact": 5, "midsize": 5, "suv": 7, "van": 9, "luxury": 5}
CLASS_PRICE = {
    "economy": (24.0, 40.0),
    "compact": (30.0, 52.0),
    "midsize": (40.0, 66.0),
    "suv": (55.0, 95.0),
    "van": (68.0, 115.0),
    "luxury": (110.0, 230.0),
}
CLASS_LABEL = {c: "SUV" if c == "suv" else c for c in CAR_CLASSES}
CAR_UNAVAILABLE_PCT = 3


@dataclass(frozen=True, slots=True)
class Airport:
    code: str
    name: str
    city_id: str
    city: str
    country_code: str


@dataclass(frozen=True, slots=True)
class Airline:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Flight:
    flight_id: str
    flight_number: str
    airline: str
    origin: str
    destination: str
    date: str
    departure: str
    arrival_date: str
    arrival: str
    duration_min: int
    stops: int
    price: float
    seats_left: int
    aircraft: str


@dataclass(frozen=True, slots=True)
class Hotel:
    hotel_id: str
    name: str
    city_id: str
    stars: int
    rating: float
    price_per_night: float
    address: str
    distance_km: float
    amenities: tuple[str, ...]
    review_count: int


@dataclass(frozen=True, slots=True)
class Car:
    car_id: str
    city_id: str
    agency: str
    model: str
    car_class: str
    seats: int
    transmission: str
    price_per_day: float
    fuel_policy: str


@dataclass(frozen=True)
class TravelData:
    salt: int
    airports: Mapping[str, Airport]
    airport_keys: tuple[tuple[str, Airport], ...]
    airport_by_city: Mapping[str, Airport]
    airlines: tuple[Airline, ...]
    hotels: Mapping[str, Hotel]
    hotels_by_city: Mapping[str, tuple[Hotel, ...]]
    cars: Mapping[str, Car]
    cars_by_city: Mapping[str, tuple[Car, ...]]
    city_by_name: Mapping[str, str]
    """Normalised city name → city id."""

    # Derived lookups (not fields: no part of the world's content; see helpers.warm).
    @cached_property
    def airport_index(self) -> SearchIndex[Airport]:
        return SearchIndex.of_rows(self.airport_keys, name=lambda a: a.city)

    @cached_property
    def flight_memo(self) -> dict[tuple[str, str, dt.date], tuple[Flight, ...]]:
        """(origin, destination, date) → :func:`flights_on` (filled on use, bounded)."""
        return {}

    @cached_property
    def hotels_sorted(self) -> Mapping[tuple[str, str], tuple[Hotel, ...]]:
        """(city id, sort) → the city's hotels in that order (search_hotels)."""
        return {
            (cid, sort): tuple(sorted(own, key=key))
            for cid, own in self.hotels_by_city.items()
            for sort, key in HOTEL_SORTS.items()
        }

    @cached_property
    def hotel_hay(self) -> Mapping[str, str]:
        """Hotel id → its normalised name between spaces (search_hotels' name filter)."""
        return {h.hotel_id: f" {norm(h.name)} " for h in self.hotels.values()}

    @cached_property
    def review_memo(self) -> dict[tuple[str, str], tuple[dict[str, Any], ...]]:
        """(hotel id, sort) → its reviews in that order (filled on use; shared: callers
        copy them)."""
        return {}

    @cached_property
    def cars_sorted(self) -> Mapping[tuple[str, str], tuple[Car, ...]]:
        """(city id, sort) → the city's cars in that order (search_cars)."""
        return {
            (cid, sort): tuple(sorted(own, key=key))
            for cid, own in self.cars_by_city.items()
            for sort, key in CAR_SORTS.items()
        }


def _airport_code(rng: StableRng, name: str, taken: set[str]) -> str:
    up = "".join(ch for ch in name.upper() if ch.isalpha())
    for cand in (
        up[:3],
        up[0] + up[1] + up[3:4],
        up[0] + up[2:4],
        up[0] + up[-2:],
        up[0] + up[1] + up[-1],
    ):
        if len(cand) == 3 and cand not in taken:
            taken.add(cand)
            return cand
    while True:
        cand = up[0] + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(2))
        if cand not in taken:
            taken.add(cand)
            return cand


def _amenities(mask: int) -> tuple[str, ...]:
    chosen = tuple(a for i, a in enumerate(AMENITIES) if mask >> i & 1)
    return chosen if len(chosen) >= 2 else ("wifi", "parking")


@DOMAIN.builder
def build(rng: StableRng, world: Mapping[str, Any]) -> TravelData:
    g: GeoData = world["geography"]
    salt = rng.randint(0, 2**62)
    taken: set[str] = set()
    airports: dict[str, Airport] = {}
    by_city: dict[str, Airport] = {}
    for c in g.city_list:
        code = _airport_code(rng, c.name, taken)
        kind = "International Airport" if c.is_capital or c.population > 1_500_000 else "Airport"
        a = Airport(code, f"{c.name} {kind}", c.city_id, c.name, c.country_code)
        airports[code] = a
        by_city[c.city_id] = a
    airline_names = unique(rng, lambda r: word(r, (1, 2)), N_AIRLINES)
    codes: set[str] = set()
    airlines: list[Airline] = []
    for n in airline_names:
        code = n[:2].upper()
        while code in codes:
            code = n[0].upper() + rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        codes.add(code)
        suffix = rng.choice(("Air", "Airways", "Airlines", "Jet", "Wings", "Skyways"))
        airlines.append(Airline(code, f"{n} {suffix}"))

    hotels: dict[str, Hotel] = {}
    hotels_by_city: dict[str, tuple[Hotel, ...]] = {}
    cars: dict[str, Car] = {}
    cars_by_city: dict[str, tuple[Car, ...]] = {}
    agencies = [
        f"{w} {s}"
        for w, s in zip(
            unique(rng, lambda r: word(r, (1, 2)), 6),
            ("Rentals", "Car Hire", "Rent-a-Car", "Auto Rent", "Drive", "Mobility"),
        )
    ]
    makes = unique(rng, lambda r: word(r, (1, 2)), 8)
    model_names = unique(rng, lambda r: word(r, (1, 1)), 4 * len(CAR_CLASSES))
    models = {
        cls: [f"{rng.choice(makes)} {model_names[4 * i + k]}" for k in range(4)]
        for i, cls in enumerate(CAR_CLASSES)
    }
    counts = [rng.randint(4, 10) for _ in g.city_list]
    bases = iter(unique(rng, lambda r: word(r, (1, 2)), sum(counts)))
    streets = unique(rng, lambda r: word(r, (1, 2)), 60)
    next_hotel, next_car = 1001, 501
    for c, count in zip(g.city_list, counts):
        own: list[Hotel] = []
        prices: set[float] = set()
        for _ in range(count):
            base = next(bases)
            stars = rng.weighted((2, 3, 4, 5), (0.2, 0.35, 0.3, 0.15))
            price = float(round(stars * rng.uniform(24, 46) + rng.uniform(0, 35)))
            while price in prices:
                price += 1.0
            prices.add(price)
            h = Hotel(
                hotel_id=f"H{next_hotel}",
                name=rng.choice(HOTEL_PATTERNS).format(base),
                city_id=c.city_id,
                stars=stars,
                rating=round(min(9.8, rng.uniform(5.8, 8.4) + (stars - 2) * 0.35), 1),
                price_per_night=price,
                address=f"{rng.randint(1, 250)} {rng.choice(streets)} {rng.choice(STREETS)}",
                distance_km=round(rng.uniform(0.2, 14.0), 1),
                amenities=_amenities(rng.below(1 << len(AMENITIES))),
                review_count=rng.randint(35, 3200),
            )
            next_hotel += 1
            hotels[h.hotel_id] = h
            own.append(h)
        hotels_by_city[c.city_id] = tuple(own)
        fleet: list[Car] = []
        for _ in range(rng.randint(3, 8)):
            cls = rng.weighted(CAR_CLASSES, (0.25, 0.22, 0.18, 0.16, 0.09, 0.1))
            car = Car(
                car_id=f"CAR{next_car}",
                city_id=c.city_id,
                agency=rng.choice(agencies),
                model=rng.choice(models[cls]),
                car_class=cls,
                seats=CLASS_SEATS[cls],
                transmission=rng.choice(("manual", "automatic")),
                price_per_day=money(rng.uniform(*CLASS_PRICE[cls])),
                fuel_policy=rng.choice(("full to full", "prepaid", "same to same")),
            )
            next_car += 1
            cars[car.car_id] = car
            fleet.append(car)
        cars_by_city[c.city_id] = tuple(fleet)
    data = TravelData(
        salt=salt,
        airports=airports,
        airport_keys=tuple(
            (search_text(a.name, a.city, a.code), a)
            for a in sorted(airports.values(), key=lambda a: a.name)
        ),
        airport_by_city=by_city,
        airlines=tuple(airlines),
        hotels=hotels,
        hotels_by_city=hotels_by_city,
        cars=cars,
        cars_by_city=cars_by_city,
        city_by_name={norm(c.name): c.city_id for c in g.city_list},
    )
    return warm(data)


# ---------------------------------------------------------------- helpers
def trv(state_or_world: WorldState | World) -> TravelData:
    return domain_data(state_or_world, "travel")


def resolve_city(state: WorldState, value: Any, name: str = "city") -> City:
    """A city given by name or by geography id."""
    g = geo(state)
    text = value.strip() if isinstance(value, str) else ""
    if text in g.cities:
        return g.cities[text]
    cid = trv(state).city_by_name.get(norm(text))
    if cid is None:
        raise ApiInputError(f"unknown {name} {value!r}; give a city name or a city id")
    return g.cities[cid]


def _date_in(value: Any, name: str, horizon: int) -> dt.date:
    when = parse_date(value, name)
    if when < TODAY:
        raise ApiInputError(f"{name} {when.isoformat()} is in the past (today is {TODAY})")
    if (when - TODAY).days > horizon:
        raise ApiInputError(f"{name} must be within {horizon} days from today")
    return when


def _int_in(value: Any, name: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ApiInputError(f"{name} must be an integer between {low} and {high}")
    return value


@lru_cache(maxsize=4096)
def _flights(
    salt: int,
    o: Airport,
    d: Airport,
    date: dt.date,
    km: float,
    diff_h: int,
    airlines: tuple[Airline, ...],
) -> tuple[Flight, ...]:
    route = StableRng(derive_seed(salt, "route", o.code, d.code))
    carriers = route.sample(airlines, 3)
    rng = StableRng(derive_seed(salt, "flights", o.code, d.code, date.isoformat()))
    lead = (date - TODAY).days
    used: set[str] = set()
    out: list[Flight] = []
    for i in range(rng.randint(2, 9)):
        al = rng.choice(carriers)
        num = rng.randint(100, 9899)
        while f"{al.code}{num}" in used:
            num += 1
        number = f"{al.code}{num}"
        used.add(number)
        p_stop = 0.0 if km < 1200 else (0.35 if km < 6000 else 0.6)
        stops = 1 if rng.random() < p_stop else 0
        dur = max(40, int(km / 780 * 60 + 35 + stops * rng.randint(55, 120) + rng.randint(-8, 8)))
        dep = rng.randint(60, 270) * 5
        arr = dep + dur + diff_h * 60
        price = (45 + 0.085 * km) * rng.uniform(0.75, 1.6) * (0.85 if stops else 1.0)
        price *= 1 + max(0, 21 - lead) * 0.015
        out.append(
            Flight(
                flight_id=f"FL-{o.code}-{d.code}-{date:%Y%m%d}-{i + 1}",
                flight_number=number,
                airline=al.name,
                origin=o.code,
                destination=d.code,
                date=date.isoformat(),
                departure=hhmm(dep),
                arrival_date=(date + dt.timedelta(days=arr // 1440)).isoformat(),
                arrival=hhmm(arr % 1440),
                duration_min=dur,
                stops=stops,
                price=money(price),
                seats_left=rng.randint(1, 9),
                aircraft=rng.choice(AIRCRAFT),
            )
        )
    return tuple(out)


def flights_on(
    state_or_world: WorldState | World, o: Airport, d: Airport, date: dt.date
) -> tuple[Flight, ...]:
    """Every flight from ``o`` to ``d`` on ``date``, in id order."""
    t = trv(state_or_world)
    memo = t.flight_memo
    key = (o.code, d.code, date)
    found = memo.get(key)
    if found is None:
        g = geo(state_or_world)
        a, b = g.cities[o.city_id], g.cities[d.city_id]
        found = _flights(
            t.salt, o, d, date, haversine_km(a, b), b.utc_offset - a.utc_offset, t.airlines
        )
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        memo[key] = found
    return found


_MEMO_SIZE = 1 << 14


def _airport(state: WorldState, code: Any, name: str) -> Airport:
    key = code.strip().upper() if isinstance(code, str) else ""
    if key not in trv(state).airports:
        raise ApiInputError(f"unknown airport code {code!r} for {name}; use search_airports")
    return trv(state).airports[key]


def _flight_by_id(state: WorldState, flight_id: Any) -> Flight:
    parts = flight_id.strip().upper().split("-") if isinstance(flight_id, str) else []
    t = trv(state)
    if (
        len(parts) == 5
        and parts[0] == "FL"
        and parts[1] in t.airports
        and parts[2] in t.airports
        and parts[4].isdigit()
    ):
        date = compact_date(parts[3])
        if date is not None and 0 <= (date - TODAY).days <= FLIGHT_DAYS:
            found = flights_on(state, t.airports[parts[1]], t.airports[parts[2]], date)
            k = int(parts[4])
            if 1 <= k <= len(found):
                return found[k - 1]
    raise ApiInputError(f"no flight with id {flight_id!r}")


def _flight_row(f: Flight) -> dict[str, Any]:
    return {
        "flight_id": f.flight_id,
        "flight_number": f.flight_number,
        "airline": f.airline,
        "departure_time": f.departure,
        "arrival_date": f.arrival_date,
        "arrival_time": f.arrival,
        "duration_minutes": f.duration_min,
        "stops": f.stops,
        "price": f.price,
    }


FLIGHT_SORTS = {
    "departure": lambda f: (f.departure, f.flight_number),
    "price": lambda f: (f.price, f.flight_number),
    "duration": lambda f: (f.duration_min, f.flight_number),
}


# ---------------------------------------------------------------- flight_search
@DOMAIN.api("flight_search", "search_airports")
def search_airports(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    q = require_text(args, "query")
    found = keyword_find(trv(state).airport_index, q)
    if q.upper() in trv(state).airports:
        exact = trv(state).airports[q.upper()]
        found = [exact, *(a for a in found if a is not exact)]
    return {
        "results": [
            {
                "code": a.code,
                "name": a.name,
                "city": a.city,
                "city_id": a.city_id,
                "country_code": a.country_code,
            }
            for a in found[:10]
        ]
    }


@DOMAIN.api("flight_search", "search_flights")
def search_flights(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    o = _airport(state, args["origin"], "origin")
    d = _airport(state, args["destination"], "destination")
    if o.code == d.code:
        raise ApiInputError("origin and destination must differ")
    date = _date_in(args["date"], "date", FLIGHT_DAYS)
    sort = args.get("sort", "departure")
    if sort not in FLIGHT_SORTS:
        raise ApiInputError(f"sort must be one of {', '.join(FLIGHT_SORTS)}")
    found = sorted(flights_on(state, o, d, date), key=FLIGHT_SORTS[sort])
    page = paginate(found, args.get("page", 1), 5, _flight_row)
    return {
        "origin": o.code,
        "destination": d.code,
        "date": date.isoformat(),
        "currency": "USD",
        **page,
    }


@DOMAIN.api("flight_search", "get_flight")
def get_flight(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    f = _flight_by_id(state, args["flight_id"])
    t = trv(state)
    return {
        **_flight_row(f),
        "origin": f.origin,
        "origin_city": t.airports[f.origin].city,
        "destination": f.destination,
        "destination_city": t.airports[f.destination].city,
        "date": f.date,
        "aircraft": f.aircraft,
        "seats_left": f.seats_left,
        "baggage": "1 x 23 kg" if f.stops == 0 else "1 x 20 kg",
        "fares": {
            "economy": f.price,
            "premium": money(f.price * 1.65),
            "business": money(f.price * 3.1),
        },
        "currency": "USD",
    }


@DOMAIN.api("flight_search", "book_flight")
def book_flight(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    f = _flight_by_id(state, args["flight_id"])
    name = require_text(args, "passenger_name", min_len=2)
    cabin = args.get("cabin", "economy")
    fares = {"economy": f.price, "premium": money(f.price * 1.65), "business": money(f.price * 3.1)}
    if cabin not in fares:
        raise ApiInputError("cabin must be economy, premium or business")
    if len(state.find("flight_bookings", flight_id=f.flight_id)) >= f.seats_left:
        raise ApiInputError(f"flight {f.flight_number} is sold out")
    rec = {
        "booking_id": state.next_id("FB"),
        "flight_id": f.flight_id,
        "flight_number": f.flight_number,
        "passenger_name": name,
        "cabin": cabin,
        "date": f.date,
        "origin": f.origin,
        "destination": f.destination,
        "price": fares[cabin],
        "status": "confirmed",
    }
    return dict(state.add("flight_bookings", rec))


# ---------------------------------------------------------------- hotel_booking
HOTEL_SORTS = {
    "recommended": lambda h: (-h.review_count, h.hotel_id),
    "price": lambda h: (h.price_per_night, h.hotel_id),
    "rating": lambda h: (-h.rating, h.hotel_id),
    "distance": lambda h: (h.distance_km, h.hotel_id),
}


def _hotel_row(h: Hotel) -> dict[str, Any]:
    return {
        "hotel_id": h.hotel_id,
        "name": h.name,
        "stars": h.stars,
        "rating": h.rating,
        "price_per_night": h.price_per_night,
        "distance_to_center_km": h.distance_km,
    }


@DOMAIN.api("hotel_booking", "search_hotels")
def search_hotels(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    city = resolve_city(state, args["city"])
    t = trv(state)
    sort = args.get("sort", "recommended")
    # the city's hotels, already in the requested order when the sort is valid (sorting is
    # stable, so filtering the sorted list gives what sorting the filtered list would)
    found = list(
        t.hotels_sorted[city.city_id, sort]
        if sort in HOTEL_SORTS
        else t.hotels_by_city[city.city_id]
    )
    if args.get("min_stars") is not None:
        found = [h for h in found if h.stars >= _int_in(args["min_stars"], "min_stars", 1, 5)]
    if args.get("max_price") is not None:
        cap = args["max_price"]
        if not isinstance(cap, (int, float)) or isinstance(cap, bool) or cap <= 0:
            raise ApiInputError("max_price must be a positive number")
        found = [h for h in found if h.price_per_night <= cap]
    if args.get("name"):
        words = norm(str(args["name"])).split()
        hay = t.hotel_hay
        found = [h for h in found if all(f" {w}" in hay[h.hotel_id] for w in words)]
    if sort not in HOTEL_SORTS:
        raise ApiInputError(f"sort must be one of {', '.join(HOTEL_SORTS)}")
    page = paginate(found, args.get("page", 1), 5, _hotel_row)
    return {"city": city.name, "city_id": city.city_id, "currency": "USD", **page}


@DOMAIN.api("hotel_booking", "get_hotel")
def get_hotel(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    h = get_by_id(trv(state).hotels, args["hotel_id"], "hotel")
    city = geo(state).cities[h.city_id]
    return {
        **_hotel_row(h),
        "city": city.name,
        "city_id": city.city_id,
        "address": h.address,
        "amenities": list(h.amenities),
        "review_count": h.review_count,
        "check_in_from": "15:00",
        "check_out_until": "11:00",
        "currency": "USD",
    }


@lru_cache(maxsize=2048)
def _reviews(salt: int, h: Hotel) -> tuple[dict[str, Any], ...]:
    rng = StableRng(derive_seed(salt, "hotel-reviews", h.hotel_id))
    out = []
    for i in range(rng.randint(3, 12)):
        score = max(1, min(10, round(h.rating + rng.uniform(-3.5, 2.0))))
        titles = next(ts for top, ts in REVIEW_TITLES if score <= top)
        out.append(
            {
                "review_id": f"{h.hotel_id}-R{i + 1}",
                "reviewer": person(rng),
                "score": score,
                "title": rng.choice(titles),
                "date": day(-rng.randint(1, 360)),
            }
        )
    return tuple(out)


@DOMAIN.api("hotel_booking", "hotel_reviews")
def hotel_reviews(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    h = get_by_id(trv(state).hotels, args["hotel_id"], "hotel")
    sort = args.get("sort", "newest")
    keys = {
        "newest": lambda r: (r["date"], r["review_id"]),
        "lowest": lambda r: (-r["score"], r["review_id"]),
        "highest": lambda r: (r["score"], r["review_id"]),
    }
    if sort not in keys:
        raise ApiInputError("sort must be newest, lowest or highest")
    t = trv(state)
    found = t.review_memo.get((h.hotel_id, sort))
    if found is None:
        found = tuple(sorted(_reviews(t.salt, h), key=keys[sort], reverse=True))
        t.review_memo[h.hotel_id, sort] = found
    return {"hotel_id": h.hotel_id, **paginate(found, args.get("page", 1), 5, dict)}


@DOMAIN.api("hotel_booking", "book_hotel")
def book_hotel(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    h = get_by_id(trv(state).hotels, args["hotel_id"], "hotel")
    guest = require_text(args, "guest_name", min_len=2)
    check_in = _date_in(args["check_in"], "check_in", BOOKING_DAYS)
    nights = _int_in(args["nights"], "nights", 1, 30)
    rooms = _int_in(args.get("rooms", 1), "rooms", 1, 5)
    rec = {
        "booking_id": state.next_id("HB"),
        "hotel_id": h.hotel_id,
        "hotel_name": h.name,
        "city": geo(state).cities[h.city_id].name,
        "guest_name": guest,
        "check_in": check_in.isoformat(),
        "check_out": (check_in + dt.timedelta(days=nights)).isoformat(),
        "nights": nights,
        "rooms": rooms,
        "total_price": money(h.price_per_night * nights * rooms),
        "currency": "USD",
        "status": "confirmed",
    }
    return dict(state.add("hotel_bookings", rec))


def _booking(state: WorldState, booking_id: Any) -> dict[str, Any]:
    key = booking_id.strip().upper() if isinstance(booking_id, str) else None
    for rec in state.records.get("hotel_bookings", ()):
        if rec["booking_id"] == key:
            return rec
    raise ApiInputError(f"no hotel booking with id {booking_id!r}")


@DOMAIN.api("hotel_booking", "get_booking")
def get_booking(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    return dict(_booking(state, args["booking_id"]))


@DOMAIN.api("hotel_booking", "cancel_booking")
def cancel_booking(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    rec = _booking(state, args["booking_id"])
    if rec["status"] == "cancelled":
        raise ApiInputError(f"booking {rec['booking_id']} is already cancelled")
    rec["status"] = "cancelled"
    return dict(rec)


# ---------------------------------------------------------------- car_rental
def _car_free(salt: int, car: Car, start: dt.date, days: int) -> bool:
    return _car_id_free(salt, car.car_id, start, days)


@lru_cache(maxsize=1 << 16)
def _car_id_free(salt: int, car_id: str, start: dt.date, days: int) -> bool:
    for k in range(days):
        d = (start + dt.timedelta(days=k)).isoformat()
        if derive_seed(salt, "car", car_id, d) % 100 < CAR_UNAVAILABLE_PCT:
            return False
    return True


CAR_SORTS: dict[str, Callable[[Car], Any]] = {
    "price": lambda c: (c.price_per_day, c.car_id),
    "seats": lambda c: (-c.seats, c.price_per_day, c.car_id),
}


def _car_total(car: Car, days: int) -> float:
    return money(car.price_per_day * days * (0.9 if days >= 7 else 1.0))


@DOMAIN.api("car_rental", "search_cars")
def search_cars(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    city = resolve_city(state, args["city"])
    start = _date_in(args["pickup_date"], "pickup_date", BOOKING_DAYS)
    days = _int_in(args["days"], "days", 1, 30)
    cls = args.get("car_class")
    if cls and cls not in CAR_CLASSES:
        raise ApiInputError(f"car_class must be one of {', '.join(CAR_CLASSES)}")
    t = trv(state)
    salt = t.salt
    sort = args.get("sort", "price")
    if sort not in CAR_SORTS:
        raise ApiInputError("sort must be price or seats")
    # the city's cars in the requested order (filtering keeps it)
    found = [
        c
        for c in t.cars_sorted[city.city_id, sort]
        if (not cls or c.car_class == cls) and _car_id_free(salt, c.car_id, start, days)
    ]
    page = paginate(
        found,
        args.get("page", 1),
        5,
        lambda c: {
            "car_id": c.car_id,
            "model": c.model,
            "agency": c.agency,
            "car_class": c.car_class,
            "seats": c.seats,
            "price_per_day": c.price_per_day,
            "total_price": _car_total(c, days),
        },
    )
    return {
        "city": city.name,
        "pickup_date": start.isoformat(),
        "days": days,
        "currency": "USD",
        **page,
    }


@DOMAIN.api("car_rental", "get_car")
def get_car(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    c = get_by_id(trv(state).cars, args["car_id"], "car")
    city = geo(state).cities[c.city_id]
    return {
        "car_id": c.car_id,
        "model": c.model,
        "agency": c.agency,
        "car_class": c.car_class,
        "seats": c.seats,
        "transmission": c.transmission,
        "price_per_day": c.price_per_day,
        "fuel_policy": c.fuel_policy,
        "mileage": "unlimited",
        "city": city.name,
        "pickup_location": trv(state).airport_by_city[c.city_id].name,
        "weekly_discount_percent": 10,
        "currency": "USD",
    }


@DOMAIN.api("car_rental", "rent_car")
def rent_car(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    c = get_by_id(trv(state).cars, args["car_id"], "car")
    driver = require_text(args, "driver_name", min_len=2)
    start = _date_in(args["pickup_date"], "pickup_date", BOOKING_DAYS)
    days = _int_in(args["days"], "days", 1, 30)
    if not _car_free(trv(state).salt, c, start, days):
        raise ApiInputError(f"car {c.car_id} is not available for the whole period")
    for r in state.find("car_rentals", car_id=c.car_id):
        a = dt.date.fromisoformat(r["pickup_date"])
        b = dt.date.fromisoformat(r["return_date"])
        if start < b and a < start + dt.timedelta(days=days):
            raise ApiInputError(f"car {c.car_id} is already rented for part of that period")
    rec = {
        "rental_id": state.next_id("CR"),
        "car_id": c.car_id,
        "model": c.model,
        "agency": c.agency,
        "city": geo(state).cities[c.city_id].name,
        "driver_name": driver,
        "pickup_date": start.isoformat(),
        "return_date": (start + dt.timedelta(days=days)).isoformat(),
        "days": days,
        "total_price": _car_total(c, days),
        "currency": "USD",
        "status": "confirmed",
    }
    return dict(state.add("car_rentals", rec))


# ---------------------------------------------------------------- tasks
def _route(rng: StableRng, world: World, first: int, last: int) -> tuple[Airport, Airport, str]:
    """Two distinct airports (origin, destination) and a date ``first`` to ``last`` days
    ahead."""
    t = trv(world)
    a, b = rng.sample(geo(world).city_list, 2)
    date = day(rng.randint(first, last))
    return t.airport_by_city[a.city_id], t.airport_by_city[b.city_id], date


def _route_slots(o: Airport, d: Airport, date: str) -> dict[str, str]:
    return {"city_a": o.city, "city_b": d.city, "date": date}


def _airport_calls(o: Airport, d: Airport) -> tuple[GoldCall, GoldCall]:
    return (
        GoldCall("flight_search", "search_airports", {"query": o.city}),
        GoldCall("flight_search", "search_airports", {"query": d.city}),
    )


def _flight_list(world: World, o: Airport, d: Airport, date: str, sort: str) -> list[Flight]:
    return sorted(flights_on(world, o, d, dt.date.fromisoformat(date)), key=FLIGHT_SORTS[sort])


def _search_call(o: Airport, d: Airport, date: str, sort: str, page: int = 1) -> GoldCall:
    args: dict[str, Any] = {"origin": o.code, "destination": d.code, "date": date, "sort": sort}
    if page != 1:
        args["page"] = page
    keys = (
        ("origin", "destination", "date")
        if page == 1
        else ("origin", "destination", "date", "sort", "page")
    )
    return GoldCall("flight_search", "search_flights", args, (0, 1), match=keys)


def _cheapest(world: World, o: Airport, d: Airport, date: str) -> list[Flight] | None:
    fl = _flight_list(world, o, d, date, "price")
    return None if fl[0].price == fl[1].price else fl


def _first_flight_task(
    o: Airport, d: Airport, date: str, fl: list[Flight], sort: str, answer: str, fact: AnswerFact
) -> TaskDraft:
    """'Which flight comes first when sorted by ``sort``': ``fl`` in that order, the first
    named in ``answer``, ``fact`` the detail the answer must also state."""
    best = fl[0]
    return TaskDraft(
        slots=_route_slots(o, d, date),
        gold=(*_airport_calls(o, d), _search_call(o, d, date, sort)),
        facts=(
            chosen_fact(best.flight_number, "flight", answer, (f.flight_number for f in fl[1:])),
            fact,
        ),
        answer=answer,
    )


@DOMAIN.task("travel.cheapest_flight", group="G1", tools=("flight_search",))
@retrying
def task_cheapest_flight(rng: StableRng, world: World) -> TaskDraft | None:
    o, d, date = _route(rng, world, 1, 120)
    fl = _cheapest(world, o, d, date)
    if fl is None:
        return None
    best = fl[0]
    answer = (
        f"The cheapest flight from {o.city} to {d.city} on {date} is {best.flight_number} "
        f"({best.airline}) at {fmt(best.price)} USD."
    )
    return _first_flight_task(o, d, date, fl, "price", answer, AnswerFact(best.price, "price"))


@DOMAIN.task("travel.fastest_flight", group="G1", tools=("flight_search",))
@retrying
def task_fastest_flight(rng: StableRng, world: World) -> TaskDraft | None:
    o, d, date = _route(rng, world, 1, 120)
    fl = _flight_list(world, o, d, date, "duration")
    if fl[0].duration_min == fl[1].duration_min:
        return None
    best = fl[0]
    answer = (
        f"The quickest option is {best.flight_number}, taking {best.duration_min} minutes "
        f"and costing {fmt(best.price)} USD."
    )
    minutes = AnswerFact(best.duration_min, "minutes")
    return _first_flight_task(o, d, date, fl, "duration", answer, minutes)


@DOMAIN.task("travel.last_flight", group="G1", tools=("flight_search",))
@retrying
def task_last_flight(rng: StableRng, world: World) -> TaskDraft | None:
    o, d, date = _route(rng, world, 1, 120)
    fl = _flight_list(world, o, d, date, "departure")
    if len(fl) <= 5 or fl[-1].departure == fl[-2].departure:
        return None
    last = fl[-1]
    answer = (
        f"The last departure of the day is {last.flight_number} at {last.departure}, "
        f"priced at {fmt(last.price)} USD."
    )
    return TaskDraft(
        slots=_route_slots(o, d, date),
        gold=(
            *_airport_calls(o, d),
            GoldCall(
                "flight_search",
                "search_flights",
                {"origin": o.code, "destination": d.code, "date": date},
                (0, 1),
            ),
            GoldCall(
                "flight_search",
                "search_flights",
                {"origin": o.code, "destination": d.code, "date": date, "page": 2},
                (2,),
            ),
        ),
        facts=(
            chosen_fact(last.flight_number, "flight", answer, (f.flight_number for f in fl[:-1])),
            AnswerFact(last.price, "price"),
        ),
        answer=answer,
    )


@DOMAIN.task("travel.book_cheapest_flight", group="G1", tools=("flight_search",))
@retrying
def task_book_cheapest_flight(rng: StableRng, world: World) -> TaskDraft | None:
    o, d, date = _route(rng, world, 2, 150)
    fl = _cheapest(world, o, d, date)
    if fl is None:
        return None
    best = fl[0]
    passenger = person(rng)
    return TaskDraft(
        slots={**_route_slots(o, d, date), "passenger": passenger},
        gold=(
            *_airport_calls(o, d),
            _search_call(o, d, date, "price"),
            GoldCall(
                "flight_search",
                "book_flight",
                {"flight_id": best.flight_id, "passenger_name": passenger},
                (2,),
                match=("flight_id", "passenger_name"),
            ),
        ),
        facts=(
            StateFact(
                "flight_bookings",
                {"flight_id": best.flight_id, "passenger_name": passenger},
                "booking of the cheapest flight",
            ),
            AnswerFact(best.price, "price"),
        ),
        answer=(
            f"Booked {best.flight_number} on {date} for {passenger}; the fare is "
            f"{fmt(best.price)} USD."
        ),
    )


def _hotels(world: World, city: City, **args: Any) -> list[dict[str, Any]]:
    """All results of a hotel search (every page)."""
    return all_results(world, search_hotels, city=city.name, **args)


@DOMAIN.task("travel.hotel_cheapest_stars", group="G1", tools=("hotel_booking",))
@retrying
def task_hotel_cheapest_stars(rng: StableRng, world: World) -> TaskDraft | None:
    city = rng.choice(geo(world).city_list)
    stars = rng.choice((3, 4))
    rows = _hotels(world, city, min_stars=stars, sort="price")
    if len(rows) < 2:
        return None
    best = trv(world).hotels[rows[0]["hotel_id"]]
    answer = (
        f"The cheapest hotel in {city.name} with {stars}+ stars is {best.name} at "
        f"{fmt(best.price_per_night)} USD per night; the address is {best.address}."
    )
    return TaskDraft(
        slots={"city": city.name, "stars": str(stars)},
        gold=(
            GoldCall(
                "hotel_booking",
                "search_hotels",
                {"city": city.name, "min_stars": stars, "sort": "price"},
                match=("city", "min_stars"),
            ),
            GoldCall("hotel_booking", "get_hotel", {"hotel_id": best.hotel_id}, (0,)),
        ),
        facts=(
            chosen_fact(best.name, "hotel", answer, (r["name"] for r in rows[1:])),
            AnswerFact(best.price_per_night, "price per night"),
            AnswerFact(best.address, "address"),
        ),
        answer=answer,
    )


CRITERIA = {"cheapest": "price", "highest-rated": "rating"}


@DOMAIN.task("travel.book_hotel", group="G1", tools=("hotel_booking",))
@retrying
def task_book_hotel(rng: StableRng, world: World) -> TaskDraft | None:
    city = rng.choice(geo(world).city_list)
    criterion = rng.choice(tuple(CRITERIA))
    sort = CRITERIA[criterion]
    rows = _hotels(world, city, sort=sort)
    key = "price_per_night" if sort == "price" else "rating"
    if rows[0][key] == rows[1][key]:
        return None
    h = trv(world).hotels[rows[0]["hotel_id"]]
    check_in = day(rng.randint(3, 120))
    nights = rng.randint(1, 7)
    guest = person(rng)
    total = money(h.price_per_night * nights)
    booking = {"hotel_id": h.hotel_id, "guest_name": guest, "check_in": check_in, "nights": nights}
    return TaskDraft(
        slots={
            "criterion": criterion,
            "city": city.name,
            "check_in": check_in,
            "nights": str(nights),
            "guest": guest,
        },
        gold=(
            GoldCall(
                "hotel_booking", "search_hotels", {"city": city.name, "sort": sort}, match=("city",)
            ),
            GoldCall("hotel_booking", "book_hotel", booking, (0,)),
        ),
        facts=(
            StateFact("hotel_bookings", booking, "hotel booking"),
            AnswerFact(total, "total price"),
        ),
        answer=(
            f"Booked {h.name} in {city.name} for {guest}: {nights} night(s) from "
            f"{check_in}, {fmt(total)} USD in total."
        ),
    )


@DOMAIN.task("travel.hotel_worst_review", group="G1", tools=("hotel_booking",))
@retrying
def task_hotel_worst_review(rng: StableRng, world: World) -> TaskDraft | None:
    t = trv(world)
    h = rng.choice(tuple(t.hotels.values()))
    city = geo(world).cities[h.city_id]
    reviews = sorted(_reviews(t.salt, h), key=lambda r: r["score"])
    worst = reviews[0]
    if reviews[1]["score"] == worst["score"]:
        return None
    found = run_api(world, search_hotels, city=city.name, name=h.name)["results"]
    if not found or found[0]["hotel_id"] != h.hotel_id:
        return None
    answer = (
        f"The lowest recent review of {h.name} is by {worst['reviewer']}, "
        f"who gave it {worst['score']} out of 10."
    )
    return TaskDraft(
        slots={"hotel": h.name, "city": city.name},
        gold=(
            GoldCall(
                "hotel_booking",
                "search_hotels",
                {"city": city.name, "name": h.name},
                match=("city",),
            ),
            GoldCall(
                "hotel_booking",
                "hotel_reviews",
                {"hotel_id": h.hotel_id, "sort": "lowest"},
                (0,),
                match=("hotel_id",),
            ),
        ),
        facts=(
            chosen_fact(
                worst["reviewer"], "reviewer", answer, (r["reviewer"] for r in reviews[1:])
            ),
            AnswerFact(worst["score"], "score"),
        ),
        answer=answer,
    )


@dataclass(frozen=True)
class _CarQuery:
    """A car search of the car tasks: a class of car in a city, from a date for some days."""

    city: City
    car_class: str
    date: str
    days: int

    @property
    def args(self) -> dict[str, Any]:
        return {
            "city": self.city.name,
            "pickup_date": self.date,
            "days": self.days,
            "car_class": self.car_class,
        }

    @property
    def slots(self) -> dict[str, str]:
        return {
            "car_class": CLASS_LABEL[self.car_class],
            "city": self.city.name,
            "date": self.date,
            "days": str(self.days),
        }


def _cheapest_car(
    rng: StableRng, world: World, max_days: int
) -> tuple[_CarQuery, list[dict[str, Any]], Car] | None:
    """A car search (2 to ``max_days`` days) with one cheapest car: the search, all its
    results, cheapest first, and that car; None on a tie or when nothing is free."""
    city = rng.choice(geo(world).city_list)
    classes = sorted({c.car_class for c in trv(world).cars_by_city[city.city_id]})
    car_class = rng.choice(classes)
    q = _CarQuery(city, car_class, day(rng.randint(1, 90)), rng.randint(2, max_days))
    rows = all_results(world, search_cars, **q.args)
    if not rows or (len(rows) > 1 and rows[0]["price_per_day"] == rows[1]["price_per_day"]):
        return None
    return q, rows, trv(world).cars[rows[0]["car_id"]]


@DOMAIN.task("travel.cheapest_car", group="G1", tools=("car_rental",))
@retrying
def task_cheapest_car(rng: StableRng, world: World) -> TaskDraft | None:
    picked = _cheapest_car(rng, world, 10)
    if picked is None:
        return None
    q, rows, car = picked
    total = _car_total(car, q.days)
    answer = (
        f"The cheapest available {q.car_class} car in {q.city.name} is the {car.model} from "
        f"{car.agency}: {fmt(total)} USD for {q.days} days, {car.transmission} transmission."
    )
    return TaskDraft(
        slots=q.slots,
        gold=(
            GoldCall("car_rental", "search_cars", q.args),
            GoldCall("car_rental", "get_car", {"car_id": car.car_id}, (0,)),
        ),
        facts=(
            chosen_fact(car.model, "model", answer, (r["model"] for r in rows[1:])),
            AnswerFact(total, "total price"),
            AnswerFact(car.transmission, "transmission"),
        ),
        answer=answer,
    )


@DOMAIN.task("travel.rent_car", group="G1", tools=("car_rental",))
@retrying
def task_rent_car(rng: StableRng, world: World) -> TaskDraft | None:
    picked = _cheapest_car(rng, world, 14)
    if picked is None:
        return None
    q, _, car = picked
    driver = person(rng)
    total = _car_total(car, q.days)
    rental = {"car_id": car.car_id, "driver_name": driver, "pickup_date": q.date, "days": q.days}
    return TaskDraft(
        slots={**q.slots, "driver": driver},
        gold=(
            GoldCall("car_rental", "search_cars", q.args),
            GoldCall("car_rental", "rent_car", rental, (0,)),
        ),
        facts=(StateFact("car_rentals", rental, "car rental"), AnswerFact(total, "total price")),
        answer=(
            f"Rented the {car.model} in {q.city.name} for {driver} from {q.date} for {q.days} "
            f"days; the total is {fmt(total)} USD."
        ),
    )


@DOMAIN.task("travel.trip_cost", group="G2", tools=("flight_search", "hotel_booking"))
@retrying
def task_trip_cost(rng: StableRng, world: World) -> TaskDraft | None:
    o, d, date = _route(rng, world, 2, 120)
    nights = rng.randint(2, 7)
    fl = _cheapest(world, o, d, date)
    city = geo(world).cities[d.city_id]
    rows = _hotels(world, city, sort="price")
    if fl is None:
        return None
    flight, hotel = fl[0], rows[0]
    stay = money(hotel["price_per_night"] * nights)
    total = money(flight.price + stay)
    return TaskDraft(
        slots={**_route_slots(o, d, date), "nights": str(nights)},
        gold=(
            *_airport_calls(o, d),
            _search_call(o, d, date, "price"),
            GoldCall(
                "hotel_booking", "search_hotels", {"city": d.city, "sort": "price"}, match=("city",)
            ),
        ),
        facts=(
            AnswerFact(flight.price, "flight price"),
            AnswerFact(stay, "hotel cost"),
            AnswerFact(total, "total"),
        ),
        answer=(
            f"The cheapest flight ({flight.flight_number}) costs {fmt(flight.price)} USD and "
            f"the cheapest hotel, {hotel['name']}, costs {fmt(stay)} USD for {nights} "
            f"nights: {fmt(total)} USD in total."
        ),
    )


@DOMAIN.task("travel.fly_and_stay", group="G2", tools=("flight_search", "hotel_booking"))
@retrying
def task_fly_and_stay(rng: StableRng, world: World) -> TaskDraft | None:
    o, d, date = _route(rng, world, 2, 120)
    nights = rng.randint(1, 6)
    fl = _cheapest(world, o, d, date)
    if fl is None:
        return None
    flight = fl[0]
    city = geo(world).cities[d.city_id]
    rows = _hotels(world, city, sort="rating")
    if rows[0]["rating"] == rows[1]["rating"]:
        return None
    h = trv(world).hotels[rows[0]["hotel_id"]]
    guest = person(rng)
    check_in = flight.arrival_date
    total = money(h.price_per_night * nights)
    booking = {"hotel_id": h.hotel_id, "guest_name": guest, "check_in": check_in, "nights": nights}
    return TaskDraft(
        slots={**_route_slots(o, d, date), "nights": str(nights), "guest": guest},
        gold=(
            *_airport_calls(o, d),
            _search_call(o, d, date, "price"),
            GoldCall(
                "hotel_booking",
                "search_hotels",
                {"city": d.city, "sort": "rating"},
                match=("city",),
            ),
            GoldCall("hotel_booking", "book_hotel", booking, (2, 3)),
        ),
        facts=(
            StateFact("hotel_bookings", booking, "hotel booked from the arrival date"),
            AnswerFact(total, "hotel total"),
        ),
        answer=(
            f"Flight {flight.flight_number} lands on {check_in}; I booked {h.name} for "
            f"{guest} from {check_in} for {nights} night(s), {fmt(total)} USD."
        ),
    )


@DOMAIN.task(
    "travel.flight_price_local",
    group="G3",
    tools=("flight_search", "countries_info", "currency_exchange"),
)
@retrying
def task_flight_price_local(rng: StableRng, world: World) -> TaskDraft | None:
    o, d, date = _route(rng, world, 1, 120)
    country = geo(world).countries[d.country_code]
    if country.currency == "USD":
        return None
    fl = _cheapest(world, o, d, date)
    if fl is None:
        return None
    best = fl[0]
    local = convert(fin(world), best.price, "USD", country.currency)
    return TaskDraft(
        slots=_route_slots(o, d, date),
        gold=(
            *_airport_calls(o, d),
            _search_call(o, d, date, "price"),
            GoldCall("countries_info", "get_country", {"country_code": d.country_code}, (1,)),
            convert_call(best.price, "USD", country.currency, (2, 3)),
        ),
        facts=(AnswerFact(best.price, "price USD"), AnswerFact(local, "price local")),
        answer=(
            f"The cheapest flight, {best.flight_number}, costs {fmt(best.price)} USD, which "
            f"is {fmt(local)} {country.currency} in {country.name}'s currency."
        ),
    )


@DOMAIN.task("travel.capital_hotel", group="G3", tools=("countries_info", "hotel_booking"))
@retrying
def task_capital_hotel(rng: StableRng, world: World) -> TaskDraft | None:
    g = geo(world)
    country = rng.choice(tuple(g.countries.values()))
    capital = g.cities[country.capital_id]
    stars = rng.choice((2, 3, 4))
    criterion = rng.choice(tuple(CRITERIA))
    sort = CRITERIA[criterion]
    rows = _hotels(world, capital, min_stars=stars, sort=sort)
    key = "price_per_night" if sort == "price" else "rating"
    if len(rows) < 2 or rows[0][key] == rows[1][key]:
        return None
    best = rows[0]
    answer = (
        f"The capital of {country.name} is {capital.name}; the {criterion} hotel there "
        f"with at least {stars} stars is {best['name']} (rating {fmt(best['rating'])}, "
        f"{fmt(best['price_per_night'])} USD per night)."
    )
    return TaskDraft(
        slots={"country": country.name, "criterion": criterion, "stars": str(stars)},
        gold=(
            GoldCall("countries_info", "search_countries", {"name": country.name}),
            GoldCall("countries_info", "get_country", {"country_code": country.code}, (0,)),
            GoldCall(
                "hotel_booking",
                "search_hotels",
                {"city": capital.name, "min_stars": stars, "sort": sort},
                (1,),
                match=("city", "min_stars"),
            ),
        ),
        facts=(
            chosen_fact(best["name"], "hotel", answer, (r["name"] for r in rows[1:])),
            AnswerFact(best[key], key),
        ),
        answer=answer,
    )
