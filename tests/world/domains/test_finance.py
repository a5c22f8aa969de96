"""Behaviour of the finance domain: exchange rates, stock market and crypto prices."""

from __future__ import annotations

import datetime as dt

import pytest

from steptool_env.world.domains import finance
from steptool_env.world.domains.geography import CURRENCIES
from steptool_env.world.helpers import TODAY, ApiInputError, day
from steptool_env.world.state import World, WorldState
from tests.world.domains.support import build_world
from tests.world.domains.support import checked_call as call


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(("geography", "finance"))


def test_every_country_currency_converts_and_round_trips(state: WorldState) -> None:
    listed = {c["code"] for c in call(state, "currency_exchange", "list_currencies")["currencies"]}
    assert set(CURRENCIES) <= listed
    for code in CURRENCIES:
        there = call(
            state,
            "currency_exchange",
            "convert_currency",
            amount=100,
            from_currency="USD",
            to_currency=code,
        )["result"]
        assert there > 0
        back = call(
            state,
            "currency_exchange",
            "convert_currency",
            amount=there,
            from_currency=code,
            to_currency="USD",
        )["result"]
        assert back == pytest.approx(100, abs=0.02)


def test_conversion_agrees_with_the_quoted_rate(state: WorldState) -> None:
    rate = call(state, "currency_exchange", "get_exchange_rate", base="EUR", target="JPY")["rate"]
    out = call(
        state,
        "currency_exchange",
        "convert_currency",
        amount=250,
        from_currency="eur",
        to_currency="jpy",
    )
    assert out["to_currency"] == "JPY"
    assert out["result"] == pytest.approx(250 * rate, rel=1e-5)


def test_historical_rates_move_and_are_bounded_in_time(state: WorldState) -> None:
    today = call(state, "currency_exchange", "get_exchange_rate", base="GBP", target="SEK")
    same = call(
        state, "currency_exchange", "historical_rate", base="GBP", target="SEK", date=day(0)
    )
    assert same["rate"] == today["rate"]
    past = {
        call(state, "currency_exchange", "historical_rate", base="GBP", target="SEK", date=day(-k))[
            "rate"
        ]
        for k in (10, 100, 300)
    }
    assert len(past) == 3
    with pytest.raises(ApiInputError, match="future"):
        call(state, "currency_exchange", "historical_rate", base="GBP", target="SEK", date=day(1))
    with pytest.raises(ApiInputError, match="no data before"):
        call(
            state,
            "currency_exchange",
            "historical_rate",
            base="GBP",
            target="SEK",
            date=day(-400),
        )


def test_unknown_currency_is_bad_input(state: WorldState) -> None:
    with pytest.raises(ApiInputError, match="unknown currency"):
        call(state, "currency_exchange", "get_exchange_rate", base="XXX", target="USD")
    with pytest.raises(ApiInputError):
        call(
            state,
            "currency_exchange",
            "convert_currency",
            amount=-5,
            from_currency="USD",
            to_currency="EUR",
        )


def test_ticker_search_then_quote_and_profile(world: World, state: WorldState) -> None:
    stock = finance.fin(world).stock_list[7]
    found = call(state, "stock_market", "search_ticker", query=stock.name)
    assert found["results"][0]["symbol"] == stock.symbol
    quote = call(state, "stock_market", "get_quote", symbol=stock.symbol.lower())
    assert quote["name"] == stock.name
    assert quote["price"] == stock.closes[0]
    assert quote["change"] == pytest.approx(stock.closes[0] - stock.closes[1], abs=0.011)
    profile = call(state, "stock_market", "company_profile", symbol=stock.symbol)
    assert profile["headquarters_city_id"] == stock.hq_city_id
    with pytest.raises(ApiInputError, match="no stock symbol"):
        call(state, "stock_market", "get_quote", symbol="NOPE")


