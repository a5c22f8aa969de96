"""Behaviour of the food domain: recipes, nutrition facts, restaurants and reservations."""

from __future__ import annotations

import datetime as dt

import pytest

from steptool_env.seeding import StableRng, derive_seed
from steptool_env.tools.catalogue import Catalogue
from steptool_env.world.checker import check_answer
from steptool_env.world.domain import all_domains
from steptool_env.world.domains import food
from steptool_env.world.helpers import TODAY, ApiInputError, day
from steptool_env.world.state import World, WorldState
from tests.world.domains.support import build_world, call, solve


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(("geography", "food"))


def test_build_is_deterministic(world: World) -> None:
    again = build_world(("geography", "food"))["food"]
    data = world["food"]
    assert again.recipe_list == data.recipe_list
    assert again.food_list == data.food_list
    assert list(again.restaurants.values())[:50] == list(data.restaurants.values())[:50]
    r = next(iter(data.restaurants.values()))
    assert food.details(r) == food.details(again.restaurants[r.restaurant_id])


def test_recipe_search_then_details(state: WorldState) -> None:
    recipe = food.fd(state).recipe_list[7]
    found = call(state, "recipe_finder", "search_recipes", query=recipe.title)
    assert recipe.recipe_id in [r["recipe_id"] for r in found["results"]]
    detail = call(state, "recipe_finder", "get_recipe", recipe_id=recipe.recipe_id)
    assert detail["title"] == recipe.title
    assert detail["total_minutes"] == detail["prep_minutes"] + detail["cook_minutes"]


def test_ingredients_scale_and_link_to_nutrition(state: WorldState) -> None:
    recipe = food.fd(state).recipe_list[3]
    base = call(state, "recipe_finder", "recipe_ingredients", recipe_id=recipe.recipe_id)
    double = call(
        state,
        "recipe_finder",
        "recipe_ingredients",
        recipe_id=recipe.recipe_id,
        servings=recipe.servings * 2,
    )
    for a, b in zip(base["ingredients"], double["ingredients"]):
        assert b["grams"] == pytest.approx(a["grams"] * 2, abs=0.11)
        info = call(state, "nutrition_facts", "food_nutrients", food_id=a["food_id"])
        assert info["grams"] == 100
    with pytest.raises(ApiInputError):
        call(state, "recipe_finder", "recipe_ingredients", recipe_id=recipe.recipe_id, servings=0)


def test_recipes_by_cuisine_sorts_and_paginates(state: WorldState) -> None:
    page1 = call(state, "recipe_finder", "recipes_by_cuisine", cuisine="Thai", sort="time")
    times = [r["total_minutes"] for r in page1["results"]]
    assert times == sorted(times)
    assert page1["total_results"] == food.RECIPES_PER_CUISINE
    page2 = call(state, "recipe_finder", "recipes_by_cuisine", cuisine="Thai", sort="time", page=2)
    assert page2["results"][0]["total_minutes"] >= times[-1]
    with pytest.raises(ApiInputError):
        call(state, "recipe_finder", "recipes_by_cuisine", cuisine="Thai", page=99)
    with pytest.raises(ApiInputError):
        call(state, "recipe_finder", "recipes_by_cuisine", cuisine="Martian")


def test_nutrition_scales_compares_and_rejects_bad_input(state: WorldState) -> None:
    a, b = food.fd(state).food_list[:2]
    hundred = call(state, "nutrition_facts", "food_nutrients", food_id=a.food_id)
    fifty = call(state, "nutrition_facts", "food_nutrients", food_id=a.food_id, grams=50)
    assert fifty["protein_g"] == pytest.approx(hundred["protein_g"] / 2, abs=0.06)
    cmp = call(
        state,
        "nutrition_facts",
        "compare_foods",
        food_id_a=a.food_id,
        food_id_b=b.food_id,
        nutrient="fat",
    )
    assert cmp["difference"] == pytest.approx(
        abs(cmp["food_a"]["amount"] - cmp["food_b"]["amount"]), abs=0.01
    )
    dv = call(state, "nutrition_facts", "daily_value", food_id=a.food_id, nutrient="sodium")
    assert dv["percent_daily_value"] == round(dv["amount"] / 2300 * 100, 1)
    with pytest.raises(ApiInputError):
        call(state, "nutrition_facts", "food_nutrients", food_id="F0")
    with pytest.raises(ApiInputError):
        call(state, "nutrition_facts", "food_nutrients", food_id=a.food_id, grams=-5)
    with pytest.raises(ApiInputError):
        call(state, "nutrition_facts", "search_food", query="  ")


