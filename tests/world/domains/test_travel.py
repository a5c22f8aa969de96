"""Behaviour of the travel domain: flights, hotels and rental cars."""

from __future__ import annotations

import pytest

from steptool_env.world.domains import travel
from steptool_env.world.domains.geography import City
from steptool_env.world.helpers import ApiInputError, day
from steptool_env.world.state import World, WorldState
from tests.world.domains.support import build_world
from tests.world.domains.support import checked_call as call


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(("geography", "finance", "travel"))


def _cities(world: World) -> tuple[City, City]:
    cities = world["geography"].city_list
    return cities[0], cities[9]


def _codes(state: WorldState, a: City, b: City) -> tuple[str, str]:
    ra = call(state, "flight_search", "search_airports", query=a.name)["results"][0]
    rb = call(state, "flight_search", "search_airports", query=b.name)["results"][0]
    assert ra["city_id"] == a.city_id and rb["city_id"] == b.city_id
    return ra["code"], rb["code"]


def test_flight_search_is_deterministic_sorted_and_paginated(
    world: World, state: WorldState
) -> None:
    o, d = _codes(state, *_cities(world))
    args = {"origin": o, "destination": d, "date": day(20)}
    first = call(state, "flight_search", "search_flights", **args, sort="price")
    assert first == call(WorldState(world), "flight_search", "search_flights", **args, sort="price")
    rows = list(first["results"])
    for page in range(2, first["total_pages"] + 1):
        rows += call(state, "flight_search", "search_flights", **args, sort="price", page=page)[
            "results"
        ]
    assert len(rows) == first["total_results"] == len({r["flight_id"] for r in rows})
    prices = [r["price"] for r in rows]
    assert prices == sorted(prices)
    other_day = call(
        state, "flight_search", "search_flights", origin=o, destination=d, date=day(21)
    )
    assert {r["flight_id"] for r in other_day["results"]}.isdisjoint(r["flight_id"] for r in rows)


def test_get_flight_round_trip_and_bad_ids(world: World, state: WorldState) -> None:
    o, d = _codes(state, *_cities(world))
    row = call(state, "flight_search", "search_flights", origin=o, destination=d, date=day(5))[
        "results"
    ][0]
    detail = call(state, "flight_search", "get_flight", flight_id=row["flight_id"])
    assert detail["price"] == row["price"] == detail["fares"]["economy"]
    assert detail["origin"] == o and detail["destination"] == d
    for bad in ("FL-XXX-YYY-20250610-1", row["flight_id"][:-1] + "99", "hello"):
        with pytest.raises(ApiInputError, match="no flight"):
            call(state, "flight_search", "get_flight", flight_id=bad)
    with pytest.raises(ApiInputError, match="past"):
        call(state, "flight_search", "search_flights", origin=o, destination=d, date=day(-1))
    with pytest.raises(ApiInputError, match="differ"):
        call(state, "flight_search", "search_flights", origin=o, destination=o, date=day(3))


def test_book_flight_records_the_booking_until_sold_out(world: World, state: WorldState) -> None:
    o, d = _codes(state, *_cities(world))
    row = call(state, "flight_search", "search_flights", origin=o, destination=d, date=day(40))[
        "results"
    ][0]
    seats = call(state, "flight_search", "get_flight", flight_id=row["flight_id"])["seats_left"]
    out = call(
        state,
        "flight_search",
        "book_flight",
        flight_id=row["flight_id"],
        passenger_name="Ada Quill",
        cabin="business",
    )
    assert out["booking_id"] == "FB-0001"
    rec = state.records["flight_bookings"][0]
    assert rec["flight_id"] == row["flight_id"] and rec["passenger_name"] == "Ada Quill"
    assert rec["price"] == pytest.approx(row["price"] * 3.1, abs=0.011)
    for k in range(seats - 1):
        call(
            state,
            "flight_search",
            "book_flight",
            flight_id=row["flight_id"],
            passenger_name=f"P{k} Larkin",
        )
    with pytest.raises(ApiInputError, match="sold out"):
        call(
            state,
            "flight_search",
            "book_flight",
            flight_id=row["flight_id"],
            passenger_name="Late Comer",
        )


