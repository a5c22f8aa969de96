"""Parsers: the model's text → one function call, or a failure to report back.

Three formats, selected by the env's ``parser`` argument:

``react`` (default, as in ToolBench and the StepTool paper)::

    Thought: I need the city id first.
    Action: search_cities_for_geodb_cities
    Action Input: {"query": "Kelmont"}

``json`` (OpenAI-style function call)::

    {"name": "search_cities_for_geodb_cities", "arguments": {"query": "Kelmont"}}

also ``{"function": {...}}``, ``{"tool_calls": [{...}]}`` and ``"arguments"`` given as a
JSON string; prose before the object is kept as the thought.

``hermes`` (Hermes / Qwen)::

    <tool_call>
    {"name": "search_cities_for_geodb_cities", "arguments": {"query": "Kelmont"}}
    </tool_call>

Exactly one call per action: several calls are a failure (``multiple_calls``). Parsers never
raise on any string; they return :class:`ParseFailure` with a ``kind`` from
:data:`FAILURE_KINDS`. Model output is data: it is only ever decoded as JSON, and whatever
goes wrong while decoding it (invalid JSON, nesting beyond the interpreter's recursion limit,
an integer beyond Python's 4,300-digit conversion limit) is a ``bad_json`` failure. Actions
longer than the env's ``max_action_chars`` never reach a parser (``too_long``, see
:class:`~steptool_env.envs.tool_use_env.ToolUseEnv`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from steptool_env.errors import ConfigError


class ParsedCall(NamedTuple):
    """One parsed call (a NamedTuple: immutable and cheap to build on the hot path)."""

    function: str
    arguments: dict[str, Any]
    thought: str = ""


class ParseFailure(NamedTuple):
    """Why an action could not be parsed; ``kind`` is one of :data:`FAILURE_KINDS`."""

    kind: str
    message: str


ParseResult = ParsedCall | ParseFailure
Parser = Callable[[str], ParseResult]

FAILURE_KINDS = (
    "not_text",
    "empty",
    "no_action",
    "multiple_calls",
    "no_action_input",
    "bad_json",
    "arguments_not_object",
    "bad_function_name",
    "too_long",
)

_DECODER = json.JSONDecoder()
_FENCE_OPEN = re.compile(r"```[A-Za-z0-9_-]*")
_MAX_CANDIDATES = 16
_MAX_NAME = 128


def _fail(kind: str, message: str) -> ParseFailure:
    return ParseFailure(kind, message)


def _raw_decode(text: str, start: int = 0) -> tuple[Any, int] | ParseFailure:
    """One JSON value of ``text`` from ``start`` with its end, or why it is not valid JSON.

    Every failure of the decoder on model text is caught here, in one place: syntax errors
    (``JSONDecodeError``), integers past Python's digit limit (``ValueError``) and nesting past
    the recursion limit (``RecursionError``).
    """
    try:
        return _DECODER.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        return _fail("bad_json", f"not valid JSON ({exc.msg})")
    except RecursionError:
        return _fail("bad_json", "not valid JSON (nested too deeply)")
    except ValueError:  # int() refuses more digits than sys.get_int_max_str_digits()
        return _fail("bad_json", "not valid JSON (a number has too many digits)")


def _strip_fence(text: str) -> str:
    """``text`` without a surrounding Markdown code fence (linear time, whatever the input)."""
    s = text.strip()
    if s.startswith("```"):
        m = _FENCE_OPEN.match(s)
        s = s[m.end() if m else 3 :].strip()
        if s.endswith("```"):
            s = s[:-3].rstrip()
    return s


def _decode_object(text: str, what: str) -> dict[str, Any] | ParseFailure:
    """Decode a JSON object from ``text`` (code fences and trailing prose tolerated)."""
    s = _strip_fence(text)
    if not s:
        return _fail("no_action_input", f"{what} is empty; give a JSON object such as {{}}")
    start = s.find("{")
    if start < 0:
        return _fail("bad_json", f"{what} is not a JSON object")
    decoded = _raw_decode(s, start)
    if isinstance(decoded, ParseFailure):
        return _fail("bad_json", f"{what} is {decoded.message}")
    obj, end = decoded
    rest = s[end:]
    if "{" in rest:
        return _fail("multiple_calls", "only one call per turn is allowed")
    if not isinstance(obj, dict):
        return _fail("arguments_not_object", f"{what} must be a JSON object")
    return obj


def _arguments(raw: Any) -> dict[str, Any] | ParseFailure:
    if raw is None:
        return {}
    if isinstance(raw, str):
        if not raw.strip():
            return {}
        return _decode_object(raw, "arguments")
    if isinstance(raw, dict):
        return raw
    return _fail("arguments_not_object", "arguments must be a JSON object")


def _name(raw: Any) -> str | ParseFailure:
    if not isinstance(raw, str) or not raw.strip():
        return _fail("bad_function_name", "the function name must be a non-empty string")
    name = raw.strip()
    if len(name) > _MAX_NAME or len(name.split()) != 1:
        return _fail("bad_function_name", "the function name must be one word")
    return name


# ---------------------------------------------------------------- ReAct
_ACTION_LINE = re.compile(r"^[ \t]*Action[ \t]*(Input[ \t]*)?:", re.M)
"""An ``Action:`` line (group 1 empty) or an ``Action Input:`` line, found in one pass."""
_THOUGHT = re.compile(r"^\s*Thought\s*:\s*", re.I)
_OBSERVATION = re.compile(r"^[ \t]*Observation[ \t]*:", re.M)


_CANONICAL = re.compile(
    r"Thought:[ \t]*([^\n]*)\nAction:[ \t]*(\S+)[ \t]*\nAction Input:[ \t]*(\{[^\n]*)\Z"
)
"""The three-line form the prompt asks for, each line on its own and the JSON on one line:
what well-behaved models write, parsed by one match (see :func:`parse_react`)."""


def parse_react(text: str) -> ParseResult:
    """The ReAct call in ``text``. Text in the canonical three-line form (``_CANONICAL``)
    takes a fast path that gives exactly what the general parser gives (tested on random
    texts around that form); anything else, and any failure, goes the general way."""
    if isinstance(text, str):
        m = _CANONICAL.match(text)
        if m is not None:
            fast = _canonical_call(*m.groups())
            if fast is not None:
                return fast
    return _parse_react_general(text)


def _canonical_call(thought: str, name: str, body: str) -> ParsedCall | None:
    """The call of a canonical text, or None to leave it to the general parser."""
    if len(name) > _MAX_NAME:
        return None
    decoded = _raw_decode(body)
    if isinstance(decoded, ParseFailure):
        return None
    obj, end = decoded
    if not isinstance(obj, dict) or "{" in body[end:]:
        return None
    return ParsedCall(name, obj, thought.strip())


def _parse_react_general(text: str) -> ParseResult:
    if not isinstance(text, str):
        return _fail("not_text", "the action must be a string")
    actions: list[re.Match[str]] = []
    inputs: list[re.Match[str]] = []
    for m in _ACTION_LINE.finditer(text):
        (actions if m.group(1) is None else inputs).append(m)
    if not actions:
        if not text.strip():
            return _fail("empty", "the action is empty")
        return _fail("no_action", "no 'Action:' line found; use Thought/Action/Action Input")
    if len(actions) > 1 or len(inputs) > 1:
        return _fail("multiple_calls", "only one Action per turn is allowed")
    start = actions[0].end()
    end = text.find("\n", start)
    name = _name(text[start:] if end < 0 else text[start:end])
    if isinstance(name, ParseFailure):
        return name
    if not inputs:
        return _fail("no_action_input", "no 'Action Input:' line found")
    body = text[inputs[0].end() :]
    if "Observation" in body:
        m_obs = _OBSERVATION.search(body)
        if m_obs is not None:
            body = body[: m_obs.start()]
    args = _decode_object(body, "Action Input")
    if isinstance(args, ParseFailure):
        return args
    head = text[: actions[0].start()].strip()
    thought = _THOUGHT.sub("", head) if head[:7].lower() == "thought" else head
    return ParsedCall(name, args, thought)


# ---------------------------------------------------------------- JSON
def _call_from_object(obj: dict[str, Any]) -> ParseResult:
    if "tool_calls" in obj:
        calls = obj["tool_calls"]
        if not isinstance(calls, list) or not calls:
            return _fail("no_action", "tool_calls must be a non-empty list")
        if len(calls) > 1:
            return _fail("multiple_calls", "only one call per turn is allowed")
        if not isinstance(calls[0], dict):
            return _fail("bad_json", "a tool call must be a JSON object")
        obj = calls[0]
    if isinstance(obj.get("function"), dict):
        obj = obj["function"]
    if "name" not in obj:
        return _fail("no_action", "the call object has no 'name'")
    name = _name(obj["name"])
    if isinstance(name, ParseFailure):
        return name
    args = _arguments(obj.get("arguments", obj.get("parameters")))
    if isinstance(args, ParseFailure):
        return args
    return ParsedCall(name, args)


_CALL_KEYS = ("name", "function", "tool_calls")


def _is_call(obj: Any) -> bool:
    if isinstance(obj, list):
        return bool(obj) and all(isinstance(x, dict) for x in obj)
    return isinstance(obj, dict) and any(k in obj for k in _CALL_KEYS)


def parse_json(text: str) -> ParseResult:
    if not isinstance(text, str):
        return _fail("not_text", "the action must be a string")
    s = _strip_fence(text)
    if not s:
        return _fail("empty", "the action is empty")
    # Prose may come first (it is the thought) and may itself hold brackets: take the first
    # '{' or '[' from which a function call decodes, trying a bounded number of positions.
    first_failure: ParseFailure | None = None
    pos, tried = 0, 0
    found: tuple[Any, int, int] | None = None
    while tried < _MAX_CANDIDATES:
        starts = [i for i in (s.find("{", pos), s.find("[", pos)) if i >= 0]
        if not starts:
            break
        start = min(starts)
        tried += 1
        decoded = _raw_decode(s, start)
        if isinstance(decoded, ParseFailure):
            first_failure = first_failure or _fail(
                "bad_json", f"the function call is {decoded.message}"
            )
            pos = start + 1
            continue
        obj, end = decoded
        if _is_call(obj):
            found = (obj, start, end)
            break
        if first_failure is None:
            if isinstance(obj, dict) or obj == []:
                first_failure = _fail("no_action", "no function call (an object with 'name')")
            else:
                first_failure = _fail("bad_json", "the function call must be a JSON object")
        pos = end
    if found is None:
        return first_failure or _fail("no_action", "no JSON function call found")
    obj, start, end = found
    if "{" in s[end:]:
        return _fail("multiple_calls", "only one call per turn is allowed")
    if isinstance(obj, list):
        if len(obj) != 1:
            return _fail("multiple_calls", "give exactly one call")
        obj = obj[0]
    result = _call_from_object(obj)
    if isinstance(result, ParsedCall):
        thought = s[:start].strip() or str(obj.get("thought", "") or "")
        return ParsedCall(result.function, result.arguments, thought)
    return result


# ---------------------------------------------------------------- Hermes / Qwen
_OPEN, _CLOSE = "<tool_call>", "</tool_call>"


def parse_hermes(text: str) -> ParseResult:
    if not isinstance(text, str):
        return _fail("not_text", "the action must be a string")
    if not text.strip():
        return _fail("empty", "the action is empty")
    at = text.find(_OPEN)
    if at < 0:
        return _fail("no_action", "no <tool_call>...</tool_call> block found")
    body = text[at + len(_OPEN) :]
    # Decode the JSON body itself (a closing tag may appear inside its strings), then expect
    # the closing tag, which models sometimes omit.
    stripped = body.lstrip()
    fenced = stripped.startswith("```")
    if fenced:
        m = _FENCE_OPEN.match(stripped)
        stripped = stripped[m.end() if m else 3 :]
    begin = len(body) - len(stripped.lstrip())
    inner = body[begin:]
    if not inner or inner.startswith(_CLOSE):
        return _fail("no_action", "the <tool_call> block is empty")
    if not inner.startswith("{"):
        return _fail("bad_json", "the <tool_call> body is not a JSON object")
    decoded = _raw_decode(inner)
    if isinstance(decoded, ParseFailure):
        return _fail("bad_json", f"the <tool_call> body is {decoded.message}")
    obj, end = decoded
    rest = inner[end:].lstrip()
    if fenced and rest.startswith("```"):
        rest = rest[3:].lstrip()
    if rest.startswith(_CLOSE):
        rest = rest[len(_CLOSE) :]
    if _OPEN in rest or rest.lstrip().startswith("{"):
        return _fail("multiple_calls", "only one <tool_call> per turn is allowed")
    if not isinstance(obj, dict):
        return _fail("bad_json", "the <tool_call> body must be a JSON object")
    result = _call_from_object(obj)
    if isinstance(result, ParsedCall):
        return ParsedCall(result.function, result.arguments, text[:at].strip())
    return result


PARSERS: dict[str, Parser] = {"react": parse_react, "json": parse_json, "hermes": parse_hermes}


def get_parser(name: str) -> Parser:
    try:
        return PARSERS[name]
    except (KeyError, TypeError):
        raise ConfigError("parser", name, choices=PARSERS) from None
