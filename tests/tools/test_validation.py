from __future__ import annotations

import pytest

from steptool_env.tools.naming import function_name, standardize
from steptool_env.tools.spec import ParamType, api_from_dict
from steptool_env.tools.validation import InvalidArguments, validate_arguments

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
