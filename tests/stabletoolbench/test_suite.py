"""StbSuite's API table: every query is answered from its own definition of an API, whatever
else is loaded and in whichever order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from steptool_env.envs.prompts import format_action
from steptool_env.envs.stabletoolbench_env import StableToolBenchEnv
from steptool_env.stabletoolbench.responses import cache_path
from steptool_env.stabletoolbench.suite import StbSuite, definition_digest
from steptool_env.tools.spec import ApiSpec

TOOL, API = "Weather Hub", "Forecast"

# One API, two definitions: another category, template and required parameter.
DEFINITIONS = {
    "alpha": ("Sports", {"temperature": "int", "city": "str"}, "city"),
    "beta": ("Travel", {"summary": "str", "zip": "str"}, "zip"),
}


def _query_file(folder: Path, stem: str) -> Path:
    category, template, param = DEFINITIONS[stem]
    api = {
        "category_name": category,
        "tool_name": TOOL,
        "api_name": API,
        "api_description": "",  # the prompt falls back to the API's own name
        "required_parameters": [
            {"name": param, "type": "STRING", "description": "", "default": "x"}
        ],
        "optional_parameters": [],
        "method": "GET",
        "template_response": template,
    }
    query = {"query": f"Forecast for {stem}.", "query_id": 1, "api_list": [api],
             "relevant APIs": [[TOOL, API]]}  # fmt: skip
    path = folder / f"{stem}.json"
    path.write_text(json.dumps([query]), encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {stem: _query_file(tmp_path, stem) for stem in DEFINITIONS}


def _own_api(suite: StbSuite, stem: str) -> ApiSpec:
    [api] = suite.query(f"{stem}/1").apis
    return api


def _answers(queries: list[Path], cache: Path | None = None) -> dict[str, tuple[Any, ...]]:
    """Per query: what calling its API with its own parameter, then with the other
    definition's parameter, gives (observation, status, source)."""
    env = StableToolBenchEnv(queries=queries, cache=cache)
    out = {}
    for stem in sorted(env.suite.splits):
        _, info = env.reset(options={"task_id": f"{stem}/1"})
        [function] = info["api_list"]
        mine = DEFINITIONS[stem][2]
        other = next(p for s, (_, _, p) in DEFINITIONS.items() if s != stem)
        got: list[Any] = []
        for param in (mine, other):
            obs, _, _, _, step = env.step(format_action("react", function, {param: "Paris"}))
            got += [obs, step["status"], step["source"]]
        out[stem] = tuple(got)
    env.close()
    return out


def test_each_query_gets_its_own_definition_in_any_load_order(files: dict[str, Path]) -> None:
    alone = {stem: _answers([path])[stem] for stem, path in files.items()}
    both = _answers([files["alpha"], files["beta"]])
    reversed_ = _answers([files["beta"], files["alpha"]])
    assert both == reversed_ == alone
    for stem, (obs, status, source, _, other_status, _) in alone.items():
        assert (status, source) == (0, "mock")
        assert other_status == 2  # the other definition's parameter is not this query's
        template = DEFINITIONS[stem][1]
        assert all(f'"{key}"' in obs for key in template)  # its own response template
    assert '"city": "Paris"' in alone["alpha"][0] and '"zip": "Paris"' in alone["beta"][0]


def test_each_query_reads_the_cache_of_its_own_category(
    files: dict[str, Path], tmp_path: Path
) -> None:
    alpha = _own_api(StbSuite([files["alpha"]]), "alpha")
    path = cache_path(tmp_path / "cache", alpha.category, alpha.tool_name, alpha.api_name)
    path.parent.mkdir(parents=True)
    entry = {"error": "", "response": {"marker": "alpha-cached"}}
    path.write_text(json.dumps({str({"city": "Paris"}): entry}), encoding="utf-8")
    for order in (["alpha", "beta"], ["beta", "alpha"]):
        got = _answers([files[s] for s in order], cache=tmp_path / "cache")
        assert got["alpha"][1:3] == (0, "cache") and "alpha-cached" in got["alpha"][0]
        assert got["beta"][1:3] == (0, "mock") and "alpha-cached" not in got["beta"][0]


def test_table_names_and_schemas(files: dict[str, Path]) -> None:
    suite = StbSuite([files["alpha"], files["beta"]])
    digests = {s: definition_digest(_own_api(suite, s)) for s in DEFINITIONS}
    assert digests["alpha"] != digests["beta"]
    assert sorted(suite.implementations) == sorted(
        (TOOL, f"{API}#{d[:12]}") for d in digests.values()
    )
    for stem in DEFINITIONS:
        q = suite.query(f"{stem}/1")
        [api] = q.apis
        called = q.by_function[api.function_name]
        assert api.key == (TOOL, API)  # the file's names stay the query's names
        assert called.key == (TOOL, f"{API}#{digests[stem][:12]}")
        assert called.openai_schema() == api.openai_schema()  # the prompt is unchanged
        assert called.category == api.category and called.params == api.params
    # a definition shared by every loaded query keeps the plain key
    assert list(StbSuite([files["alpha"]]).implementations) == [(TOOL, API)]
    # the sandbox server rebuilds the same table from the suite's name
    assert list(StbSuite.from_name(suite.name).implementations) == list(suite.implementations)


@pytest.mark.slow
def test_real_query_36068_hits_its_own_cache_entry(stabletoolbench: Path, tmp_path: Path) -> None:
    """Three queries define 'Get Order' of '👋 Demo Project' in three categories; 36068's
    (Sports) is not the first loaded."""
    whole = StbSuite(stabletoolbench)
    q = whole.query("I1-Inst/36068")
    api = next(a for a in q.apis if a.api_name == "Get Order")
    assert api.category == "Sports"
    path = cache_path(tmp_path, api.category, api.tool_name, api.api_name)
    path.parent.mkdir(parents=True)
    entry = {"error": "", "response": {"order": "36068-own-entry"}}
    path.write_text(json.dumps({str({"id": "7"}): entry}), encoding="utf-8")
    action = format_action("react", api.function_name, {"id": "7"})
    answers = []
    g1_only = [stabletoolbench / "test_instruction" / "G1_instruction.json"]
    for queries, backend in (
        (stabletoolbench, "inprocess"),
        (stabletoolbench, "http"),  # the table's names travel to the sandbox server
        (g1_only, "inprocess"),
    ):
        env = StableToolBenchEnv(queries=queries, cache=tmp_path, backend=backend)
        env.reset(options={"task_id": q.task_id})
        obs, _, _, _, info = env.step(action)
        answers.append(obs)
        assert (info["status"], info["source"]) == (0, "cache") and "36068-own-entry" in obs
        env.close()
    assert answers[0] == answers[1] == answers[2]
    for query in whole.queries:  # renamed table entries never change what the model reads
        for a in query.apis:
            assert query.by_function[a.function_name].openai_schema() == a.openai_schema()
