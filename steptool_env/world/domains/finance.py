"""Finance: money markets of the fictional world.

Tools: ``currency_exchange`` (today's and past rates, conversion), ``stock_market`` (listed
companies, quotes, daily closes, profiles, movers) and ``crypto_prices`` (coins, prices in
any currency, history). ``crypto_prices`` is the category's held-out tool: only G1 task types
use it, so it can form the unseen-tool test subset.

Rates are seeded random walks around plausible magnitudes; every currency used by a
geography country is supported. :func:`fin`, :func:`convert` and :func:`convert_call` are
used by the domains that price things in several currencies (travel, shopping, jobs).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from steptool_env.seeding import StableRng
from steptool_env.world.domain import Domain
from steptool_env.world.domains.geography import CURRENCIES, GeoData, geo, haversine_km
from steptool_env.world.domains.geography import search_cities as geo_search_cities
from steptool_env.world.generation import (
    chosen_fact,
    fmt,
    ordinal,
    retrying,
    run_api,
)
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
    parse_date,
    require_text,
    search_text,
    warm,
)
from steptool_env.world.names import person, unique, word
from steptool_env.world.state import World, WorldState
from steptool_env.world.tasks import AnswerFact, GoldCall, TaskDraft

DOMAIN = Domain("finance", requires=("geography",))

HELDOUT_TOOL = "crypto_prices"
"""The tool of this category reserved for the unseen-tool test subset."""

CURRENCY_INFO: dict[str, tuple[str, float]] = {
    "USD": ("US Dollar", 1.0),
    "EUR": ("Euro", 0.92),
    "GBP": ("Pound Sterling", 0.79),
    "JPY": ("Japanese Yen", 151.0),
    "CHF": ("Swiss Franc", 0.89),
    "AUD": ("Australian Dollar", 1.52),
    "CAD": ("Canadian Dollar", 1.36),
    "SEK": ("Swedish Krona", 10.6),
    "NOK": ("Norwegian Krone", 10.8),
    "INR": ("Indian Rupee", 83.2),
    "BRL": ("Brazilian Real", 5.1),
    "ZAR": ("South African Rand", 18.6),
    "MXN": ("Mexican Peso", 17.1),
    "SGD": ("Singapore Dollar", 1.35),
    "NZD": ("New Zealand Dollar", 1.66),
    "KRW": ("South Korean Won", 1360.0),
    "DKK": ("Danish Krone", 6.9),
    "PLN": ("Polish Zloty", 4.0),
    "THB": ("Thai Baht", 36.4),
    "TRY": ("Turkish Lira", 32.5),
    "CZK": ("Czech Koruna", 23.1),
    "HUF": ("Hungarian Forint", 362.0),
    "ILS": ("Israeli New Shekel", 3.7),
    "CLP": ("Chilean Peso", 940.0),
    "HKD": ("Hong Kong Dollar", 7.8),
    "CNY": ("Chinese Yuan", 7.2),
    "AED": ("UAE Dirham", 3.67),
    "PHP": ("Philippine Peso", 57.5),
}
HISTORY_DAYS = 365
"""Exchange rates are known for TODAY and the 365 days before it."""

SECTORS: dict[str, tuple[str, ...]] = {
    "Technology": ("Systems", "Labs", "Software", "Networks"),
    "Energy": ("Energy", "Power", "Petroleum"),
    "Healthcare": ("Pharma", "Biotech", "Medical"),
    "Financials": ("Bank", "Capital", "Insurance"),
    "Consumer": ("Foods", "Retail", "Brands"),
    "Industrials": ("Industries", "Motors", "Aerospace"),
    "Telecom": ("Telecom", "Mobile", "Broadband"),
    "Materials": ("Mining", "Chemicals", "Steel"),
}
SECTOR_NAMES = tuple(SECTORS)
N_STOCKS = 88
N_TRADING_DAYS = 130
N_COINS = 30
COIN_HISTORY_DAYS = 180
_ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _trading_days(n: int) -> tuple[dt.date, ...]:
    out: list[dt.date] = []
    d = TODAY
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d -= dt.timedelta(days=1)
    return tuple(out)


TRADING_DAYS = _trading_days(N_TRADING_DAYS)
"""Weekdays from TODAY backwards: index 0 is TODAY (a Monday)."""
_TRADING_KEYS = tuple(-d.toordinal() for d in TRADING_DAYS)
_TRADING_ISO = tuple(d.isoformat() for d in TRADING_DAYS)
"""Minus the ordinals of :data:`TRADING_DAYS` (ascending, for bisection)."""


@dataclass(frozen=True, slots=True)
class Stock:
    symbol: str
    name: str
    sector: str
    country_code: str
    exchange: str
    currency: str
    hq_city_id: str
    ceo: str
    employees: int
    founded: int
    shares_outstanding: int
    closes: tuple[float, ...]
    """Closing prices on :data:`TRADING_DAYS` (index 0 = TODAY)."""
    volumes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Coin:
    coin_id: str
    name: str
    symbol: str
    supply: int
    launched: int
    prices: tuple[float, ...]
    """USD price, index k = k days before TODAY."""


@dataclass(frozen=True)
class FinanceData:
    per_usd: Mapping[str, tuple[float, ...]]
    """Units of each currency per US dollar; index k = k days before TODAY."""
    stocks: Mapping[str, Stock]
    stock_list: tuple[Stock, ...]
    stock_keys: tuple[tuple[str, Stock], ...]
    coins: Mapping[str, Coin]
    coin_ranking: tuple[Coin, ...]
    """Coins by market capitalisation, largest first."""

    # Derived lookups (not fields: no part of the world's content; see helpers.warm).
    @cached_property
    def stock_index(self) -> SearchIndex[Stock]:
        return SearchIndex.of_rows(self.stock_keys, name=lambda s: s.name)

    @cached_property
    def coin_rank(self) -> Mapping[str, int]:
        """Coin id → its rank (1 = largest market capitalisation)."""
        return {c.coin_id: i for i, c in enumerate(self.coin_ranking, start=1)}

    @cached_property
    def coin_keys(self) -> tuple[tuple[Coin, str, str], ...]:
        """(coin, lower-case symbol, normalised name), in :attr:`coin_ranking` order."""
        return tuple((c, c.symbol.lower(), norm(c.name)) for c in self.coin_ranking)

    @cached_property
    def movers(self) -> dict[tuple[str, str | None], tuple[dict[str, Any], ...]]:
        """(direction, sector) → top_movers rows (filled on first use; shared: callers
        copy them)."""
        return {}


def sig(x: float, digits: int = 6) -> float:
    """``x`` rounded to ``digits`` significant digits."""
    return float(f"{x:.{digits}g}") if x else 0.0


def _symbol(rng: StableRng, base: str, taken: set[str]) -> str:
    up = "".join(ch for ch in base.upper() if ch.isalpha())
    for cand in (up[:4], up[:3], up[0] + up[2:5], up[:2] + up[-1], up[0] + up[-2:]):
        if len(cand) >= 3 and cand not in taken:
            taken.add(cand)
            return cand
    while True:
        cand = up[0] + "".join(rng.choice(_ALPHA) for _ in range(3))
        if cand not in taken:
            taken.add(cand)
            return cand


@DOMAIN.builder
def build(rng: StableRng, world: Mapping[str, Any]) -> FinanceData:
    g: GeoData = world["geography"]
    missing = [c for c in CURRENCIES if c not in CURRENCY_INFO]
    if missing:
        raise RuntimeError(f"finance: no exchange rates for {missing}")
    per_usd: dict[str, tuple[float, ...]] = {}
    for code, (_, base_rate) in CURRENCY_INFO.items():
        if code == "USD":
            per_usd[code] = (1.0,) * (HISTORY_DAYS + 1)
            continue
        x = base_rate * rng.uniform(0.8, 1.25)
        series = [x]
        for _ in range(HISTORY_DAYS):
            x *= 1 + rng.uniform(-0.006, 0.006)
            series.append(x)
        per_usd[code] = tuple(series)

    taken = set(CURRENCY_INFO)
    bases = unique(rng, lambda r: word(r, (2, 2)), N_STOCKS)
    stocks: dict[str, Stock] = {}
    for i, base in enumerate(bases):
        sector = SECTOR_NAMES[i % len(SECTOR_NAMES)]
        name = f"{base} {rng.choice(SECTORS[sector])}"
        symbol = _symbol(rng, base, taken)
        city = rng.choice(g.city_list)
        country = g.countries[city.country_code]
        price = 10 ** rng.uniform(1.0, 2.6) * per_usd[country.currency][0]
        closes = [price]
        for _ in range(N_TRADING_DAYS - 1):
            closes.append(closes[-1] / (1 + rng.uniform(-0.025, 0.026)))
        vol = rng.randint(50, 5000) * 1000
        stocks[symbol] = Stock(
            symbol=symbol,
            name=name,
            sector=sector,
            country_code=country.code,
            exchange=f"{country.name} Stock Exchange",
            currency=country.currency,
            hq_city_id=city.city_id,
            ceo=person(rng),
            employees=rng.randint(80, 4000) * 25,
            founded=rng.randint(1890, 2015),
            shares_outstanding=rng.randint(20, 3000) * 1_000_000,
            closes=tuple(money(c) for c in closes),
            volumes=tuple(int(vol * rng.uniform(0.5, 1.6)) for _ in range(N_TRADING_DAYS)),
        )
    stock_list = tuple(sorted(stocks.values(), key=lambda s: s.name))

    coin_names = unique(
        rng,
        lambda r: word(r, (1, 2)) + r.choice(("", "coin", "chain", "x", "swap", "cash")),
        N_COINS,
        taken={b.lower() for b in bases},
    )
    coins: dict[str, Coin] = {}
    for name in coin_names:
        p = 10 ** rng.uniform(-2.3, 4.6)
        prices = [p]
        for _ in range(COIN_HISTORY_DAYS):
            p /= 1 + rng.uniform(-0.05, 0.052)
            prices.append(p)
        coin_id = name.lower()
        coins[coin_id] = Coin(
            coin_id=coin_id,
            name=name,
            symbol=_symbol(rng, name, taken),
            supply=int(10 ** rng.uniform(6.0, 9.6)),
            launched=rng.randint(2009, 2023),
            prices=tuple(sig(x) for x in prices),
        )
    ranking = tuple(sorted(coins.values(), key=lambda c: (-c.prices[0] * c.supply, c.coin_id)))
    data = FinanceData(
        per_usd=per_usd,
        stocks=stocks,
        stock_list=stock_list,
        stock_keys=tuple((search_text(s.name, s.symbol), s) for s in stock_list),
        coins=coins,
        coin_ranking=ranking,
    )
    return warm(data)


# ---------------------------------------------------------------- shared helpers
def fin(state_or_world: WorldState | World) -> FinanceData:
    return domain_data(state_or_world, "finance")


def rate_on(d: FinanceData, base: str, target: str, days_ago: int = 0) -> float:
    """Exact (unrounded) rate base → target ``days_ago`` days before TODAY."""
    return d.per_usd[target][days_ago] / d.per_usd[base][days_ago]


def convert(d: FinanceData, amount: float, base: str, target: str) -> float:
    """What :func:`convert_currency` returns as ``result``."""
    return money(amount * rate_on(d, base, target))


def convert_call(
    amount: float,
    base: str,
    target: str,
    depends_on: tuple[int, ...] = (),
    match: tuple[str, ...] | None = None,
) -> GoldCall:
    """The gold call of :func:`convert_currency` for ``amount`` ``base`` → ``target``."""
    return GoldCall(
        "currency_exchange",
        "convert_currency",
        {"amount": amount, "from_currency": base, "to_currency": target},
        depends_on,
        match=match,
    )


def _currency(value: Any, name: str) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    if code not in CURRENCY_INFO:
        raise ApiInputError(
            f"unknown currency {value!r} for {name!r}; call list_currencies for the codes"
        )
    return code


def _amount(value: Any, name: str = "amount") -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not (0 <= value <= 1e12):
        raise ApiInputError(f"{name} must be a number between 0 and 1e12")
    return float(value)


def _days_ago(value: Any, name: str, limit: int) -> int:
    when = parse_date(value, name)
    k = (TODAY - when).days
    if k < 0:
        raise ApiInputError(f"{name} {when.isoformat()} is in the future (today is {TODAY})")
    if k > limit:
        earliest = (TODAY - dt.timedelta(days=limit)).isoformat()
        raise ApiInputError(f"no data before {earliest}")
    return k


# ---------------------------------------------------------------- currency_exchange
@DOMAIN.api("currency_exchange", "list_currencies")
def list_currencies(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    return {"currencies": [{"code": c, "name": n} for c, (n, _) in sorted(CURRENCY_INFO.items())]}


@DOMAIN.api("currency_exchange", "get_exchange_rate")
def get_exchange_rate(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = fin(state)
    base = _currency(args["base"], "base")
    target = _currency(args["target"], "target")
    return {
        "base": base,
        "target": target,
        "rate": sig(rate_on(d, base, target)),
        "date": TODAY.isoformat(),
    }


@DOMAIN.api("currency_exchange", "convert_currency")
def convert_currency(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = fin(state)
    amount = _amount(args["amount"])
    base = _currency(args["from_currency"], "from_currency")
    target = _currency(args["to_currency"], "to_currency")
    rate = rate_on(d, base, target)
    return {
        "from_currency": base,
        "to_currency": target,
        "amount": args["amount"],
        "rate": sig(rate),
        "result": money(amount * rate),
        "date": TODAY.isoformat(),
    }


@DOMAIN.api("currency_exchange", "historical_rate")
def historical_rate(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = fin(state)
    base = _currency(args["base"], "base")
    target = _currency(args["target"], "target")
    k = _days_ago(args["date"], "date", HISTORY_DAYS)
    return {
        "base": base,
        "target": target,
        "rate": sig(rate_on(d, base, target, k)),
        "date": (TODAY - dt.timedelta(days=k)).isoformat(),
    }


# ---------------------------------------------------------------- stock_market
def _stock(state: WorldState, symbol: Any) -> Stock:
    key = symbol.strip().upper() if isinstance(symbol, str) else symbol
    return get_by_id(fin(state).stocks, key, "stock symbol")


def _quote(s: Stock) -> dict[str, Any]:
    price, prev = s.closes[0], s.closes[1]
    change = money(price - prev)
    return {
        "symbol": s.symbol,
        "name": s.name,
        "price": price,
        "currency": s.currency,
        "previous_close": prev,
        "change": change,
        "change_percent": round((price - prev) / prev * 100, 2),
        "volume": s.volumes[0],
        "market_cap": int(price * s.shares_outstanding),
        "exchange": s.exchange,
        "as_of": TODAY.isoformat(),
    }


@DOMAIN.api("stock_market", "search_ticker")
def search_ticker(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    q = require_text(args, "query")
    found = keyword_find(fin(state).stock_index, q)
    if norm(q).upper() in fin(state).stocks:
        exact = fin(state).stocks[norm(q).upper()]
        found = [exact, *(s for s in found if s is not exact)]
    return paginate(
        found,
        args.get("page", 1),
        5,
        lambda s: {"symbol": s.symbol, "name": s.name, "exchange": s.exchange},
    )


@DOMAIN.api("stock_market", "get_quote")
def get_quote(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    return _quote(_stock(state, args["symbol"]))


@DOMAIN.api("stock_market", "price_history")
def price_history(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    s = _stock(state, args["symbol"])
    end = parse_date(args["end_date"], "end_date") if args.get("end_date") else TODAY
    if end > TODAY:
        raise ApiInputError(f"end_date {end} is in the future (today is {TODAY})")
    if end < TRADING_DAYS[-1]:
        raise ApiInputError(f"price history starts on {TRADING_DAYS[-1].isoformat()}")
    start = (
        parse_date(args["start_date"], "start_date")
        if args.get("start_date")
        else max(TRADING_DAYS[-1], end - dt.timedelta(days=30))
    )
    if start > end:
        raise ApiInputError("start_date must not be after end_date")
    if start < TRADING_DAYS[-1]:
        raise ApiInputError(f"price history starts on {TRADING_DAYS[-1].isoformat()}")
    # TRADING_DAYS runs backwards, so the days from start to end are a range of indexes
    idx = range(
        bisect_left(_TRADING_KEYS, -end.toordinal()),
        bisect_right(_TRADING_KEYS, -start.toordinal()),
    )
    out = paginate(
        idx,
        args.get("page", 1),
        10,
        lambda i: {
            "date": _TRADING_ISO[i],
            "close": s.closes[i],
            "volume": s.volumes[i],
        },
    )
    return {"symbol": s.symbol, "currency": s.currency, **out}


@DOMAIN.api("stock_market", "company_profile")
def company_profile(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    s = _stock(state, args["symbol"])
    g = geo(state)
    city = g.cities[s.hq_city_id]
    return {
        "symbol": s.symbol,
        "name": s.name,
        "sector": s.sector,
        "ceo": s.ceo,
        "employees": s.employees,
        "founded": s.founded,
        "headquarters": city.name,
        "headquarters_city_id": city.city_id,
        "country_code": s.country_code,
        "exchange": s.exchange,
        "currency": s.currency,
        "shares_outstanding": s.shares_outstanding,
    }


@DOMAIN.api("stock_market", "top_movers")
def top_movers(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    direction = args.get("direction", "gainers")
    if direction not in ("gainers", "losers"):
        raise ApiInputError("direction must be 'gainers' or 'losers'")
    sector = args.get("sector")
    if sector and sector not in SECTORS:
        raise ApiInputError(f"unknown sector {sector!r}; one of {', '.join(SECTOR_NAMES)}")
    d = fin(state)
    top = d.movers.get((direction, sector))
    if top is None:
        quotes = [_quote(s) for s in d.stock_list if not sector or s.sector == sector]
        sign = -1 if direction == "gainers" else 1
        quotes.sort(key=lambda q: (sign * q["change_percent"], q["symbol"]))
        keep = ("symbol", "name", "price", "currency", "change_percent")
        top = tuple({k: q[k] for k in keep} for q in quotes[:5])
        d.movers[direction, sector] = top
    return {
        "direction": direction,
        "sector": sector or "all",
        "results": [dict(r) for r in top],
    }


# ---------------------------------------------------------------- crypto_prices
def _coin(state: WorldState, coin_id: Any) -> Coin:
    key = coin_id.strip().lower() if isinstance(coin_id, str) else coin_id
    return get_by_id(fin(state).coins, key, "coin")


def _rank(d: FinanceData, c: Coin) -> int:
    return d.coin_rank[c.coin_id]


@DOMAIN.api("crypto_prices", "search_coin")
def search_coin(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    q = norm(require_text(args, "query"))
    d = fin(state)
    found = [
        c
        for c, symbol, name in d.coin_keys
        if c.coin_id.startswith(q) or symbol == q or name.startswith(q)
    ]
    found.sort(key=lambda c: 0 if q in (c.coin_id, c.symbol.lower()) else 1)
    return {
        "results": [{"coin_id": c.coin_id, "name": c.name, "symbol": c.symbol} for c in found[:10]]
    }


@DOMAIN.api("crypto_prices", "coin_price")
def coin_price(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = fin(state)
    c = _coin(state, args["coin_id"])
    vs = _currency(args.get("vs_currency", "USD"), "vs_currency")
    r = rate_on(d, "USD", vs)
    return {
        "coin_id": c.coin_id,
        "symbol": c.symbol,
        "vs_currency": vs,
        "price": sig(c.prices[0] * r),
        "change_24h_percent": round((c.prices[0] / c.prices[1] - 1) * 100, 2),
        "market_cap": int(c.prices[0] * c.supply * r),
        "rank": _rank(d, c),
        "as_of": TODAY.isoformat(),
    }


@DOMAIN.api("crypto_prices", "coin_history")
def coin_history(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    c = _coin(state, args["coin_id"])
    k = _days_ago(args["date"], "date", COIN_HISTORY_DAYS)
    return {
        "coin_id": c.coin_id,
        "date": (TODAY - dt.timedelta(days=k)).isoformat(),
        "price_usd": c.prices[k],
    }


@DOMAIN.api("crypto_prices", "list_top_coins")
def list_top_coins(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    d = fin(state)
    ranked = list(enumerate(d.coin_ranking, start=1))
    return paginate(
        ranked,
        args.get("page", 1),
        10,
        lambda rc: {
            "rank": rc[0],
            "coin_id": rc[1].coin_id,
            "name": rc[1].name,
            "symbol": rc[1].symbol,
            "price_usd": rc[1].prices[0],
            "market_cap_usd": int(rc[1].prices[0] * rc[1].supply),
        },
    )


# ---------------------------------------------------------------- tasks
AMOUNTS = (
    20,
    50,
    75,
    100,
    120,
    150,
    200,
    250,
    300,
    400,
    500,
    750,
    800,
    1000,
    1200,
    1500,
    2000,
    2500,
    3000,
    5000,
    10000,
)


def _two_currencies(rng: StableRng) -> tuple[str, str]:
    a, b = rng.sample(CURRENCIES, 2)
    return a, b


def _pick_stock(rng: StableRng, world: World) -> Stock:
    return rng.choice(fin(world).stock_list)


def _ticker(s: Stock) -> GoldCall:
    return GoldCall("stock_market", "search_ticker", {"query": s.name})


@DOMAIN.task("fin.convert", group="G1", tools=("currency_exchange",))
def task_convert(rng: StableRng, world: World) -> TaskDraft:
    a, b = _two_currencies(rng)
    amount = rng.choice(AMOUNTS)
    result = convert(fin(world), amount, a, b)
    return TaskDraft(
        slots={"amount": str(amount), "from_currency": a, "to_currency": b},
        gold=(convert_call(amount, a, b),),
        facts=(AnswerFact(result, "converted amount"),),
        answer=f"{amount} {a} is {fmt(result)} {b} at today's rate.",
    )


@DOMAIN.task("fin.historical_rate", group="G1", tools=("currency_exchange",))
def task_historical_rate(rng: StableRng, world: World) -> TaskDraft:
    a, b = _two_currencies(rng)
    k = rng.randint(1, HISTORY_DAYS)
    date = day(-k)
    rate = sig(rate_on(fin(world), a, b, k))
    return TaskDraft(
        slots={"base": a, "target": b, "date": date},
        gold=(
            GoldCall(
                "currency_exchange", "historical_rate", {"base": a, "target": b, "date": date}
            ),
        ),
        facts=(AnswerFact(rate, "rate"),),
        answer=f"On {date} one {a} was worth {fmt(rate)} {b}.",
    )


@DOMAIN.task("fin.rate_then_now", group="G1", tools=("currency_exchange",))
def task_rate_then_now(rng: StableRng, world: World) -> TaskDraft:
    d = fin(world)
    a, b = _two_currencies(rng)
    k = rng.randint(7, HISTORY_DAYS)
    date = day(-k)
    then, now = sig(rate_on(d, a, b, k)), sig(rate_on(d, a, b))
    return TaskDraft(
        slots={"base": a, "target": b, "date": date},
        gold=(
            GoldCall(
                "currency_exchange", "historical_rate", {"base": a, "target": b, "date": date}
            ),
            GoldCall("currency_exchange", "get_exchange_rate", {"base": a, "target": b}),
        ),
        facts=(AnswerFact(then, "rate then"), AnswerFact(now, "rate now")),
        answer=f"On {date} 1 {a} bought {fmt(then)} {b}; today it buys {fmt(now)} {b}.",
    )


@DOMAIN.task("fin.stock_quote", group="G1", tools=("stock_market",))
def task_stock_quote(rng: StableRng, world: World) -> TaskDraft:
    s = _pick_stock(rng, world)
    q = _quote(s)
    return TaskDraft(
        slots={"company": s.name},
        gold=(
            _ticker(s),
            GoldCall("stock_market", "get_quote", {"symbol": s.symbol}, (0,)),
        ),
        facts=(AnswerFact(q["price"], "price"), AnswerFact(q["change_percent"], "change %")),
        answer=(
            f"{s.name} ({s.symbol}) trades at {fmt(q['price'])} {s.currency}, "
            f"a change of {fmt(q['change_percent'])}% today."
        ),
    )


@DOMAIN.task("fin.company_profile", group="G1", tools=("stock_market",))
def task_company_profile(rng: StableRng, world: World) -> TaskDraft:
    s = _pick_stock(rng, world)
    hq = geo(world).cities[s.hq_city_id].name
    return TaskDraft(
        slots={"company": s.name},
        gold=(
            _ticker(s),
            GoldCall("stock_market", "company_profile", {"symbol": s.symbol}, (0,)),
        ),
        facts=(AnswerFact(s.ceo, "ceo"), AnswerFact(hq, "headquarters")),
        answer=f"{s.name} is led by {s.ceo} and headquartered in {hq}.",
    )


@DOMAIN.task("fin.stock_high", group="G1", tools=("stock_market",))
@retrying
def task_stock_high(rng: StableRng, world: World) -> TaskDraft | None:
    s = _pick_stock(rng, world)
    end_i = rng.randint(0, 100)
    span = rng.randint(11, 18)
    start_i = end_i + span - 1
    start, end = TRADING_DAYS[start_i].isoformat(), TRADING_DAYS[end_i].isoformat()
    window = s.closes[end_i : start_i + 1]
    best = max(window)
    if window.count(best) > 1:
        return None
    when = TRADING_DAYS[end_i + window.index(best)].isoformat()
    args = {"symbol": s.symbol, "start_date": start, "end_date": end}
    return TaskDraft(
        slots={"company": s.name, "start_date": start, "end_date": end},
        gold=(
            _ticker(s),
            GoldCall("stock_market", "price_history", {**args, "page": 1}, (0,)),
            GoldCall("stock_market", "price_history", {**args, "page": 2}, (1,)),
        ),
        facts=(AnswerFact(best, "highest close"),),
        answer=(
            f"Between {start} and {end} the highest close of {s.name} was "
            f"{fmt(best)} {s.currency}, on {when}."
        ),
    )


@DOMAIN.task("fin.coin_price", group="G1", tools=("crypto_prices",))
def task_coin_price(rng: StableRng, world: World) -> TaskDraft:
    d = fin(world)
    c = rng.choice(d.coin_ranking)
    cur = rng.choice(CURRENCIES)
    price = sig(c.prices[0] * rate_on(d, "USD", cur))
    return TaskDraft(
        slots={"coin": c.name, "currency": cur},
        gold=(
            GoldCall("crypto_prices", "search_coin", {"query": c.name}),
            GoldCall(
                "crypto_prices", "coin_price", {"coin_id": c.coin_id, "vs_currency": cur}, (0,)
            ),
        ),
        facts=(AnswerFact(price, "price"),),
        answer=f"One {c.name} ({c.symbol}) costs {fmt(price)} {cur} right now.",
    )


@DOMAIN.task("fin.coin_history", group="G1", tools=("crypto_prices",))
def task_coin_history(rng: StableRng, world: World) -> TaskDraft:
    d = fin(world)
    c = rng.choice(d.coin_ranking)
    k = rng.randint(2, COIN_HISTORY_DAYS)
    date = day(-k)
    return TaskDraft(
        slots={"coin": c.name, "date": date},
        gold=(
            GoldCall("crypto_prices", "search_coin", {"query": c.name}),
            GoldCall("crypto_prices", "coin_history", {"coin_id": c.coin_id, "date": date}, (0,)),
            GoldCall(
                "crypto_prices", "coin_price", {"coin_id": c.coin_id}, (0,), match=("coin_id",)
            ),
        ),
        facts=(AnswerFact(c.prices[k], "price then"), AnswerFact(c.prices[0], "price now")),
        answer=(
            f"{c.name} was worth {fmt(c.prices[k])} USD on {date} and is worth "
            f"{fmt(c.prices[0])} USD today."
        ),
    )


@DOMAIN.task("fin.coin_rank", group="G1", tools=("crypto_prices",))
def task_coin_rank(rng: StableRng, world: World) -> TaskDraft:
    d = fin(world)
    rank = rng.randint(1, N_COINS)
    c = d.coin_ranking[rank - 1]
    cur = rng.choice(CURRENCIES)
    price = sig(c.prices[0] * rate_on(d, "USD", cur))
    page = (rank - 1) // 10 + 1
    answer = f"The {ordinal(rank)} largest coin is {c.name}; it costs {fmt(price)} {cur}."
    return TaskDraft(
        slots={"rank": ordinal(rank), "currency": cur},
        gold=(
            GoldCall("crypto_prices", "list_top_coins", {"page": page}),
            GoldCall(
                "crypto_prices", "coin_price", {"coin_id": c.coin_id, "vs_currency": cur}, (0,)
            ),
        ),
        facts=(
            chosen_fact(c.name, "coin", answer, (x.name for x in d.coin_ranking)),
            AnswerFact(price, "price"),
        ),
        answer=answer,
    )


@DOMAIN.task("fin.stock_in_currency", group="G2", tools=("stock_market", "currency_exchange"))
@retrying
def task_stock_in_currency(rng: StableRng, world: World) -> TaskDraft | None:
    s = _pick_stock(rng, world)
    cur = rng.choice(CURRENCIES)
    if cur == s.currency:
        return None
    price = s.closes[0]
    value = convert(fin(world), price, s.currency, cur)
    return TaskDraft(
        slots={"company": s.name, "currency": cur},
        gold=(
            _ticker(s),
            GoldCall("stock_market", "get_quote", {"symbol": s.symbol}, (0,)),
            convert_call(price, s.currency, cur, (1,)),
        ),
        facts=(AnswerFact(value, "price converted"),),
        answer=(f"{s.name} trades at {fmt(price)} {s.currency}, which is {fmt(value)} {cur}."),
    )


@DOMAIN.task("fin.shares_value", group="G2", tools=("stock_market", "currency_exchange"))
@retrying
def task_shares_value(rng: StableRng, world: World) -> TaskDraft | None:
    s = _pick_stock(rng, world)
    cur = rng.choice(CURRENCIES)
    if cur == s.currency:
        return None
    qty = rng.choice((5, 10, 12, 20, 25, 40, 50, 75, 100, 150, 200, 250, 500))
    total = money(qty * s.closes[0])
    value = convert(fin(world), total, s.currency, cur)
    return TaskDraft(
        slots={"shares": str(qty), "company": s.name, "currency": cur},
        gold=(
            _ticker(s),
            GoldCall("stock_market", "get_quote", {"symbol": s.symbol}, (0,)),
            convert_call(total, s.currency, cur, (1,), match=("from_currency", "to_currency")),
        ),
        facts=(AnswerFact(value, "holding value"),),
        answer=(
            f"{qty} shares of {s.name} at {fmt(s.closes[0])} {s.currency} are worth "
            f"{fmt(total)} {s.currency}, i.e. {fmt(value)} {cur}."
        ),
    )


@DOMAIN.task("fin.mover_in_currency", group="G2", tools=("stock_market", "currency_exchange"))
@retrying
def task_mover_in_currency(rng: StableRng, world: World) -> TaskDraft | None:
    sector = rng.choice(SECTOR_NAMES)
    direction = rng.choice(("gainers", "losers"))
    cur = rng.choice(CURRENCIES)
    movers = run_api(world, top_movers, direction=direction, sector=sector)["results"]
    top = movers[0]
    if len(movers) < 2 or top["change_percent"] == movers[1]["change_percent"]:
        return None
    if top["currency"] == cur or (top["change_percent"] > 0) != (direction == "gainers"):
        return None
    value = convert(fin(world), top["price"], top["currency"], cur)
    word_dir = "gained the most" if direction == "gainers" else "lost the most"
    answer = (
        f"{top['name']} {word_dir} today ({fmt(top['change_percent'])}%); its price of "
        f"{fmt(top['price'])} {top['currency']} is {fmt(value)} {cur}."
    )
    return TaskDraft(
        slots={
            "sector": sector,
            "movement": "risen" if direction == "gainers" else "fallen",
            "currency": cur,
        },
        gold=(
            GoldCall("stock_market", "top_movers", {"direction": direction, "sector": sector}),
            convert_call(top["price"], top["currency"], cur, (0,)),
        ),
        facts=(
            chosen_fact(top["name"], "company", answer, (m["name"] for m in movers[1:])),
            AnswerFact(value, "price converted"),
        ),
        answer=answer,
    )


@DOMAIN.task(
    "fin.hq_distance",
    group="G3",
    tools=("stock_market", "geodb_cities", "distance_calculator"),
)
@retrying
def task_hq_distance(rng: StableRng, world: World) -> TaskDraft | None:
    g = geo(world)
    s = _pick_stock(rng, world)
    hq = g.cities[s.hq_city_id]
    other = rng.choice(g.city_list)
    if other.city_id == hq.city_id:
        return None
    hits = run_api(world, geo_search_cities, query=other.name)["results"]
    if other.city_id not in {h["city_id"] for h in hits}:
        return None
    km = haversine_km(hq, other)
    return TaskDraft(
        slots={"company": s.name, "city": other.name},
        gold=(
            _ticker(s),
            GoldCall("stock_market", "company_profile", {"symbol": s.symbol}, (0,)),
            GoldCall("geodb_cities", "search_cities", {"query": other.name}),
            GoldCall(
                "distance_calculator",
                "city_distance",
                {"city_id_a": hq.city_id, "city_id_b": other.city_id},
                (1, 2),
            ),
        ),
        facts=(AnswerFact(hq.name, "headquarters"), AnswerFact(km, "distance km")),
        answer=f"{s.name} is headquartered in {hq.name}, {fmt(km)} km from {other.name}.",
    )
