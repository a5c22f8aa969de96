"""Response sources of StableToolBench-v0: the cache folder, the deterministic mock, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from steptool_env.errors import CatalogueError, ConfigError
from steptool_env.stabletoolbench.responses import (
    MAX_LIST_ITEMS,
    NO_RESPONSE_MESSAGE,
    SOURCES,
    Responder,
    Response,
    ResponseCache,
    cache_path,
    canonical_key,
    category_folder,
    error_status,
    mock_response,
)
from steptool_env.tools.spec import ApiSpec, api_from_dict
from steptool_env.tools.status import Status
from tests.conftest import STABLETOOLBENCH_FILES, run_python

SONG_TEMPLATE = {
    "date": "str",
    "id": "int",
    "rating": "float",
    "sold_out": "bool",
    "note": "NoneType",
    "extras": "empty list",
    "codes": "list of int with length 4",
    "tags": "list of str with length 8",
    "matrix": ["list of str with length 2"],
    "line_up": [{"link": "str", "name": "str", "_list_length": 7}],
    "single": [{"title": "str", "_list_length": 1}],
    "venue": {"name": "str", "geo": {"lat": "float", "lng": "float"}, "empty": {}},
    "kind": "a fixed value",
}


def make_api(
    template: Any = None,
    *,
    category: str = "Data",
    tool: str = "TheClique",
    name: str = "Songkick concert",
    params: tuple[str, ...] = ("id_conc",),
) -> ApiSpec:
    entry = {
        "api_name": name,
        "api_description": "Concert info",
        "required_parameters": [
            {"name": p, "type": "STRING", "description": "", "default": ""} for p in params
        ],
        "optional_parameters": [],
        "method": "GET",
        "template_response": template,
    }
    return api_from_dict(entry, category=category, tool_name=tool, tool_std="", where="test")


def write_cache(root: Path, api: ApiSpec, content: Any) -> Path:
    path = cache_path(root, api.category, api.tool_name, api.api_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else json.dumps(content)
    path.write_text(text, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------------------
# Keys and paths
# ----------------------------------------------------------------------------------------


def test_canonical_key_ignores_order_types_whitespace_and_defaults() -> None:
    base = canonical_key({"name": "messi", "page": 1})
    assert canonical_key({"page": 1, "name": "messi"}) == base
    assert canonical_key({"page": "1", "name": "messi"}) == base
    assert canonical_key({"page": 1.0, "name": " messi "}) == base
    assert canonical_key({" page ": " 1 ", "name": "messi", "lang": "", "x": None}) == base
    assert canonical_key({"flag": True}) == canonical_key({"flag": "True"})
    assert canonical_key({"n": "1.50"}) == canonical_key({"n": 1.5})
    nested = canonical_key({"q": {"b": [1, "2"], "a": "x"}})
    assert nested == canonical_key({"q": {"a": " x", "b": ["1", 2.0]}})


def test_canonical_key_keeps_real_differences() -> None:
    assert canonical_key({"page": 1}) != canonical_key({"page": 2})
    assert canonical_key({"name": "Messi"}) != canonical_key({"name": "messi"})
    assert canonical_key({"zip": "007"}) != canonical_key({"zip": 7})
    assert canonical_key({"flag": True}) != canonical_key({"flag": 1})
    assert canonical_key({"l": [1, 2]}) != canonical_key({"l": [2, 1]})
    big = "12345678901234567890123456789012345"
    assert canonical_key({"id": big}) != canonical_key({"id": big[:-1] + "6"})
    assert canonical_key({}) == "{}"
    with pytest.raises(TypeError):
        canonical_key(["page", 1])  # type: ignore[arg-type]


def test_category_folder_and_cache_path() -> None:
    assert category_folder("News, Media") == "News_Media"
    assert category_folder("Video, Images") == "Video_Images"
    assert category_folder("Business/Software") == "Business_Software"
    assert category_folder("Data") == "Data"
    path = cache_path(Path("/c"), "News, Media", "Bible Memory-Verses", "ID")
    assert path == Path("/c/News_Media/bible_memory_verses_for_News_Media/is_id.json")
    assert cache_path(Path("/c"), "Data", "T", "Get 2 Items").name == "get_2_items.json"
    with pytest.raises(CatalogueError):
        cache_path(Path("/c"), "..", "t", "a")


# ----------------------------------------------------------------------------------------
# The cache
# ----------------------------------------------------------------------------------------


@pytest.fixture
def news_api() -> ApiSpec:
    return make_api(
        {"title": "str"}, category="News, Media", tool="Daily News", name="ID", params=("q",)
    )


def test_cache_hits_with_python_repr_keys(tmp_path: Path, news_api: ApiSpec) -> None:
    path = write_cache(
        tmp_path,
        news_api,
        {
            str({"page": "2", "name": " messi"}): {"error": "", "response": {"hit": 1}},
            '{"q": "x", "flag": true, "lang": ""}': {"error": "", "response": "json-key"},
            "{}": {"error": "", "response": []},
            "not a dict": {"error": "", "response": 0},
            "['a', 'b']": {"error": "", "response": 0},
            "{'a': 1}": "not an object",
        },
    )
    assert path.parts[-3:] == ("News_Media", "daily_news_for_News_Media", "is_id.json")
    cache = ResponseCache(tmp_path)
    assert cache.lookup(news_api, {"name": "messi", "page": 2}) == {
        "error": "",
        "response": {"hit": 1},
    }
    assert cache.lookup(news_api, {"flag": "true", "q": " x "})["response"] == "json-key"  # type: ignore[index]
    assert cache.lookup(news_api, {"opt": ""})["response"] == []  # type: ignore[index]
    assert cache.lookup(news_api, {"name": "messi", "page": 3}) is None
    assert cache.stats.hits == 3
    assert cache.stats.misses == 1
    assert cache.stats.files_loaded == 1
    assert cache.stats.skipped_keys == 3


def test_cache_returns_fresh_top_level_copies(tmp_path: Path, news_api: ApiSpec) -> None:
    write_cache(tmp_path, news_api, {"{}": {"error": None, "response": "r"}})
    cache = ResponseCache(tmp_path)
    first = cache.lookup(news_api, {})
    assert first == {"error": "", "response": "r"}
    first["response"] = "changed"  # type: ignore[index]
    assert cache.lookup(news_api, {}) == {"error": "", "response": "r"}


def test_cache_prefers_entry_without_error(tmp_path: Path, news_api: ApiSpec) -> None:
    write_cache(
        tmp_path,
        news_api,
        {
            "{'q': 'a'}": {"error": "Rate limit exceeded", "response": ""},
            "{'q': ' a '}": {"error": "", "response": "good"},
        },
    )
    assert ResponseCache(tmp_path).lookup(news_api, {"q": "a"}) == {
        "error": "",
        "response": "good",
    }


def test_cache_root_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cache"):
        ResponseCache(tmp_path / "missing")
    (tmp_path / "file").write_text("{}")
    with pytest.raises(ConfigError):
        Responder(cache=tmp_path / "file")


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '"text"'])
def test_corrupt_cache_file_names_the_file(tmp_path: Path, news_api: ApiSpec, content: str) -> None:
    path = write_cache(tmp_path, news_api, content)
    responder = Responder(cache=tmp_path)
    with pytest.raises(CatalogueError, match=r"is_id\.json") as info:
        responder.respond(news_api, {"q": "x"})
    assert str(path) in str(info.value)


# ----------------------------------------------------------------------------------------
# The responder
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status"),
    [
        ("Rate limit per minute exceeded", Status.RATE_LIMITED),
        ("Too many requests", Status.RATE_LIMITED),
        ("The request to the API has timed out.", Status.TIMEOUT),
        ("ReadTimeout", Status.TIMEOUT),
        ("Unauthorized error", Status.UNAUTHORIZED),
        ("This user is blocked", Status.UNAUTHORIZED),
        ("Invalid credentials", Status.UNAUTHORIZED),
        ("You are not subscribed to this API.", Status.NOT_SUBSCRIBED),
        ("You have exceeded the MONTHLY quota", Status.QUOTA_EXCEEDED),
        ("500 Internal Server Error", Status.SERVER_ERROR),
    ],
)
def test_cached_errors_map_to_api_statuses(
    tmp_path: Path, news_api: ApiSpec, error: str, status: Status
) -> None:
    write_cache(tmp_path, news_api, {"{'q': 'x'}": {"error": error, "response": "body"}})
    got = Responder(cache=tmp_path).respond(news_api, {"q": "x"})
    assert got == Response(status, "body", error, "cache")
    assert got.status.is_api_failure
    assert error_status(error) is status


def test_respond_order_cache_then_mock_then_error(tmp_path: Path, news_api: ApiSpec) -> None:
    write_cache(tmp_path, news_api, {"{'q': 'x'}": {"error": "", "response": {"title": "T"}}})
    responder = Responder(cache=ResponseCache(tmp_path))
    hit = responder.respond(news_api, {"q": " x"})
    assert hit == Response(Status.OK, {"title": "T"}, "", "cache")
    miss = responder.respond(news_api, {"q": "y"})
    assert miss.source == "mock"
    assert miss.status is Status.OK
    assert miss.error == ""
    assert miss.response == mock_response(news_api, {"q": "y"})
    assert set(miss.response) == {"title"}
    off = Responder(cache=str(tmp_path), mock=False)
    assert off.respond(news_api, {"q": "x"}).source == "cache"
    assert off.respond(news_api, {"q": "y"}) == Response(
        Status.UNAVAILABLE, None, NO_RESPONSE_MESSAGE, "error"
    )
    # An API with no cache file at all is a plain miss.
    other = make_api({"a": "int"}, category="Video, Images", tool="Nope")
    assert off.respond(other, {}).status is Status.UNAVAILABLE
    assert Responder().respond(other, {}).source == "mock"
    assert {r.source for r in (hit, miss)} | {"error"} == set(SOURCES)


def test_responder_checks_its_settings() -> None:
    with pytest.raises(ConfigError, match="seed"):
        Responder(seed="1")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="mock"):
        Responder(mock=1)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="cache"):
        Responder(cache=3)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------
# Mock responses
# ----------------------------------------------------------------------------------------


def test_mock_is_deterministic_and_depends_on_call_and_seed() -> None:
    api = make_api(SONG_TEMPLATE)
    args = {"id_conc": "42-lumineers"}
    first = Responder().respond(api, args).response
    assert Responder().respond(api, args).response == first
    assert Responder().respond(api, {"id_conc": " 42-lumineers ", "x": ""}).response == first
    assert mock_response(api, args) == first
    assert mock_response(api, {"id_conc": "43"}) != first
    assert Responder(seed=1).respond(api, args).response != first
    assert mock_response(make_api(SONG_TEMPLATE, name="Other"), args) != first


def test_mock_is_stable_across_processes() -> None:
    code = (
        "import json\n"
        "from steptool_env.stabletoolbench.responses import mock_response\n"
        "from steptool_env.tools.spec import api_from_dict\n"
        f"api = api_from_dict({{'name': 'A', 'template_response': {SONG_TEMPLATE!r}}},"
        " category='Data', tool_name='T', tool_std='', where='t')\n"
        "print(json.dumps(mock_response(api, {'q': 'x'}, seed=3)))\n"
    )
    stdout = run_python(code, hash_seed="123")
    api = api_from_dict(
        {"name": "A", "template_response": SONG_TEMPLATE},
        category="Data",
        tool_name="T",
        tool_std="",
        where="t",
    )
    assert json.loads(stdout) == mock_response(api, {"q": "x"}, seed=3)


def test_mock_conforms_to_template() -> None:
    out = mock_response(make_api(SONG_TEMPLATE), {"id_conc": "1"})
    assert set(out) == set(SONG_TEMPLATE)
    assert isinstance(out["date"], str) and out["date"].startswith("date_")
    assert isinstance(out["id"], int) and not isinstance(out["id"], bool)
    assert 0 <= out["id"] < 1000
    assert isinstance(out["rating"], float)
    assert 0 <= out["rating"] < 1000
    assert round(out["rating"], 2) == out["rating"]
    assert isinstance(out["sold_out"], bool)
    assert out["note"] is None
    assert out["extras"] == []
    assert len(out["codes"]) == 4 or len(out["codes"]) == MAX_LIST_ITEMS
    assert len(out["codes"]) == min(4, MAX_LIST_ITEMS)
    assert all(isinstance(c, int) and 0 <= c < 1000 for c in out["codes"])
    assert len(out["tags"]) == MAX_LIST_ITEMS
    assert all(isinstance(t, str) for t in out["tags"])
    assert len(set(out["tags"])) == len(out["tags"])
    assert len(out["matrix"]) == 1
    assert len(out["matrix"][0]) == 2
    assert all(isinstance(s, str) for s in out["matrix"][0])
    assert len(out["line_up"]) == MAX_LIST_ITEMS
    for item in out["line_up"]:
        assert set(item) == {"link", "name"}
        assert "_list_length" not in item
    assert out["line_up"][0] != out["line_up"][1]
    assert len(out["single"]) == 1
    assert set(out["venue"]) == {"name", "geo", "empty"}
    assert isinstance(out["venue"]["geo"]["lat"], float)
    assert out["venue"]["empty"] == {}
    assert out["kind"] == "a fixed value"
    assert "_list_length" not in json.dumps(out)
    strings = [out["date"], out["venue"]["name"], *out["tags"]]
    strings += [i["link"] for i in out["line_up"]] + [i["name"] for i in out["line_up"]]
    assert len(set(strings)) == len(strings)
    floats = [out["rating"], out["venue"]["geo"]["lat"], out["venue"]["geo"]["lng"]]
    assert len(set(floats)) > 1


def test_mock_list_templates_edge_cases() -> None:
    tpl = {
        "none": [{"a": "str", "_list_length": 0}],
        "two": [{"a": "int", "_list_length": 2}],
        "plain": ["str", "int", "bool", "float"],
        "lol": "list of list with length 5",
        "lon": "list of NoneType with length 2",
        "weird": "list of Widget with length 2",
        "top_ll": 7,
    }
    out = mock_response(make_api(tpl), {})
    assert out["none"] == []
    assert len(out["two"]) == 2 and all(set(i) == {"a"} for i in out["two"])
    assert len(out["plain"]) == MAX_LIST_ITEMS
    assert isinstance(out["plain"][0], str) and isinstance(out["plain"][2], bool)
    assert out["lol"] == [[], [], []]
    assert out["lon"] == [None, None]
    assert len(out["weird"]) == 2 and all(isinstance(s, str) for s in out["weird"])
    assert out["top_ll"] == 7
    top = mock_response(make_api([{"x": "str", "_list_length": 9}]), {})
    assert isinstance(top, list) and len(top) == MAX_LIST_ITEMS
    assert mock_response(make_api({}), {}) == {}


def test_mock_echoes_argument_values() -> None:
    tpl = {
        "name": "str",
        "Page": "str",
        "other": "str",
        "user": {"name": "str"},
        "names": "list of str with length 3",
        "hits": [{"name": "str", "_list_length": 2}],
        "id_conc": "int",
    }
    api = make_api(tpl, params=("name", "page", "id_conc"))
    out = mock_response(api, {"name": " Lionel Messi ", "page": 2, "id_conc": "5"})
    assert out["name"] == "Lionel Messi"
    assert out["Page"] == "2"
    assert out["user"]["name"] == "Lionel Messi"
    assert out["other"] != "Lionel Messi" and out["other"].startswith("other_")
    assert "Lionel Messi" not in out["names"]
    assert [h["name"] for h in out["hits"]] != ["Lionel Messi"] * 2
    assert isinstance(out["id_conc"], int)
    # An empty argument is not echoed.
    assert mock_response(api, {"name": ""})["name"].startswith("name_")


@pytest.mark.parametrize("template", [None, '{"summary": {"request_id": "str", "tran'])
def test_mock_without_usable_template_gives_a_message(template: Any) -> None:
    api = make_api(template, name="Get Weather", tool="Weatherly")
    out = mock_response(api, {"city": "Paris"})
    assert set(out) == {"message"}
    assert "Get Weather" in out["message"]
    assert out["message"] == mock_response(api, {"city": " Paris"})["message"]
    assert out["message"] != mock_response(api, {"city": "Rome"})["message"]


def test_mock_parses_json_text_templates() -> None:
    api = make_api('{"a": "int", "b": [{"c": "str", "_list_length": 2}]}')
    out = mock_response(api, {})
    assert set(out) == {"a", "b"}
    assert isinstance(out["a"], int)
    assert [set(i) for i in out["b"]] == [{"c"}, {"c"}]


# ----------------------------------------------------------------------------------------
# The real StableToolBench query files
# ----------------------------------------------------------------------------------------


def _without_repeated_params(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry with each parameter name kept once (a few real entries repeat one, e.g.
    ``array[]``, which :func:`api_from_dict` rejects)."""
    seen: set[str] = set()
    out = dict(entry)
    for field in ("required_parameters", "optional_parameters"):
        kept = []
        for param in entry.get(field) or []:
            if param.get("name") not in seen:
                seen.add(param.get("name"))
                kept.append(param)
        out[field] = kept
    return out


def test_mock_over_real_query_files(stabletoolbench: Path) -> None:
    files = STABLETOOLBENCH_FILES
    seen: set[tuple[str, str, str]] = set()
    checked = dict_templates = 0
    responder = Responder()
    for file in files:
        for query in json.loads(file.read_text(encoding="utf-8")):
            for entry in query["api_list"]:
                key = (entry["category_name"], entry["tool_name"], entry["api_name"])
                if key in seen:
                    continue
                seen.add(key)
                api = api_from_dict(
                    _without_repeated_params(entry),
                    category=entry["category_name"],
                    tool_name=entry["tool_name"],
                    tool_std="",
                    where="test",
                )
                args = {p.name: p.default for p in api.required}
                got = responder.respond(api, args)
                assert got.status is Status.OK and got.source == "mock"
                json.dumps(got.response)
                template = entry.get("template_response")
                if isinstance(template, dict):
                    dict_templates += 1
                    assert set(got.response) == set(template) - {"_list_length"}, key
                    assert '"_list_length"' not in json.dumps(got.response), key
                elif template is None:
                    assert set(got.response) == {"message"}
                checked += 1
    assert checked > 100
    assert dict_templates > 50
