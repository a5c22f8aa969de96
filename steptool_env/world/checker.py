"""The deterministic answer checker: IsSolved ∈ {1, 0.5, 0}.

Each fact of a task is checked on its own:

- an :class:`AnswerFact` holds when its value occurs in the normalised final answer — a
  number matches any number written in the answer within a tolerance of 0.005 (or 0.1 % of
  its size), a string must occur as a whole word sequence — and none of its distractors does;
- a :class:`StateFact` holds when the final world state has a record in its collection
  whose fields equal (after normalisation) every field of the fact.

All facts hold → 1.0; some → 0.5; none (or an empty answer) → 0.0.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from steptool_env.world.tasks import AnswerFact, Fact, StateFact

_WORD = re.compile(r"[^a-z0-9.:\-]+")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_SHORT_HOUR = re.compile(r"(?<![\d:])(\d):(\d\d)\b")
_TO_SPACE = {c: " " for c in range(128) if _WORD.match(chr(c))}
"""ASCII characters outside ``[a-z0-9.:-]`` → a space (what ``_WORD`` does, for ASCII text)."""


def normalize_text(text: str) -> str:
    """Lower case; thousands separators dropped; clock times with one hour digit padded
    ("9:05" → "09:05"); every run of characters other than letters, digits, '.', ':' and '-'
    becomes one space; trailing sentence dots and colons dropped."""
    t = text.lower()
    if "," in t:
        t = _THOUSANDS.sub("", t)
    if ":" in t:
        t = _SHORT_HOUR.sub(r"0\1:\2", t)
    # each run of other characters becomes one space (ASCII text: one table lookup a character)
    words = (t.translate(_TO_SPACE) if t.isascii() else _WORD.sub(" ", t)).split()
    if "." in t or ":" in t:
        words = [s for w in words if (s := w.rstrip(".:"))]
    return " " + " ".join(words) + " "


def normalize_value(value: Any) -> Any:
    """Normalised form of a value for equality tests (strings: words; numbers: float)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:  # an int beyond the float range equals no float
            return value
    if isinstance(value, str):
        if value.isalnum() and value.isascii():
            return value.lower()
        return normalize_text(value).strip()
    if isinstance(value, (list, tuple)):
        return tuple(normalize_value(v) for v in value)
    return value


def _numbers(norm_answer: str) -> list[float]:
    return [float(m) for m in _NUMBER.findall(norm_answer)]


def _value_in(value: Any, norm_answer: str, numbers: Sequence[float]) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        tol = max(0.005, abs(float(value)) * 1e-3)
        return any(abs(n - value) <= tol for n in numbers)
    needle = normalize_text(str(value))
    return needle.strip() != "" and needle in norm_answer


@dataclass(frozen=True, slots=True)
class CheckResult:
    is_solved: float
    facts_ok: tuple[bool, ...]


def fact_holds(
    fact: Fact,
    norm_answer: str,
    numbers: Sequence[float],
    records: Mapping[str, Sequence[Mapping[str, Any]]],
) -> bool:
    if isinstance(fact, AnswerFact):
        if not _value_in(fact.value, norm_answer, numbers):
            return False
        return not any(_value_in(d, norm_answer, numbers) for d in fact.distractors)
    if isinstance(fact, StateFact):
        want = {k: normalize_value(v) for k, v in fact.match.items()}
        return any(
            all(normalize_value(rec.get(k)) == v for k, v in want.items())
            for rec in records.get(fact.collection, ())
        )
    raise TypeError(f"unknown fact type {type(fact).__name__}")


def check_answer(
    facts: Sequence[Fact],
    answer: str,
    records: Mapping[str, Sequence[Mapping[str, Any]]],
) -> CheckResult:
    """Score a final answer (and the final world state) against a task's facts."""
    if not facts:
        raise ValueError("a task must have at least one fact")
    norm_answer = normalize_text(answer) if isinstance(answer, str) else " "
    if not norm_answer.strip() and all(isinstance(f, AnswerFact) for f in facts):
        return CheckResult(0.0, tuple(False for _ in facts))
    numbers = _numbers(norm_answer)
    ok = tuple(fact_holds(f, norm_answer, numbers, records) for f in facts)
    n = sum(ok)
    score = 1.0 if n == len(ok) else (0.5 if n > 0 else 0.0)
    return CheckResult(score, ok)
