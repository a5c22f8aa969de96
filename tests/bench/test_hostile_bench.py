"""`steptool bench` with a served model that writes hostile output (a fake OpenAI-compatible
server on loopback): the run completes, every planned episode is recorded, and the model's
garbage is scored as the model's failure, never as an infrastructure error."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from steptool_env.bench import EpisodeRecord, load_records
from steptool_env.cli import main
from steptool_env.testing import hostile_actions
from tests.agents.fake_openai import FakeModel, completion, tool_call

N_TASKS = 6
SEEDS = (0, 1)


def _offered(body: dict[str, Any]) -> dict[str, list[str]]:
    """Function name -> parameter names, from the tools of a tools-mode request."""
    out = {}
    for tool in body.get("tools", []):
        fn = tool["function"]
        out[fn["name"]] = list(fn.get("parameters", {}).get("properties", {}))
    return out


def _text_script(body: dict[str, Any], n: int) -> dict[str, Any]:
    # one hostile action per request, seeded by the request's content (not its number:
    # requests of concurrent episodes arrive in any order)
    seed = len(json.dumps(body["messages"]))
    functions = {"search_cities_for_geodb_cities": ["query"], "x_for_y": ["a", "b"]}
    action = next(iter(hostile_actions(functions, "react", 1, seed=seed)))
    return completion(action)  # lone surrogates included: the fake sends them as escapes


def _tools_script(body: dict[str, Any], n: int) -> dict[str, Any] | tuple:
    rng = random.Random(len(json.dumps(body["messages"])))
    functions = _offered(body)
    name = rng.choice(sorted(functions))
    param = (functions[name] or ["q"])[0]
    kind = rng.randrange(6)
    if kind == 3 and rng.random() < 0.8:  # rare, as it ends the episode
        kind = 4
    if kind == 0:  # arguments nested far past the recursion limit, as a JSON string
        args: Any = _one(param, "[" * 5000 + "]" * 5000)
    elif kind == 1:  # an integer past Python's 4,300-digit limit
        args = _one(param, "7" * 5000)
    elif kind == 2:  # 1e400 and NaN
        args = _one(param, rng.choice(("1e400", "NaN", "-Infinity")))
    elif kind == 3:  # arguments nested as an object (not a string) past what JSON decodes
        return (200, {}, _deep_body(name))
    elif kind == 4:
        args = _one(param, '"\\ud800\\u0000"')
    else:
        args = rng.choice(("[1, 2]", "null", "{", ""))
    return completion(None, [tool_call(name, args)])


def _one(param: str, value: str) -> str:
    """Arguments text with one parameter whose value is the JSON text ``value``."""
    return "{" + json.dumps(param) + ": " + value + "}"


def _deep_body(name: str) -> str:
    """A completion whose tool-call arguments are an object nested 3,000 deep (as raw text:
    the JSON encoder itself would refuse to build it)."""
    head = json.dumps(completion(None, [tool_call(name, "{}")]))
    return head.replace('"arguments": "{}"', '"arguments": ' + "[" * 3000 + "]" * 3000)


def _bench(tmp_path: Path, url: str, mode: str) -> list[dict[str, Any]]:
    out = tmp_path / mode
    bench = tmp_path / f"{mode}.toml"
    bench.write_text(
        f"""
[bench]
subsets = ["I1-Inst", "I2-Inst"]
seeds = {list(SEEDS)}
limit = {N_TASKS}
num_envs = 4
out = "{out}"

[[agents]]
name = "hostile-{mode}"
kind = "openai"
model = "fake"
base_url = "{url}"
mode = "{mode}"
max_retries = 0
""",
        encoding="utf-8",
    )
    assert main(["bench", "--file", str(bench), "--no-progress"]) == 0
    return load_records(out / "episodes.jsonl")


def _check(records: list[EpisodeRecord]) -> None:
    for r in records:
        assert r.infra_error == "", (r.infra_error, r.infra_traceback)
        assert r.n_steps >= 1
        assert set(r.statuses) <= {"0", "1", "2", "3", "4"}, r.statuses


@pytest.mark.slow
def test_bench_survives_a_hostile_text_model(tmp_path: Path) -> None:
    with FakeModel(_text_script) as fake:
        records = _bench(tmp_path, fake.url, "text")
    assert len(records) == 2 * len(SEEDS) * N_TASKS
    _check(records)
    assert any(r.statuses.get("2") for r in records)


@pytest.mark.slow
def test_bench_survives_hostile_tool_calls(tmp_path: Path) -> None:
    with FakeModel(_tools_script) as fake:
        records = _bench(tmp_path, fake.url, "tools")
    # a response body nested beyond what the client decodes is the server's fault: those
    # episodes are infra errors; every other episode is scored
    assert len(records) == 2 * len(SEEDS) * N_TASKS
    deep = [r for r in records if r.infra_error]
    for r in deep:
        assert "nested too deeply" in r.infra_error
    scored = [r for r in records if not r.infra_error]
    assert len(scored) >= len(records) // 2
    _check(scored)
