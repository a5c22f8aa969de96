"""Checking a call's arguments against an API's parameters.

Rules (documented in the README, section "Arguments"):

- every required parameter must be present; unknown parameter names are rejected;
- ``STRING``/``DATE``/``ENUM`` want strings (``DATE`` as ``YYYY-MM-DD``, ``ENUM`` one of its
  values when the catalogue lists them); ``NUMBER`` wants an int or float, ``INTEGER`` an
  int (a float with no fractional part is accepted); ``BOOLEAN`` wants true/false;
  ``ARRAY`` a list, ``OBJECT`` an object; booleans are never numbers;
- missing optional parameters take their catalogue default when it has one;
- every value is bounded, whatever its parameter's type (a model can write anything):
  numbers must be finite and within ±10^15 (:data:`MAX_ABS_NUMBER`, exact as a double),
  arrays and objects nest at most :data:`MAX_DEPTH` levels, and a call's arguments hold at
  most :data:`MAX_ARGUMENT_SIZE` characters of text (strings and keys, one per other value),
  so no value can overflow an API, exhaust the recursion limit of the code that reads it or
  exceed what the http and docker backends accept: every backend sees the same calls.

With ``wire=True`` (real ToolBench APIs, whose query parameters travel as text) the rules
are those of the wire: a parameter's documented default is always accepted as given;
``NUMBER``/``INTEGER`` also accept numeric strings, ``BOOLEAN`` also ``"true"``/``"false"``,
``DATE`` any string; values are passed on unchanged, and missing optional parameters are
left out (the API applies its own defaults).

A violation raises :class:`InvalidArguments`, which the environment turns into an
observation with status 2 (bad input).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from steptool_env.errors import ModelMistake
from steptool_env.tools.spec import ApiSpec, ParamSpec, ParamType

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

MAX_ABS_NUMBER = 10**15
"""Largest magnitude of a number argument (integers up to it are exact as doubles)."""
MAX_DEPTH = 32
"""Deepest nesting of arrays/objects in one argument value (the value itself is level 1)."""
MAX_ARGUMENT_SIZE = 1_000_000
"""Most characters of text in one call's arguments (string values and object keys, at least
one per value); far below the sandbox server's request limit (32 MiB) even JSON-escaped."""


class InvalidArguments(ModelMistake):
    """The arguments of a call do not fit the API's parameters (a model mistake)."""


def _type_error(p: ParamSpec, value: Any) -> InvalidArguments:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return InvalidArguments(
        f"parameter {p.name!r} must be of type {p.type.value.lower()}, got {shown}"
    )


def _check(p: ParamSpec, value: Any) -> Any:
    t = p.type
    if t is ParamType.STRING:
        if isinstance(value, str):
            return value
    elif t is ParamType.INTEGER:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return int(value)
    elif t is ParamType.NUMBER:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if isinstance(value, float) and not math.isfinite(value):
                raise InvalidArguments(f"parameter {p.name!r} must be a finite number")
            return value
    elif t is ParamType.BOOLEAN:
        if isinstance(value, bool):
            return value
    elif t is ParamType.DATE:
        if isinstance(value, str):
            if not _DATE.match(value):
                raise InvalidArguments(f"parameter {p.name!r} must be a date YYYY-MM-DD")
            return value
    elif t is ParamType.ENUM:
        if isinstance(value, str):
            if p.enum and value not in p.enum:
                raise InvalidArguments(f"parameter {p.name!r} must be one of {', '.join(p.enum)}")
            return value
    elif t is ParamType.ARRAY:
        if isinstance(value, list):
            return value
    elif t is ParamType.OBJECT and isinstance(value, dict):
        return value
    raise _type_error(p, value)


def _check_wire(p: ParamSpec, value: Any) -> Any:
    if p.default is not None and value == p.default and type(value) is type(p.default):
        return value
    if isinstance(value, str):
        t = p.type
        if t in (ParamType.NUMBER, ParamType.INTEGER) and _is_number(value):
            return value
        if t is ParamType.BOOLEAN and value.strip().lower() in ("true", "false"):
            return value
        if t is ParamType.DATE:
            return value
    return _check(p, value)


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _bounded_size(name: str, value: Any) -> int:
    """The size of ``value`` (any JSON value) in characters; :class:`InvalidArguments` unless
    it is within the documented bounds: finite numbers up to :data:`MAX_ABS_NUMBER`, nesting
    up to :data:`MAX_DEPTH`, at most :data:`MAX_ARGUMENT_SIZE` characters. Iterative, so the
    walk itself cannot hit the recursion limit."""
    size = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, str):
            size += len(v) or 1  # an empty string is still a value on the wire
        elif isinstance(v, bool) or v is None:
            size += 1
        elif isinstance(v, (int, float)):
            size += 1
            if isinstance(v, float) and not math.isfinite(v):
                raise InvalidArguments(f"parameter {name!r} holds a number that is not finite")
            if abs(v) > MAX_ABS_NUMBER:
                raise InvalidArguments(
                    f"parameter {name!r} holds a number of magnitude over 1e15 (the limit)"
                )
        elif isinstance(v, (list, dict)):
            if depth > MAX_DEPTH:
                raise InvalidArguments(
                    f"parameter {name!r} nests arrays/objects more than {MAX_DEPTH} levels deep"
                )
            size += 1
            if isinstance(v, dict):
                for k, item in v.items():
                    size += len(k) if isinstance(k, str) else 1
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in v)
        else:  # not a JSON value (a direct Python caller passed an object)
            raise InvalidArguments(
                f"parameter {name!r} holds a {type(v).__name__}, which is not a JSON value"
            )
        if size > MAX_ARGUMENT_SIZE:
            raise _too_large()
    return size


def _too_large() -> InvalidArguments:
    return InvalidArguments(f"the arguments hold more than {MAX_ARGUMENT_SIZE:,} characters")


def validate_arguments(
    api: ApiSpec, arguments: Mapping[str, Any], *, wire: bool = False
) -> dict[str, Any]:
    """Return the checked arguments with defaults filled in, or raise InvalidArguments
    (``wire``: the rules of real APIs, see the module docstring)."""
    params = api.params
    for name in arguments:
        if name not in params:
            valid = ", ".join(params) or "none"
            raise InvalidArguments(f"unknown parameter {name!r} (valid parameters: {valid})")
    check = _check_wire if wire else _check
    total = 0
    for name, value in arguments.items():
        # strings (the common case) skip the walk
        total += (len(value) or 1) if isinstance(value, str) else _bounded_size(name, value)
        if total > MAX_ARGUMENT_SIZE:
            raise _too_large()
    out: dict[str, Any] = {}
    for p in api.required:
        if p.name not in arguments:
            raise InvalidArguments(f"missing required parameter {p.name!r}")
        out[p.name] = check(p, arguments[p.name])
    for p in api.optional:
        if p.name in arguments:
            out[p.name] = check(p, arguments[p.name])
        elif not wire and p.default not in (None, ""):
            out[p.name] = p.default
    return out
