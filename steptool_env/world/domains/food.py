"""Food: recipes, nutrition facts of branded products, and restaurants (a held-out category).

Tools: ``recipe_finder`` (recipe search, details, scalable ingredient lists, cuisine charts),
``nutrition_facts`` (food products and their nutrients, comparisons, % daily values) and
``restaurant_guide`` (restaurants of the geography cities, menus, table reservations —
stateful, collection ``table_reservations``).

Recipe ingredients are nutrition products (``food_id``), so recipe and nutrition tools chain.
Restaurants are searched by city *name*: Food tasks never need a Location tool (Food is a
held-out category and must stay out of cross-category tasks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from steptool_env.seeding import StableRng
from steptool_env.world.checker import normalize_text
from steptool_env.world.domain import Domain
from steptool_env.world.domains import geography
from steptool_env.world.generation import checked_draft, listed_call, retrying, run_api
from steptool_env.world.helpers import (
    TODAY,
    ApiInputError,
    SearchIndex,
    clock_minutes,
    day,
    domain_data,
    enum_arg,
    get_by_id,
    has_words,
    hhmm,
    money,
    norm,
    paginate,
    parse_clock,
    parse_date,
    query_words,
    require_text,
    search_text,
    warm,
)
from steptool_env.world.names import person, unique, word
from steptool_env.world.state import World, WorldState
from steptool_env.world.tasks import AnswerFact, GoldCall, StateFact, TaskDraft

DOMAIN = Domain("food", requires=("geography",))

PAGE = 5
CUISINES = (
    "Italian",
    "Mexican",
    "Japanese",
    "Indian",
    "Thai",
    "French",
    "Greek",
    "Lebanese",
    "Korean",
    "Ethiopian",
    "Spanish",
    "Vietnamese",
)
DIETS = ("vegetarian", "vegan", "gluten-free")
NUTRIENTS = ("calories", "protein", "fat", "carbohydrates", "fiber", "sugar", "sodium")
UNITS = {
    "calories": "kcal",
    "protein": "g",
    "fat": "g",
    "carbohydrates": "g",
    "fiber": "g",
    "sugar": "g",
    "sodium": "mg",
}
DAILY_VALUES = {
    "calories": 2000,
    "protein": 50,
    "fat": 78,
    "carbohydrates": 275,
    "fiber": 28,
    "sugar": 50,
    "sodium": 2300,
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
RESERVATION_DAYS = 90
"""Tables can be booked from TODAY up to this many days ahead."""

# generic food: name, title word, category, per-100 g nutrients (kcal, protein, fat, carbs,
# fiber, sugar, sodium mg), flags (M meat/fish, D animal product, G gluten), grams for 4
_GENERICS: tuple[tuple[str, str, str, tuple[float, ...], str, tuple[int, int]], ...] = (
    ("rolled oats", "Oat", "grains", (389, 16.9, 6.9, 66.3, 10.6, 1.0, 2), "G", (80, 200)),
    ("brown rice", "Rice", "grains", (370, 7.9, 2.9, 77.2, 3.5, 0.9, 7), "", (150, 400)),
    ("basmati rice", "Basmati", "grains", (360, 7.1, 0.9, 79.0, 1.3, 0.1, 1), "", (150, 400)),
    ("penne pasta", "Penne", "grains", (371, 13.0, 1.5, 74.7, 3.2, 2.7, 6), "G", (200, 500)),
    ("rice noodles", "Noodle", "grains", (364, 6.0, 0.6, 80.2, 1.6, 0.1, 182), "", (150, 400)),
    ("quinoa", "Quinoa", "grains", (368, 14.1, 6.1, 64.2, 7.0, 0.0, 5), "", (100, 300)),
    ("wheat flour", "Flour", "grains", (364, 10.3, 1.0, 76.3, 2.7, 0.3, 2), "G", (50, 300)),
    ("sourdough bread", "Bread", "grains", (272, 10.8, 2.4, 51.9, 2.2, 2.8, 600), "G", (100, 400)),
    ("chickpeas", "Chickpea", "legumes", (164, 8.9, 2.6, 27.4, 7.6, 4.8, 7), "", (200, 500)),
    ("red lentils", "Lentil", "legumes", (358, 24.0, 2.2, 60.0, 10.8, 2.0, 7), "", (150, 350)),
    ("black beans", "Bean", "legumes", (132, 8.9, 0.5, 23.7, 8.7, 0.3, 1), "", (200, 500)),
    ("firm tofu", "Tofu", "legumes", (144, 17.3, 8.7, 2.8, 2.3, 0.6, 14), "", (200, 450)),
    ("chicken breast", "Chicken", "meat", (165, 31.0, 3.6, 0, 0, 0, 74), "M", (300, 800)),
    ("ground beef", "Beef", "meat", (254, 17.2, 20.0, 0, 0, 0, 66), "M", (300, 700)),
    ("lamb shoulder", "Lamb", "meat", (282, 16.6, 23.4, 0, 0, 0, 57), "M", (400, 900)),
    ("pork loin", "Pork", "meat", (242, 27.3, 13.9, 0, 0, 0, 62), "M", (300, 800)),
    ("salmon fillet", "Salmon", "fish", (208, 20.4, 13.4, 0, 0, 0, 59), "M", (250, 600)),
    ("shrimp", "Shrimp", "fish", (99, 24.0, 0.3, 0.2, 0, 0, 111), "M", (200, 500)),
    ("eggs", "Egg", "dairy", (143, 12.6, 9.5, 0.7, 0, 0.4, 142), "D", (100, 300)),
    ("whole milk", "Milk", "dairy", (61, 3.2, 3.3, 4.8, 0, 5.1, 43), "D", (100, 500)),
    ("greek yogurt", "Yogurt", "dairy", (97, 9.0, 5.0, 3.9, 0, 3.6, 35), "D", (100, 300)),
    ("feta cheese", "Feta", "dairy", (264, 14.2, 21.3, 4.1, 0, 4.1, 1116), "D", (50, 200)),
    ("parmesan", "Parmesan", "dairy", (431, 38.5, 28.6, 4.1, 0, 0.9, 1529), "D", (30, 120)),
    ("unsalted butter", "Butter", "dairy", (717, 0.9, 81.1, 0.1, 0, 0.1, 11), "D", (20, 120)),
    ("olive oil", "Olive", "oils", (884, 0, 100, 0, 0, 0, 2), "", (15, 60)),
    ("coconut milk", "Coconut", "oils", (230, 2.3, 23.8, 5.5, 2.2, 3.3, 15), "", (200, 400)),
    ("tomatoes", "Tomato", "vegetables", (18, 0.9, 0.2, 3.9, 1.2, 2.6, 5), "", (200, 600)),
    ("onions", "Onion", "vegetables", (40, 1.1, 0.1, 9.3, 1.7, 4.2, 4), "", (100, 300)),
    ("garlic", "Garlic", "vegetables", (149, 6.4, 0.5, 33.1, 2.1, 1.0, 17), "", (5, 30)),
    ("spinach", "Spinach", "vegetables", (23, 2.9, 0.4, 3.6, 2.2, 0.4, 79), "", (100, 300)),
    ("bell peppers", "Pepper", "vegetables", (31, 1.0, 0.3, 6.0, 2.1, 4.2, 4), "", (100, 400)),
    ("carrots", "Carrot", "vegetables", (41, 0.9, 0.2, 9.6, 2.8, 4.7, 69), "", (100, 400)),
    ("russet potatoes", "Potato", "vegetables", (77, 2.0, 0.1, 17.5, 2.2, 0.8, 6), "", (300, 800)),
    ("sweet potatoes", "Yam", "vegetables", (86, 1.6, 0.1, 20.1, 3.0, 4.2, 55), "", (300, 800)),
    ("mushrooms", "Mushroom", "vegetables", (22, 3.1, 0.3, 3.3, 1.0, 2.0, 5), "", (150, 400)),
    ("eggplant", "Eggplant", "vegetables", (25, 1.0, 0.2, 5.9, 3.0, 3.5, 2), "", (200, 600)),
    ("zucchini", "Zucchini", "vegetables", (17, 1.2, 0.3, 3.1, 1.0, 2.5, 8), "", (200, 500)),
    ("cabbage", "Cabbage", "vegetables", (25, 1.3, 0.1, 5.8, 2.5, 3.2, 18), "", (200, 600)),
    ("avocado", "Avocado", "vegetables", (160, 2.0, 14.7, 8.5, 6.7, 0.7, 7), "", (150, 400)),
    ("almonds", "Almond", "nuts", (579, 21.2, 49.9, 21.6, 12.5, 4.4, 1), "", (30, 150)),
    ("peanut butter", "Peanut", "nuts", (588, 25.1, 50.4, 19.6, 6.0, 9.2, 459), "", (30, 150)),
    ("honey", "Honey", "condiments", (304, 0.3, 0, 82.4, 0.2, 82.1, 4), "D", (10, 60)),
    ("soy sauce", "Soy", "condiments", (53, 8.1, 0.6, 4.9, 0.8, 0.4, 5493), "G", (15, 60)),
    ("lime juice", "Lime", "condiments", (25, 0.4, 0.1, 8.4, 0.4, 1.7, 2), "", (15, 60)),
    ("fresh ginger", "Ginger", "condiments", (80, 1.8, 0.8, 17.8, 2.0, 1.7, 13), "", (5, 30)),
)
FOOD_CATEGORIES = tuple(sorted({g[2] for g in _GENERICS}))
_MAINS = tuple(
    i for i, g in enumerate(_GENERICS) if g[2] in ("grains", "legumes", "meat", "fish")
) + tuple(
    i
    for i, g in enumerate(_GENERICS)
    if g[0] in ("eggplant", "mushrooms", "sweet potatoes", "spinach", "zucchini", "cabbage")
)
_DISHES = {
    "Italian": ("Risotto", "Pasta Bake", "Frittata", "Minestrone", "Bruschetta", "Ragu"),
    "Mexican": ("Tacos", "Enchiladas", "Burrito Bowl", "Quesadillas", "Pozole", "Tostadas"),
    "Japanese": ("Donburi", "Ramen", "Teriyaki Bowl", "Miso Soup", "Onigiri", "Katsu"),
    "Indian": ("Curry", "Dal", "Biryani", "Masala", "Pakoras", "Korma"),
    "Thai": ("Green Curry", "Stir-Fry", "Noodle Salad", "Tom Yum", "Satay", "Larb"),
    "French": ("Gratin", "Quiche", "Ragout", "Tart", "Cassoulet", "Galette"),
    "Greek": ("Souvlaki", "Moussaka", "Orzo Bake", "Gyros", "Spanakopita", "Stifado"),
    "Lebanese": ("Mezze Plate", "Fattoush", "Kofta", "Shawarma Wrap", "Kibbeh", "Mujadara"),
    "Korean": ("Bibimbap", "Japchae", "Jjigae", "Pancakes", "Bulgogi", "Gimbap"),
    "Ethiopian": ("Wat", "Tibs", "Injera Platter", "Shiro", "Kitfo", "Alicha"),
    "Spanish": ("Paella", "Tortilla", "Tapas Plate", "Gazpacho", "Fideua", "Pisto"),
    "Vietnamese": ("Pho", "Banh Mi", "Summer Rolls", "Noodle Bowl", "Clay Pot", "Bun Cha"),
}
# menu items per cuisine; a trailing "*" marks a vegetarian dish
_MENU_TEXT = {
    "Italian": "Margherita Pizza*; Lasagne; Tiramisu*; Carbonara; Caprese Salad*; "
    "Osso Buco; Arancini*; Gnocchi al Pesto*; Saltimbocca; Panna Cotta*",
    "Mexican": "Chicken Tinga Tacos; Bean Burrito*; Guacamole*; Carnitas; Elote*; "
    "Mole Poblano; Chiles Rellenos*; Churros*; Fish Tacos; Sopa de Lima",
    "Japanese": "Salmon Nigiri; Vegetable Tempura*; Tonkotsu Ramen; Edamame*; Chicken Katsu; "
    "Agedashi Tofu*; Yakitori; Matcha Ice Cream*; Kappa Maki*; Unagi Don",
    "Indian": "Butter Chicken; Palak Paneer*; Lamb Rogan Josh; Chana Masala*; Garlic Naan*; "
    "Tandoori Prawns; Aloo Gobi*; Mango Lassi*; Chicken Tikka; Vegetable Samosa*",
    "Thai": "Pad Thai; Green Papaya Salad*; Massaman Curry; Tofu Red Curry*; Tom Kha Gai; "
    "Mango Sticky Rice*; Spring Rolls*; Pad Kra Pao; Morning Glory*; Khao Soi",
    "French": "Coq au Vin; Onion Soup*; Ratatouille*; Steak Frites; Croque Monsieur; "
    "Creme Brulee*; Nicoise Salad; Tarte Tatin*; Duck Confit; Cheese Souffle*",
    "Greek": "Lamb Souvlaki; Horiatiki Salad*; Moussaka; Spanakopita*; Grilled Octopus; "
    "Dolmades*; Baklava*; Chicken Gyros; Gigantes Plaki*; Keftedes",
    "Lebanese": "Hummus*; Tabbouleh*; Lamb Kofta; Falafel Wrap*; Chicken Shawarma; "
    "Baba Ghanoush*; Kibbeh Nayeh; Manakish*; Shish Taouk; Knafeh*",
    "Korean": "Beef Bulgogi; Vegetable Bibimbap*; Kimchi Jjigae; Japchae*; Korean Fried Chicken; "
    "Haemul Pajeon; Tteokbokki*; Kongguksu*; Galbi; Hotteok*",
    "Ethiopian": "Doro Wat; Misir Wat*; Beef Tibs; Shiro*; Gomen*; "
    "Kitfo; Atkilt Wat*; Yebeg Alicha; Fosolia*; Awaze Tibs",
    "Spanish": "Seafood Paella; Patatas Bravas*; Gambas al Ajillo; Tortilla Espanola*; "
    "Jamon Iberico; Pimientos de Padron*; Croquetas; Gazpacho*; Pulpo a la Gallega; "
    "Crema Catalana*",
    "Vietnamese": "Beef Pho; Tofu Banh Mi*; Bun Bo Hue; Fresh Spring Rolls*; Com Tam; "
    "Banh Xeo; Lemongrass Tofu*; Caramel Pork; Che Ba Mau*; Rau Muong Xao*",
}
_MENU: dict[str, tuple[tuple[str, bool], ...]] = {
    cuisine: tuple((item.rstrip("*"), item.endswith("*")) for item in text.split("; "))
    for cuisine, text in _MENU_TEXT.items()
}
_RESTAURANT_PATTERNS = {
    "Italian": ("Trattoria {w}", "Osteria {w}", "{w} Pizzeria"),
    "Mexican": ("Taqueria {w}", "Cantina {w}", "{w} Cocina"),
    "Japanese": ("{w} Sushi", "Izakaya {w}", "{w} Ramen House"),
    "Indian": ("{w} Tandoor", "{w} Spice House", "Masala {w}"),
    "Thai": ("{w} Thai Kitchen", "Baan {w}", "{w} Orchid"),
    "French": ("Bistro {w}", "Brasserie {w}", "Chez {w}"),
    "Greek": ("Taverna {w}", "{w} Grill", "Ouzeri {w}"),
    "Lebanese": ("{w} Mezze", "{w} Cedars", "Beit {w}"),
    "Korean": ("{w} Korean Grill", "{w} Bap", "Hanok {w}"),
    "Ethiopian": ("{w} Injera House", "{w} Ethiopian Kitchen", "Habesha {w}"),
    "Spanish": ("Bodega {w}", "{w} Tapas Bar", "Casa {w}"),
    "Vietnamese": ("Pho {w}", "{w} Banh Mi", "Saigon {w}"),
}
_BRAND_SUFFIX = ("Farms", "Foods", "Organics", "Pantry", "Harvest", "Kitchen", "Naturals", "Mills")
_STREETS = ("Street", "Avenue", "Road", "Lane", "Square", "Boulevard")
_PRICE_FACTOR = {
    "JPY": 150.0,
    "KRW": 1300.0,
    "INR": 80.0,
    "THB": 35.0,
    "HUF": 360.0,
    "CLP": 900.0,
    "CZK": 23.0,
    "MXN": 18.0,
    "ZAR": 18.0,
    "SEK": 10.5,
    "NOK": 10.5,
    "DKK": 6.9,
    "TRY": 30.0,
    "BRL": 5.0,
    "PLN": 4.0,
    "ILS": 3.7,
}
OPENS = ("07:30", "11:00", "11:30", "12:00", "17:00", "17:30")
CLOSES = ("21:00", "22:00", "22:30", "23:00", "23:30")

N_BRANDS = 14
RECIPES_PER_CUISINE = 22


@dataclass(frozen=True, slots=True)
class Food:
    food_id: str
    name: str
    generic: str
    brand: str
    category: str
    per100: tuple[float, ...]
    """Nutrients per 100 g in the order of :data:`NUTRIENTS`."""
    flags: str


@dataclass(frozen=True, slots=True)
class Ingredient:
    food_id: str
    name: str
    grams: float


@dataclass(frozen=True, slots=True)
class Recipe:
    recipe_id: str
    title: str
    cuisine: str
    author: str
    servings: int
    prep_minutes: int
    cook_minutes: int
    difficulty: str
    rating: float
    reviews: int
    ingredients: tuple[Ingredient, ...]
    diets: tuple[str, ...]
    calories_per_serving: int

    @property
    def total_minutes(self) -> int:
        return self.prep_minutes + self.cook_minutes


@dataclass(frozen=True, slots=True)
class Dish:
    name: str
    price: float
    vegetarian: bool


@dataclass(frozen=True, slots=True)
class Restaurant:
    """What restaurant search needs; the rest comes from :func:`details` (seeded on demand)."""

    restaurant_id: str
    name: str
    cuisine: str
    city_id: str
    rating: float
    price_level: int
    avg_price: float
    currency: str
    calling_code: str
    seed: int


@dataclass(frozen=True, slots=True)
class Details:
    address: str
    phone: str
    reviews: int
    opens: str
    closes: str
    closed_on: str | None
    max_party: int
    menu: tuple[Dish, ...]


@dataclass(frozen=True)
class FoodData:
    foods: Mapping[str, Food]
    food_list: tuple[Food, ...]
    """Sorted by name (search order)."""
    recipes: Mapping[str, Recipe]
    recipe_list: tuple[Recipe, ...]
    """Best rated first, then by title (search order)."""
    restaurants: Mapping[str, Restaurant]
    restaurants_by_city: Mapping[str, tuple[Restaurant, ...]]
    """city id → restaurants, best rated first, then by name."""
    restaurant_hay: Mapping[str, str]
    """restaurant id → normalised name (search haystack)."""
    recipe_rows: tuple[tuple[str, Recipe], ...]
    food_rows: tuple[tuple[str, Food], ...]
    city_by_name: Mapping[str, str]
    """Normalised city name → city id."""

    # Derived lookups (not fields: no part of the world's content; see helpers.warm).
    @cached_property
    def recipe_index(self) -> SearchIndex[Recipe]:
        return SearchIndex.of_rows(self.recipe_rows)

    @cached_property
    def food_index(self) -> SearchIndex[Food]:
        return SearchIndex.of_rows(self.food_rows)

    @cached_property
    def city_name_index(self) -> SearchIndex[str]:
        """City ids, searchable by their normalised names (in :attr:`city_by_name` order)."""
        return SearchIndex.of_rows((search_text(k), cid) for k, cid in self.city_by_name.items())

    @cached_property
    def cuisine_sorted(self) -> Mapping[tuple[str, str], tuple[Recipe, ...]]:
        """(cuisine, sort) → the cuisine's recipes in that order (recipes_by_cuisine)."""
        return {
            (cuisine, sort): tuple(
                sorted((r for r in self.recipe_list if r.cuisine == cuisine), key=key)
            )
            for cuisine in CUISINES
            for sort, key in _RECIPE_SORTS.items()
        }


