from __future__ import annotations

import pytest

from steptool_env.world.checker import check_answer, normalize_text
from steptool_env.world.tasks import AnswerFact, StateFact


@pytest.mark.parametrize(
    ("answer", "want"),
    [
        ("The population is 2,593,782 people.", 1.0),
        ("Population: 2593782", 1.0),
        ("It has about 2.6 million inhabitants", 0.0),
        ("", 0.0),
    ],
)
def test_numbers_match_with_formatting(answer: str, want: float) -> None:
    assert check_answer([AnswerFact(2593782)], answer, {}).is_solved == want


def test_numbers_tolerance() -> None:
    assert check_answer([AnswerFact(21.4)], "21.4°C", {}).is_solved == 1.0
    assert check_answer([AnswerFact(21.4)], "21.404 degrees", {}).is_solved == 1.0
    assert check_answer([AnswerFact(21.4)], "21.5 degrees", {}).is_solved == 0.0


def test_strings_match_whole_words_case_insensitively() -> None:
    facts = [AnswerFact("Kelmont")]
    assert check_answer(facts, "The capital is KELMONT.", {}).is_solved == 1.0
    assert check_answer(facts, "The capital is Kelmontford.", {}).is_solved == 0.0


def test_all_some_none() -> None:
    facts = [AnswerFact("Kelmont"), AnswerFact(42)]
    assert check_answer(facts, "Kelmont, 42", {}).is_solved == 1.0
    assert check_answer(facts, "Kelmont", {}).is_solved == 0.5
    assert check_answer(facts, "nothing", {}).is_solved == 0.0


def test_distractors_defeat_listing_everything() -> None:
    fact = AnswerFact("Kelmont", distractors=("Drox", "Lyr"))
    assert check_answer([fact], "Kelmont", {}).is_solved == 1.0
    assert check_answer([fact], "Kelmont, Drox or Lyr", {}).is_solved == 0.0


def test_state_facts_read_the_final_records() -> None:
    facts = [StateFact("hotel_bookings", {"hotel_id": "H1", "nights": 2})]
    good = {"hotel_bookings": [{"hotel_id": "H1", "nights": 2, "guest": "A"}]}
    bad = {"hotel_bookings": [{"hotel_id": "H1", "nights": 3}]}
    assert check_answer(facts, "", good).is_solved == 1.0
    assert check_answer(facts, "booked", bad).is_solved == 0.0
    assert check_answer(facts, "booked", {}).is_solved == 0.0


def test_normalize_text() -> None:
    assert normalize_text("Hello, World!  1,234.5.") == " hello world 1234.5 "


def _normalize_by_regex(text: str) -> str:
    """The definition of normalize_text, written plainly (its ASCII path uses a table)."""
    import re

    t = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text.lower())
    t = re.sub(r"(?<![\d:])(\d):(\d\d)\b", r"0\1:\2", t)
    words = [w.rstrip(".:") for w in re.sub(r"[^a-z0-9.:\-]+", " ", t).split()]
    return " " + " ".join(w for w in words if w) + " "


def test_normalize_text_equals_its_definition_on_random_text() -> None:
    import random

    rng = random.Random(7)
    alphabet = "aZ19.:,- \n\t;!\x0b\x1c\u00e9\u0130\u2028" + "0,000" + "9:05"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        assert normalize_text(text) == _normalize_by_regex(text), repr(text)


def test_clock_times_are_padded() -> None:
    assert check_answer([AnswerFact("09:05")], "It starts at 9:05.", {}).is_solved == 1.0
    assert check_answer([AnswerFact("09:05")], "It starts at 19:05.", {}).is_solved == 0.0
    assert normalize_text("Meet at 9:05: ok") == " meet at 09:05 ok "
