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


def system_prompt(parser: str, schemas: Sequence[Mapping[str, Any]]) -> str:
    """The system prompt offering ``schemas`` (OpenAI function schemas, Finish included)."""
    try:
        fmt = _FORMATS[parser]
    except KeyError:
        raise ConfigError("parser", parser, choices=_FORMATS) from None
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


def template_id(parser: str, native_tools: bool = False) -> str:
    """A short identifier of the prompt template in use (recorded with every episode)."""
    text = _INTRO if native_tools else f"{_INTRO}\n{_FORMATS.get(parser, parser)}"
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    return f"{'tools' if native_tools else parser}-{digest}"


def format_action(
    parser: str, function: str, arguments: Mapping[str, Any], thought: str = ""
) -> str:
    """The text of one call in the given format (what a well-behaved model would write)."""
    args = json.dumps(dict(arguments), ensure_ascii=False)
    if parser == "react":
        return f"Thought: {thought}\nAction: {function}\nAction Input: {args}"
    if parser == "json":
        return json.dumps({"name": function, "arguments": dict(arguments)}, ensure_ascii=False)
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
