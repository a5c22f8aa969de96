"""IsSolved for StableToolBench queries: a deterministic rule, or an optional model judge.

The data has no reference answers, so the rules check the answer against what the relevant
calls returned. Two rules, chosen by name (``StableToolBenchEnv(is_solved_rule=...)``):

**grounded** (the default, :func:`grounded_is_solved`). A relevant API counts when it was
called successfully (status 0; failed calls do not count) and the final answer quotes a
*salient value* of one of its responses, or none of its responses has one. All count -> 1.0,
some -> 0.5, none -> 0.0. An empty answer, a give-up, or an answer that quotes nothing
although a relevant response had something to quote -> 0.0.

*Salient values* (:func:`salient_values`) are a response's leaf values, never its keys,
compared after :func:`~steptool_env.world.checker.normalize_text`. A number counts unless it
is an integer from -9 to 9 or a number the query or the call's arguments state; it matches a
number of the answer within 0.005 (or 0.1 % of its size). A string counts when it has an
*informative* word: two or more characters, not a stop word, not ``true``/``null``-like
filler, not a word of the query, of the function's name, of the call's arguments or of the
response's keys. It matches when the answer quotes it whole, or three consecutive words of it
with two informative ones, or an informative word of four or more characters with a digit (an
id, a code, a date). Booleans and nulls never count. So copying the query, echoing one's own
arguments or writing boilerplate earns nothing; quoting what the APIs returned does.

**lenient** (:func:`lenient_is_solved`, the only rule before the grounded one): an answer
(``Finish`` with ``give_answer`` and a non-empty ``final_answer``) and the relevant APIs
called successfully: all -> 1.0, some -> 0.5, none -> 0.0; no answer -> 0.0. Kept so that
older results stay reproducible; a random agent passes about a third of the queries.

**Judge** (off by default; replaces either rule): any callable ``judge(query, answer,
called) -> float`` in {1, 0.5, 0}. :class:`ChatJudge` asks a model behind an
OpenAI-compatible chat-completions endpoint whether the answer solves the query and maps its
one-word verdict (``Solved``, ``Unsure``, ``Unsolved``) to 1, 0.5, 0. A judge that fails
(network, bad reply) raises :class:`~steptool_env.errors.ProviderError`: an infrastructure
failure is never scored 0.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from steptool_env.errors import ConfigError, ProviderError, require
from steptool_env.world.checker import normalize_text

Judge = Callable[[str, str, Sequence[str]], float]
"""``judge(query, final_answer, relevant functions called successfully) -> IsSolved``."""

VERDICTS = {"solved": 1.0, "unsure": 0.5, "unsolved": 0.0}

IS_SOLVED_RULES = ("grounded", "lenient")
"""The rule names :class:`~steptool_env.envs.stabletoolbench_env.StableToolBenchEnv`
accepts; the first is the default."""
DEFAULT_IS_SOLVED_RULE = IS_SOLVED_RULES[0]

Call = tuple[str, Mapping[str, Any], Any]
"""One successful call: ``(function, arguments, response)``."""

_STOP_TEXT = """
    a about above after again all also am an and any are as at be been before being below
    between both but by can could did do does doing down during each few for from further
    had has have having he her here hers him his how i if in into is it its itself just me
    more most my no nor not now of off on once only or other our ours out over own same she
    should so some such than that the their theirs them then there these they this those
    through to too under until up very was we were what when where which while who whom why
    will with would you your yours get got give find show tell please list"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
"""Words that never make a value salient (English function words, request verbs)."""

_FILLER_TEXT = """
    true false null none nil nan undefined unknown empty yes ok okay success successful
    error failed failure fail na"""
FILLER_WORDS = frozenset(_FILLER_TEXT.split())
"""Values too common in responses to show that an answer read one."""

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_NUMBER_IN_TEXT = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
"""A number standing on its own in normalised text ("42-35" holds two; "1a2b" none)."""
_WINDOW = 3
_CODE_LENGTH = 4


def _is_number(word: str) -> bool:
    return _NUMBER.fullmatch(word) is not None


def _words(value: Any) -> list[str]:
    return normalize_text(str(value)).split()