# ---------------------------------------------------------------- build
def _no_overlap(names: Sequence[str]) -> bool:
    """No name occurs as a word sequence inside another (so answers can name one of them)."""
    keys = [normalize_text(n) for n in names]
    return not any(a != b and a in b for a in keys for b in keys) and len(set(keys)) == len(keys)


@DOMAIN.builder
def build(rng: StableRng, world: Mapping[str, Any]) -> FoodData:
    g: geography.GeoData = world["geography"]
    taken: set[str] = set()

    brands = [
        f"{b} {rng.choice(_BRAND_SUFFIX)}"
        for b in unique(rng, lambda r: word(r, (2, 2)), N_BRANDS, taken)
    ]
    foods: dict[str, Food] = {}
    by_generic: list[list[Food]] = []
    next_food = 1001
    for generic, _short, category, per100, flags, _grams in _GENERICS:
        own: list[Food] = []
        for brand in sorted(rng.sample(brands, rng.randint(3, 5))):
            values = tuple(
                round(v * rng.uniform(0.88, 1.12))
                if k == 0 or k == 6
                else round(v * rng.uniform(0.88, 1.12), 1)
                for k, v in enumerate(per100)
            )
            fid = f"F{next_food}"
            next_food += 1
            food = Food(fid, f"{brand} {generic.title()}", generic, brand, category, values, flags)
            foods[fid] = food
            own.append(food)
        by_generic.append(own)

    recipes: list[Recipe] = []
    words = unique(rng, lambda r: word(r, (2, 2)), len(CUISINES) * RECIPES_PER_CUISINE, taken)
    cursor = 0
    for cuisine in CUISINES:
        for _ in range(RECIPES_PER_CUISINE):
            main = rng.choice(_MAINS)
            others = rng.sample([i for i in range(len(_GENERICS)) if i != main], rng.randint(3, 6))
            chosen = [main, *others]
            servings = rng.choice((2, 4, 4, 4, 6, 6, 8))
            ings = []
            for gi in chosen:
                lo, hi = _GENERICS[gi][5]
                grams = round(rng.randint(lo, hi) * servings / 4 / 5) * 5
                food = rng.choice(by_generic[gi])
                ings.append(Ingredient(food.food_id, _GENERICS[gi][0], float(max(grams, 5))))
            flags = "".join(_GENERICS[gi][4] for gi in chosen)
            diets = tuple(
                d
                for d, ok in (
                    ("vegetarian", "M" not in flags),
                    ("vegan", "M" not in flags and "D" not in flags),
                    ("gluten-free", "G" not in flags),
                )
                if ok
            )
            kcal = sum(foods[i.food_id].per100[0] * i.grams / 100 for i in ings)
            prep = rng.randint(1, 8) * 5
            cook = rng.randint(2, 20) * 5
            total = prep + cook
            difficulty = "easy" if total <= 35 else ("hard" if total > 80 else "medium")
            title = f"{words[cursor]} {_GENERICS[main][1]} {rng.choice(_DISHES[cuisine])}"
            cursor += 1
            recipes.append(
                Recipe(
                    recipe_id=f"R{2001 + len(recipes)}",
                    title=title,
                    cuisine=cuisine,
                    author=person(rng),
                    servings=servings,
                    prep_minutes=prep,
                    cook_minutes=cook,
                    difficulty=difficulty,
                    rating=round(rng.uniform(3.0, 5.0), 1),
                    reviews=rng.randint(3, 2400),
                    ingredients=tuple(ings),
                    diets=diets,
                    calories_per_serving=round(kcal / servings),
                )
            )
    recipe_list = tuple(sorted(recipes, key=lambda r: (-r.rating, r.title)))

    restaurants: dict[str, Restaurant] = {}
    by_city: dict[str, tuple[Restaurant, ...]] = {}
    next_rest = 4001
    for city in g.city_list:
        country = g.countries[city.country_code]
        factor = _PRICE_FACTOR.get(country.currency, 1.0)
        n = rng.randint(4, 10)
        own_r: list[Restaurant] = []
        for core in unique(rng, lambda r: word(r, (2, 2)), n, taken):
            cuisine = rng.choice(CUISINES)
            level = rng.weighted((1, 2, 3, 4), (3, 5, 3, 1))
            avg = rng.uniform(6 + level * 8, 12 + level * 14) * factor
            own_r.append(
                Restaurant(
                    restaurant_id=f"T{next_rest}",
                    name=rng.choice(_RESTAURANT_PATTERNS[cuisine]).format(w=core),
                    cuisine=cuisine,
                    city_id=city.city_id,
                    rating=round(rng.uniform(2.8, 4.9), 1),
                    price_level=level,
                    avg_price=_price(avg, factor),
                    currency=country.currency,
                    calling_code=country.calling_code,
                    seed=rng.randint(0, 2**62),
                )
            )
            next_rest += 1
        ordered = tuple(sorted(own_r, key=lambda r: (-r.rating, r.name)))
        by_city[city.city_id] = ordered
        for r in ordered:
            restaurants[r.restaurant_id] = r

    data = FoodData(
        foods=foods,
        food_list=tuple(sorted(foods.values(), key=lambda f: f.name)),
        recipes={r.recipe_id: r for r in recipes},
        recipe_list=recipe_list,
        restaurants=restaurants,
        restaurants_by_city=by_city,
        restaurant_hay={k: search_text(r.name) for k, r in restaurants.items()},
        recipe_rows=tuple((search_text(r.title), r) for r in recipe_list),
        food_rows=tuple(
            (search_text(f.name), f) for f in sorted(foods.values(), key=lambda f: f.name)
        ),
        city_by_name={norm(c.name): c.city_id for c in g.city_list},
    )
    return warm(data)