def test_restaurant_search_by_city_name(state: WorldState, world: World) -> None:
    data = food.fd(state)
    city_id, own = next((k, v) for k, v in data.restaurants_by_city.items() if len(v) > 5)
    city = world["geography"].cities[city_id].name
    page1 = call(state, "restaurant_guide", "search_restaurants", city=city.upper())
    assert page1["total_results"] == len(own)
    assert [r["rating"] for r in page1["results"]] == sorted(
        (r["rating"] for r in page1["results"]), reverse=True
    )
    page2 = call(state, "restaurant_guide", "search_restaurants", city=city, page=2)
    ids = {r["restaurant_id"] for r in page1["results"] + page2["results"]}
    assert ids == {r.restaurant_id for r in own}
    with pytest.raises(ApiInputError):
        call(state, "restaurant_guide", "search_restaurants", city="Atlantis Nowhere")
    detail = call(state, "restaurant_guide", "get_restaurant", restaurant_id=own[0].restaurant_id)
    assert detail["city_id"] == city_id and detail["name"] == own[0].name
    menu = call(
        state,
        "restaurant_guide",
        "get_menu",
        restaurant_id=own[0].restaurant_id,
        vegetarian_only=True,
    )
    assert all(d["vegetarian"] for d in menu["dishes"])


def test_reserve_table_records_and_validates(state: WorldState) -> None:
    r = next(iter(food.fd(state).restaurants.values()))
    d = food.details(r)
    date = TODAY
    while food.WEEKDAYS[date.weekday()] == d.closed_on:
        date += dt.timedelta(days=1)
    args = {
        "restaurant_id": r.restaurant_id,
        "date": date.isoformat(),
        "time": d.opens,
        "party_size": 2,
        "name": "Ava Adler",
    }
    booking = call(state, "restaurant_guide", "reserve_table", **args)
    assert state.find("table_reservations", restaurant_id=r.restaurant_id, party_size=2)
    again = call(
        state, "restaurant_guide", "get_reservation", reservation_id=booking["reservation_id"]
    )
    assert again["time"] == d.opens
    with pytest.raises(ApiInputError):
        call(state, "restaurant_guide", "reserve_table", **{**args, "date": day(-1)})
    with pytest.raises(ApiInputError):
        call(state, "restaurant_guide", "reserve_table", **{**args, "time": d.closes})
    with pytest.raises(ApiInputError):
        call(state, "restaurant_guide", "reserve_table", **{**args, "party_size": 99})
    with pytest.raises(ApiInputError):
        call(state, "restaurant_guide", "get_reservation", reservation_id="RSV-9999")
    assert len(state.records["table_reservations"]) == 1


@pytest.mark.parametrize(
    "type_id", sorted(next(d for d in all_domains() if d.name == "food").task_types)
)
def test_task_type_yields_solvable_distinct_tasks(
    type_id: str, world: World, catalogue: Catalogue
) -> None:
    tt = next(d for d in all_domains() if d.name == "food").task_types[type_id]
    assert {catalogue.by_tool[t].category for t in tt.tools} == {"Food"}
    seen = set()
    for i in range(400):
        draft = tt.generate(StableRng(derive_seed("test", type_id, i)), world)
        if draft is None:
            continue
        if len(seen) < 5:
            records = solve(world, catalogue, draft.gold)
            assert check_answer(draft.facts, draft.answer, records).is_solved == 1.0
        seen.add(draft.signature())
        if len(seen) >= 60:
            break
    assert len(seen) >= 60
