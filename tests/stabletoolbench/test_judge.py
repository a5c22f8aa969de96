"""The grounded IsSolved rule on hand-made responses: what counts as a salient value, what
quotes it, and how relevant APIs combine into 1, 0.5 or 0. (The env-level behaviour, the
lenient rule by name and the pass rates on the real files are in
tests/envs/test_stabletoolbench_env.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from steptool_env.stabletoolbench.judge import (
    DEFAULT_IS_SOLVED_RULE,
    IS_SOLVED_RULES,
    grounded_is_solved,
    lenient_is_solved,
    quotes,
    rule_is_solved,
    salient_values,
)

QUERY = "What is the weather in Paris tomorrow? Give me the top 10 forecasts."
WEATHER = {
    "city": "Paris",
    "temperature": 23.5,
    "humidity": 64,
    "condition": "light drizzle",
    "station_id": "stn_8f3a2b91",
    "count": 10,
    "ok": True,
    "alerts": None,
    "page": 1,
}
HOTEL = {"hotels": [{"name": "Hotel Lumiere Montmartre", "price": 189}]}


def _call(response: Any, function: str = "forecast_for_weather_hub", **args: Any) -> tuple:
    return (function, args, response)


# ----------------------------------------------------------------------------------------
# Salient values
# ----------------------------------------------------------------------------------------


def test_salient_values_of_a_response() -> None:
    values = salient_values(WEATHER, QUERY, {"city": "Paris"})
    assert 23.5 in values and 64.0 in values
    assert "light drizzle" in values
    assert "stn 8f3a2b91" in values and "8f3a2b91" in values  # whole, and its code word
    assert "paris" not in values  # a word of the query (and an echoed argument)
    assert 10.0 not in values  # a number the query states
    assert 1.0 not in values  # small integers, booleans and nulls are too common
    assert not any(v in ("true", "none", "null") for v in values)
    assert not any(isinstance(v, str) and "station" in v for v in values)  # keys never


def test_salient_values_keep_response_order_without_repeats() -> None:
    response = [{"id": "a1b2c3d4"}, {"id": "a1b2c3d4"}, {"score": 812}]
    assert salient_values(response) == ["a1b2c3d4", 812.0]


@pytest.mark.parametrize(
    "response",
    [
        {},
        [],
        None,
        {"isAvailable": False},
        {"categories": [{"category": None}] * 3},
        {"status": "success", "count": 3},
        {"error": "", "message": "ok"},
    ],
)
def test_responses_with_nothing_to_quote(response: Any) -> None:
    assert salient_values(response) == []


def test_arguments_and_function_name_are_not_evidence() -> None:
    response = {"symbol": "MSFT", "brand": "Airbus", "note": "forecast weather hub"}
    values = salient_values(
        response, "", {"symbol": "MSFT", "brand": "airbus"}, "forecast_for_weather_hub"
    )
    assert values == []


def test_numeric_strings_are_numbers() -> None:
    assert salient_values({"price": "1,299.00", "zip": "75001"}) == [1299.0, 75001.0]
    assert salient_values({"height": "1.83"}, "", {"height": 1.83}) == []


def test_long_text_offers_windows_and_codes() -> None:
    text = "The museum reopens after renovation with exhibit hall B7 closed until 2025-03-01."
    values = salient_values({"description": text}, "When does the museum reopen?")
    assert "museum reopens after" not in values  # "museum" is a query word: one informative
    assert "reopens after renovation" in values
    assert "2025-03-01" in values  # a code word: letters or digits with a digit, 4+ long
    assert "b7" not in values  # too short to be an id on its own


# ----------------------------------------------------------------------------------------
# Quoting
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "quoted"),
    [
        ("It will be 23.5 degrees.", True),
        ("About 23.52 °C", True),  # within 0.1 %
        ("Around 24 degrees", False),
        ("Expect LIGHT drizzle!", True),  # normalised
        ("Expect drizzle", False),  # a part of a short value is not the value
        ("Station stn_8f3a2b91 reports it.", True),
        ("Station 8F3A2B91.", True),
        ("Humidity: 64%", True),
        ("Humidity 640", False),
        ("The weather in Paris tomorrow, top 10.", False),  # only the query's words
        ("", False),
    ],
)
def test_quotes(answer: str, quoted: bool) -> None:
    assert quotes(answer, salient_values(WEATHER, QUERY, {"city": "Paris"})) is quoted


def test_numbers_match_with_thousands_separators_and_ranges() -> None:
    values = salient_values({"population": 2161000, "score": "42-35", "home": 42})
    assert quotes("Population: 2,161,000.", values)
    assert quotes("They won 42-35.", values)  # the string whole, and 42 on its own
    assert not quotes("Id x42y.", values)  # a number inside a word is not that number


# ----------------------------------------------------------------------------------------
# The rule
# ----------------------------------------------------------------------------------------


def test_grounded_answer_scores_one() -> None:
    relevant = [[_call(WEATHER, city="Paris")], [_call(HOTEL, "hotels_for_trip")]]
    answer = "Light drizzle, 23.5 degrees; stay at Hotel Lumiere Montmartre for 189 EUR."
    assert grounded_is_solved(answer, QUERY, relevant) == 1.0


def test_answer_grounded_in_some_relevant_apis_scores_half() -> None:
    relevant = [[_call(WEATHER, city="Paris")], [_call(HOTEL, "hotels_for_trip")]]
    assert grounded_is_solved("It will be 23.5 degrees.", QUERY, relevant) == 0.5
    # a relevant API never called successfully counts for nothing, whatever the answer says
    assert grounded_is_solved("23.5 degrees at Hotel Lumiere", QUERY, [relevant[0], []]) == 0.5


def test_answer_ignoring_the_responses_scores_zero() -> None:
    relevant = [[_call(WEATHER, city="Paris")], [_call(HOTEL, "hotels_for_trip")]]
    for answer in (
        "Here is what I found.",
        "The weather in Paris tomorrow: see the top 10 forecasts.",  # the query again
        "true null 0 1 success",
    ):
        assert grounded_is_solved(answer, QUERY, relevant) == 0.0


def test_empty_answer_or_no_successful_call_scores_zero() -> None:
    relevant = [[_call(WEATHER)], [_call(HOTEL, "hotels_for_trip")]]
    assert grounded_is_solved("", QUERY, relevant) == 0.0
    assert grounded_is_solved("  \n", QUERY, relevant) == 0.0
    assert grounded_is_solved("23.5 at Hotel Lumiere", QUERY, [[], []]) == 0.0
    assert grounded_is_solved("23.5", QUERY, []) == 0.0


def test_any_successful_call_of_an_api_may_be_quoted() -> None:
    first, second = _call({"temperature": 11.5}), _call({"temperature": 19.25})
    assert grounded_is_solved("19.25 degrees", QUERY, [[first, second]]) == 1.0


def test_nothing_to_quote_needs_no_quote() -> None:
    empty, data = _call({}), _call(HOTEL, "hotels_for_trip")
    assert grounded_is_solved("Done.", QUERY, [[empty]]) == 1.0
    assert grounded_is_solved("Done.", QUERY, [[empty], []]) == 0.5
    # ... but with something to quote elsewhere, an answer that quotes nothing gets 0
    assert grounded_is_solved("Done.", QUERY, [[empty], [data]]) == 0.0
    assert grounded_is_solved("Hotel Lumiere Montmartre", QUERY, [[empty], [data]]) == 1.0


@pytest.mark.parametrize(
    ("answer", "called", "total", "score"),
    [
        ("An answer.", 2, 2, 1.0),
        ("An answer.", 3, 2, 1.0),
        ("An answer.", 1, 2, 0.5),
        ("An answer.", 0, 2, 0.0),
        ("", 2, 2, 0.0),
        ("   \n", 2, 2, 0.0),
        ("An answer.", 1, 0, 0.0),
        ("An answer.", 1, 1, 1.0),
    ],
)
def test_lenient_rule(answer: str, called: int, total: int, score: float) -> None:
    assert lenient_is_solved(answer, called, total) == score
    assert rule_is_solved(answer, called, total) == score  # its former name


def test_rule_names() -> None:
    assert IS_SOLVED_RULES == ("grounded", "lenient")
    assert DEFAULT_IS_SOLVED_RULE == "grounded"
