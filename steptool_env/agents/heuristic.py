"""A non-learning baseline: word-overlap API choice and argument copying.

Each turn it picks the not-yet-called offered function whose name and description share
the most words with the query (preferring functions that consume an id it has already
seen), fills required arguments by copying — ids from earlier responses, the capitalised
entity name, numbers, dates and enum values from the query — and after ``max_calls``
calls (or when nothing else can be called) finishes with the scalar values of the last
successful response.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from steptool_env.agents.base import TurnView
from steptool_env.envs.prompts import finish_arguments, format_action
from steptool_env.tools.catalogue import FINISH

_WORDS = re.compile(r"[a-z0-9]+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"(?<![\w-])\d+(?:\.\d+)?(?![\w-])")
_TIME = re.compile(r"\b\d{2}:\d{2}\b")
_STOP = {
    "i",
    "what",
    "which",
    "how",
    "the",
    "a",
    "an",
    "tell",
    "give",
    "find",
    "could",
    "can",
    "please",
    "my",
    "for",
    "of",
    "in",
    "and",
    "is",
    "to",
    "me",
    "on",
    "it",
    "if",
    "when",
    "where",
    "who",
    "do",
    "does",
    "get",
    "list",
    "show",
    "look",
    "check",
}


def _words(text: str) -> set[str]:
    return {w for w in _WORDS.findall(text.lower()) if w not in _STOP}


def entity_phrases(query: str) -> list[str]:
    """Runs of capitalised words (not sentence-initial stopwords), longest first."""
    out: list[str] = []
    run: list[str] = []
    for tok in re.findall(r"[A-Za-z][\w'-]*|\S", query):
        if tok[0].isupper() and tok.lower() not in _STOP:
            run.append(tok)
        else:
            if run:
                out.append(" ".join(run))
            run = []
    if run:
        out.append(" ".join(run))
    return sorted(dict.fromkeys(out), key=lambda s: (-len(s), s))


def _scalars(obj: Any, prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _scalars(v, str(k))
    elif isinstance(obj, list):
        for v in obj[:10]:
            out += _scalars(v, prefix)
    elif obj is not None:
        out.append((prefix, obj))
    return out


class HeuristicAgent:
    name = "heuristic"

    def __init__(self, max_calls: int = 4) -> None:
        self.max_calls = max_calls
        self._state: dict[int, dict[str, Any]] = {}

    def config(self) -> dict[str, Any]:
        return {"agent": self.name, "max_calls": self.max_calls}

    def act(self, views: Sequence[TurnView]) -> list[str]:
        return [self._act(v) for v in views]

    def _act(self, view: TurnView) -> str:
        if view.step == 0:
            self._state[view.index] = {"called": [], "values": [], "last": []}
        st = self._state[view.index]
        if view.step > 0 and view.last_info.get("status") == 0:
            try:
                body = json.loads(view.observation)
            except json.JSONDecodeError:
                body = {}
            scalars = _scalars(body.get("response") if isinstance(body, dict) else None)
            st["values"] = scalars + st["values"]
            st["last"] = scalars
        if len(st["called"]) < self.max_calls:
            choice = self._choose(view, st)
            if choice is not None:
                fn, args = choice
                st["called"].append(fn)
                return format_action(view.parser, fn, args, "Choosing by word overlap.")
        answer = "; ".join(f"{k}: {v}" for k, v in st["last"][:8]) or "I could not find it."
        return format_action(view.parser, FINISH, finish_arguments(answer))

    def _choose(self, view: TurnView, st: dict[str, Any]) -> tuple[str, dict] | None:
        query = view.query
        qwords = _words(query)
        best: tuple[float, str, dict] | None = None
        for schema in view.tools:
            name = schema["name"]
            if name == FINISH or name in st["called"]:
                continue
            args, uses_id = self._fill(schema, query, st["values"])
            if args is None:
                continue
            text = name.replace("_", " ") + " " + schema.get("description", "")
            score = len(qwords & _words(text)) + (3.0 if uses_id else 0.0)
            if best is None or score > best[0]:
                best = (score, name, args)
        return None if best is None else (best[1], best[2])

    def _fill(
        self, schema: dict, query: str, values: list[tuple[str, Any]]
    ) -> tuple[dict | None, bool]:
        params = schema["parameters"]
        props = params["properties"]
        args: dict[str, Any] = {}
        uses_id = False
        phrases = entity_phrases(query)
        for p in params.get("required", []):
            spec = props[p]
            kind = spec.get("type", "string")
            same = [v for k, v in values if k == p]
            if same:
                args[p] = same[0]
                uses_id = uses_id or p.endswith("id")
            elif p.endswith("id") or p.endswith("_ids"):
                ids = [v for k, v in values if k.endswith("id") and isinstance(v, str)]
                if not ids:
                    return None, False
                args[p] = ids[0]
                uses_id = True
            elif "enum" in spec:
                hits = [e for e in spec["enum"] if e.lower() in query.lower()]
                args[p] = hits[0] if hits else spec["enum"][0]
            elif kind in ("integer", "number"):
                nums = _NUMBER.findall(query)
                if not nums:
                    return None, False
                args[p] = int(float(nums[0])) if kind == "integer" else float(nums[0])
            elif "date" in spec.get("description", "").lower():
                dates = _DATE.findall(query)
                if not dates:
                    return None, False
                args[p] = dates[0]
            elif kind == "string":
                times = _TIME.findall(query)
                if p == "time" and times:
                    args[p] = times[0]
                elif phrases:
                    args[p] = phrases[0]
                else:
                    return None, False
            else:
                return None, False
        return args, uses_id