def test_price_history_pages_through_trading_days(world: World, state: WorldState) -> None:
    stock = finance.fin(world).stock_list[0]
    start, end = day(-27), day(-3)
    p1 = call(
        state, "stock_market", "price_history", symbol=stock.symbol, start_date=start, end_date=end
    )
    assert p1["total_pages"] == 2 and len(p1["results"]) == 10
    p2 = call(
        state,
        "stock_market",
        "price_history",
        symbol=stock.symbol,
        start_date=start,
        end_date=end,
        page=2,
    )
    rows = p1["results"] + p2["results"]
    assert len(rows) == p1["total_results"]
    dates = [r["date"] for r in rows]
    assert dates == sorted(dates, reverse=True)
    assert all(start <= d <= end for d in dates)
    assert all(dt.date.fromisoformat(d).weekday() < 5 for d in dates)
    with pytest.raises(ApiInputError, match="out of range"):
        call(
            state,
            "stock_market",
            "price_history",
            symbol=stock.symbol,
            start_date=start,
            end_date=end,
            page=3,
        )
    with pytest.raises(ApiInputError, match="history starts"):
        call(state, "stock_market", "price_history", symbol=stock.symbol, end_date="0001-01-01")


def test_top_movers_are_ordered_and_filtered(state: WorldState) -> None:
    up = call(state, "stock_market", "top_movers", sector="Energy")["results"]
    pct = [r["change_percent"] for r in up]
    assert pct == sorted(pct, reverse=True)
    down = call(state, "stock_market", "top_movers", direction="losers")["results"]
    assert [r["change_percent"] for r in down] == sorted(r["change_percent"] for r in down)
    energy = {s.symbol for s in finance.fin(state.world).stock_list if s.sector == "Energy"}
    assert {r["symbol"] for r in up} <= energy


def test_coin_price_in_other_currency_uses_the_exchange_rate(
    world: World, state: WorldState
) -> None:
    coin = finance.fin(world).coin_ranking[3]
    hit = call(state, "crypto_prices", "search_coin", query=coin.name)["results"][0]
    assert hit["coin_id"] == coin.coin_id
    usd = call(state, "crypto_prices", "coin_price", coin_id=coin.coin_id)
    eur = call(state, "crypto_prices", "coin_price", coin_id=coin.coin_id, vs_currency="EUR")
    rate = call(state, "currency_exchange", "get_exchange_rate", base="USD", target="EUR")["rate"]
    assert usd["rank"] == 4
    assert eur["price"] == pytest.approx(usd["price"] * rate, rel=1e-4)
    old = call(state, "crypto_prices", "coin_history", coin_id=coin.coin_id, date=day(-30))
    assert old["price_usd"] == coin.prices[30]
    with pytest.raises(ApiInputError):
        call(state, "crypto_prices", "coin_history", coin_id=coin.coin_id, date=day(-400))


def test_top_coins_are_ranked_by_market_cap(state: WorldState) -> None:
    rows = []
    for page in (1, 2, 3):
        rows += call(state, "crypto_prices", "list_top_coins", page=page)["results"]
    caps = [r["market_cap_usd"] for r in rows]
    assert caps == sorted(caps, reverse=True)
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    with pytest.raises(ApiInputError):
        call(state, "crypto_prices", "list_top_coins", page=99)


def test_heldout_tool_only_in_g1_task_types() -> None:
    users = [t for t in finance.DOMAIN.task_types.values() if finance.HELDOUT_TOOL in t.tools]
    assert len(users) >= 2
    assert all(t.group == "G1" for t in users)


def test_build_is_deterministic() -> None:
    a = finance.fin(build_world(("geography", "finance"), 5))
    b = finance.fin(build_world(("geography", "finance"), 5))
    c = finance.fin(build_world(("geography", "finance"), 6))
    assert [s.closes for s in a.stock_list] == [s.closes for s in b.stock_list]
    assert a.per_usd == b.per_usd
    assert a.per_usd != c.per_usd
    assert finance.TRADING_DAYS[0] == TODAY
