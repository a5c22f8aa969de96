"""StableToolBench query files: the real files load cleanly, schemas are valid, repairs and
collisions are exactly the known ones, malformed files fail with precise messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from steptool_env.errors import CatalogueError
from steptool_env.stabletoolbench.queries import (
    FUNCTION_NAME,
    QUERY_FILES,
    Collision,
    StbQuery,
    find_query_files,
    load_query_file,
    load_query_files,
)
from tests.conftest import STABLETOOLBENCH_FILES, stabletoolbench_query_count

JSON_TYPES = {"string", "number", "integer", "boolean", "array", "object", "null"}

# What is known of each real file (tests over the real files check every file that is
# present: exactly against these where they are known, by the rules otherwise).
EXPECTED_COUNTS = {"G1_instruction.json": 163, "G1_tool.json": 158, "G2_instruction.json": 106}

# Every collision of the known files: (query_id, (tool_name, api_name) of the renamed API).
EXPECTED_COLLISIONS = {
    "G1_instruction.json": [
        ("27847", ("168predict VIP Football Predictions", "Yesterday Sure VIP BTTS/Goal Goal")),
        ("27847", ("168predict VIP Football Predictions", "Today Sure VIP BTTS/Goal Goal")),
        ("27847", ("168predict VIP Football Predictions", "Tomorrow Sure VIP Over 2.5 Goals")),
        ("27847", ("168predict VIP Football Predictions", "Today Sure VIP Over 2.5 Goals")),
        ("27847", ("168predict VIP Football Predictions", "Yesterday Sure VIP Over 1.5 Goals")),
        ("27847", ("168predict VIP Football Predictions", "Today Sure VIP Over 1.5 Goals")),
        (
            "79053",
            (
                "Forecast crypto and fiat currency exchange rates",
                "Currency rates for 1 bank. Historical data.",
            ),
        ),
    ],
    "G1_tool.json": [
        ("9039", ("10000+ Anime Quotes With Pagination Support", "Popular Quotes by pagination")),
    ],
    "G2_instruction.json": [
        ("27543", ("Company Consultation Reportero Industrial Mexicano API", "Company By Name")),
    ],
}

EXPECTED_RENAMES = {
    "G1_instruction.json": [
        "e_vip_btts_goal_goal_for_get_168predict_vip_football_predictio_2",
        "e_vip_btts_goal_goal_for_get_168predict_vip_football_predictio_3",
        "e_vip_over_2_5_goals_for_get_168predict_vip_football_predictio_2",
        "e_vip_over_2_5_goals_for_get_168predict_vip_football_predictio_3",
        "e_vip_over_1_5_goals_for_get_168predict_vip_football_predictio_2",
        "e_vip_over_1_5_goals_for_get_168predict_vip_football_predictio_3",
        "orical_data_for_forecast_crypto_and_fiat_currency_exchange_rat_2",
    ],
    "G1_tool.json": ["by_pagination_for_get_10000_anime_quotes_with_pagination_suppo_2"],
    "G2_instruction.json": ["_name_for_company_consultation_reportero_industrial_mexicano_a_2"],
}

# Every parameter repair of the known files: (query_id, repair note).
EXPECTED_REPAIRS = {
    "G1_instruction.json": [
        ("21596", "'User by id' of 'Reqres - dont change!': parameter 'array[]' declared twice"),
        ("24146", "'Riddle by ID' of 'Riddlie ': parameter 'id' declared twice"),
    ],
    "G1_tool.json": [],
    "G2_instruction.json": [],
}


@pytest.fixture
def real_queries(stabletoolbench: Path) -> list[StbQuery]:
    return load_query_files(find_query_files(stabletoolbench))


# ----------------------------------------------------------------------------------------
# The real files
# ----------------------------------------------------------------------------------------


def test_every_real_query_loads_with_per_file_counts(stabletoolbench: Path) -> None:
    files = find_query_files(stabletoolbench)
    assert [f.name for f in files] == [f.name for f in STABLETOOLBENCH_FILES]
    assert [f.stem for f in files] == [s for s in QUERY_FILES if s in {f.stem for f in files}]
    total = 0
    for f in files:
        queries = load_query_file(f)
        assert len(queries) == EXPECTED_COUNTS.get(f.name, stabletoolbench_query_count([f]))
        ids = stabletoolbench / "test_query_ids" / f.name  # {query_id: 0} of the same set
        if ids.is_file():
            expected = sorted(json.loads(ids.read_text(encoding="utf-8")))
            assert sorted(q.query_id for q in queries) == expected, f.name
        assert {q.subset for q in queries} == {QUERY_FILES[f.stem]}
        assert all(q.source == str(f) for q in queries)
        total += len(queries)
    everything = load_query_files(files)
    assert total == len(everything) == stabletoolbench_query_count()
    assert len({q.task_id for q in everything}) == total


def _check_schema(schema: dict[str, Any]) -> None:
    assert FUNCTION_NAME.match(schema["name"]), schema["name"]
    assert len(schema["name"]) <= 64
    assert isinstance(schema["description"], str) and schema["description"].strip()
    params = schema["parameters"]
    # "optional" is ToolBench's own extra key next to the JSON-schema ones.
    assert set(params) <= {"type", "properties", "required", "optional"}
    assert params["type"] == "object"
    props = params["properties"]
    assert isinstance(props, dict)
    required = params["required"]
    assert isinstance(required, list)
    assert len(set(required)) == len(required)
    assert set(required) <= set(props)
    optional = params.get("optional", [])
    assert set(optional) <= set(props)
    assert not set(optional) & set(required)
    for name, prop in props.items():
        assert isinstance(name, str) and name
        assert prop["type"] in JSON_TYPES, (schema["name"], name, prop)
        if "enum" in prop:
            assert isinstance(prop["enum"], list) and prop["enum"], (schema["name"], name)
            assert all(isinstance(v, str) for v in prop["enum"])
        if "description" in prop:
            assert isinstance(prop["description"], str) and prop["description"].strip()
    json.dumps(schema)  # serialisable as sent to an endpoint


def test_every_real_api_is_a_valid_openai_function(real_queries: list[StbQuery]) -> None:
    n = 0
    for q in real_queries:
        names = [a.function_name for a in q.apis]
        assert len(set(names)) == len(names), q.query_id
        assert set(q.by_function) == set(names)
        for api in q.apis:
            schema = api.openai_schema()
            assert schema["name"] == api.function_name
            _check_schema(schema)
            n += 1
        for tool, api_name in q.relevant:
            assert q.function_of(tool, api_name) in names
        task = q.to_task()
        assert task.api_list == tuple(names)
        assert len(task.gold) == len(q.relevant) >= 1
    assert n > 1000


def _by_file(queries: list[StbQuery]) -> dict[str, list[StbQuery]]:
    out: dict[str, list[StbQuery]] = {}
    for q in queries:
        out.setdefault(Path(q.source).name, []).append(q)
    return out


def test_real_collisions_are_exactly_the_known_ones(real_queries: list[StbQuery]) -> None:
    for name, queries in _by_file(real_queries).items():
        collisions = [c for q in queries for c in q.collisions]
        if name in EXPECTED_COLLISIONS:
            assert [(c.query_id, c.api) for c in collisions] == EXPECTED_COLLISIONS[name]
            assert [c.renamed for c in collisions] == EXPECTED_RENAMES[name]
    collisions = [c for q in real_queries for c in q.collisions]
    assert all(isinstance(c, Collision) for c in collisions)
    by_id = {q.query_id: q for q in real_queries}
    for c in collisions:
        q = by_id[c.query_id]
        names = [a.function_name for a in q.apis]
        assert names.count(c.renamed) == 1
        assert names.count(c.name) == 1  # the first API keeps the shared name
        assert len(c.name) == 64
        assert len(c.renamed) <= 64 and FUNCTION_NAME.match(c.renamed)
        assert c.renamed.endswith(("_2", "_3"))
        assert q.function_of(*c.api) == c.renamed
        assert c.renamed[:-2] == c.name[:62]


def test_real_parameter_repairs_are_exactly_the_known_ones(
    real_queries: list[StbQuery],
) -> None:
    for name, queries in _by_file(real_queries).items():
        if name in EXPECTED_REPAIRS:
            repairs = [(q.query_id, r) for q in queries for r in q.repairs]
            assert repairs == EXPECTED_REPAIRS[name]
    by_id = {q.query_id: q for q in real_queries if Path(q.source).name == "G1_instruction.json"}
    if not by_id:
        return
    reqres = next(a for a in by_id["21596"].apis if a.api_name == "User by id")
    assert list(reqres.params).count("array[]") == 1
    riddle = next(a for a in by_id["24146"].apis if a.api_name == "Riddle by ID")
    assert [p.name for p in (*riddle.required, *riddle.optional)].count("id") == 1
    _check_schema(reqres.openai_schema())
    _check_schema(riddle.openai_schema())


# ----------------------------------------------------------------------------------------
# Synthetic files
# ----------------------------------------------------------------------------------------


def _param(name: str, type_: Any, description: str = "", default: Any = "", **extra: Any):
    return {"name": name, "type": type_, "description": description, "default": default, **extra}


def _api(tool: str = "Tool", api: str = "Get Thing", **fields: Any) -> dict[str, Any]:
    entry = {
        "category_name": "Data",
        "tool_name": tool,
        "api_name": api,
        "api_description": "Gets a thing.",
        "required_parameters": [],
        "optional_parameters": [],
        "method": "GET",
    }
    entry.update(fields)
    return entry


def _query(qid: Any = 1, apis: list[Any] | None = None, **fields: Any) -> dict[str, Any]:
    apis = apis if apis is not None else [_api()]
    first = apis[0] if apis and isinstance(apis[0], dict) else {}
    entry = {
        "query": "Find the thing.",
        "query_id": qid,
        "api_list": apis,
        "relevant APIs": [[first.get("tool_name", "Tool"), first.get("api_name", "Get Thing")]],
    }
    entry.update(fields)
    return entry


def _write(path: Path, content: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else json.dumps(content)
    path.write_text(text, encoding="utf-8")
    return path


RAW_TYPES = [
    ("STRING", "string"),
    ("string", "string"),
    ("NUMBER", "number"),
    ("BOOLEAN", "boolean"),
    ("ENUM", "string"),
    ("ARRAY", "array"),
    ("OBJECT", "object"),
    ("DATE (YYYY-MM-DD)", "string"),
    ("TIME (24-hour HH:MM)", "string"),
]


def test_raw_types_map_to_json_types(tmp_path: Path) -> None:
    required = [_param(f"p{i}", raw, f"param {i}") for i, (raw, _) in enumerate(RAW_TYPES)]
    optional = [
        _param("colour", "ENUM", "a colour", "red", enum=["red", "blue"]),
        _param("untyped", None, "no type given"),
        _param("weird", "GEOPOINT", "unknown type"),
    ]
    api = _api(required_parameters=required, optional_parameters=optional)
    path = _write(tmp_path / "G1_instruction.json", [_query(apis=[api])])
    (q,) = load_query_file(path)
    assert q.subset == "I1-Inst" and q.query_id == "1"
    schema = q.apis[0].openai_schema()
    _check_schema(schema)
    props = schema["parameters"]["properties"]
    for i, (raw, json_type) in enumerate(RAW_TYPES):
        assert props[f"p{i}"]["type"] == json_type, raw
    assert "enum" not in props["p4"]  # ENUM without values: a free string
    assert props["colour"] == {
        "type": "string",
        "description": "a colour",
        "enum": ["red", "blue"],
        "default": "red",
    }
    assert props["untyped"]["type"] == "string"
    assert props["weird"]["type"] == "string"
    assert "YYYY-MM-DD" in props["p7"]["description"]
    assert schema["parameters"]["required"] == [f"p{i}" for i in range(len(RAW_TYPES))]
    assert schema["parameters"]["optional"] == ["colour", "untyped", "weird"]
    assert q.apis[0].params["p7"].raw_type == "DATE (YYYY-MM-DD)"


def test_empty_descriptions_give_valid_schemas(tmp_path: Path) -> None:
    api = _api(
        api_description="",
        required_parameters=[_param("q", "STRING", "")],
        optional_parameters=[_param("n", "NUMBER", None, None)],
    )
    path = _write(tmp_path / "q.json", [_query(apis=[api])])
    (q,) = load_query_file(path)
    assert q.subset == "q"  # other file names are their own subset
    assert q.apis[0].description == ""
    assert q.apis[0].params["q"].description == ""
    schema = q.apis[0].openai_schema()
    _check_schema(schema)
    assert "description" not in schema["parameters"]["properties"]["q"]
    assert "Get Thing" in schema["description"]


def test_api_listed_twice_is_kept_once(tmp_path: Path) -> None:
    path = _write(tmp_path / "q.json", [_query(apis=[_api(), _api()])])
    (q,) = load_query_file(path)
    assert len(q.apis) == 1
    assert q.collisions == ()
    assert len(q.repairs) == 1 and "listed twice" in q.repairs[0]


def test_required_and_optional_declaration_stays_required(tmp_path: Path) -> None:
    api = _api(
        required_parameters=[_param("x", "STRING", "first")],
        optional_parameters=[_param("x", "NUMBER", "second"), _param("y", "STRING")],
    )
    (q,) = load_query_file(_write(tmp_path / "q.json", [_query(apis=[api])]))
    spec = q.apis[0]
    assert [p.name for p in spec.required] == ["x"]
    assert [p.name for p in spec.optional] == ["y"]
    assert spec.params["x"].description == "first"
    assert len(q.repairs) == 1 and "'x' declared twice" in q.repairs[0]


# ----------------------------------------------------------------------------------------
# Malformed files
# ----------------------------------------------------------------------------------------


def _error(path: Path) -> str:
    with pytest.raises(CatalogueError) as info:
        load_query_file(path)
    return str(info.value)


def test_not_json(tmp_path: Path) -> None:
    msg = _error(_write(tmp_path / "bad.json", "[{not json"))
    assert str(tmp_path / "bad.json") in msg and "JSON" in msg


def test_not_a_list(tmp_path: Path) -> None:
    msg = _error(_write(tmp_path / "bad.json", {"query_id": 1}))
    assert str(tmp_path / "bad.json") in msg and "list" in msg


def test_missing_file(tmp_path: Path) -> None:
    msg = _error(tmp_path / "absent.json")
    assert str(tmp_path / "absent.json") in msg


def test_query_without_query_id(tmp_path: Path) -> None:
    entry = _query()
    del entry["query_id"]
    msg = _error(_write(tmp_path / "bad.json", [_query(qid=5), entry]))
    assert str(tmp_path / "bad.json") in msg
    assert "entry 1" in msg and "'query_id'" in msg


@pytest.mark.parametrize("qid", [True, "  ", None, 1.5])
def test_query_id_of_wrong_kind(tmp_path: Path, qid: Any) -> None:
    msg = _error(_write(tmp_path / "bad.json", [_query(qid=qid)]))
    assert "entry 0" in msg and "'query_id'" in msg


def _assert_names(msg: str, path: Path, qid: str, field: str) -> None:
    assert str(path) in msg, msg
    assert f"query {qid}" in msg, msg
    assert field in msg, msg


@pytest.mark.parametrize("text", ["", "   ", None, 7])
def test_empty_query_text(tmp_path: Path, text: Any) -> None:
    path = _write(tmp_path / "bad.json", [_query(qid=77, query=text)])
    _assert_names(_error(path), path, "77", "'query'")


@pytest.mark.parametrize("value", [{"a": 1}, "x", [], None])
def test_api_list_not_a_list(tmp_path: Path, value: Any) -> None:
    path = _write(tmp_path / "bad.json", [_query(qid=78, apis=[_api()], api_list=value)])
    _assert_names(_error(path), path, "78", "'api_list'")


def test_api_list_entry_not_an_object(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.json", [_query(qid=79, apis=[_api(), "Tool"])])
    _assert_names(_error(path), path, "79", "api_list[1]")


def test_entry_without_tool_name(tmp_path: Path) -> None:
    api = _api()
    del api["tool_name"]
    path = _write(tmp_path / "bad.json", [_query(qid=80, apis=[api])])
    msg = _error(path)
    _assert_names(msg, path, "80", "'tool_name'")
    assert "api_list[0]" in msg


def test_entry_without_api_name(tmp_path: Path) -> None:
    api = _api()
    api["api_name"] = ""
    path = _write(tmp_path / "bad.json", [_query(qid=81, apis=[api])])
    _assert_names(_error(path), path, "81", "'api_name'")


def test_parameter_not_an_object(tmp_path: Path) -> None:
    api = _api(optional_parameters=[_param("a", "STRING"), "b"])
    path = _write(tmp_path / "bad.json", [_query(qid=82, apis=[api])])
    msg = _error(path)
    _assert_names(msg, path, "82", "optional_parameters[1]")
    assert "api_list[0]" in msg


def test_parameters_not_a_list(tmp_path: Path) -> None:
    api = _api(required_parameters={"name": "a"})
    path = _write(tmp_path / "bad.json", [_query(qid=83, apis=[api])])
    _assert_names(_error(path), path, "83", "'required_parameters'")


def test_parameter_without_name(tmp_path: Path) -> None:
    api = _api(required_parameters=[{"type": "STRING"}])
    path = _write(tmp_path / "bad.json", [_query(qid=84, apis=[api])])
    _assert_names(_error(path), path, "84", "'name'")


@pytest.mark.parametrize(
    "pair", [["Tool"], "Tool", ["Tool", "Get Thing", "x"], ["Tool", 3], None, {"a": "b"}]
)
def test_relevant_api_pair_malformed(tmp_path: Path, pair: Any) -> None:
    path = _write(tmp_path / "bad.json", [_query(qid=85, **{"relevant APIs": [pair]})])
    msg = _error(path)
    _assert_names(msg, path, "85", "'relevant APIs'[0]")


def test_relevant_apis_missing(tmp_path: Path) -> None:
    entry = _query(qid=86)
    del entry["relevant APIs"]
    path = _write(tmp_path / "bad.json", [entry])
    _assert_names(_error(path), path, "86", "'relevant APIs'")


def test_relevant_api_not_in_api_list(tmp_path: Path) -> None:
    rel = {"relevant APIs": [["Tool", "Get Thing"], ["Tool", "Get Other"]]}
    path = _write(tmp_path / "bad.json", [_query(qid=87, **rel)])
    msg = _error(path)
    _assert_names(msg, path, "87", "'relevant APIs'[1]")
    assert "Get Other" in msg


def test_duplicate_query_id_across_files_of_one_subset(tmp_path: Path) -> None:
    a = _write(tmp_path / "a" / "G1_tool.json", [_query(qid=1), _query(qid=2)])
    b = _write(tmp_path / "b" / "G1_tool.json", [_query(qid=3), _query(qid="2")])
    with pytest.raises(CatalogueError) as info:
        load_query_files([a, b])
    _assert_names(str(info.value), b, "2", "duplicate query_id")
    assert len(load_query_files([a])) == 2


def test_same_query_id_in_other_subsets_is_allowed(tmp_path: Path) -> None:
    a = _write(tmp_path / "G1_instruction.json", [_query(qid=1)])
    b = _write(tmp_path / "G1_tool.json", [_query(qid=1)])
    queries = load_query_files([a, b])
    assert [q.task_id for q in queries] == ["I1-Inst/1", "I1-Tool/1"]


def test_find_query_files(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="no query files"):
        find_query_files(tmp_path)
    with pytest.raises(CatalogueError, match="not a folder"):
        find_query_files(tmp_path / "absent")
    inner = tmp_path / "test_instruction"
    _write(inner / "G2_instruction.json", [_query()])
    _write(inner / "G1_tool.json", [_query()])
    _write(inner / "notes.json", [_query()])
    assert [p.name for p in find_query_files(tmp_path)] == ["G1_tool.json", "G2_instruction.json"]
    other = tmp_path / "other"
    _write(other / "b.json", [_query()])
    _write(other / "a.json", [_query()])
    assert [p.name for p in find_query_files(other)] == ["a.json", "b.json"]


# ----------------------------------------------------------------------------------------
# ToolBench function naming
# ----------------------------------------------------------------------------------------


def _names(tmp_path: Path, apis: list[dict[str, Any]]) -> StbQuery:
    (q,) = load_query_file(_write(tmp_path / "names.json", [_query(apis=apis)]))
    return q


def test_reserved_word_gets_is_prefix(tmp_path: Path) -> None:
    q = _names(tmp_path, [_api("Users", "id"), _api("Users", "From"), _api("Users", "ids")])
    assert [a.function_name for a in q.apis] == [
        "is_id_for_users",
        "is_from_for_users",
        "ids_for_users",
    ]


def test_leading_digit_gets_get_prefix(tmp_path: Path) -> None:
    q = _names(tmp_path, [_api("168predict", "1st Half"), _api("Tool9", "Top 10")])
    assert [a.function_name for a in q.apis] == [
        "get_1st_half_for_get_168predict",
        "top_10_for_tool9",
    ]


def test_punctuation_collapsed(tmp_path: Path) -> None:
    q = _names(tmp_path, [_api("  Weather -- API!! ", "Get  User--Info (v2).")])
    assert q.apis[0].function_name == "get_user_info_v2_for_weather_api"
    assert FUNCTION_NAME.match(q.apis[0].function_name)


def test_last_64_characters_kept(tmp_path: Path) -> None:
    tool = "A Very Long Tool Name " + "Segment " * 8
    full = "search_for_a_very_long_tool_name" + "_segment" * 8
    q = _names(tmp_path, [_api(tool, "Search")])
    assert len(full) > 64
    assert q.apis[0].function_name == full[-64:]


def test_punctuation_only_api_name_gets_position(tmp_path: Path) -> None:
    q = _names(tmp_path, [_api("Tool", "Get Thing"), _api("Tool", "!!!"), _api("Tool", "/")])
    assert [a.function_name for a in q.apis] == [
        "get_thing_for_tool",
        "api_1_for_tool",
        "api_2_for_tool",
    ]
    assert q.function_of("Tool", "!!!") == "api_1_for_tool"


def test_equal_standardised_names_are_renamed(tmp_path: Path) -> None:
    q = _names(tmp_path, [_api("T", "Get User"), _api("T", "get_user"), _api("T", "GET-USER")])
    assert [a.function_name for a in q.apis] == [
        "get_user_for_t",
        "get_user_for_t_2",
        "get_user_for_t_3",
    ]
    assert [(c.api, c.name, c.renamed) for c in q.collisions] == [
        (("T", "get_user"), "get_user_for_t", "get_user_for_t_2"),
        (("T", "GET-USER"), "get_user_for_t", "get_user_for_t_3"),
    ]


def test_function_of_unknown_api(tmp_path: Path) -> None:
    q = _names(tmp_path, [_api()])
    with pytest.raises(CatalogueError, match="Nope"):
        q.function_of("Tool", "Nope")
