"""ToolBench's function naming: ``{api}_for_{tool}``, standardised and cut to 64 characters."""

from __future__ import annotations

import re

MAX_FUNCTION_NAME = 64
"""OpenAI function names are limited to 64 characters."""

RESERVED = frozenset({"from", "class", "return", "false", "true", "id", "and", "if", "in"})
"""Names that ToolBench prefixes with ``is_`` (they clash with keywords or builtins)."""

_NON_WORD = re.compile(r"[^a-zA-Z0-9_]")
_REPEATED_UNDERSCORE = re.compile(r"_+")


def standardize(name: str) -> str:
    """Lower case; every non-alphanumeric character becomes ``_``; runs of ``_`` collapse;
    leading and trailing ``_`` go; a leading digit gets a ``get_`` prefix."""
    s = _NON_WORD.sub("_", name)
    s = _REPEATED_UNDERSCORE.sub("_", s).lower().strip("_")
    if s and s[0].isdigit():
        s = "get_" + s
    return s


def standardize_api_name(name: str) -> str:
    s = standardize(name)
    return "is_" + s if s in RESERVED else s


def function_name(api_name: str, tool_name: str) -> str:
    """The OpenAI function name of an API: ``{api}_for_{tool}``, keeping its last 64 characters
    as ToolBench does (uniqueness is the catalogue's job)."""
    full = f"{standardize_api_name(api_name)}_for_{standardize(tool_name)}"
    return full[-MAX_FUNCTION_NAME:]