def _leaves(obj: Any, keys: set[str]) -> Iterator[Any]:
    """The scalar leaves of a JSON value, depth first; the words of every key go to ``keys``."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            for k in item:
                keys.update(_words(k))
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list | tuple):
            stack.extend(reversed(item))
        else:
            yield item


def _numbers_in(text: str) -> list[float]:
    return [float(m) for m in _NUMBER_IN_TEXT.findall(normalize_text(text))]


def _as_float(value: int | float) -> float | None:
    try:
        return float(value)
    except OverflowError:  # an int beyond the float range
        return None


def _salient_number(x: float, known: set[float]) -> bool:
    if not math.isfinite(x) or (x == int(x) and abs(x) < 10):
        return False
    return not any(_close(x, k) for k in known)


def _close(x: float, y: float) -> bool:
    return abs(x - y) <= max(0.005, abs(x) * 1e-3)


def _text_units(words: list[str], plain: set[str]) -> list[str]:
    """What of one string an answer may quote (see the module docstring)."""
    informative = [len(w) >= 2 and w not in plain for w in words]
    if not any(informative):
        return []
    units = [" ".join(words)]
    if len(words) > _WINDOW:
        for i in range(len(words) - _WINDOW + 1):
            if sum(informative[i : i + _WINDOW]) >= 2:
                units.append(" ".join(words[i : i + _WINDOW]))
    units += [
        w
        for w, ok in zip(words, informative)
        if ok and len(w) >= _CODE_LENGTH and any(c.isdigit() for c in w)
    ]
    return units


def salient_values(
    response: Any,
    query: str = "",
    arguments: Mapping[str, Any] | None = None,
    function: str = "",
) -> list[str | float]:
    """The values of ``response`` an answer may quote to show it read it, in response order
    without repeats: numbers as floats, text as normalised word sequences (see the module
    docstring for what counts). Empty when the response has nothing worth quoting."""
    args = list((arguments or {}).values())
    keys: set[str] = set()
    leaves = list(_leaves(response, keys))
    plain = {*STOP_WORDS, *FILLER_WORDS, *keys, *_words(query), *_words(function)}
    plain.update(w for a in args for w in _words(a))
    known = {x for v in [query, *args] for x in _numbers_in(str(v))}
    out: dict[str | float, None] = {}
    for leaf in leaves:
        if leaf is None or isinstance(leaf, bool):
            continue
        if isinstance(leaf, int | float):
            x = _as_float(leaf)
            if x is not None and _salient_number(x, known):
                out[x] = None
            continue
        words = _words(leaf)
        if len(words) == 1 and _is_number(words[0]):
            if _salient_number(float(words[0]), known):
                out[float(words[0])] = None
            continue
        out.update(dict.fromkeys(_text_units(words, plain)))
    return list(out)


def quotes(answer: str, values: Sequence[str | float]) -> bool:
    """Whether ``answer`` quotes any of ``values`` (as :func:`salient_values` gives them)."""
    norm = normalize_text(answer)
    numbers = _numbers_in(answer)
    for v in values:
        if isinstance(v, float):
            if any(_close(v, n) for n in numbers):
                return True
        elif f" {v} " in norm:
            return True
    return False


def grounded_is_solved(answer: str, query: str, relevant: Sequence[Sequence[Call]]) -> float:
    """The grounded rule (see the module docstring). ``relevant`` holds, for each relevant
    API of the query, its successful calls (none when it was not called successfully)."""
    if not answer.strip() or not relevant:
        return 0.0
    counted, quoted, quotable = 0, False, False
    for calls in relevant:
        if not calls:
            continue
        values = [salient_values(r, query, args, f) for f, args, r in calls]
        if not any(values):
            counted += 1  # nothing to quote: the successful call is all the evidence
            continue
        quotable = True
        if any(quotes(answer, v) for v in values):
            counted += 1
            quoted = True
    if quotable and not quoted:
        return 0.0
    return 1.0 if counted == len(relevant) else (0.5 if counted else 0.0)


def lenient_is_solved(answer: str, relevant_called: int, relevant_total: int) -> float:
    """The lenient rule (see the module docstring)."""
    if not answer.strip() or relevant_called <= 0 or relevant_total <= 0:
        return 0.0
    return 1.0 if relevant_called >= relevant_total else 0.5


rule_is_solved = lenient_is_solved
"""The former name of :func:`lenient_is_solved` (it was the only rule)."""


_PROMPT = (
    "You judge whether an assistant solved a user's query with tools.\n"
    "Query: {query}\n"
    "Relevant APIs it called successfully: {called}\n"
    "Final answer: {answer}\n\n"
    "Reply with exactly one word: Solved (the answer fully addresses the query), Unsure, "
    "or Unsolved."
)


class ChatJudge:
    """A model judge behind ``{base_url}/chat/completions`` (temperature 0).

    Args:
        model: the model name sent with each request.
        base_url: endpoint root, ``http://`` or ``https://``.
        api_key_env: name of the environment variable holding the key (never recorded).
        timeout_s: per-request timeout.
        transport: an ``httpx`` transport (tests pass a fake one).
    """

    def __init__(
        self,
        model: str,
        base_url: str = "http://127.0.0.1:8000/v1",
        api_key_env: str | None = None,
        timeout_s: float = 60.0,
        transport: Any = None,
    ) -> None:
        if not isinstance(model, str) or not model:
            raise ConfigError("model", model, "name the judge model")
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ConfigError("base_url", base_url, "must start with http:// or https://")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key_env = api_key_env
        self.timeout_s = timeout_s
        self._transport = transport

    def __call__(self, query: str, answer: str, called: Sequence[str]) -> float:
        httpx = require("httpx", "bench")
        headers = {}
        if self.api_key_env:
            key = os.environ.get(self.api_key_env)
            if not key:
                raise ProviderError(f"the judge's key variable {self.api_key_env} is not set")
            headers["Authorization"] = f"Bearer {key}"
        body = {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {
                    "role": "user",
                    "content": _PROMPT.format(
                        query=query, answer=answer, called=", ".join(called) or "none"
                    ),
                }
            ],
        }
        url = f"{self.base_url}/chat/completions"
        try:
            with httpx.Client(transport=self._transport, timeout=self.timeout_s) as client:
                reply = client.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ProviderError(f"judge request to {url} failed: {exc!r}") from exc
        if reply.status_code != 200:
            raise ProviderError(f"judge at {url} answered HTTP {reply.status_code}")
        try:
            text = reply.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ProviderError(f"judge at {url} sent a malformed reply: {exc!r}") from exc
        words = str(text or "").strip().split()
        verdict = words[0].strip(".,:;!\"'*").lower() if words else ""
        if verdict not in VERDICTS:
            raise ProviderError(f"judge verdict {text!r:.80} is not Solved, Unsure or Unsolved")
        return VERDICTS[verdict]
