"""Behaviour of the eCommerce domain: catalogue, cart and checkout, coupons, price tracker."""

from __future__ import annotations

import pytest

from steptool_env.world.domains import shopping
from steptool_env.world.helpers import TODAY, ApiInputError
from steptool_env.world.state import World, WorldState
from tests.world.domains.support import build_world
from tests.world.domains.support import checked_call as call


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(("geography", "finance", "shopping"))


def _in_stock(world: World, minimum: int = 5) -> shopping.Product:
    return next(p for p in shopping.shop(world).products.values() if minimum <= p.stock <= 90)


def test_search_then_details_round_trip(world: World, state: WorldState) -> None:
    p = _in_stock(world)
    hit = call(state, "product_catalog", "search_products", query=p.name)["results"][0]
    assert hit["product_id"] == p.product_id
    detail = call(state, "product_catalog", "get_product", product_id=hit["product_id"])
    assert detail["price"] == p.price and detail["stock"] == p.stock
    with pytest.raises(ApiInputError, match="no product"):
        call(state, "product_catalog", "get_product", product_id="P1")


def test_search_filters_sort_and_pages(state: WorldState) -> None:
    first = call(
        state,
        "product_catalog",
        "search_products",
        query="a",
        category="Electronics",
        sort="price_asc",
    )
    rows = list(first["results"])
    for page in range(2, first["total_pages"] + 1):
        rows += call(
            state,
            "product_catalog",
            "search_products",
            query="a",
            category="Electronics",
            sort="price_asc",
            page=page,
        )["results"]
    assert len(rows) == first["total_results"]
    assert all(r["category"] == "Electronics" for r in rows)
    prices = [r["price"] for r in rows]
    assert prices == sorted(prices)
    rated = call(state, "product_catalog", "search_products", query="a", min_rating=4.5)
    assert all(r["rating"] >= 4.5 for r in rated["results"])
    with pytest.raises(ApiInputError, match="out of range"):
        call(state, "product_catalog", "search_products", query="a", page=10_000)


def test_cart_merges_lines_checks_stock_and_removes(world: World, state: WorldState) -> None:
    p = _in_stock(world)
    call(state, "shopping_cart", "add_to_cart", product_id=p.product_id, quantity=2)
    cart = call(state, "shopping_cart", "add_to_cart", product_id=p.product_id)
    assert len(cart["items"]) == 1 and cart["items"][0]["quantity"] == 3
    assert cart["subtotal"] == pytest.approx(3 * p.price)
    with pytest.raises(ApiInputError, match="in stock"):
        call(state, "shopping_cart", "add_to_cart", product_id=p.product_id, quantity=p.stock)
    item_id = cart["items"][0]["item_id"]
    after = call(state, "shopping_cart", "remove_from_cart", item_id=item_id)
    assert after["items"] == [] and after["subtotal"] == 0
    with pytest.raises(ApiInputError, match="no cart item"):
        call(state, "shopping_cart", "remove_from_cart", item_id=item_id)


def test_checkout_places_order_and_empties_cart(world: World, state: WorldState) -> None:
    with pytest.raises(ApiInputError, match="empty"):
        call(state, "shopping_cart", "checkout", shipping_name="Ava Adler", shipping_city="Gryston")
    cheap = next(p for p in shopping.shop(world).products.values() if 0 < p.price < 20 and p.stock)
    call(state, "shopping_cart", "add_to_cart", product_id=cheap.product_id)
    order = call(
        state, "shopping_cart", "checkout", shipping_name="Ava Adler", shipping_city="Gryston"
    )
    assert order["shipping"] == shopping.SHIPPING_FEE
    assert order["total"] == pytest.approx(cheap.price + shopping.SHIPPING_FEE)
    assert state.find("orders", shipping_name="Ava Adler")[0]["product_ids"] == [cheap.product_id]
    assert call(state, "shopping_cart", "view_cart")["items"] == []


def test_checkout_with_coupon_applies_discount(world: World, state: WorldState) -> None:
    data = shopping.shop(world)
    coupon = next(
        c
        for c in data.coupons.values()
        if c.scope == "brand" and c.expires >= TODAY.isoformat() and c.min_spend == 0
    )
    product = next(p for p in data.products.values() if p.brand == coupon.target and p.stock)
    call(state, "shopping_cart", "add_to_cart", product_id=product.product_id)
    order = call(
        state,
        "shopping_cart",
        "checkout",
        shipping_name="Omar Hollis",
        shipping_city="Gryston",
        coupon_code=coupon.code.lower(),
    )
    assert order["coupon_code"] == coupon.code
    assert order["discount"] == pytest.approx(product.price * coupon.percent_off / 100, abs=0.011)


def test_expired_coupon_is_refused(world: World, state: WorldState) -> None:
    data = shopping.shop(world)
    expired = next(c for c in data.coupons.values() if c.expires < TODAY.isoformat())
    check = call(state, "coupon_codes", "validate_coupon", code=expired.code, subtotal=500)
    assert check["valid"] is False and check["discount"] == 0
    listed = call(state, "coupon_codes", "search_coupons", **{expired.scope: expired.target})
    assert expired.code not in {r["code"] for r in listed["results"]}
    both = call(
        state,
        "coupon_codes",
        "search_coupons",
        include_expired=True,
        **{expired.scope: expired.target},
    )
    assert expired.code in {r["code"] for r in both["results"]}
    product = next(p for p in data.products.values() if shopping._applies(expired, p) and p.stock)
    call(state, "shopping_cart", "add_to_cart", product_id=product.product_id)
    with pytest.raises(ApiInputError, match="expired"):
        call(
            state,
            "shopping_cart",
            "checkout",
            shipping_name="Lena Falk",
            shipping_city="Gryston",
            coupon_code=expired.code,
        )
    assert "orders" not in state.records


def test_validate_coupon_math(world: World, state: WorldState) -> None:
    c = next(c for c in shopping.shop(world).coupons.values() if c.expires >= TODAY.isoformat())
    out = call(state, "coupon_codes", "validate_coupon", code=c.code, subtotal=200)
    assert out["valid"] is (c.min_spend <= 200)
    assert out["discount"] == pytest.approx(200 * c.percent_off / 100)
    assert out["total_after_discount"] == pytest.approx(200 - out["discount"])


def test_price_tracker_is_consistent(world: World, state: WorldState) -> None:
    p = next(iter(shopping.shop(world).products.values()))
    hit = call(state, "price_tracker", "search_tracked", query=p.name)["results"][0]
    assert hit["product_id"] == p.product_id and hit["current_price"] == p.price
    low = call(state, "price_tracker", "lowest_price", product_id=p.product_id)
    assert low["lowest_price"] <= low["current_price"] == p.price <= low["highest_price"]
    hist = call(state, "price_tracker", "product_price_history", product_id=p.product_id, days=90)
    assert hist["current_price"] == p.price
    assert low["lowest_price"] <= hist["start_price"] <= low["highest_price"]
    with pytest.raises(ApiInputError, match="days"):
        call(state, "price_tracker", "lowest_price", product_id=p.product_id, days=365)
