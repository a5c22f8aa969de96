from __future__ import annotations

import pytest

from steptool_env.tools.naming import function_name, standardize
from steptool_env.tools.spec import ParamType, api_from_dict
from steptool_env.tools.validation import (
    MAX_ABS_NUMBER,
    MAX_ARGUMENT_SIZE,
    MAX_DEPTH,
    InvalidArguments,
    validate_arguments,
)

API = api_from_dict(
    {
        "name": "Search Things",
        "description": "",
        "required_parameters": [
            {"name": "q", "type": "STRING", "description": "", "default": ""},
            {"name": "n", "type": "INTEGER", "description": "", "default": ""},
        ],
        "optional_parameters": [
            {"name": "when", "type": "DATE (YYYY-MM-DD)", "description": "", "default": ""},
            {"name": "mode", "type": "ENUM", "description": "", "default": "a", "enum": ["a", "b"]},
            {"name": "x", "type": "number", "description": "", "default": ""},
            {"name": "flag", "type": "BOOLEAN", "description": "", "default": ""},
        ],
    },
    category="C",
    tool_name="My Tool!",
    tool_std="",
    where="test",
)


def test_defaults_and_coercion() -> None:
    assert validate_arguments(API, {"q": "a", "n": 2.0}) == {"q": "a", "n": 2, "mode": "a"}


@pytest.mark.parametrize(
    ("args", "msg"),
    [
        ({"n": 1}, "missing required parameter 'q'"),
        ({"q": "a", "n": 1, "zz": 1}, "unknown parameter 'zz'"),
        ({"q": 1, "n": 1}, "'q' must be of type string"),
        ({"q": "a", "n": 1.5}, "'n' must be of type integer"),
        ({"q": "a", "n": True}, "'n' must be of type integer"),
        ({"q": "a", "n": "3"}, "'n' must be of type integer"),
        ({"q": "a", "n": 1, "when": "June 3"}, "YYYY-MM-DD"),
        ({"q": "a", "n": 1, "mode": "c"}, "one of a, b"),
        ({"q": "a", "n": 1, "x": float("nan")}, "finite"),
        ({"q": "a", "n": 1, "flag": "yes"}, "'flag' must be of type boolean"),
    ],
)
def test_violations(args: dict, msg: str) -> None:
    with pytest.raises(InvalidArguments, match=msg):
        validate_arguments(API, args)


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


OBJECT_API = api_from_dict(
    {
        "name": "Take Anything",
        "required_parameters": [{"name": "o", "type": "OBJECT", "default": ""}],
        "optional_parameters": [
            {"name": "a", "type": "ARRAY", "default": ""},
            {"name": "n", "type": "NUMBER", "default": ""},
            {"name": "s", "type": "STRING", "default": ""},
        ],
    },
    category="C",
    tool_name="Any",
    tool_std="",
    where="test",
)


@pytest.mark.parametrize("wire", [False, True])
@pytest.mark.parametrize(
    ("args", "msg"),
    [
        ({"o": {}, "n": MAX_ABS_NUMBER + 1}, "magnitude over 1e15"),
        ({"o": {}, "n": -(10**400)}, "magnitude over 1e15"),
        ({"o": {"deep": [1, {"x": 10**20}]}}, "magnitude over 1e15"),
        ({"o": {"x": float("inf")}}, "not finite"),
        ({"o": {}, "a": [float("nan")]}, "not finite"),
        ({"o": {}, "a": _nested(MAX_DEPTH + 1)}, "more than 32 levels"),
        ({"o": {"k": _nested(MAX_DEPTH)}}, "more than 32 levels"),
        ({"o": {}, "a": _nested(100_000)}, "more than 32 levels"),  # no RecursionError
        ({"o": {}, "s": "x" * (MAX_ARGUMENT_SIZE + 1)}, "more than 1,000,000 characters"),
        ({"o": {}, "a": ["x" * 600_000, "y" * 600_000]}, "more than 1,000,000 characters"),
        ({"o": {"x" * 700_000: 1}, "s": "y" * 400_000}, "more than 1,000,000 characters"),
        ({"o": {}, "a": [""] * 1_000_001}, "more than 1,000,000 characters"),  # empty counts
        ({"o": {"f": object()}}, "not a JSON value"),
    ],
)
def test_values_are_bounded_whatever_the_type(args: dict, msg: str, wire: bool) -> None:
    with pytest.raises(InvalidArguments, match=msg):
        validate_arguments(OBJECT_API, args, wire=wire)


def test_values_within_the_bounds_pass() -> None:
    args = {
        "o": {"k": _nested(MAX_DEPTH - 1), "big": -MAX_ABS_NUMBER, "f": 1e15, "none": None},
        "a": ["x" * 400_000, True],
        "n": MAX_ABS_NUMBER,
        "s": "y" * 500_000,
    }
    assert validate_arguments(OBJECT_API, args) == args


def test_types_found_in_the_wild() -> None:
    assert ParamType.parse("DATE (YYYY-MM-DD)") is ParamType.DATE
    assert ParamType.parse("number") is ParamType.NUMBER
    assert ParamType.parse("enum") is ParamType.ENUM
    assert ParamType.parse(None) is ParamType.STRING
    assert ParamType.parse("GEOPOINT (latitude, longitude)") is ParamType.STRING


def test_naming_rules() -> None:
    assert standardize("  My Tool!! v2 ") == "my_tool_v2"
    assert standardize("123abc") == "get_123abc"
    assert function_name("id", "Tool") == "is_id_for_tool"
    assert API.function_name == "search_things_for_my_tool"
    long = function_name("a" * 50, "b" * 50)
    assert len(long) == 64 and long.endswith("_for_" + "b" * 50)