def _price(value: float, factor: float) -> float:
    """Prices in currencies with small units are whole numbers."""
    return float(round(value)) if factor >= 10 else money(value)


@lru_cache(maxsize=8192)
def details(r: Restaurant) -> Details:
    """The restaurant's address, hours and menu, generated from its own seed (pure)."""
    rng = StableRng(r.seed)
    factor = _PRICE_FACTOR.get(r.currency, 1.0)
    items = rng.sample(_MENU[r.cuisine], rng.randint(6, 9))
    return Details(
        address=f"{rng.randint(1, 240)} {word(rng, (2, 3))} {rng.choice(_STREETS)}",
        phone=f"{r.calling_code}{rng.randint(100000000, 999999999)}",
        reviews=rng.randint(8, 3200),
        opens=rng.choice(OPENS),
        closes=rng.choice(CLOSES),
        closed_on=None if rng.random() < 0.25 else rng.choice(WEEKDAYS),
        max_party=rng.randint(6, 20),
        menu=tuple(
            Dish(nm, _price(r.avg_price * rng.uniform(0.35, 0.95), factor), veg)
            for nm, veg in items
        ),
    )


def fd(state_or_world: WorldState | World) -> FoodData:
    return domain_data(state_or_world, "food")


# ---------------------------------------------------------------- argument helpers
def _number(args: Mapping[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = args.get(name, default)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not low < value <= high:
        raise ApiInputError(f"{name} must be a number in ({low:g}, {high:g}]")
    return value


def _nutrient_amount(food: Food, nutrient: str, grams: float) -> float:
    return round(food.per100[NUTRIENTS.index(nutrient)] * grams / 100, 1)


# ---------------------------------------------------------------- recipe_finder
def _recipe_summary(r: Recipe) -> dict[str, Any]:
    return {
        "recipe_id": r.recipe_id,
        "title": r.title,
        "cuisine": r.cuisine,
        "rating": r.rating,
        "total_minutes": r.total_minutes,
    }


def _recipe_filter(args: Mapping[str, Any]) -> Callable[[Recipe], bool]:
    cuisine = args.get("cuisine")
    if cuisine is not None and cuisine not in CUISINES:
        raise ApiInputError(f"cuisine must be one of {', '.join(CUISINES)}")
    diet = args.get("diet")
    if diet is not None and diet not in DIETS:
        raise ApiInputError(f"diet must be one of {', '.join(DIETS)}")
    limit = args.get("max_minutes")
    if limit is not None and (
        not isinstance(limit, (int, float)) or isinstance(limit, bool) or limit <= 0
    ):
        raise ApiInputError("max_minutes must be a positive number")
    return lambda r: (
        (cuisine is None or r.cuisine == cuisine)
        and (diet is None or diet in r.diets)
        and (limit is None or r.total_minutes <= limit)
    )


@DOMAIN.api("recipe_finder", "search_recipes")
def search_recipes(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    q = require_text(args, "query")
    keep = _recipe_filter(args)
    words = query_words(q)
    found = [r for r in fd(state).recipe_index.select(words) if keep(r)]
    return paginate(found, args.get("page", 1), PAGE, _recipe_summary)


@DOMAIN.api("recipe_finder", "get_recipe")
def get_recipe(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    r = get_by_id(fd(state).recipes, args["recipe_id"], "recipe")
    return {
        **_recipe_summary(r),
        "author": r.author,
        "servings": r.servings,
        "prep_minutes": r.prep_minutes,
        "cook_minutes": r.cook_minutes,
        "difficulty": r.difficulty,
        "reviews": r.reviews,
        "diets": list(r.diets),
        "calories_per_serving": r.calories_per_serving,
        "ingredient_count": len(r.ingredients),
    }


def _scaled(r: Recipe, servings: int) -> list[dict[str, Any]]:
    return [
        {"food_id": i.food_id, "name": i.name, "grams": round(i.grams * servings / r.servings, 1)}
        for i in r.ingredients
    ]


@DOMAIN.api("recipe_finder", "recipe_ingredients")
def recipe_ingredients(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    r = get_by_id(fd(state).recipes, args["recipe_id"], "recipe")
    servings = args.get("servings", r.servings)
    if not isinstance(servings, int) or isinstance(servings, bool) or not 1 <= servings <= 50:
        raise ApiInputError("servings must be an integer from 1 to 50")
    return {
        "recipe_id": r.recipe_id,
        "title": r.title,
        "servings": servings,
        "original_servings": r.servings,
        "ingredients": _scaled(r, servings),
    }


_RECIPE_SORTS: dict[str, Callable[[Recipe], Any]] = {
    "rating": lambda r: (-r.rating, r.title),
    "time": lambda r: (r.total_minutes, -r.rating, r.title),
    "title": lambda r: r.title,
}


@DOMAIN.api("recipe_finder", "recipes_by_cuisine")
def recipes_by_cuisine(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    cuisine = enum_arg(args, "cuisine", CUISINES, "")
    keep = _recipe_filter(args)
    sort = enum_arg(args, "sort", tuple(_RECIPE_SORTS), "rating")
    found = [r for r in fd(state).cuisine_sorted[cuisine, sort] if keep(r)]
    return paginate(found, args.get("page", 1), PAGE, _recipe_summary)


# ---------------------------------------------------------------- nutrition_facts
@DOMAIN.api("nutrition_facts", "search_food")
def search_food(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    q = require_text(args, "query")
    cat = args.get("category")
    if cat is not None and cat not in FOOD_CATEGORIES:
        raise ApiInputError(f"category must be one of {', '.join(FOOD_CATEGORIES)}")
    words = query_words(q)
    found = [f for f in fd(state).food_index.select(words) if cat is None or f.category == cat]
    return paginate(
        found,
        args.get("page", 1),
        PAGE,
        lambda f: {"food_id": f.food_id, "name": f.name, "category": f.category},
    )


@DOMAIN.api("nutrition_facts", "food_nutrients")
def food_nutrients(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    f = get_by_id(fd(state).foods, args["food_id"], "food")
    grams = _number(args, "grams", 100, 0, 5000)
    return {
        "food_id": f.food_id,
        "name": f.name,
        "grams": grams,
        **{f"{n}_{UNITS[n]}": _nutrient_amount(f, n, grams) for n in NUTRIENTS},
    }


@DOMAIN.api("nutrition_facts", "compare_foods")
def compare_foods(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = fd(state)
    a = get_by_id(data.foods, args["food_id_a"], "food")
    b = get_by_id(data.foods, args["food_id_b"], "food")
    if a.food_id == b.food_id:
        raise ApiInputError("food_id_a and food_id_b must be different foods")
    nutrient = enum_arg(args, "nutrient", NUTRIENTS, "")
    grams = _number(args, "grams", 100, 0, 5000)
    va, vb = _nutrient_amount(a, nutrient, grams), _nutrient_amount(b, nutrient, grams)
    higher = a.name if va > vb else (b.name if vb > va else "equal")
    return {
        "nutrient": nutrient,
        "unit": UNITS[nutrient],
        "grams": grams,
        "food_a": {"food_id": a.food_id, "name": a.name, "amount": va},
        "food_b": {"food_id": b.food_id, "name": b.name, "amount": vb},
        "higher": higher,
        "difference": round(abs(va - vb), 1),
    }


@DOMAIN.api("nutrition_facts", "daily_value")
def daily_value(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    f = get_by_id(fd(state).foods, args["food_id"], "food")
    nutrient = enum_arg(args, "nutrient", NUTRIENTS, "")
    grams = _number(args, "grams", 100, 0, 5000)
    amount = _nutrient_amount(f, nutrient, grams)
    dv = DAILY_VALUES[nutrient]
    return {
        "food_id": f.food_id,
        "name": f.name,
        "grams": grams,
        "nutrient": nutrient,
        "amount": amount,
        "unit": UNITS[nutrient],
        "daily_value": dv,
        "percent_daily_value": round(amount / dv * 100, 1),
    }


# ---------------------------------------------------------------- restaurant_guide
def _city_id(data: FoodData, name: str) -> str:
    key = norm(name)
    if key in data.city_by_name:
        return data.city_by_name[key]
    words = key.split()
    hits = data.city_name_index.select(words) if words else []
    if len(hits) == 1:
        return hits[0]
    raise ApiInputError(f"unknown city {name!r}: give the city name, e.g. 'Springfield'")


def _price_level(r: Restaurant) -> str:
    return "$" * r.price_level


@DOMAIN.api("restaurant_guide", "search_restaurants")
def search_restaurants(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = fd(state)
    city_id = _city_id(data, require_text(args, "city"))
    query = args.get("query")
    words = norm(query).split() if isinstance(query, str) else []
    cuisine = args.get("cuisine")
    if cuisine is not None and cuisine not in CUISINES:
        raise ApiInputError(f"cuisine must be one of {', '.join(CUISINES)}")
    min_rating = args.get("min_rating", 0)
    if not isinstance(min_rating, (int, float)) or isinstance(min_rating, bool):
        raise ApiInputError("min_rating must be a number from 0 to 5")
    if not 0 <= min_rating <= 5:
        raise ApiInputError("min_rating must be a number from 0 to 5")
    sort = enum_arg(args, "sort", ("rating", "name"), "rating")
    found = [
        r
        for r in data.restaurants_by_city[city_id]
        if (not words or has_words(words, data.restaurant_hay[r.restaurant_id]))
        and (cuisine is None or r.cuisine == cuisine)
        and r.rating >= min_rating
    ]
    if sort == "name":
        found.sort(key=lambda r: r.name)
    return paginate(
        found,
        args.get("page", 1),
        PAGE,
        lambda r: {
            "restaurant_id": r.restaurant_id,
            "name": r.name,
            "cuisine": r.cuisine,
            "rating": r.rating,
            "price_level": _price_level(r),
            "avg_price_per_person": r.avg_price,
        },
    )


@DOMAIN.api("restaurant_guide", "get_restaurant")
def get_restaurant(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    r = get_by_id(fd(state).restaurants, args["restaurant_id"], "restaurant")
    d = details(r)
    city = geography.geo(state).cities[r.city_id]
    return {
        "restaurant_id": r.restaurant_id,
        "name": r.name,
        "cuisine": r.cuisine,
        "city": city.name,
        "city_id": r.city_id,
        "address": d.address,
        "phone": d.phone,
        "rating": r.rating,
        "reviews": d.reviews,
        "price_level": _price_level(r),
        "avg_price_per_person": r.avg_price,
        "currency": r.currency,
        "opening_hours": {"opens": d.opens, "closes": d.closes},
        "closed_on": d.closed_on or "open daily",
        "max_party_size": d.max_party,
    }


@DOMAIN.api("restaurant_guide", "get_menu")
def get_menu(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    r = get_by_id(fd(state).restaurants, args["restaurant_id"], "restaurant")
    veg_only = args.get("vegetarian_only", False)
    if not isinstance(veg_only, bool):
        raise ApiInputError("vegetarian_only must be true or false")
    return {
        "restaurant_id": r.restaurant_id,
        "currency": r.currency,
        "dishes": [
            {"name": d.name, "price": d.price, "vegetarian": d.vegetarian}
            for d in details(r).menu
            if d.vegetarian or not veg_only
        ],
    }


@DOMAIN.api("restaurant_guide", "reserve_table")
def reserve_table(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    r = get_by_id(fd(state).restaurants, args["restaurant_id"], "restaurant")
    date = parse_date(args["date"])
    if not TODAY <= date <= TODAY + dt.timedelta(days=RESERVATION_DAYS):
        raise ApiInputError(
            f"date must be between {day(0)} and {day(RESERVATION_DAYS)} (bookings open 90 days "
            "ahead)"
        )
    d = details(r)
    weekday = WEEKDAYS[date.weekday()]
    if d.closed_on == weekday:
        raise ApiInputError(f"{r.name} is closed on {weekday}s")
    time = parse_clock(args["time"])
    if not clock_minutes(d.opens) <= clock_minutes(time) <= clock_minutes(d.closes) - 60:
        raise ApiInputError(
            f"{r.name} takes reservations from {d.opens} until one hour before closing ({d.closes})"
        )
    party = args["party_size"]
    if not isinstance(party, int) or isinstance(party, bool) or not 1 <= party <= d.max_party:
        raise ApiInputError(f"party_size must be from 1 to {d.max_party} at this restaurant")
    name = require_text(args, "name")
    record = {
        "reservation_id": state.next_id("RSV"),
        "restaurant_id": r.restaurant_id,
        "restaurant_name": r.name,
        "date": date.isoformat(),
        "time": time,
        "party_size": party,
        "name": name,
        "status": "confirmed",
    }
    state.add("table_reservations", record)
    return dict(record)


@DOMAIN.api("restaurant_guide", "get_reservation")
def get_reservation(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    rid = args["reservation_id"]
    if not isinstance(rid, str):
        raise ApiInputError("reservation_id must be a string")
    found = state.find("table_reservations", reservation_id=rid.strip())
    if not found:
        raise ApiInputError(f"no reservation with id {rid!r}")
    return dict(found[0])


# ---------------------------------------------------------------- task helpers
def _find_recipe(world: World, r: Recipe) -> GoldCall | None:
    """The search call that finds ``r`` on page 1 by its title, or None."""
    call = GoldCall("recipe_finder", "search_recipes", {"query": r.title})
    return listed_call(world, search_recipes, call, "recipe_id", r.recipe_id)


def _find_food(world: World, f: Food) -> GoldCall | None:
    call = GoldCall("nutrition_facts", "search_food", {"query": f.name})
    return listed_call(world, search_food, call, "food_id", f.food_id)


def _find_restaurant(world: World, r: Restaurant, city: str) -> GoldCall | None:
    call = GoldCall("restaurant_guide", "search_restaurants", {"city": city, "query": r.name})
    return listed_call(world, search_restaurants, call, "restaurant_id", r.restaurant_id)


def _city_name(world: World, city_id: str) -> str:
    return geography.geo(world).cities[city_id].name


def _pick_recipe(rng: StableRng, world: World) -> Recipe:
    return rng.choice(fd(world).recipe_list)


def _pick_restaurant(rng: StableRng, world: World) -> Restaurant:
    data = fd(world)
    city = rng.choice(tuple(data.restaurants_by_city))
    return rng.choice(data.restaurants_by_city[city])


def _fmt(x: float) -> str:
    return f"{x:g}"


# ---------------------------------------------------------------- G1: recipe_finder
@DOMAIN.task("food.recipe_times", group="G1", tools=("recipe_finder",))
@retrying
def task_recipe_times(rng: StableRng, world: World) -> TaskDraft | None:
    r = _pick_recipe(rng, world)
    search = _find_recipe(world, r)
    if search is None:
        return None
    return checked_draft(
        {"recipe": r.title},
        (search, GoldCall("recipe_finder", "get_recipe", {"recipe_id": r.recipe_id}, (0,))),
        (
            AnswerFact(r.prep_minutes, "prep minutes"),
            AnswerFact(r.cook_minutes, "cook minutes"),
            AnswerFact(r.servings, "servings"),
        ),
        f"{r.title} takes {r.prep_minutes} minutes of preparation and {r.cook_minutes} minutes "
        f"of cooking, and it serves {r.servings}.",
    )


@DOMAIN.task("food.scaled_ingredient", group="G1", tools=("recipe_finder",))
@retrying
def task_scaled_ingredient(rng: StableRng, world: World) -> TaskDraft | None:
    r = _pick_recipe(rng, world)
    servings = rng.choice(tuple(n for n in (2, 3, 4, 5, 6, 8, 10, 12) if n != r.servings))
    ing = rng.choice(r.ingredients)
    search = _find_recipe(world, r)
    if search is None:
        return None
    res = run_api(world, recipe_ingredients, recipe_id=r.recipe_id, servings=servings)
    grams = next(x["grams"] for x in res["ingredients"] if x["food_id"] == ing.food_id)
    return checked_draft(
        {"recipe": r.title, "ingredient": ing.name, "servings": str(servings)},
        (
            search,
            GoldCall(
                "recipe_finder",
                "recipe_ingredients",
                {"recipe_id": r.recipe_id, "servings": servings},
                (0,),
            ),
        ),
        (AnswerFact(grams, "grams"),),
        f"For {servings} servings of {r.title} you need {_fmt(grams)} g of {ing.name}.",
    )


@DOMAIN.task("food.best_quick_recipe", group="G1", tools=("recipe_finder",))
@retrying
def task_best_quick_recipe(rng: StableRng, world: World) -> TaskDraft | None:
    cuisine = rng.choice(CUISINES)
    minutes = rng.choice((25, 30, 35, 40, 45, 50, 60, 75, 90))
    diet = rng.choice(DIETS)
    args = {"cuisine": cuisine, "max_minutes": minutes, "diet": diet}
    res = run_api(world, recipes_by_cuisine, **args)
    hits = res["results"]
    if not hits or (len(hits) > 1 and hits[1]["rating"] == hits[0]["rating"]):
        return None
    top = hits[0]
    detail = run_api(world, get_recipe, recipe_id=top["recipe_id"])
    return checked_draft(
        {"cuisine": cuisine, "minutes": str(minutes), "diet": diet},
        (
            GoldCall("recipe_finder", "recipes_by_cuisine", args),
            GoldCall("recipe_finder", "get_recipe", {"recipe_id": top["recipe_id"]}, (0,)),
        ),
        (
            AnswerFact(top["title"], "recipe", tuple(h["title"] for h in hits[1:])),
            AnswerFact(detail["calories_per_serving"], "calories per serving"),
        ),
        f"The best-rated {diet} {cuisine} recipe ready within {minutes} minutes is "
        f"{top['title']} (rated {top['rating']}); it has {detail['calories_per_serving']} kcal "
        "per serving.",
    )


# ---------------------------------------------------------------- G1: nutrition_facts
@DOMAIN.task("food.nutrient_amount", group="G1", tools=("nutrition_facts",))
@retrying
def task_nutrient_amount(rng: StableRng, world: World) -> TaskDraft | None:
    f = rng.choice(fd(world).food_list)
    nutrient = rng.choice(NUTRIENTS)
    grams = rng.choice((30, 40, 50, 75, 120, 150, 200, 250, 300, 350, 400, 500))
    search = _find_food(world, f)
    if search is None:
        return None
    amount = _nutrient_amount(f, nutrient, grams)
    unit = UNITS[nutrient]
    return checked_draft(
        {"food": f.name, "nutrient": nutrient, "grams": str(grams)},
        (
            search,
            GoldCall(
                "nutrition_facts", "food_nutrients", {"food_id": f.food_id, "grams": grams}, (0,)
            ),
        ),
        (AnswerFact(amount, nutrient),),
        f"{grams} g of {f.name} contain {_fmt(amount)} {unit} of {nutrient}.",
    )


@DOMAIN.task("food.compare_products", group="G1", tools=("nutrition_facts",))
@retrying
def task_compare_products(rng: StableRng, world: World) -> TaskDraft | None:
    data = fd(world)
    a = rng.choice(data.food_list)
    if rng.random() < 0.5:
        pool = [f for f in data.food_list if f.generic == a.generic and f is not a]
    else:
        pool = [f for f in data.food_list if f.category == a.category and f.generic != a.generic]
    if not pool:
        return None
    b = rng.choice(pool)
    nutrient = rng.choice(NUTRIENTS)
    sa, sb = _find_food(world, a), _find_food(world, b)
    if sa is None or sb is None:
        return None
    args = {"food_id_a": a.food_id, "food_id_b": b.food_id, "nutrient": nutrient}
    res = run_api(world, compare_foods, **args)
    if res["higher"] == "equal":
        return None
    win, lose = (a, b) if res["higher"] == a.name else (b, a)
    return checked_draft(
        {"food_a": a.name, "food_b": b.name, "nutrient": nutrient},
        (sa, sb, GoldCall("nutrition_facts", "compare_foods", args, (0, 1))),
        (
            AnswerFact(win.name, "richer product", (lose.name,)),
            AnswerFact(res["difference"], "difference"),
        ),
        f"{win.name} has more {nutrient}: {_fmt(res['difference'])} {res['unit']} more per 100 g.",
    )


# ---------------------------------------------------------------- G1: restaurant_guide
@DOMAIN.task("food.restaurant_hours", group="G1", tools=("restaurant_guide",))
@retrying
def task_restaurant_hours(rng: StableRng, world: World) -> TaskDraft | None:
    r = _pick_restaurant(rng, world)
    d = details(r)
    if d.closed_on is None:
        return None
    city = _city_name(world, r.city_id)
    search = _find_restaurant(world, r, city)
    if search is None:
        return None
    return checked_draft(
        {"restaurant": r.name, "city": city},
        (
            search,
            GoldCall(
                "restaurant_guide", "get_restaurant", {"restaurant_id": r.restaurant_id}, (0,)
            ),
        ),
        (
            AnswerFact(d.opens, "opens"),
            AnswerFact(d.closes, "closes"),
            AnswerFact(d.closed_on, "closed on"),
        ),
        f"{r.name} opens at {d.opens} and closes at {d.closes}; it is closed every {d.closed_on}.",
    )


@DOMAIN.task("food.cheapest_rated_restaurant", group="G1", tools=("restaurant_guide",))
@retrying
def task_cheapest_rated(rng: StableRng, world: World) -> TaskDraft | None:
    data = fd(world)
    city_id = rng.choice([k for k, v in data.restaurants_by_city.items() if len(v) > PAGE])
    own = data.restaurants_by_city[city_id]
    # the point of this task: more than one page of results must be read
    thresholds = [t for t in (3.0, 3.2, 3.5, 3.8, 4.0) if sum(r.rating >= t for r in own) > PAGE]
    if not thresholds:
        return None
    min_rating = rng.choice(thresholds)
    city = _city_name(world, city_id)
    hits = [r for r in own if r.rating >= min_rating]
    hits.sort(key=lambda r: r.avg_price)
    if hits[0].avg_price == hits[1].avg_price:
        return None
    best = hits[0]
    pages = -(-len(hits) // PAGE)
    args: dict[str, Any] = {"city": city, "min_rating": min_rating}
    gold = [GoldCall("restaurant_guide", "search_restaurants", args)]
    for p in range(2, pages + 1):
        gold.append(
            GoldCall("restaurant_guide", "search_restaurants", {**args, "page": p}, (p - 2,))
        )
    return checked_draft(
        {"city": city, "min_rating": _fmt(min_rating)},
        gold,
        (
            AnswerFact(best.name, "restaurant", tuple(r.name for r in hits[1:])),
            AnswerFact(best.avg_price, "average price"),
        ),
        f"The cheapest restaurant in {city} rated at least {_fmt(min_rating)} is {best.name}, "
        f"at about {best.avg_price} {best.currency} per person.",
    )


@DOMAIN.task("food.cheapest_veggie_dish", group="G1", tools=("restaurant_guide",))
@retrying
def task_cheapest_veggie(rng: StableRng, world: World) -> TaskDraft | None:
    r = _pick_restaurant(rng, world)
    veg = sorted((d for d in details(r).menu if d.vegetarian), key=lambda d: d.price)
    if len(veg) < 2 or veg[0].price == veg[1].price:
        return None
    city = _city_name(world, r.city_id)
    search = _find_restaurant(world, r, city)
    if search is None:
        return None
    best = veg[0]
    return checked_draft(
        {"restaurant": r.name, "city": city},
        (
            search,
            GoldCall("restaurant_guide", "get_menu", {"restaurant_id": r.restaurant_id}, (0,)),
        ),
        (
            AnswerFact(best.name, "dish", tuple(d.name for d in veg[1:])),
            AnswerFact(best.price, "price"),
        ),
        f"The cheapest vegetarian dish at {r.name} is {best.name} for {best.price} {r.currency}.",
    )


def _best_of_cuisine(rng: StableRng, world: World) -> tuple[str, str, list[Restaurant]] | None:
    """A city and a cuisine served there with one best-rated restaurant: the city id, the
    cuisine and its restaurants there, best rated first; None on a tie."""
    data = fd(world)
    city_id = rng.choice(tuple(data.restaurants_by_city))
    cuisine = rng.choice(sorted({r.cuisine for r in data.restaurants_by_city[city_id]}))
    hits = [r for r in data.restaurants_by_city[city_id] if r.cuisine == cuisine]
    if len(hits) > 1 and hits[0].rating == hits[1].rating:
        return None
    return city_id, cuisine, hits


@DOMAIN.task("food.book_best_restaurant", group="G1", tools=("restaurant_guide",))
@retrying
def task_book_best(rng: StableRng, world: World) -> TaskDraft | None:
    picked = _best_of_cuisine(rng, world)
    if picked is None:
        return None
    city_id, cuisine, hits = picked
    best = hits[0]
    info = details(best)
    offset = rng.randint(1, 30)
    date = TODAY + dt.timedelta(days=offset)
    if WEEKDAYS[date.weekday()] == info.closed_on:
        date += dt.timedelta(days=1)
    first, last = clock_minutes(info.opens), clock_minutes(info.closes) - 60
    slots = [m for m in range(first, last + 1, 30) if m >= 12 * 60 and m % 60 in (0, 30)]
    if not slots:
        return None
    m = rng.choice(slots)
    time = hhmm(m)
    party = rng.randint(2, min(8, info.max_party))
    guest = person(rng)
    city = _city_name(world, city_id)
    search_args = {"city": city, "cuisine": cuisine}
    booking = {
        "restaurant_id": best.restaurant_id,
        "date": date.isoformat(),
        "time": time,
        "party_size": party,
        "name": guest,
    }
    return checked_draft(
        {
            "city": city,
            "cuisine": cuisine,
            "date": date.isoformat(),
            "time": time,
            "party_size": str(party),
            "name": guest,
        },
        (
            GoldCall("restaurant_guide", "search_restaurants", search_args),
            GoldCall("restaurant_guide", "reserve_table", booking, (0,)),
        ),
        (
            StateFact(
                "table_reservations",
                {k: booking[k] for k in ("restaurant_id", "date", "time", "party_size")},
                "reservation",
            ),
            AnswerFact(best.name, "restaurant", tuple(r.name for r in hits[1:])),
        ),
        f"I booked a table for {party} at {best.name}, the best-rated {cuisine} restaurant "
        f"in {city}, on {date.isoformat()} at {time} under the name {guest}.",
    )


# ---------------------------------------------------------------- G2: recipes + nutrition
def _ingredient_pick(
    rng: StableRng, world: World, servings_choice: bool
) -> tuple[Recipe, Ingredient, int, float, GoldCall, GoldCall] | None:
    r = _pick_recipe(rng, world)
    if not _no_overlap([i.name for i in r.ingredients]):
        return None
    ing = rng.choice(r.ingredients)
    search = _find_recipe(world, r)
    if search is None:
        return None
    args: dict[str, Any] = {"recipe_id": r.recipe_id}
    servings = r.servings
    if servings_choice:
        servings = rng.choice(tuple(n for n in (2, 3, 4, 6, 8, 10) if n != r.servings))
        args["servings"] = servings
    res = run_api(world, recipe_ingredients, **args)
    grams = next(x["grams"] for x in res["ingredients"] if x["food_id"] == ing.food_id)
    return (
        r,
        ing,
        servings,
        grams,
        search,
        GoldCall("recipe_finder", "recipe_ingredients", args, (0,)),
    )


@DOMAIN.task("food.ingredient_nutrient", group="G2", tools=("recipe_finder", "nutrition_facts"))
@retrying
def task_ingredient_nutrient(rng: StableRng, world: World) -> TaskDraft | None:
    picked = _ingredient_pick(rng, world, True)
    if picked is None:
        return None
    r, ing, servings, grams, search, ingredients = picked
    nutrient = rng.choice(("protein", "fat", "carbohydrates", "fiber", "calories"))
    food = fd(world).foods[ing.food_id]
    amount = _nutrient_amount(food, nutrient, grams)
    return checked_draft(
        {
            "recipe": r.title,
            "ingredient": ing.name,
            "servings": str(servings),
            "nutrient": nutrient,
        },
        (
            search,
            ingredients,
            GoldCall(
                "nutrition_facts",
                "food_nutrients",
                {"food_id": ing.food_id, "grams": grams},
                (1,),
            ),
        ),
        (AnswerFact(amount, nutrient),),
        f"For {servings} servings of {r.title} you use {_fmt(grams)} g of {ing.name} "
        f"({food.name}), which provides {_fmt(amount)} {UNITS[nutrient]} of {nutrient}.",
    )


@DOMAIN.task("food.ingredient_daily_value", group="G2", tools=("recipe_finder", "nutrition_facts"))
@retrying
def task_ingredient_daily_value(rng: StableRng, world: World) -> TaskDraft | None:
    picked = _ingredient_pick(rng, world, False)
    if picked is None:
        return None
    r, ing, _servings, grams, search, ingredients = picked
    nutrient = rng.choice(("sodium", "fat", "fiber", "protein", "sugar"))
    args = {"food_id": ing.food_id, "nutrient": nutrient, "grams": grams}
    res = run_api(world, daily_value, **args)
    pct = res["percent_daily_value"]
    return checked_draft(
        {"recipe": r.title, "ingredient": ing.name, "nutrient": nutrient},
        (search, ingredients, GoldCall("nutrition_facts", "daily_value", args, (1,))),
        (AnswerFact(pct, "percent daily value"),),
        f"The {_fmt(grams)} g of {ing.name} in {r.title} give {_fmt(res['amount'])} "
        f"{res['unit']} of {nutrient}, {_fmt(pct)}% of the daily value.",
    )


@DOMAIN.task("food.ingredient_comparison", group="G2", tools=("recipe_finder", "nutrition_facts"))
@retrying
def task_ingredient_comparison(rng: StableRng, world: World) -> TaskDraft | None:
    r = _pick_recipe(rng, world)
    if not _no_overlap([i.name for i in r.ingredients]):
        return None
    a, b = rng.sample(r.ingredients, 2)
    nutrient = rng.choice(NUTRIENTS)
    search = _find_recipe(world, r)
    if search is None:
        return None
    args = {"food_id_a": a.food_id, "food_id_b": b.food_id, "nutrient": nutrient}
    res = run_api(world, compare_foods, **args)
    if res["higher"] == "equal":
        return None
    win, lose = (a, b) if res["food_a"]["amount"] > res["food_b"]["amount"] else (b, a)
    return checked_draft(
        {"recipe": r.title, "ingredient_a": a.name, "ingredient_b": b.name, "nutrient": nutrient},
        (
            search,
            GoldCall("recipe_finder", "recipe_ingredients", {"recipe_id": r.recipe_id}, (0,)),
            GoldCall("nutrition_facts", "compare_foods", args, (1,)),
        ),
        (AnswerFact(win.name, "richer ingredient", (lose.name,)),),
        f"In {r.title}, the {win.name} has more {nutrient} per 100 g "
        f"({_fmt(res['difference'])} {res['unit']} more).",
    )


# ---------------------------------------------------------------- G2: restaurants + recipes
@DOMAIN.task("food.dinner_plan", group="G2", tools=("restaurant_guide", "recipe_finder"))
@retrying
def task_dinner_plan(rng: StableRng, world: World) -> TaskDraft | None:
    picked = _best_of_cuisine(rng, world)
    if picked is None:
        return None
    city_id, cuisine, hits = picked
    best = hits[0]
    rec_args = {"cuisine": cuisine, "sort": "time"}
    quick = run_api(world, recipes_by_cuisine, **rec_args)["results"]
    if quick[0]["total_minutes"] == quick[1]["total_minutes"]:
        return None
    city = _city_name(world, city_id)
    rest_args = {"city": city, "cuisine": cuisine}
    top = quick[0]
    return checked_draft(
        {"city": city, "cuisine": cuisine},
        (
            GoldCall("restaurant_guide", "search_restaurants", rest_args),
            GoldCall("recipe_finder", "recipes_by_cuisine", rec_args),
        ),
        (
            AnswerFact(best.name, "restaurant", tuple(r.name for r in hits[1:])),
            AnswerFact(top["title"], "recipe", tuple(q["title"] for q in quick[1:])),
            AnswerFact(top["total_minutes"], "minutes"),
        ),
        f"The best-rated {cuisine} restaurant in {city} is {best.name} (rated {best.rating}). "
        f"The quickest {cuisine} recipe to cook at home is {top['title']}, ready in "
        f"{top['total_minutes']} minutes.",
    )
