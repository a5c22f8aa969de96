"""Prompts: the system prompt that offers a query's tools, and the inverse of each parser
(a call → the text a model in that format would write).

All text the environment emits is printable ASCII (:func:`to_ascii` escapes the rest), so
it always lies in the observation space.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Mapping, Sequence
from typing import Any

from steptool_env.errors import ConfigError

PRINTABLE = frozenset(string.printable)
_UNPRINTABLE = re.compile(r"[^\t\n\r\x20-\x7e]")


def to_ascii(text: str) -> str:
    """Printable ASCII only: other characters become ``\\uXXXX``-style escapes."""
    if text.isascii() and not _UNPRINTABLE.search(text):
        return text
    out = text.encode("ascii", "backslashreplace").decode("ascii")
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", out)


_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(", ", ": "), default=str)


def dumps(obj: Any) -> str:
    """Compact, deterministic, ASCII JSON."""
    return _ENCODER.encode(obj)


_INTRO = (
    "You are an assistant that solves the user's task by calling functions, one call per "
    "turn. After each call you receive its result. When the result answers the task, call "
    'Finish with return_type "give_answer" and a final_answer that states every requested '
    'fact; if you cannot solve it, call Finish with return_type "give_up_and_restart".'
)

_FORMATS = {
    "react": (
        "Reply in exactly this format, with one action per reply:\n"
        "Thought: <your reasoning>\n"
        "Action: <the function name>\n"
        "Action Input: <the arguments as a JSON object>"
    ),
    "json": (
        "Reply with exactly one JSON object and nothing after it:\n"
        '{"name": <the function name>, "arguments": <the arguments as a JSON object>}'
    ),
    "hermes": (
        "For the call, return its name and arguments inside a tool_call block:\n"
        "<tool_call>\n"
        '{"name": <function-name>, "arguments": <args-json-object>}\n'
        "</tool_call>"
    ),
}


PROMPT_STYLES = ("full", "compact")
"""How the system prompt lists the functions: ``full`` as OpenAI JSON schemas (every field,
as ToolBench does), ``compact`` as one signature line each (a third of the tokens)."""


def _type_text(schema: Mapping[str, Any]) -> str:
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return "|".join(json.dumps(v) for v in enum)
    if "YYYY-MM-DD" in str(schema.get("description", "")):
        return "date YYYY-MM-DD"
    return str(schema.get("type", "string"))


def compact_signature(schema: Mapping[str, Any]) -> str:
    """One function as a line: ``name(a: string, b?: integer = 1): description`` (optional
    parameters carry ``?`` and their default; parameter descriptions are left out)."""
    params = schema.get("parameters") or {}
    props = params.get("properties") or {}
    required = set(params.get("required") or ())
    parts = []
    for name, p in props.items():
        text = f"{name}{'' if name in required else '?'}: {_type_text(p)}"
        if name not in required and "default" in p:
            text += f" = {json.dumps(p['default'])}"
        parts.append(text)
    desc = str(schema.get("description", "")).strip()
    return f"{schema.get('name', '')}({', '.join(parts)})" + (f": {desc}" if desc else "")


def system_prompt(parser: str, schemas: Sequence[Mapping[str, Any]], style: str = "full") -> str:
    """The system prompt offering ``schemas`` (OpenAI function schemas, Finish included), in
    the given :data:`PROMPT_STYLES` style."""
    try:
        fmt = _FORMATS[parser]
    except KeyError:
        raise ConfigError("parser", parser, choices=_FORMATS) from None
    if style == "compact":
        lines = "\n".join(compact_signature(s) for s in schemas)
        body = f"Available functions (name(parameter: type, optional?: type = default)):\n{lines}"
        return to_ascii(f"{_INTRO}\n\n{body}\n\n{fmt}")
    if style != "full":
        raise ConfigError("prompt_style", style, choices=PROMPT_STYLES)
    lines = "\n".join(dumps(s) for s in schemas)
    if parser == "hermes":
        tools = "\n".join(dumps({"type": "function", "function": s}) for s in schemas)
        body = f"You may call these functions:\n<tools>\n{tools}\n</tools>"
    else:
        body = f"Available functions:\n{lines}"
    return to_ascii(f"{_INTRO}\n\n{body}\n\n{fmt}")


def tools_system_prompt() -> str:
    """The system prompt for models called with native ``tools=``: the task rules only (the
    functions travel as schemas, and calls come back as structured tool calls)."""
    return _INTRO


def template_id(parser: str, native_tools: bool = False, style: str = "full") -> str:
    """A short identifier of the prompt template in use (recorded with every episode)."""
    text = _INTRO if native_tools else f"{_INTRO}\n{_FORMATS.get(parser, parser)}"
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    name = "tools" if native_tools else parser
    return f"{name}-{digest}" if style == "full" or native_tools else f"{name}-{style}-{digest}"


_ACTION_JSON = json.JSONEncoder(ensure_ascii=False)
"""``json.dumps(..., ensure_ascii=False)`` without building an encoder per call."""


def format_action(
    parser: str, function: str, arguments: Mapping[str, Any], thought: str = ""
) -> str:
    """The text of one call in the given format (what a well-behaved model would write)."""
    args = _ACTION_JSON.encode(dict(arguments))
    if parser == "react":
        return f"Thought: {thought}\nAction: {function}\nAction Input: {args}"
    if parser == "json":
        return _ACTION_JSON.encode({"name": function, "arguments": dict(arguments)})
    if parser == "hermes":
        head = f"{thought}\n" if thought else ""
        call = f'{{"name": {json.dumps(function)}, "arguments": {args}}}'
        return f"{head}<tool_call>\n{call}\n</tool_call>"
    raise ConfigError("parser", parser, choices=_FORMATS)


def finish_arguments(answer: str | None) -> dict[str, str]:
    """Arguments of a Finish call: an answer, or a give-up when ``answer`` is None."""
    if answer is None:
        return {"return_type": "give_up_and_restart"}
    return {"return_type": "give_answer", "final_answer": answer}
