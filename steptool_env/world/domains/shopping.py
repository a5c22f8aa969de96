"""eCommerce: an online shop with a catalogue, a cart, coupons and a price tracker.

Tools: ``product_catalog`` (search, details, reviews, categories), ``shopping_cart`` (add,
view, remove, checkout), ``coupon_codes`` (find and validate discount codes) and
``price_tracker`` (90-day price history of the same products). Prices are in US dollars.
Stateful APIs write ``cart_items`` (emptied by checkout) and ``orders``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from steptool_env.seeding import StableRng, derive_seed
from steptool_env.world.domain import Domain
from steptool_env.world.domains.finance import convert, convert_call, fin
from steptool_env.world.domains.geography import geo
from steptool_env.world.generation import all_results, chosen_fact, fmt, retrying, run_api
from steptool_env.world.helpers import (
    TODAY,
    ApiInputError,
    SearchIndex,
    day,
    domain_data,
    get_by_id,
    keyword_find,
    money,
    norm,
    paginate,
    require_text,
    search_text,
    warm,
)
from steptool_env.world.names import person, unique, word
from steptool_env.world.state import World, WorldState
from steptool_env.world.tasks import AnswerFact, GoldCall, StateFact, TaskDraft

DOMAIN = Domain("shopping", requires=("geography", "finance"))

CATEGORIES: dict[str, dict[str, tuple[float, float]]] = {
    "Electronics": {
        "Headphones": (25, 320),
        "Speaker": (20, 400),
        "Smartwatch": (60, 450),
        "Tablet": (120, 900),
        "Charger": (9, 60),
        "Keyboard": (18, 180),
        "Monitor": (110, 700),
        "Webcam": (25, 160),
    },
    "Kitchen": {
        "Blender": (30, 260),
        "Kettle": (15, 120),
        "Toaster": (20, 140),
        "Coffee Grinder": (18, 220),
        "Cookware Set": (40, 400),
        "Knife Block": (25, 250),
    },
    "Sports": {
        "Yoga Mat": (12, 90),
        "Running Shoes": (45, 220),
        "Dumbbell Set": (30, 300),
        "Tennis Racket": (25, 260),
        "Bike Helmet": (25, 180),
        "Water Bottle": (8, 45),
    },
    "Office": {
        "Desk Lamp": (15, 140),
        "Office Chair": (70, 600),
        "Notebook Pack": (5, 35),
        "Fountain Pen": (10, 180),
        "Standing Desk": (180, 900),
    },
    "Toys": {
        "Jigsaw Puzzle": (8, 60),
        "Building Blocks": (15, 180),
        "Plush Bear": (9, 70),
        "Remote Control Car": (25, 200),
        "Board Game": (15, 90),
    },
    "Beauty": {
        "Face Serum": (10, 120),
        "Shampoo": (5, 40),
        "Hair Dryer": (20, 300),
        "Perfume": (25, 250),
        "Lip Balm": (3, 20),
    },
    "Garden": {
        "Garden Hose": (15, 90),
        "Pruning Shears": (10, 70),
        "Planter": (8, 120),
        "Lawn Sprinkler": (10, 80),
        "Garden Bench": (60, 450),
    },
    "Fashion": {
        "Backpack": (20, 220),
        "Sunglasses": (15, 300),
        "Wallet": (10, 150),
        "Rain Jacket": (35, 300),
        "Sneakers": (40, 240),
    },
}
CATEGORY_NAMES = tuple(CATEGORIES)
NOUN_CATEGORY = {noun: cat for cat, nouns in CATEGORIES.items() for noun in nouns}
MODEL_WORDS = (
    "Aero",
    "Nova",
    "Lite",
    "Max",
    "Flex",
    "Echo",
    "Pulse",
    "Zen",
    "Prime",
    "Core",
    "Edge",
    "Vibe",
    "Terra",
    "Luna",
    "Orbit",
    "Swift",
    "Halo",
    "Spark",
    "Drift",
    "Peak",
)
COLORS = ("black", "white", "grey", "navy", "red", "green", "beige", "blue", "pink", "silver")
N_BRANDS = 48
PRICE_DAYS = 90
FREE_SHIPPING_FROM = 50.0
SHIPPING_FEE = 4.99
REVIEW_TITLES = {
    1: ("Broke within a week", "Very disappointed"),
    2: ("Not as described", "Would not buy again"),
    3: ("It's okay", "Does the job"),
    4: ("Good value", "Happy with it"),
    5: ("Excellent!", "Exceeded my expectations"),
}


@dataclass(frozen=True, slots=True)
class Product:
    product_id: str
    name: str
    brand: str
    category: str
    noun: str
    price: float
    rating: float
    rating_count: int
    stock: int
    color: str
    weight_kg: float
    warranty_months: int


@dataclass(frozen=True, slots=True)
class Coupon:
    code: str
    scope: str
    """``"brand"`` or ``"category"``."""
    target: str
    percent_off: int
    min_spend: float
    expires: str


@dataclass(frozen=True)
class ShopData:
    salt: int
    products: Mapping[str, Product]
    product_keys: tuple[tuple[str, Product], ...]
    brands: Mapping[str, str]
    """Normalised brand name → brand name."""
    coupons: Mapping[str, Coupon]
    coupons_by_target: Mapping[str, tuple[Coupon, ...]]
    """Normalised brand or category name → its coupons."""

    # Derived lookups (not fields: no part of the world's content; see helpers.warm).
    @cached_property
    def product_index(self) -> SearchIndex[Product]:
        return SearchIndex.of_rows(self.product_keys, name=lambda p: p.name)

    @cached_property
    def series(self) -> dict[str, tuple[float, ...]]:
        """Product id → :func:`price_series` (filled on use)."""
        return {}

    @cached_property
    def price_views(self) -> dict[tuple[str, str, int], dict[str, Any]]:
        """(API, product id, days) → the price tracker's response (filled on use; shared:
        callers copy it)."""
        return {}

    @cached_property
    def sorted_reviews(self) -> dict[tuple[str, str], tuple[dict[str, Any], ...]]:
        """(product id, sort) → its reviews in that order (filled on use; shared: callers
        copy them)."""
        return {}

    @cached_property
    def coupon_lists(self) -> dict[tuple[tuple[str, ...], bool], tuple[Coupon, ...]]:
        """(normalised brand/category keys, include expired) → search_coupons' matches in
        order (filled on use, bounded)."""
        return {}


@DOMAIN.builder
def build(rng: StableRng, world: Mapping[str, Any]) -> ShopData:
    salt = rng.randint(0, 2**62)
    brand_names = unique(rng, lambda r: word(r, (2, 2)), N_BRANDS)
    products: list[Product] = []
    coupons: list[Coupon] = []
    codes: set[str] = set()

    def coupon(scope: str, target: str) -> None:
        pct = rng.choice((5, 10, 15, 20, 25, 30))
        stem = unique(rng, lambda r: word(r, (1, 2)).upper()[:6], 1, codes)[0]
        coupons.append(
            Coupon(
                code=f"{stem}{pct}",
                scope=scope,
                target=target,
                percent_off=pct,
                min_spend=float(rng.choice((0, 0, 25, 50, 75, 100))),
                expires=day(rng.randint(-40, 150) if rng.random() < 0.8 else rng.randint(-90, -1)),
            )
        )

    for i, brand in enumerate(brand_names):
        cats = [CATEGORY_NAMES[i % len(CATEGORY_NAMES)]]
        if rng.random() < 0.5:
            cats.append(rng.choice([c for c in CATEGORY_NAMES if c != cats[0]]))
        combos = [(n, m) for c in cats for n in CATEGORIES[c] for m in MODEL_WORDS]
        chosen = rng.sample(combos, rng.randint(5, 9))
        for noun, model in sorted(chosen):
            lo, hi = CATEGORIES[NOUN_CATEGORY[noun]][noun]
            products.append(
                Product(
                    product_id=f"P{1001 + len(products)}",
                    name=f"{brand} {model} {noun}",
                    brand=brand,
                    category=NOUN_CATEGORY[noun],
                    noun=noun,
                    price=max(1.99, float(round(rng.uniform(lo, hi))) - 0.01),
                    rating=round(rng.uniform(2.6, 4.9), 1),
                    rating_count=rng.randint(3, 2500),
                    stock=0 if rng.random() < 0.08 else rng.randint(1, 300),
                    color=rng.choice(COLORS),
                    weight_kg=round(rng.uniform(0.05, 12.0), 2),
                    warranty_months=rng.choice((0, 6, 12, 24, 36)),
                )
            )
        for _ in range(rng.randint(2, 3)):
            coupon("brand", brand)
    for cat in CATEGORY_NAMES:
        for _ in range(2):
            coupon("category", cat)
    by_target: dict[str, list[Coupon]] = {}
    for c in coupons:
        by_target.setdefault(norm(c.target), []).append(c)
    ordered = sorted(products, key=lambda p: (-p.rating_count, p.product_id))
    data = ShopData(
        salt=salt,
        products={p.product_id: p for p in products},
        product_keys=tuple((search_text(p.name), p) for p in ordered),
        brands={norm(b): b for b in brand_names},
        coupons={c.code: c for c in coupons},
        coupons_by_target={k: tuple(v) for k, v in by_target.items()},
    )
    return warm(data)


# ---------------------------------------------------------------- helpers
def shop(state_or_world: WorldState | World) -> ShopData:
    return domain_data(state_or_world, "shopping")


def _product(state: WorldState, pid: Any) -> Product:
    key = pid.strip().upper() if isinstance(pid, str) else pid
    return get_by_id(shop(state).products, key, "product")


def _row(p: Product) -> dict[str, Any]:
    return {
        "product_id": p.product_id,
        "name": p.name,
        "brand": p.brand,
        "category": p.category,
        "price": p.price,
        "rating": p.rating,
        "in_stock": p.stock > 0,
    }


def _positive(value: Any, name: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise ApiInputError(f"{name} must be a non-negative number")
    return float(value)


@lru_cache(maxsize=2048)
def price_series(salt: int, p: Product) -> tuple[float, ...]:
    """Daily price of a product, index k = k days before TODAY (k = 0..90)."""
    rng = StableRng(derive_seed(salt, "price", p.product_id))
    out = [p.price]
    for _ in range(PRICE_DAYS):
        prev = out[-1]
        if rng.random() < 0.07:
            prev = max(1.99, float(round(p.price * rng.uniform(0.78, 1.22))) - 0.01)
        out.append(prev)
    return tuple(out)


@lru_cache(maxsize=2048)
def _reviews(salt: int, p: Product) -> tuple[dict[str, Any], ...]:
    rng = StableRng(derive_seed(salt, "reviews", p.product_id))
    out = []
    for i in range(rng.randint(4, 12)):
        stars = max(1, min(5, round(p.rating + rng.uniform(-2.2, 1.2))))
        out.append(
            {
                "review_id": f"{p.product_id}-R{i + 1}",
                "reviewer": person(rng),
                "stars": stars,
                "title": rng.choice(REVIEW_TITLES[stars]),
                "helpful_votes": rng.randint(0, 400),
                "date": day(-rng.randint(1, 400)),
            }
        )
    return tuple(out)


def _series(data: ShopData, p: Product) -> tuple[float, ...]:
    found = data.series.get(p.product_id)
    if found is None:
        found = data.series[p.product_id] = price_series(data.salt, p)
    return found


# ---------------------------------------------------------------- product_catalog
PRODUCT_SORTS = {
    "price_asc": lambda p: (p.price, p.product_id),
    "price_desc": lambda p: (-p.price, p.product_id),
    "rating": lambda p: (-p.rating, p.product_id),
}


@DOMAIN.api("product_catalog", "search_products")
def search_products(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    q = require_text(args, "query")
    found = keyword_find(shop(state).product_index, q)
    cat = args.get("category")
    if cat:
        if cat not in CATEGORIES:
            raise ApiInputError(f"unknown category {cat!r}; see list_categories")
        found = [p for p in found if p.category == cat]
    if args.get("min_rating") is not None:
        low = _positive(args["min_rating"], "min_rating")
        found = [p for p in found if p.rating >= low]
    if args.get("max_price") is not None:
        cap = _positive(args["max_price"], "max_price")
        found = [p for p in found if p.price <= cap]
    sort = args.get("sort", "relevance")
    if sort != "relevance":
        if sort not in PRODUCT_SORTS:
            raise ApiInputError("sort must be relevance, price_asc, price_desc or rating")
        found.sort(key=PRODUCT_SORTS[sort])
    return {"currency": "USD", **paginate(found, args.get("page", 1), 5, _row)}


@DOMAIN.api("product_catalog", "get_product")
def get_product(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    p = _product(state, args["product_id"])
    return {
        **_row(p),
        "stock": p.stock,
        "rating_count": p.rating_count,
        "color": p.color,
        "weight_kg": p.weight_kg,
        "warranty_months": p.warranty_months,
        "currency": "USD",
    }


@DOMAIN.api("product_catalog", "product_reviews")
def product_reviews(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    p = _product(state, args["product_id"])
    keys = {
        "helpful": lambda r: (-r["helpful_votes"], r["review_id"]),
        "newest": lambda r: (_neg_date(r["date"]), r["review_id"]),
        "lowest": lambda r: (r["stars"], r["review_id"]),
        "highest": lambda r: (-r["stars"], r["review_id"]),
    }
    sort = args.get("sort", "helpful")
    if sort not in keys:
        raise ApiInputError("sort must be helpful, newest, lowest or highest")
    data = shop(state)
    found = data.sorted_reviews.get((p.product_id, sort))
    if found is None:
        found = tuple(sorted(_reviews(data.salt, p), key=keys[sort]))
        data.sorted_reviews[p.product_id, sort] = found
    return {"product_id": p.product_id, **paginate(found, args.get("page", 1), 5, dict)}


def _neg_date(iso: str) -> int:
    return -dt.date.fromisoformat(iso).toordinal()


@DOMAIN.api("product_catalog", "list_categories")
def list_categories(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    counts = {c: 0 for c in CATEGORY_NAMES}
    for p in shop(state).products.values():
        counts[p.category] += 1
    return {"categories": [{"name": c, "product_count": n} for c, n in counts.items()]}


# ---------------------------------------------------------------- shopping_cart
def _cart(state: WorldState) -> list[dict[str, Any]]:
    return state.records.setdefault("cart_items", [])


def _cart_view(state: WorldState) -> dict[str, Any]:
    items = [dict(r) for r in _cart(state)]
    subtotal = money(sum(r["quantity"] * r["unit_price"] for r in items))
    return {
        "items": items,
        "item_count": sum(r["quantity"] for r in items),
        "subtotal": subtotal,
        "currency": "USD",
    }


@DOMAIN.api("shopping_cart", "add_to_cart")
def add_to_cart(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    p = _product(state, args["product_id"])
    qty = args.get("quantity", 1)
    if not isinstance(qty, int) or isinstance(qty, bool) or not 1 <= qty <= 99:
        raise ApiInputError("quantity must be an integer between 1 and 99")
    cart = _cart(state)
    line = next((r for r in cart if r["product_id"] == p.product_id), None)
    have = line["quantity"] if line else 0
    if have + qty > p.stock:
        raise ApiInputError(f"only {p.stock} unit(s) of {p.name} in stock")
    if line is None:
        line = state.add(
            "cart_items",
            {
                "item_id": state.next_id("CI"),
                "product_id": p.product_id,
                "name": p.name,
                "quantity": qty,
                "unit_price": p.price,
            },
        )
    else:
        line["quantity"] = have + qty
    return {"added": dict(line), **_cart_view(state)}


@DOMAIN.api("shopping_cart", "view_cart")
def view_cart(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    return _cart_view(state)


@DOMAIN.api("shopping_cart", "remove_from_cart")
def remove_from_cart(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    key = args["item_id"].strip().upper() if isinstance(args["item_id"], str) else None
    cart = _cart(state)
    for i, r in enumerate(cart):
        if r["item_id"] == key:
            del cart[i]
            return {"removed": key, **_cart_view(state)}
    raise ApiInputError(f"no cart item with id {args['item_id']!r}; see view_cart")


def _coupon(state: WorldState, code: Any) -> Coupon:
    key = code.strip().upper() if isinstance(code, str) else code
    return get_by_id(shop(state).coupons, key, "coupon")


def _applies(c: Coupon, p: Product) -> bool:
    return (p.brand if c.scope == "brand" else p.category) == c.target


def _coupon_problem(c: Coupon, subtotal: float) -> str:
    if c.expires < TODAY.isoformat():
        return f"expired on {c.expires}"
    if subtotal < c.min_spend:
        return f"requires a minimum spend of {fmt(c.min_spend)} USD"
    return ""


def order_total(subtotal: float, discount: float) -> tuple[float, float]:
    """(shipping, total) for a cart subtotal and a discount."""
    net = money(subtotal - discount)
    shipping = 0.0 if net >= FREE_SHIPPING_FROM else SHIPPING_FEE
    return shipping, money(net + shipping)


@DOMAIN.api("shopping_cart", "checkout")
def checkout(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    name = require_text(args, "shipping_name", min_len=2)
    city = require_text(args, "shipping_city", min_len=2)
    cart = _cart(state)
    if not cart:
        raise ApiInputError("the cart is empty; add products first")
    data = shop(state)
    subtotal = money(sum(r["quantity"] * r["unit_price"] for r in cart))
    discount, code = 0.0, None
    if args.get("coupon_code"):
        c = _coupon(state, args["coupon_code"])
        problem = _coupon_problem(c, subtotal)
        if problem:
            raise ApiInputError(f"coupon {c.code} cannot be used: {problem}")
        eligible = sum(
            r["quantity"] * r["unit_price"]
            for r in cart
            if _applies(c, data.products[r["product_id"]])
        )
        if not eligible:
            raise ApiInputError(f"coupon {c.code} applies to no item in the cart")
        discount, code = money(eligible * c.percent_off / 100), c.code
    shipping, total = order_total(subtotal, discount)
    rec = {
        "order_id": state.next_id("ORD"),
        "shipping_name": name,
        "shipping_city": city,
        "product_ids": sorted({r["product_id"] for r in cart}),
        "total_quantity": sum(r["quantity"] for r in cart),
        "items": [
            {
                "product_id": r["product_id"],
                "quantity": r["quantity"],
                "unit_price": r["unit_price"],
            }
            for r in cart
        ],
        "subtotal": subtotal,
        "coupon_code": code,
        "discount": discount,
        "shipping": shipping,
        "total": total,
        "currency": "USD",
        "status": "placed",
    }
    state.add("orders", rec)
    state.records["cart_items"] = []
    return dict(rec)


# ---------------------------------------------------------------- coupon_codes
def _coupon_row(c: Coupon) -> dict[str, Any]:
    return {
        "code": c.code,
        "applies_to": f"{c.scope}: {c.target}",
        "percent_off": c.percent_off,
        "min_spend": c.min_spend,
        "expires": c.expires,
        "active": c.expires >= TODAY.isoformat(),
    }


@DOMAIN.api("coupon_codes", "search_coupons")
def search_coupons(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = shop(state)
    keys = [norm(str(args[k])) for k in ("brand", "category") if args.get(k)]
    expired = bool(args.get("include_expired", False))
    memo = data.coupon_lists
    found = memo.get((tuple(keys), expired))
    if found is None:
        matches: list[Coupon]
        if keys:
            matches = [c for k in keys for c in data.coupons_by_target.get(k, ())]
            if not matches and not any(k in data.coupons_by_target for k in keys):
                raise ApiInputError("no such brand or category; check the spelling")
        else:
            matches = list(data.coupons.values())
        if not expired:
            matches = [c for c in matches if c.expires >= TODAY.isoformat()]
        matches.sort(key=lambda c: (-c.percent_off, c.code))
        if len(memo) >= 4096:
            memo.clear()
        found = memo[tuple(keys), expired] = tuple(matches)
    return paginate(found, args.get("page", 1), 10, _coupon_row)


@DOMAIN.api("coupon_codes", "validate_coupon")
def validate_coupon(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    c = _coupon(state, args["code"])
    subtotal = _positive(args["subtotal"], "subtotal")
    problem = _coupon_problem(c, subtotal)
    discount = 0.0 if problem else money(subtotal * c.percent_off / 100)
    return {
        **_coupon_row(c),
        "valid": not problem,
        "reason": problem or "ok",
        "subtotal": subtotal,
        "discount": discount,
        "total_after_discount": money(subtotal - discount),
    }


# ---------------------------------------------------------------- price_tracker
@DOMAIN.api("price_tracker", "search_tracked")
def search_tracked(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    q = require_text(args, "query")
    found = keyword_find(shop(state).product_index, q)
    return paginate(
        found,
        args.get("page", 1),
        5,
        lambda p: {"product_id": p.product_id, "name": p.name, "current_price": p.price},
    )


def _window(args: Mapping[str, Any], default: int) -> int:
    days = args.get("days", default)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= PRICE_DAYS:
        raise ApiInputError(f"days must be an integer between 1 and {PRICE_DAYS}")
    return days


@DOMAIN.api("price_tracker", "product_price_history")
def product_price_history(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    p = _product(state, args["product_id"])
    days = _window(args, 30)
    data = shop(state)
    view = data.price_views.get(("history", p.product_id, days))
    if view is None:
        view = data.price_views["history", p.product_id, days] = _price_history(data, p, days)
    return {**view, "price_changes": [dict(c) for c in view["price_changes"]]}


def _price_history(data: ShopData, p: Product, days: int) -> dict[str, Any]:
    s = _series(data, p)
    changes = [
        {"date": day(-k), "old_price": s[k + 1], "new_price": s[k]}
        for k in range(days)
        if s[k] != s[k + 1]
    ]
    return {
        "product_id": p.product_id,
        "name": p.name,
        "days": days,
        "start_date": day(-days),
        "start_price": s[days],
        "current_price": s[0],
        "change": money(s[0] - s[days]),
        "change_percent": round((s[0] - s[days]) / s[days] * 100, 2),
        "price_changes": changes,
        "currency": "USD",
    }


@DOMAIN.api("price_tracker", "lowest_price")
def lowest_price(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    p = _product(state, args["product_id"])
    days = _window(args, PRICE_DAYS)
    data = shop(state)
    view = data.price_views.get(("lowest", p.product_id, days))
    if view is None:
        view = data.price_views["lowest", p.product_id, days] = _lowest(data, p, days)
    return dict(view)


def _lowest(data: ShopData, p: Product, days: int) -> dict[str, Any]:
    s = _series(data, p)[: days + 1]
    low, high = min(s), max(s)
    return {
        "product_id": p.product_id,
        "name": p.name,
        "days": days,
        "lowest_price": low,
        "lowest_on": day(-s.index(low)),
        "highest_price": high,
        "highest_on": day(-s.index(high)),
        "current_price": s[0],
        "is_lowest_now": s[0] == low,
        "currency": "USD",
    }


# ---------------------------------------------------------------- tasks
def _pick_product(rng: StableRng, world: World) -> Product | None:
    """A product whose name search lists it first."""
    p = rng.choice(tuple(shop(world).products.values()))
    first = run_api(world, search_products, query=p.name)["results"][0]
    return p if first["product_id"] == p.product_id else None


def _search(p: Product) -> GoldCall:
    return GoldCall("product_catalog", "search_products", {"query": p.name})


RATINGS = (3.5, 4.0, 4.5)


def _cheapest_rated(
    rng: StableRng, world: World
) -> tuple[str, float, list[dict[str, Any]], Product] | None:
    """A kind of product and a minimum rating with one cheapest match: the noun, the
    rating, every search result (cheapest first) and that product; None on a tie."""
    noun = rng.choice(tuple(NOUN_CATEGORY))
    rating = rng.choice(RATINGS)
    rows = all_results(world, search_products, query=noun, min_rating=rating, sort="price_asc")
    if len(rows) < 2 or rows[0]["price"] == rows[1]["price"]:
        return None
    return noun, rating, rows, shop(world).products[rows[0]["product_id"]]


def _rated_search(noun: str, rating: float) -> GoldCall:
    return GoldCall(
        "product_catalog",
        "search_products",
        {"query": noun, "min_rating": rating, "sort": "price_asc"},
        match=("query", "min_rating"),
    )


@DOMAIN.task("shop.product_details", group="G1", tools=("product_catalog",))
@retrying
def task_product_details(rng: StableRng, world: World) -> TaskDraft | None:
    p = _pick_product(rng, world)
    if p is None:
        return None
    return TaskDraft(
        slots={"product": p.name},
        gold=(
            _search(p),
            GoldCall("product_catalog", "get_product", {"product_id": p.product_id}, (0,)),
        ),
        facts=(AnswerFact(p.price, "price"), AnswerFact(p.stock, "stock")),
        answer=f"The {p.name} costs {fmt(p.price)} USD and {p.stock} units are in stock.",
    )


@DOMAIN.task("shop.cheapest_item", group="G1", tools=("product_catalog",))
@retrying
def task_cheapest_item(rng: StableRng, world: World) -> TaskDraft | None:
    picked = _cheapest_rated(rng, world)
    if picked is None:
        return None
    noun, rating, rows, best = picked
    answer = (
        f"The cheapest {noun.lower()} rated {fmt(rating)}+ is the {best.name} at "
        f"{fmt(best.price)} USD (rating {fmt(best.rating)}); {best.stock} in stock."
    )
    return TaskDraft(
        slots={"item": noun.lower(), "rating": fmt(rating)},
        gold=(
            _rated_search(noun, rating),
            GoldCall("product_catalog", "get_product", {"product_id": best.product_id}, (0,)),
        ),
        facts=(
            chosen_fact(best.name, "product", answer, (r["name"] for r in rows[1:])),
            AnswerFact(best.price, "price"),
            AnswerFact(best.stock, "stock"),
        ),
        answer=answer,
    )


@DOMAIN.task("shop.helpful_review", group="G1", tools=("product_catalog",))
@retrying
def task_helpful_review(rng: StableRng, world: World) -> TaskDraft | None:
    p = _pick_product(rng, world)
    if p is None:
        return None
    reviews = sorted(_reviews(shop(world).salt, p), key=lambda r: -r["helpful_votes"])
    top = reviews[0]
    if top["helpful_votes"] == reviews[1]["helpful_votes"]:
        return None
    answer = (
        f"The most helpful review of the {p.name} is by {top['reviewer']}, who gave it "
        f"{top['stars']} stars ({top['helpful_votes']} helpful votes)."
    )
    return TaskDraft(
        slots={"product": p.name},
        gold=(
            _search(p),
            GoldCall(
                "product_catalog",
                "product_reviews",
                {"product_id": p.product_id, "sort": "helpful"},
                (0,),
                match=("product_id",),
            ),
        ),
        facts=(
            chosen_fact(top["reviewer"], "reviewer", answer, (r["reviewer"] for r in reviews[1:])),
            AnswerFact(top["stars"], "stars"),
        ),
        answer=answer,
    )


SPEND = (20, 30, 40, 60, 80, 90, 120, 150, 180, 200, 250, 300, 400)


@DOMAIN.task("shop.coupon_check", group="G1", tools=("coupon_codes",))
@retrying
def task_coupon_check(rng: StableRng, world: World) -> TaskDraft | None:
    c = rng.choice(tuple(shop(world).coupons.values()))
    amount = rng.choice(SPEND)
    if _coupon_problem(c, amount):
        return None
    discount = money(amount * c.percent_off / 100)
    after = money(amount - discount)
    return TaskDraft(
        slots={"code": c.code, "amount": str(amount)},
        gold=(GoldCall("coupon_codes", "validate_coupon", {"code": c.code, "subtotal": amount}),),
        facts=(AnswerFact(discount, "discount"), AnswerFact(after, "to pay")),
        answer=(
            f"Coupon {c.code} is valid: {c.percent_off}% off saves {fmt(discount)} USD, so "
            f"you pay {fmt(after)} USD."
        ),
    )


def best_brand_coupon(world: World, brand: str, subtotal: float) -> Coupon | None:
    """The active brand coupon with the largest discount for a subtotal (None on a tie)."""
    usable = [
        c
        for c in shop(world).coupons_by_target.get(norm(brand), ())
        if c.scope == "brand" and not _coupon_problem(c, subtotal)
    ]
    usable.sort(key=lambda c: -c.percent_off)
    if not usable or (len(usable) > 1 and usable[0].percent_off == usable[1].percent_off):
        return None
    return usable[0]


@DOMAIN.task("shop.best_brand_coupon", group="G1", tools=("coupon_codes",))
@retrying
def task_best_brand_coupon(rng: StableRng, world: World) -> TaskDraft | None:
    data = shop(world)
    brand = rng.choice(sorted(data.brands.values()))
    amount = rng.choice(SPEND)
    best = best_brand_coupon(world, brand, amount)
    listed = run_api(world, search_coupons, brand=brand)["results"]
    if best is None or len(listed) < 2:
        return None
    discount = money(amount * best.percent_off / 100)
    answer = (
        f"Use {best.code} ({best.percent_off}% off): on {amount} USD it saves {fmt(discount)} USD."
    )
    return TaskDraft(
        slots={"brand": brand, "amount": str(amount)},
        gold=(
            GoldCall("coupon_codes", "search_coupons", {"brand": brand}),
            GoldCall(
                "coupon_codes", "validate_coupon", {"code": best.code, "subtotal": amount}, (0,)
            ),
        ),
        facts=(
            chosen_fact(best.code, "code", answer, (r["code"] for r in listed)),
            AnswerFact(discount, "discount"),
        ),
        answer=answer,
    )


def _tracked(p: Product) -> GoldCall:
    return GoldCall("price_tracker", "search_tracked", {"query": p.name})


@DOMAIN.task("shop.lowest_price", group="G1", tools=("price_tracker",))
@retrying
def task_lowest_price(rng: StableRng, world: World) -> TaskDraft | None:
    p = _pick_product(rng, world)
    if p is None:
        return None
    s = price_series(shop(world).salt, p)
    low = min(s)
    return TaskDraft(
        slots={"product": p.name},
        gold=(
            _tracked(p),
            GoldCall(
                "price_tracker",
                "lowest_price",
                {"product_id": p.product_id, "days": PRICE_DAYS},
                (0,),
            ),
        ),
        facts=(AnswerFact(low, "lowest"), AnswerFact(p.price, "current")),
        answer=(
            f"Over the last {PRICE_DAYS} days the {p.name} was cheapest at {fmt(low)} USD; "
            f"it costs {fmt(p.price)} USD now."
        ),
    )


@DOMAIN.task("shop.price_change", group="G1", tools=("price_tracker",))
@retrying
def task_price_change(rng: StableRng, world: World) -> TaskDraft | None:
    p = _pick_product(rng, world)
    if p is None:
        return None
    days = rng.choice((7, 14, 30, 45, 60, 90))
    s = price_series(shop(world).salt, p)
    if s[days] == s[0]:
        return None
    return TaskDraft(
        slots={"product": p.name, "days": str(days)},
        gold=(
            _tracked(p),
            GoldCall(
                "price_tracker",
                "product_price_history",
                {"product_id": p.product_id, "days": days},
                (0,),
            ),
        ),
        facts=(AnswerFact(s[days], "price then"), AnswerFact(s[0], "price now")),
        answer=(
            f"{days} days ago the {p.name} cost {fmt(s[days])} USD; now it costs {fmt(s[0])} USD."
        ),
    )


@DOMAIN.task("shop.buy", group="G2", tools=("product_catalog", "shopping_cart"))
@retrying
def task_buy(rng: StableRng, world: World) -> TaskDraft | None:
    p = _pick_product(rng, world)
    qty = rng.choice((1, 1, 2, 2, 3, 4, 5))
    if p is None or p.stock < qty:
        return None
    buyer = person(rng)
    city = rng.choice(geo(world).city_list).name
    subtotal = money(p.price * qty)
    shipping, total = order_total(subtotal, 0.0)
    return TaskDraft(
        slots={"quantity": str(qty), "product": p.name, "buyer": buyer, "city": city},
        gold=(
            _search(p),
            GoldCall(
                "shopping_cart", "add_to_cart", {"product_id": p.product_id, "quantity": qty}, (0,)
            ),
            GoldCall(
                "shopping_cart",
                "checkout",
                {"shipping_name": buyer, "shipping_city": city},
                (1,),
                match=("shipping_name",),
            ),
        ),
        facts=(
            StateFact(
                "orders",
                {"product_ids": [p.product_id], "total_quantity": qty, "shipping_name": buyer},
                "order placed",
            ),
            AnswerFact(total, "order total"),
        ),
        answer=(
            f"Ordered {qty} x {p.name} for {buyer}, shipping to {city}; the total including "
            f"{fmt(shipping)} USD shipping is {fmt(total)} USD."
        ),
    )


@DOMAIN.task(
    "shop.buy_with_coupon", group="G2", tools=("product_catalog", "coupon_codes", "shopping_cart")
)
@retrying
def task_buy_with_coupon(rng: StableRng, world: World) -> TaskDraft | None:
    p = _pick_product(rng, world)
    if p is None or p.stock < 1:
        return None
    best = best_brand_coupon(world, p.brand, p.price)
    if best is None:
        return None
    buyer = person(rng)
    city = rng.choice(geo(world).city_list).name
    discount = money(p.price * best.percent_off / 100)
    _, total = order_total(p.price, discount)
    return TaskDraft(
        slots={"product": p.name, "buyer": buyer, "city": city},
        gold=(
            _search(p),
            GoldCall("coupon_codes", "search_coupons", {"brand": p.brand}, (0,)),
            GoldCall("shopping_cart", "add_to_cart", {"product_id": p.product_id}, (0,)),
            GoldCall(
                "shopping_cart",
                "checkout",
                {"shipping_name": buyer, "shipping_city": city, "coupon_code": best.code},
                (1, 2),
                match=("shipping_name", "coupon_code"),
            ),
        ),
        facts=(
            StateFact(
                "orders",
                {"product_ids": [p.product_id], "coupon_code": best.code, "shipping_name": buyer},
                "order with coupon",
            ),
            AnswerFact(total, "order total"),
        ),
        answer=(
            f"Ordered the {p.name} for {buyer} with coupon {best.code} "
            f"({fmt(discount)} USD off); the total is {fmt(total)} USD."
        ),
    )


@DOMAIN.task("shop.cheapest_lowest", group="G2", tools=("product_catalog", "price_tracker"))
@retrying
def task_cheapest_lowest(rng: StableRng, world: World) -> TaskDraft | None:
    picked = _cheapest_rated(rng, world)
    if picked is None:
        return None
    noun, rating, rows, best = picked
    low = min(price_series(shop(world).salt, best))
    answer = (
        f"The cheapest {noun.lower()} rated {fmt(rating)}+ is the {best.name} at "
        f"{fmt(best.price)} USD; its lowest price in the last {PRICE_DAYS} days was "
        f"{fmt(low)} USD."
    )
    return TaskDraft(
        slots={"item": noun.lower(), "rating": fmt(rating)},
        gold=(
            _rated_search(noun, rating),
            GoldCall(
                "price_tracker",
                "lowest_price",
                {"product_id": best.product_id, "days": PRICE_DAYS},
                (0,),
            ),
        ),
        facts=(
            chosen_fact(best.name, "product", answer, (r["name"] for r in rows[1:])),
            AnswerFact(low, "lowest price"),
        ),
        answer=answer,
    )


@DOMAIN.task(
    "shop.local_price", group="G3", tools=("product_catalog", "countries_info", "currency_exchange")
)
@retrying
def task_local_price(rng: StableRng, world: World) -> TaskDraft | None:
    p = _pick_product(rng, world)
    country = rng.choice(tuple(geo(world).countries.values()))
    if p is None or country.currency == "USD":
        return None
    local = convert(fin(world), p.price, "USD", country.currency)
    return TaskDraft(
        slots={"product": p.name, "country": country.name},
        gold=(
            _search(p),
            GoldCall("countries_info", "search_countries", {"name": country.name}),
            GoldCall("countries_info", "get_country", {"country_code": country.code}, (1,)),
            convert_call(p.price, "USD", country.currency, (0, 2)),
        ),
        facts=(AnswerFact(local, "local price"),),
        answer=(
            f"The {p.name} costs {fmt(p.price)} USD, i.e. {fmt(local)} {country.currency} "
            f"in {country.name}."
        ),
    )
