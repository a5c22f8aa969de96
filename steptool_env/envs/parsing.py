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
:data:`FAILURE_KINDS`. Model output is data: it is only ever decoded as JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from steptool_env.errors import ConfigError


@dataclass(frozen=True, slots=True)
class ParsedCall:
    function: str
    arguments: dict[str, Any]
    thought: str = ""


@dataclass(frozen=True, slots=True)
class ParseFailure:
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
)

_DECODER = json.JSONDecoder()
_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")
_MAX_NAME = 128


def _fail(kind: str, message: str) -> ParseFailure:
    return ParseFailure(kind, message)


def _decode_object(text: str, what: str) -> dict[str, Any] | ParseFailure:
    """Decode a JSON object from ``text`` (code fences and trailing prose tolerated)."""
    s = text.strip()
    if s.startswith("`"):
        s = _FENCE.sub("", s)
    if not s:
        return _fail("no_action_input", f"{what} is empty; give a JSON object such as {{}}")
    start = s.find("{")
    if start < 0:
        return _fail("bad_json", f"{what} is not a JSON object")
    try:
        obj, end = _DECODER.raw_decode(s, start)
    except (json.JSONDecodeError, RecursionError) as exc:
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        return _fail("bad_json", f"{what} is not valid JSON ({msg})")
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
_ACTION = re.compile(r"^[ \t]*Action[ \t]*:[ \t]*(.*?)[ \t]*$", re.M)
_ACTION_INPUT = re.compile(r"^[ \t]*Action[ \t]*Input[ \t]*:", re.M)
_THOUGHT = re.compile(r"^\s*Thought\s*:\s*", re.I)
_OBSERVATION = re.compile(r"^[ \t]*Observation[ \t]*:", re.M)


def parse_react(text: str) -> ParseResult:
    if not isinstance(text, str):
        return _fail("not_text", "the action must be a string")
    actions = list(_ACTION.finditer(text))
    if not actions:
        if not text.strip():
            return _fail("empty", "the action is empty")
        return _fail("no_action", "no 'Action:' line found; use Thought/Action/Action Input")
    inputs = list(_ACTION_INPUT.finditer(text))
    if len(actions) > 1 or len(inputs) > 1:
        return _fail("multiple_calls", "only one Action per turn is allowed")
    name = _name(actions[0].group(1))
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
    thought = _THOUGHT.sub("", text[: actions[0].start()]).strip()
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


def parse_json(text: str) -> ParseResult:
    if not isinstance(text, str):
        return _fail("not_text", "the action must be a string")
    s = _FENCE.sub("", text.strip())
    if not s:
        return _fail("empty", "the action is empty")
    starts = [i for i in (s.find("{"), s.find("[")) if i >= 0]
    if not starts:
        return _fail("no_action", "no JSON function call found")
    start = min(starts)
    try:
        obj, end = _DECODER.raw_decode(s, start)
    except (json.JSONDecodeError, RecursionError):
        return _fail("bad_json", "the function call is not valid JSON")
    if "{" in s[end:]:
        return _fail("multiple_calls", "only one call per turn is allowed")
    if isinstance(obj, list):
        if len(obj) != 1:
            kind = "multiple_calls" if obj else "no_action"
            return _fail(kind, "give exactly one call")
        obj = obj[0]
    if not isinstance(obj, dict):
        return _fail("bad_json", "the function call must be a JSON object")
    result = _call_from_object(obj)
    if isinstance(result, ParsedCall):
        thought = s[:start].strip() or str(obj.get("thought", "") or "")
        return ParsedCall(result.function, result.arguments, thought)
    return result


# ---------------------------------------------------------------- Hermes / Qwen
_TOOL_CALL = re.compile(r"<tool_call>(.*?)(?:</tool_call>|\Z)", re.S)


def parse_hermes(text: str) -> ParseResult:
    if not isinstance(text, str):
        return _fail("not_text", "the action must be a string")
    if not text.strip():
        return _fail("empty", "the action is empty")
    blocks = _TOOL_CALL.findall(text)
    if not blocks:
        return _fail("no_action", "no <tool_call>...</tool_call> block found")
    if len(blocks) > 1:
        return _fail("multiple_calls", "only one <tool_call> per turn is allowed")
    obj = _decode_object(blocks[0], "the <tool_call> body")
    if isinstance(obj, ParseFailure):
        if obj.kind == "no_action_input":
            return _fail("no_action", "the <tool_call> block is empty")
        return obj
    result = _call_from_object(obj)
    if isinstance(result, ParsedCall):
        thought = text[: text.find("<tool_call>")].strip()
        return ParsedCall(result.function, result.arguments, thought)
    return result


PARSERS: dict[str, Parser] = {"react": parse_react, "json": parse_json, "hermes": parse_hermes}


def get_parser(name: str) -> Parser:
    try:
        return PARSERS[name]
    except (KeyError, TypeError):
        raise ConfigError("parser", name, choices=PARSERS) from None
