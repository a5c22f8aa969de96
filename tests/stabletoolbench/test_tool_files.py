"""ToolBench tool files (``toolenv/tools/{category}/{tool}.json``) as API specs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from steptool_env.errors import CatalogueError
from steptool_env.stabletoolbench.queries import FUNCTION_NAME, load_tool_file


def _write(tmp_path: Path, content: object, category: str = "Sports") -> Path:
    path = tmp_path / category / "tool.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


def test_tool_file_becomes_specs_with_unique_names(tmp_path: Path) -> None:
    long_tool = "A Very Long Tool Name That Pushes Function Names Past Sixty Four Chars"
    path = _write(
        tmp_path,
        {
            "tool_name": long_tool,
            "tool_description": "",
            "api_list": [
                {"name": "Get Team Stats", "description": "", "method": "GET",
                 "required_parameters": [{"name": "id", "type": "NUMBER", "description": "",
                                          "default": "5"}],
                 "optional_parameters": [{"name": "id", "type": "STRING", "description": "",
                                          "default": ""},
                                         {"name": "day", "type": "DATE (YYYY-MM-DD)",
                                          "description": "", "default": ""}]},
                {"name": "Get Player Stats", "description": "Players.", "method": "GET",
                 "required_parameters": [], "optional_parameters": []},
                {"name": "Get Team Stats", "description": "again", "method": "GET",
                 "required_parameters": [], "optional_parameters": []},
            ],
        },
    )  # fmt: skip
    tool = load_tool_file(path)
    assert tool.category == "Sports" and tool.tool_name == long_tool
    names = [a.function_name for a in tool.apis]
    assert len(names) == 2 and len(set(names)) == 2  # the API listed twice is kept once
    assert all(FUNCTION_NAME.match(n) for n in names)
    # both names end in the same 64 characters: the second is renamed and reported
    assert [c.api for c in tool.collisions] == [(long_tool, "Get Player Stats")]
    assert names[1].endswith("_2") and len(names[1]) == 64
    assert any("declared twice" in r for r in tool.repairs)
    assert any("listed twice" in r for r in tool.repairs)
    first = tool.apis[0]
    assert [p.name for p in first.required] == ["id"] and [p.name for p in first.optional] == [
        "day"
    ]
    schema = first.openai_schema()["parameters"]["properties"]
    assert schema["id"]["type"] == "number" and "YYYY-MM-DD" in schema["day"]["description"]


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ([], "must hold a JSON object"),
        ({"api_list": []}, "field 'tool_name'"),
        ({"tool_name": "t", "api_list": {}}, "field 'api_list' must be a list"),
        ({"tool_name": "t", "api_list": [{"description": "x"}]}, r"api_list\[0\]: field 'name'"),
        (
            {"tool_name": "t", "api_list": [{"name": "a", "required_parameters": [3]}]},
            r"required_parameters\[0\]: a parameter must be a JSON object",
        ),
    ],
)
def test_malformed_tool_files_name_file_and_field(
    tmp_path: Path, content: object, match: str
) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(CatalogueError, match=match) as info:
        load_tool_file(path)
    assert str(path) in str(info.value)


def test_tool_file_not_json(tmp_path: Path) -> None:
    path = tmp_path / "Data" / "broken.json"
    path.parent.mkdir()
    path.write_text("{", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not valid JSON"):
        load_tool_file(path)