def test_hotel_search_filters_sorts_and_accepts_name_or_id(world: World, state: WorldState) -> None:
    city = _cities(world)[0]
    by_name = call(state, "hotel_booking", "search_hotels", city=city.name, sort="price")
    by_id = call(state, "hotel_booking", "search_hotels", city=city.city_id, sort="price")
    assert by_name == by_id
    prices = [r["price_per_night"] for r in by_name["results"]]
    assert prices == sorted(prices)
    rated = call(state, "hotel_booking", "search_hotels", city=city.name, min_stars=4)
    assert all(r["stars"] >= 4 for r in rated["results"])
    with pytest.raises(ApiInputError, match="unknown city"):
        call(state, "hotel_booking", "search_hotels", city="Atlantis")


def test_book_get_and_cancel_a_hotel(world: World, state: WorldState) -> None:
    city = _cities(world)[1]
    hotel = call(state, "hotel_booking", "search_hotels", city=city.name)["results"][0]
    booking = call(
        state,
        "hotel_booking",
        "book_hotel",
        hotel_id=hotel["hotel_id"],
        guest_name="Mira Okafor",
        check_in=day(10),
        nights=3,
        rooms=2,
    )
    assert booking["total_price"] == pytest.approx(hotel["price_per_night"] * 6)
    assert booking["check_out"] == day(13)
    assert state.find("hotel_bookings", guest_name="Mira Okafor")
    assert (
        call(state, "hotel_booking", "get_booking", booking_id=booking["booking_id"].lower())[
            "hotel_id"
        ]
        == hotel["hotel_id"]
    )
    assert (
        call(state, "hotel_booking", "cancel_booking", booking_id=booking["booking_id"])["status"]
        == "cancelled"
    )
    with pytest.raises(ApiInputError, match="already cancelled"):
        call(state, "hotel_booking", "cancel_booking", booking_id=booking["booking_id"])
    with pytest.raises(ApiInputError, match="nights"):
        call(
            state,
            "hotel_booking",
            "book_hotel",
            hotel_id=hotel["hotel_id"],
            guest_name="Mira Okafor",
            check_in=day(10),
            nights=0,
        )


def test_hotel_reviews_sorted_by_score(world: World, state: WorldState) -> None:
    hotel_id = next(iter(travel.trv(world).hotels))
    low = call(state, "hotel_booking", "hotel_reviews", hotel_id=hotel_id, sort="lowest")
    scores = [r["score"] for r in low["results"]]
    assert scores == sorted(scores)
    assert low == call(
        WorldState(world), "hotel_booking", "hotel_reviews", hotel_id=hotel_id, sort="lowest"
    )
    with pytest.raises(ApiInputError, match="no hotel"):
        call(state, "hotel_booking", "hotel_reviews", hotel_id="H1")


def test_rent_a_car_and_refuse_double_booking(world: World, state: WorldState) -> None:
    city = _cities(world)[0]
    cars = call(state, "car_rental", "search_cars", city=city.name, pickup_date=day(12), days=7)[
        "results"
    ]
    car = cars[0]
    assert car["total_price"] == pytest.approx(car["price_per_day"] * 7 * 0.9, abs=0.011)
    rental = call(
        state,
        "car_rental",
        "rent_car",
        car_id=car["car_id"],
        driver_name="Kai Vance",
        pickup_date=day(12),
        days=7,
    )
    assert rental["return_date"] == day(19)
    assert state.find("car_rentals", car_id=car["car_id"], driver_name="Kai Vance")
    with pytest.raises(ApiInputError, match="already rented"):
        call(
            state,
            "car_rental",
            "rent_car",
            car_id=car["car_id"],
            driver_name="Noah Falk",
            pickup_date=day(15),
            days=2,
        )
    detail = call(state, "car_rental", "get_car", car_id=car["car_id"])
    assert detail["model"] == car["model"]


def test_heldout_tool_only_in_g1_task_types() -> None:
    users = [t for t in travel.DOMAIN.task_types.values() if travel.HELDOUT_TOOL in t.tools]
    assert len(users) >= 2
    assert all(t.group == "G1" for t in users)
