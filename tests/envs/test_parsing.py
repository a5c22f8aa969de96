"""Tests of the action parsers (``steptool_env.envs.parsing``) and their inverse
(``steptool_env.envs.prompts.format_action``).

The contract under test: every parser maps *any* input to a :class:`ParsedCall` or a
:class:`ParseFailure` whose ``kind`` is one of :data:`FAILURE_KINDS`, and never raises.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

import pytest

from steptool_env.envs.parsing import (
    FAILURE_KINDS,
    PARSERS,
    ParsedCall,
    ParseFailure,
    parse_hermes,
    parse_json,
    parse_react,
)
from steptool_env.envs.prompts import format_action

PARSER_NAMES = sorted(PARSERS)
MB = 1 << 20
DEEP = 100_000
LONG_NAME = "f" * 500


def _check_result(result: Any) -> None:
    """The invariants every parser result must satisfy."""
    assert isinstance(result, ParsedCall | ParseFailure), type(result)
    if isinstance(result, ParseFailure):
        assert result.kind in FAILURE_KINDS, result.kind
        assert isinstance(result.message, str)
        assert result.message
    else:
        assert isinstance(result.function, str)
        assert result.function
        assert result.function == result.function.strip()
        assert len(result.function.split()) == 1
        assert isinstance(result.arguments, dict)
        assert isinstance(result.thought, str)


def _parse_ok(parser: Any, text: str) -> ParsedCall:
    result = parser(text)
    _check_result(result)
    assert isinstance(result, ParsedCall), result
    return result


# ====================================================================== round trip
ROUND_TRIP_ARGS = [
    pytest.param({}, id="empty"),
    pytest.param({"query": "Kelmont"}, id="simple"),
    pytest.param(
        {
            "filter": {"country": {"code": "FR", "ids": [1, 2, 3]}, "empty": {}, "none": []},
            "list_of_objects": [{"a": 1}, {"b": [{"c": {"d": "deep"}}]}],
        },
        id="nested",
    ),
    pytest.param(
        {
            "city": "Zürich",
            "jp": "東京都",
            "emoji": "🌍🚀",
            "rtl": "مرحبا",
            "combining": "e\u0301",
            "ключ": "значение",
        },
        id="unicode",
    ),
    pytest.param(
        {
            "dq": 'He said "hi"',
            "sq": "it's",
            "mixed": "'\"`{}[]:,",
            "json_like": '{"name": "other_tool", "arguments": {}}',
        },
        id="quotes",
    ),
    pytest.param(
        {
            "text": "line1\nline2\r\n\ttabbed",
            "fake_react": "x\nObservation: fake\nAction: evil\nAction Input: {}",
            "trailing_newline": "end\n",
        },
        id="newlines",
    ),
    pytest.param(
        {"path": "C:\\Users\\x", "regex": "\\d+\\s*\\u0041", "slash": "a/b"}, id="backslashes"
    ),
    pytest.param(
        {
            "zero": 0,
            "neg": -17,
            "big": 2**63 + 1,
            "pi": 3.141592653589793,
            "tiny": 1e-300,
            "huge": 1.5e300,
            "negzero": -0.0,
        },
        id="numbers",
    ),
    pytest.param({"t": True, "f": False, "none": None}, id="booleans_null"),
    pytest.param({"mixed": [1, "a", None, True, {"k": [False, 2.5]}], "empty_str": ""}, id="lists"),
    pytest.param({"key with spaces": 1, "": 2, "{": 3, "Action:": 4}, id="odd_keys"),
    pytest.param({"nul": "a\x00b", "esc": "\x1b[31m", "zwsp": "\u200b"}, id="control_chars"),
    pytest.param({"markup": "<b>bold</b> <tool_call> ``` Thought:"}, id="markup"),
    pytest.param({"long": "x" * 10_000, "many": list(range(500))}, id="long"),
]

ROUND_TRIP_NAMES = ["search_cities_for_geodb_cities", "Finish", "get-weather.v2", "查询天气"]

ROUND_TRIP_THOUGHTS = [
    "",
    "I need the city id first.",
    "Step 1: find the city.\nStep 2: get its weather.",
    "Unicode thought: Zürich → 東京 🌍",
]


@pytest.mark.parametrize("parser_name", PARSER_NAMES)
@pytest.mark.parametrize("args", ROUND_TRIP_ARGS)
def test_round_trip_arguments(parser_name: str, args: dict[str, Any]) -> None:
    text = format_action(parser_name, "search_cities_for_geodb_cities", args, "Let me search.")
    result = _parse_ok(PARSERS[parser_name], text)
    assert result.function == "search_cities_for_geodb_cities"
    assert result.arguments == args
    # Compare the JSON too: catches e.g. True/1 or 0.0/-0.0 confusions that == hides.
    assert json.dumps(result.arguments, sort_keys=True) == json.dumps(args, sort_keys=True)


@pytest.mark.parametrize("parser_name", PARSER_NAMES)
@pytest.mark.parametrize("name", ROUND_TRIP_NAMES)
def test_round_trip_function_names(parser_name: str, name: str) -> None:
    result = _parse_ok(PARSERS[parser_name], format_action(parser_name, name, {"a": 1}))
    assert result.function == name
    assert result.arguments == {"a": 1}


@pytest.mark.parametrize("parser_name", ["react", "hermes"])
@pytest.mark.parametrize("thought", ROUND_TRIP_THOUGHTS)
def test_round_trip_thought(parser_name: str, thought: str) -> None:
    text = format_action(parser_name, "f", {"q": "x"}, thought)
    result = _parse_ok(PARSERS[parser_name], text)
    assert (result.function, result.arguments, result.thought) == ("f", {"q": "x"}, thought)


def test_round_trip_json_has_no_thought() -> None:
    # The json format carries no thought: format_action drops it, the parser returns "".
    result = _parse_ok(parse_json, format_action("json", "f", {"q": 1}, "ignored"))
    assert (result.function, result.arguments, result.thought) == ("f", {"q": 1}, "")


def test_round_trip_hermes_closing_tag_inside_argument() -> None:
    # An argument value that mentions the closing tag: format_action writes it verbatim
    # (json.dumps does not escape '<' or '/'), so the parser must still read the whole call.
    args = {"text": "the model ends a call with </tool_call> and then stops"}
    result = _parse_ok(parse_hermes, format_action("hermes", "f", args))
    assert result.arguments == args


# ====================================================================== accepted variants
REACT_VARIANTS = [
    pytest.param(
        'Thought: x\nAction: f\nAction Input: {"a": 1}', "f", {"a": 1}, "x", id="canonical"
    ),
    pytest.param('Action: f\nAction Input: {"a": 1}', "f", {"a": 1}, "", id="no_thought"),
    pytest.param(
        'Thought :   x  \n  Action :   f   \n\t Action  Input :   {"a": 1}   ',
        "f",
        {"a": 1},
        "x",
        id="extra_spaces",
    ),
    pytest.param('thought: x\nAction: f\nAction Input: {"a": 1}', "f", {"a": 1}, "x", id="lower"),
    pytest.param('THOUGHT: x\nAction: f\nAction Input: {"a": 1}', "f", {"a": 1}, "x", id="upper"),
    pytest.param(
        'Thought: x\nAction: f\nAction Input: ```json\n{"a": 1}\n```',
        "f",
        {"a": 1},
        "x",
        id="fenced_json",
    ),
    pytest.param(
        'Action: f\nAction Input: ```\n{"a": 1}\n```', "f", {"a": 1}, "", id="fenced_no_language"
    ),
    pytest.param(
        'Action: f\nAction Input:\n```json\n{"a": {"b": [1, 2]}}\n```\n',
        "f",
        {"a": {"b": [1, 2]}},
        "",
        id="fenced_next_line",
    ),
    pytest.param(
        'Action: f\nAction Input: {"a": 1}\nObservation: {"result": {"temp": 21}}',
        "f",
        {"a": 1},
        "",
        id="trailing_observation",
    ),
    pytest.param(
        'Action: f\nAction Input: {"a": 1}\n  Observation: {"x": 1}\n{"y": 2}\nThought: done',
        "f",
        {"a": 1},
        "",
        id="trailing_observation_with_braces",
    ),
    pytest.param(
        'Action: f\nAction Input: {"a": 1}\nI hope this works, it should return the id.',
        "f",
        {"a": 1},
        "",
        id="prose_after_json",
    ),
    pytest.param(
        'Action: f\nAction Input: {"a": 1} (this is the city name)',
        "f",
        {"a": 1},
        "",
        id="prose_after_json_same_line",
    ),
    pytest.param(
        'Action: f\nAction Input: {\n  "a": 1,\n  "b": [\n    "x"\n  ]\n}',
        "f",
        {"a": 1, "b": ["x"]},
        "",
        id="pretty_printed",
    ),
    pytest.param('Action: f\nAction Input:\n{"a": 1}', "f", {"a": 1}, "", id="input_on_next_line"),
    pytest.param(
        'Thought: x\r\nAction: f\r\nAction Input: {"a": 1}\r\n',
        "f",
        {"a": 1},
        "x",
        id="crlf",
    ),
    pytest.param("Action: f\nAction Input: {}", "f", {}, "", id="empty_object"),
    pytest.param(
        'Thought: first line\nsecond line\nAction: f\nAction Input: {"a": 1}',
        "f",
        {"a": 1},
        "first line\nsecond line",
        id="multiline_thought",
    ),
    pytest.param(
        'Thought: x\n\n\nAction: Finish\nAction Input: {"return_type": "give_answer", '
        '"final_answer": "It is 21 °C."}',
        "Finish",
        {"return_type": "give_answer", "final_answer": "It is 21 °C."},
        "x",
        id="finish_blank_lines",
    ),
]

JSON_VARIANTS = [
    pytest.param('{"name": "f", "arguments": {"a": 1}}', "f", {"a": 1}, "", id="canonical"),
    pytest.param(
        '\n\n  {\n  "name": "f",\n  "arguments": {"a": 1}\n}\n  ', "f", {"a": 1}, "", id="spaces"
    ),
    pytest.param(
        '```json\n{"name": "f", "arguments": {"a": 1}}\n```', "f", {"a": 1}, "", id="fenced"
    ),
    pytest.param(
        '{"function": {"name": "f", "arguments": {"a": 1}}}',
        "f",
        {"a": 1},
        "",
        id="function_wrapper",
    ),
    pytest.param(
        '{"type": "function", "function": {"name": "f", "arguments": "{\\"a\\": 1}"}}',
        "f",
        {"a": 1},
        "",
        id="typed_function_wrapper_string_args",
    ),
    pytest.param(
        '{"tool_calls": [{"name": "f", "arguments": {"a": 1}}]}',
        "f",
        {"a": 1},
        "",
        id="tool_calls",
    ),
    pytest.param(
        '{"tool_calls": [{"id": "call_1", "type": "function", '
        '"function": {"name": "f", "arguments": "{\\"a\\": 1}"}}]}',
        "f",
        {"a": 1},
        "",
        id="openai_tool_calls",
    ),
    pytest.param(
        '{"name": "f", "arguments": "{\\"a\\": {\\"b\\": [1, 2]}}"}',
        "f",
        {"a": {"b": [1, 2]}},
        "",
        id="arguments_json_string",
    ),
    pytest.param('{"name": "f", "arguments": ""}', "f", {}, "", id="arguments_empty_string"),
    pytest.param('{"name": "f", "arguments": null}', "f", {}, "", id="arguments_null"),
    pytest.param('{"name": "f"}', "f", {}, "", id="arguments_missing"),
    pytest.param('{"name": "f", "parameters": {"a": 1}}', "f", {"a": 1}, "", id="parameters"),
    pytest.param('[{"name": "f", "arguments": {"a": 1}}]', "f", {"a": 1}, "", id="one_elem_list"),
    pytest.param(
        'I need the city id first.\n{"name": "f", "arguments": {"a": 1}}',
        "f",
        {"a": 1},
        "I need the city id first.",
        id="prose_before",
    ),
    pytest.param(
        '{"thought": "look it up", "name": "f", "arguments": {"a": 1}}',
        "f",
        {"a": 1},
        "look it up",
        id="thought_key",
    ),
    pytest.param(
        '{"name": "f", "arguments": {"a": 1}}\nThat should do it.',
        "f",
        {"a": 1},
        "",
        id="prose_after",
    ),
    pytest.param(
        'Let me check [the docs] first.\n{"name": "f", "arguments": {"a": 1}}',
        "f",
        {"a": 1},
        "Let me check [the docs] first.",
        id="prose_with_brackets_before",
    ),
]

HERMES_VARIANTS = [
    pytest.param(
        '<tool_call>\n{"name": "f", "arguments": {"a": 1}}\n</tool_call>',
        "f",
        {"a": 1},
        "",
        id="canonical",
    ),
    pytest.param(
        'I need the city id first.\n<tool_call>\n{"name": "f", "arguments": {"a": 1}}\n'
        "</tool_call>",
        "f",
        {"a": 1},
        "I need the city id first.",
        id="text_before",
    ),
    pytest.param(
        '<tool_call>\n{"name": "f", "arguments": {"a": 1}}\n',
        "f",
        {"a": 1},
        "",
        id="missing_closing_tag",
    ),
    pytest.param(
        '<think>\nhmm\n</think>\n<tool_call>\n{"name": "f", "arguments": {"a": 1}}',
        "f",
        {"a": 1},
        "<think>\nhmm\n</think>",
        id="think_before_missing_close",
    ),
    pytest.param(
        '<tool_call>{"name": "f", "arguments": {"a": 1}}</tool_call>',
        "f",
        {"a": 1},
        "",
        id="one_line",
    ),
    pytest.param(
        '<tool_call>\n{"name": "f", "arguments": {"a": 1}}\n</tool_call><|im_end|>',
        "f",
        {"a": 1},
        "",
        id="text_after",
    ),
    pytest.param(
        '<tool_call>\n{"name": "f", "arguments": "{\\"a\\": 1}"}\n</tool_call>',
        "f",
        {"a": 1},
        "",
        id="arguments_json_string",
    ),
    pytest.param(
        '<tool_call>\n```json\n{"name": "f", "arguments": {"a": 1}}\n```\n</tool_call>',
        "f",
        {"a": 1},
        "",
        id="fenced_body",
    ),
    pytest.param(
        '<tool_call>\n{"function": {"name": "f", "arguments": {"a": 1}}}\n</tool_call>',
        "f",
        {"a": 1},
        "",
        id="function_wrapper",
    ),
    pytest.param(
        '<tool_call>\n{"name": "f", "parameters": {"a": 1}}\n</tool_call>',
        "f",
        {"a": 1},
        "",
        id="parameters",
    ),
    pytest.param('<tool_call>\n{"name": "f"}\n</tool_call>', "f", {}, "", id="arguments_missing"),
    pytest.param(
        '<tool_call>\n{\n  "name": "f",\n  "arguments": {\n    "a": 1\n  }\n}\n</tool_call>',
        "f",
        {"a": 1},
        "",
        id="pretty_printed",
    ),
]


def _check_variant(parser: Any, text: str, function: str, args: dict, thought: str) -> None:
    result = _parse_ok(parser, text)
    assert (result.function, result.arguments, result.thought) == (function, args, thought)


@pytest.mark.parametrize(("text", "function", "args", "thought"), REACT_VARIANTS)
def test_react_accepts(text: str, function: str, args: dict, thought: str) -> None:
    _check_variant(parse_react, text, function, args, thought)


@pytest.mark.parametrize(("text", "function", "args", "thought"), JSON_VARIANTS)
def test_json_accepts(text: str, function: str, args: dict, thought: str) -> None:
    _check_variant(parse_json, text, function, args, thought)


@pytest.mark.parametrize(("text", "function", "args", "thought"), HERMES_VARIANTS)
def test_hermes_accepts(text: str, function: str, args: dict, thought: str) -> None:
    _check_variant(parse_hermes, text, function, args, thought)


# ====================================================================== malformed
# Each entry: (input, expected kind or None). None means "any kind from FAILURE_KINDS"
# (the right kind is debatable); the parser must return a ParseFailure either way.


def _react(action_input: str, name: str = "f") -> str:
    return f"Thought: I should call it.\nAction: {name}\nAction Input: {action_input}"


def _hermes(body: str) -> str:
    return f"<tool_call>\n{body}\n</tool_call>"


def _call(name: Any = "f", args: Any = None) -> str:
    return json.dumps({"name": name, "arguments": {} if args is None else args})


_DEEP_ARRAY = "[" * DEEP + "]" * DEEP
_DEEP_OBJECT = '{"a": ' * DEEP + "1" + "}" * DEEP
_DEEP_UNCLOSED = '{"a": [' * DEEP
_MB_PROSE = ("The weather in Kelmont is nice today. " * (MB // 38 + 1))[:MB]
_MB_TRUNCATED_STR = '{"query": "' + "a" * MB
_MB_VALID_OBJECT = json.dumps({"query": "a" * MB})

NON_TEXT = [
    pytest.param(None, "not_text", id="none"),
    pytest.param(b"Action: f\nAction Input: {}", "not_text", id="bytes"),
    pytest.param(42, "not_text", id="int"),
    pytest.param(["Action: f"], "not_text", id="list"),
    pytest.param({"name": "f", "arguments": {}}, "not_text", id="dict"),
    pytest.param(bytearray(b"{}"), "not_text", id="bytearray"),
]

REACT_MALFORMED = [
    *NON_TEXT,
    pytest.param("", "empty", id="empty"),
    pytest.param("   \n\t \r\n  ", "empty", id="whitespace"),
    pytest.param("I should look up the city id first.", "no_action", id="prose_only"),
    pytest.param("Thought: I should look up the city id.", "no_action", id="thought_only"),
    pytest.param('Thought: x\nAction Input: {"a": 1}', "no_action", id="no_action_line"),
    pytest.param("**Action:** f\n**Action Input:** {}", "no_action", id="markdown_bold"),
    pytest.param('action: f\naction input: {"a": 1}', "no_action", id="lowercase_action"),
    pytest.param("Action:\nAction Input: {}", "bad_function_name", id="action_no_name"),
    pytest.param("Action:    \t\nAction Input: {}", "bad_function_name", id="action_blank_name"),
    pytest.param(_react("{}", "search cities"), "bad_function_name", id="name_with_spaces"),
    pytest.param(_react("{}", LONG_NAME), "bad_function_name", id="name_500_chars"),
    pytest.param("Action: f\nAction: g\nAction Input: {}", "multiple_calls", id="two_action_lines"),
    pytest.param(
        'Action: f\nAction Input: {"a": 1}\nAction Input: {"a": 2}',
        "multiple_calls",
        id="two_action_input_lines",
    ),
    pytest.param(
        'Action: f\nAction Input: {"a": 1}\nThought: also\nAction: g\nAction Input: {}',
        "multiple_calls",
        id="two_calls",
    ),
    pytest.param("Thought: x\nAction: f", "no_action_input", id="missing_action_input"),
    pytest.param(
        'Action: f\nAction input: {"a": 1}', "no_action_input", id="lowercase_action_input"
    ),
    pytest.param("Action: f\nAction Input:", "no_action_input", id="action_input_empty"),
    pytest.param("Action: f\nAction Input:   \n\n", "no_action_input", id="action_input_blank"),
    pytest.param(
        'Action: f\nAction Input:\nObservation: {"a": 1}',
        "no_action_input",
        id="action_input_only_observation",
    ),
    pytest.param(_react("query=Kelmont"), "bad_json", id="input_not_json"),
    pytest.param(_react('{"query": "Kel'), "bad_json", id="truncated_json"),
    pytest.param(_react('{"query": "Kelmont"'), "bad_json", id="missing_closing_brace"),
    pytest.param(_react('["Kelmont", 3]'), None, id="json_array"),
    pytest.param(_react('"Kelmont"'), None, id="json_string"),
    pytest.param(_react("42"), None, id="json_number"),
    pytest.param(_react("null"), None, id="json_null"),
    pytest.param(_react("{'query': 'Kelmont'}"), "bad_json", id="single_quotes"),
    pytest.param(_react('{"query": "Kelmont",}'), "bad_json", id="trailing_comma"),
    pytest.param(_react('{query: "Kelmont"}'), "bad_json", id="unquoted_keys"),
    pytest.param(_react('{"flag": True}'), "bad_json", id="python_literal"),
    pytest.param(_react('{"a": 1 // the id\n}'), "bad_json", id="js_comment"),
    pytest.param(_react('{"a": 1} {"a": 2}'), "multiple_calls", id="two_json_objects"),
    pytest.param(_react('```json\n{"a": 1'), "bad_json", id="unclosed_fence_truncated"),
    pytest.param(_react(_DEEP_OBJECT), "bad_json", id="deep_object"),
    pytest.param(_react('{"a": ' + _DEEP_ARRAY + "}"), "bad_json", id="deep_array_in_object"),
    pytest.param(_react(_DEEP_UNCLOSED), "bad_json", id="deep_unclosed"),
    pytest.param(_react(_DEEP_ARRAY), None, id="deep_array"),
    pytest.param(_MB_PROSE, "no_action", id="1mb_prose"),
    pytest.param(_react(_MB_TRUNCATED_STR), "bad_json", id="1mb_truncated_json"),
    pytest.param("\udcff\udc80\ud800", "no_action", id="lone_surrogates"),
    pytest.param("Action: f\nAction Input: \udcff", "bad_json", id="surrogate_input"),
    pytest.param("\x00" * 50, "no_action", id="nul_bytes"),
    pytest.param(_react('{"q": "a\x00b"}'), "bad_json", id="raw_nul_in_json_string"),
    pytest.param(_react('{"q": "line1\nline2"}'), "bad_json", id="raw_newline_in_json_string"),
    pytest.param("\x1b[31mAction\x1b[0m: f\nAction Input: {}", "no_action", id="ansi_escapes"),
    pytest.param(
        "\x01\x02\x03\x07\x08\x0b\x0c\x7f\x85\u2028\u2029", "no_action", id="control_chars"
    ),
    pytest.param("Действие: поиск\n行动输入: {}\nالإجراء", "no_action", id="mixed_scripts"),
    pytest.param("\ufeff\u200b\u00a0\u3000", None, id="unicode_spaces_bom"),
]

JSON_MALFORMED = [
    *NON_TEXT,
    pytest.param("", "empty", id="empty"),
    pytest.param("  \n\t\r\n ", "empty", id="whitespace"),
    pytest.param("```json\n```", None, id="empty_fence"),
    pytest.param("I will search for the city now.", "no_action", id="prose_only"),
    pytest.param('"search_cities"', "no_action", id="json_string"),
    pytest.param("42", "no_action", id="json_number"),
    pytest.param("null", "no_action", id="json_null"),
    pytest.param("[]", "no_action", id="empty_list"),
    pytest.param("[42]", "bad_json", id="list_of_number"),
    pytest.param('[["f", {}]]', "bad_json", id="nested_list"),
    pytest.param('{"name": "f", "arguments": {"q": "Kel', "bad_json", id="truncated"),
    pytest.param('{"name": "f"', "bad_json", id="missing_closing_brace"),
    pytest.param("{'name': 'f', 'arguments': {}}", "bad_json", id="single_quotes"),
    pytest.param('{"name": "f", "arguments": {},}', "bad_json", id="trailing_comma"),
    pytest.param('{name: "f", arguments: {}}', "bad_json", id="unquoted_keys"),
    pytest.param('{"name": "f", "arguments": {"flag": True}}', "bad_json", id="python_literal"),
    pytest.param(_call("a") + "\n" + _call("b"), "multiple_calls", id="two_objects"),
    pytest.param(
        "[" + _call("a") + ", " + _call("b") + "]", "multiple_calls", id="list_of_two_calls"
    ),
    pytest.param(
        json.dumps({"tool_calls": [json.loads(_call("a")), json.loads(_call("b"))]}),
        "multiple_calls",
        id="tool_calls_two",
    ),
    pytest.param('{"tool_calls": []}', "no_action", id="tool_calls_empty"),
    pytest.param('{"tool_calls": ' + _call() + "}", "no_action", id="tool_calls_not_list"),
    pytest.param('{"tool_calls": ["f"]}', "bad_json", id="tool_calls_item_not_object"),
    pytest.param('{"arguments": {"a": 1}}', "no_action", id="missing_name"),
    pytest.param('{"function": "f", "arguments": {}}', "no_action", id="function_is_string"),
    pytest.param('Action: f\nAction Input: {"a": 1}', "no_action", id="react_format"),
    pytest.param(_call(42), "bad_function_name", id="name_number"),
    pytest.param(_call(None), "bad_function_name", id="name_null"),
    pytest.param(_call(["f"]), "bad_function_name", id="name_list"),
    pytest.param(_call(""), "bad_function_name", id="name_empty"),
    pytest.param(_call("search cities"), "bad_function_name", id="name_with_spaces"),
    pytest.param(_call(LONG_NAME), "bad_function_name", id="name_500_chars"),
    pytest.param(_call("f", [1, 2]), "arguments_not_object", id="arguments_list"),
    pytest.param(_call("f", 3), "arguments_not_object", id="arguments_number"),
    pytest.param(_call("f", True), "arguments_not_object", id="arguments_bool"),
    pytest.param(_call("f", '{"q": '), "bad_json", id="arguments_invalid_json_string"),
    pytest.param(_call("f", "query=Kelmont"), "bad_json", id="arguments_plain_string"),
    pytest.param(_call("f", "[1, 2]"), None, id="arguments_list_string"),
    pytest.param(_DEEP_ARRAY, "bad_json", id="deep_array"),
    pytest.param(_DEEP_OBJECT, "bad_json", id="deep_object"),
    pytest.param('{"name": "f", "arguments": ' + _DEEP_OBJECT + "}", "bad_json", id="deep_args"),
    pytest.param(_DEEP_UNCLOSED, "bad_json", id="deep_unclosed"),
    pytest.param(_MB_PROSE, "no_action", id="1mb_prose"),
    pytest.param('{"name": "f", "arguments": ' + _MB_TRUNCATED_STR, "bad_json", id="1mb_trunc"),
    pytest.param(_MB_VALID_OBJECT, "no_action", id="1mb_object_without_name"),
    pytest.param("\udcff\udc80\ud800", "no_action", id="lone_surrogates"),
    pytest.param("\x00" * 50, "no_action", id="nul_bytes"),
    pytest.param("\x1b\x01\x02\x07\x7f\x85\u2028", "no_action", id="control_chars"),
    pytest.param("Вызов функции: 调用 الإجراء", "no_action", id="mixed_scripts"),
]

HERMES_MALFORMED = [
    *NON_TEXT,
    pytest.param("", "empty", id="empty"),
    pytest.param(" \n\t\r\n ", "empty", id="whitespace"),
    pytest.param("I will search for the city now.", "no_action", id="prose_only"),
    pytest.param(_call(), "no_action", id="json_without_tags"),
    pytest.param(_call() + "\n</tool_call>", "no_action", id="only_closing_tag"),
    pytest.param("<toolcall>\n" + _call() + "\n</toolcall>", "no_action", id="misspelled_tag"),
    pytest.param("<TOOL_CALL>\n" + _call() + "\n</TOOL_CALL>", "no_action", id="uppercase_tag"),
    pytest.param("<tool_call></tool_call>", "no_action", id="empty_block"),
    pytest.param("<tool_call>\n   \n</tool_call>", "no_action", id="blank_block"),
    pytest.param("Let me call it.\n<tool_call>", "no_action", id="open_tag_only"),
    pytest.param(_hermes(_call("a")) + "\n" + _hermes(_call("b")), "multiple_calls", id="two"),
    pytest.param(
        "<tool_call>\n" + _call("a") + "\n<tool_call>\n" + _call("b"),
        "multiple_calls",
        id="two_unclosed",
    ),
    pytest.param(_hermes(_call("a") + "\n" + _call("b")), "multiple_calls", id="two_in_block"),
    pytest.param(
        _hermes(json.dumps({"tool_calls": [json.loads(_call("a")), json.loads(_call("b"))]})),
        "multiple_calls",
        id="tool_calls_two",
    ),
    pytest.param(_hermes('{"tool_calls": []}'), "no_action", id="tool_calls_empty"),
    pytest.param(_hermes('{"name": "f", "arguments": {"q": "Kel'), "bad_json", id="truncated"),
    pytest.param(_hermes("{'name': 'f', 'arguments': {}}"), "bad_json", id="single_quotes"),
    pytest.param(_hermes('{"name": "f", "arguments": {},}'), "bad_json", id="trailing_comma"),
    pytest.param(_hermes('["f"]'), None, id="json_array"),
    pytest.param(_hermes('"f"'), None, id="json_string"),
    pytest.param(_hermes("42"), None, id="json_number"),
    pytest.param(_hermes("search_cities(query='Kelmont')"), None, id="python_call_syntax"),
    pytest.param(
        _hermes('<function=f>{"query": "Kelmont"}</function>'), None, id="xml_function_syntax"
    ),
    pytest.param(_hermes('{"arguments": {"a": 1}}'), "no_action", id="missing_name"),
    pytest.param(_hermes(_call(42)), "bad_function_name", id="name_number"),
    pytest.param(_hermes(_call("")), "bad_function_name", id="name_empty"),
    pytest.param(_hermes(_call("search cities")), "bad_function_name", id="name_with_spaces"),
    pytest.param(_hermes(_call(LONG_NAME)), "bad_function_name", id="name_500_chars"),
    pytest.param(_hermes(_call("f", [1])), "arguments_not_object", id="arguments_list"),
    pytest.param(_hermes(_call("f", '{"q": ')), "bad_json", id="arguments_invalid_string"),
    pytest.param(_hermes(_DEEP_OBJECT), "bad_json", id="deep_object"),
    pytest.param(
        _hermes('{"name": "f", "arguments": ' + _DEEP_ARRAY + "}"), "bad_json", id="deep_array"
    ),
    pytest.param(_hermes(_DEEP_UNCLOSED), "bad_json", id="deep_unclosed"),
    pytest.param(_MB_PROSE, "no_action", id="1mb_prose"),
    pytest.param(_hermes('{"name": "f", "arguments": ' + _MB_TRUNCATED_STR), "bad_json", id="1mb"),
    pytest.param("\udcff\udc80\ud800", "no_action", id="lone_surrogates"),
    pytest.param(_hermes("\udcff"), "bad_json", id="surrogate_in_block"),
    pytest.param("\x00" * 50, "no_action", id="nul_bytes"),
    pytest.param("\x1b\x01\x02\x07\x7f\x85\u2028", "no_action", id="control_chars"),
    pytest.param("Вызов функции: 调用 الإجراء", "no_action", id="mixed_scripts"),
]


def _check_failure(parser: Any, text: Any, kind: str | None) -> None:
    result = parser(text)  # must not raise (RecursionError, UnicodeError, TypeError, ...)
    _check_result(result)
    assert isinstance(result, ParseFailure), result
    if kind is not None:
        assert result.kind == kind, result


@pytest.mark.parametrize(("text", "kind"), REACT_MALFORMED)
def test_react_rejects(text: Any, kind: str | None) -> None:
    _check_failure(parse_react, text, kind)


@pytest.mark.parametrize(("text", "kind"), JSON_MALFORMED)
def test_json_rejects(text: Any, kind: str | None) -> None:
    _check_failure(parse_json, text, kind)


@pytest.mark.parametrize(("text", "kind"), HERMES_MALFORMED)
def test_hermes_rejects(text: Any, kind: str | None) -> None:
    _check_failure(parse_hermes, text, kind)


@pytest.mark.parametrize(
    "cases", [REACT_MALFORMED, JSON_MALFORMED, HERMES_MALFORMED], ids=["react", "json", "hermes"]
)
def test_enough_distinct_malformed_cases(cases: list) -> None:
    ids = [case.id for case in cases]
    assert len(ids) == len(set(ids))
    texts = [repr(case.values[0]) for case in cases]
    assert len(texts) == len(set(texts))
    assert len(cases) >= 30


@pytest.mark.parametrize("parser_name", PARSER_NAMES)
def test_mb_valid_call_is_accepted(parser_name: str) -> None:
    args = {"query": "a" * MB, "text": "é" * 1000}
    result = _parse_ok(PARSERS[parser_name], format_action(parser_name, "f", args))
    assert result.arguments == args


# ====================================================================== linear time
# Model output can degenerate into long runs of spaces or newlines. A parser must stay
# linear on them: a backtracking regex that is quadratic in a whitespace run turns a
# 1 MB action into hours of CPU. N is kept small so that a quadratic parser fails fast
# (a fraction of a second) rather than hanging; a linear one takes well under 1 ms.
N_SPACES = 10_000
TIME_LIMIT_S = 0.05

LINEAR_TIME_CASES = [
    pytest.param(
        parse_react, "Action: search" + " " * N_SPACES + "cities\nAction Input: {}", id="react_name"
    ),
    pytest.param(
        parse_react, "Action: search" + " " * N_SPACES + "\r\nAction Input: {}", id="react_crlf"
    ),
    pytest.param(
        parse_react,
        'Action: f\nAction Input: ```json\n{"a":' + " " * N_SPACES + "1}\n```",
        id="react_fenced_input",
    ),
    pytest.param(
        parse_react, 'Action: f\nAction Input: {"a":' + " " * N_SPACES + "1}", id="react_input"
    ),
    pytest.param(
        parse_react, "Thought: " + " " * N_SPACES + "x\nAction: f\nAction Input: {}", id="react_th"
    ),
    pytest.param(parse_json, '{"name": "f",' + "\n" * N_SPACES + '"arguments": {}}', id="json"),
    pytest.param(parse_json, "I" + " " * N_SPACES + "think", id="json_prose"),
    pytest.param(
        parse_hermes, _hermes('{"name": "f", "arguments":' + " " * N_SPACES + "{}}"), id="hermes"
    ),
    pytest.param(
        parse_hermes,
        _hermes('```json\n{"name": "f", "arguments":' + " " * N_SPACES + "{}}\n```"),
        id="hermes_fenced",
    ),
]


@pytest.mark.parametrize(("parser", "text"), LINEAR_TIME_CASES)
def test_linear_time_on_whitespace_runs(parser: Any, text: str) -> None:
    start = time.perf_counter()
    result = parser(text)
    elapsed = time.perf_counter() - start
    _check_result(result)
    assert elapsed < TIME_LIMIT_S, f"{elapsed:.3f} s for {len(text)} chars: not linear"


# ====================================================================== fuzz
FRAGMENTS = [
    "Action:",
    "Action Input:",
    "Action",
    "Input",
    "Thought:",
    "thought:",
    "Observation:",
    "{",
    "}",
    "[",
    "]",
    "{}",
    "[]",
    '"',
    "'",
    ":",
    ",",
    "\\",
    "\\u",
    "\\ud800",
    '"name"',
    '"arguments"',
    '"parameters"',
    '"function"',
    '"tool_calls"',
    '"thought"',
    '"f"',
    '"{\\"a\\": 1}"',
    "search_cities",
    "Finish",
    "null",
    "true",
    "false",
    "1",
    "-2.5e3",
    "NaN",
    "<tool_call>",
    "</tool_call>",
    "```",
    "```json",
    "\n",
    "\r\n",
    " ",
    "  ",
    "\t",
    "é",
    "東京",
    "🌍",
    "مرحبا",
    "\u200b",
    "\ufeff",
    "\udcff",
    "\x00",
    "\x1b",
    "\x7f",
    "\u2028",
]

_SEEDS = [
    format_action(p, "search_cities", {"query": "Kelmont", "n": [1, {"x": None}]}, "thinking")
    for p in PARSER_NAMES
]


def _fuzz_inputs(count: int) -> list[str]:
    rng = random.Random(0)
    out: list[str] = []
    for _ in range(count):
        mode = rng.random()
        if mode < 0.6:
            # A random concatenation of fragments.
            text = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(0, 40)))
        else:
            # A valid action (any format), mutated: truncated, spliced, fragments inserted.
            text = rng.choice(_SEEDS)
            for _ in range(rng.randint(1, 5)):
                op = rng.randrange(4)
                i = rng.randint(0, len(text))
                if op == 0:
                    text = text[:i]
                elif op == 1:
                    text = text[:i] + rng.choice(FRAGMENTS) + text[i:]
                elif op == 2:
                    j = rng.randint(i, len(text))
                    text = text[:i] + text[j:]
                else:
                    text = text[:i] + rng.choice(_SEEDS) + text[i:]
        out.append(text)
    return out


FUZZ_INPUTS = _fuzz_inputs(2_000)


@pytest.mark.parametrize("parser_name", PARSER_NAMES)
def test_fuzz_never_raises(parser_name: str) -> None:
    parser = PARSERS[parser_name]
    counts = {"ok": 0, "fail": 0}
    for text in FUZZ_INPUTS:
        try:
            result = parser(text)
        except Exception as exc:  # pragma: no cover - reported as a failure
            pytest.fail(f"{parser_name} raised {exc!r} on {text!r}")
        _check_result(result)
        counts["ok" if isinstance(result, ParsedCall) else "fail"] += 1
    # The mutated seeds keep some inputs valid: both outcomes are exercised.
    assert counts["ok"] > 0
    assert counts["fail"] > 0


def test_react_fast_path_equals_the_general_parser_on_random_texts() -> None:
    """Texts in and around the canonical three-line form: whatever the fast path accepts,
    the general parser gives the same call, and every other text is the general parser's."""
    import random

    from steptool_env.envs.parsing import _CANONICAL, _parse_react_general

    rng = random.Random(11)
    thoughts = [
        "",
        "x",
        " I need the id. ",
        "Action: f",
        "a\tb",
        "{",
        "Observation: y",
        "\x0bz\u2003",
    ]
    names = ["f", "get_weather", "a.b-c", "x" * 129, "x" * 128, "f\u2003", "f g", "Finish", "é"]
    bodies = [
        '{"q": "Paris"}',
        "{}",
        '{"a": 1}',
        '{"a": "Observation: 1"}',
        '{"a": {"b": [1, 2]}}',
        "{bad",
        '{"a": 1} {',
        '{"a": 1} trailing',
        "{} ",
        '{"a": "}{"}',
        "[1]",
        '{"a": 1e999}',
        '{"a": "\\u00e9"}',
        "",
    ]
    seps = ["\n", "\r\n", "\n\n", " \n", "\t\n"]
    heads = ["Thought:", "Thought :", "thought:", " Thought:", "Thought:  "]
    actions = ["Action:", "Action :", " Action:", "Action: "]
    inputs = ["Action Input:", "Action Input :", "ActionInput:", "Action Input: "]
    tails = ["", "", "", "\n", " ", "\nObservation: z", "\nAction: g", "\u2003"]

    def pick(options: list[str]) -> str:  # the canonical piece half of the time
        return options[0] if rng.random() < 0.5 else rng.choice(options)

    fast = 0
    for _ in range(20_000):
        text = (
            pick(heads) + rng.choice(thoughts) + pick(seps)
            + pick(actions) + rng.choice(names) + pick(seps)
            + pick(inputs) + rng.choice(bodies) + pick(tails)
        )  # fmt: skip
        fast += _CANONICAL.match(text) is not None
        assert parse_react(text) == _parse_react_general(text), repr(text)
    assert fast > 2_000  # the fast path was exercised, not only the fallback
