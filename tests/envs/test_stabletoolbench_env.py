"""StepTool/StableToolBench-v0 on the real query files: every query is solvable by an oracle,
partial and bad episodes score as documented, the grounded and lenient IsSolved rules, cache
replay, backends agree, the judge, baseline pass rates."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gymnasium as gym
import httpx
import pytest
from gymnasium.utils.env_checker import check_env

from steptool_env.agents import make_agent
from steptool_env.bench import BenchConfig, run_bench
from steptool_env.bench.runner import episode_seed
from steptool_env.envs.prompts import finish_arguments, format_action
from steptool_env.envs.stabletoolbench_env import StableToolBenchEnv
from steptool_env.errors import CatalogueError, ConfigError, ProviderError
from steptool_env.rollout import EpisodeSpec, run_episodes
from steptool_env.stabletoolbench.judge import ChatJudge, salient_values
from steptool_env.stabletoolbench.queries import StbQuery
from steptool_env.stabletoolbench.responses import (
    NO_RESPONSE_MESSAGE,
    category_folder,
)
from steptool_env.stabletoolbench.suite import StbSuite
from steptool_env.tools.naming import standardize, standardize_api_name
from steptool_env.tools.spec import ApiSpec, ParamType
from steptool_env.tools.status import Status
from tests.conftest import STABLETOOLBENCH_SUBSETS, stabletoolbench_query_count

ENV_ID = "StepTool/StableToolBench-v0"
SPLITS = STABLETOOLBENCH_SUBSETS  # one per query file present (three to six)
ANSWER = finish_arguments("Here is what I found.")


def _make(queries: Path, **kwargs: Any) -> StableToolBenchEnv:
    env = gym.make(ENV_ID, queries=str(queries), **kwargs).unwrapped
    assert isinstance(env, StableToolBenchEnv)
    return env


@pytest.fixture
def stb_env(stabletoolbench: Path) -> Iterator[StableToolBenchEnv]:
    env = _make(stabletoolbench)
    yield env
    env.close()


def _api_of(q: StbQuery, tool: str, api: str) -> ApiSpec:
    """The API as the query file defines it (the names its cache files are under)."""
    return next(a for a in q.apis if a.key == (tool, api))


def _defaults(api: ApiSpec) -> dict[str, Any]:
    return {p.name: p.default for p in api.required}


def _call(api: ApiSpec, arguments: dict[str, Any] | None = None) -> str:
    args = _defaults(api) if arguments is None else arguments
    return format_action("react", api.function_name, args, "call it")


def _finish(answer: dict[str, str] = ANSWER) -> str:
    return format_action("react", "Finish", answer, "done")


def _quoting(env: StableToolBenchEnv) -> str:
    """Finish with an answer that quotes the first salient value of every successful call."""
    query = env.task.query if env.task is not None else ""
    quoted = [
        str(values[0])
        for function, args, response in env.call_responses
        if (values := salient_values(response, query, args, function))
    ]
    return _finish(finish_arguments("I found: " + "; ".join(quoted) + "."))


def _query_with(env: StableToolBenchEnv, n_relevant: int, need_required: bool = False) -> StbQuery:
    for q in env.suite.queries:
        if len(q.relevant) != n_relevant:
            continue
        if need_required and not _api_of(q, *q.relevant[0]).required:
            continue
        return q
    raise AssertionError(f"no query with {n_relevant} relevant APIs")


# ----------------------------------------------------------------------------------------
# Gymnasium conformance
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.slow
def test_check_env_passes_without_warnings(stabletoolbench: Path, split: str) -> None:
    env = _make(stabletoolbench, split=split)
    assert env.split == split
    assert {t.split for t in env.tasks} == {split}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env, skip_render_check=True)
    assert [str(w.message) for w in caught] == []
    env.close()


# ----------------------------------------------------------------------------------------
# The oracle: every real query is solved
# ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_oracle_solves_every_query_of_every_split(stabletoolbench: Path) -> None:
    episodes = 0
    failures: list[str] = []
    for split in SPLITS:
        env = _make(stabletoolbench, split=split)
        suite = env.suite
        assert isinstance(suite, StbSuite)
        queries = [q for q in suite.queries if q.subset == split]
        assert [q.task_id for q in queries] == [t.task_id for t in env.tasks]
        for q in queries:
            _, info = env.reset(seed=0, options={"task_id": q.task_id})
            assert info["task_id"] == q.task_id and info["split"] == split
            assert info["api_list"] == tuple(a.function_name for a in q.apis)
            for k, (tool, api_name) in enumerate(q.relevant):
                api = _api_of(q, tool, api_name)
                obs, reward, term, trunc, info = env.step(_call(api))
                got = (
                    info["status"],
                    info["succ_calling"],
                    info["contribution"],
                    info["source"],
                    info["function"],
                    info["gold_nodes"],
                )
                want = (0, 1, 1.0, "mock", api.function_name, (k,))
                if got != want or term or trunc:
                    failures.append(f"{q.task_id} {api.function_name}: {got} {obs[:200]}")
                assert info["api_failure"] is False
                assert float(reward) > 0
            obs, reward, term, trunc, info = env.step(_quoting(env))
            if not (term and info["status"] == 3 and info["final"] and info["is_solved"] == 1.0):
                failures.append(f"{q.task_id} Finish: {info}")
            assert info["succ_calling"] == 0 and info["contribution"] == 0.0
            episodes += 1
        env.close()
    assert failures == []
    assert episodes == stabletoolbench_query_count()


# ----------------------------------------------------------------------------------------
# Partial and bad episodes
# ----------------------------------------------------------------------------------------


def test_one_of_two_relevant_apis_scores_half(stb_env: StableToolBenchEnv) -> None:
    q = _query_with(stb_env, 2)
    stb_env.reset(options={"task_id": q.task_id})
    *_, info = stb_env.step(_call(_api_of(q, *q.relevant[0])))
    assert info["contribution"] == 1.0
    _, _, term, _, info = stb_env.step(_quoting(stb_env))
    assert term and info["is_solved"] == 0.5


def test_answer_without_calls_scores_zero(stb_env: StableToolBenchEnv) -> None:
    q = _query_with(stb_env, 2)
    stb_env.reset(options={"task_id": q.task_id})
    _, _, term, _, info = stb_env.step(_finish())
    assert term and info["status"] == 3 and info["is_solved"] == 0.0


def test_empty_answer_scores_zero(stb_env: StableToolBenchEnv) -> None:
    q = _query_with(stb_env, 1)
    stb_env.reset(options={"task_id": q.task_id})
    stb_env.step(_call(_api_of(q, *q.relevant[0])))
    _, _, term, _, info = stb_env.step(_finish(finish_arguments("  ")))
    assert term and info["status"] == 3 and info["is_solved"] == 0.0


def test_give_up_scores_zero(stb_env: StableToolBenchEnv) -> None:
    q = _query_with(stb_env, 2)
    stb_env.reset(options={"task_id": q.task_id})
    for tool, api in q.relevant:
        stb_env.step(_call(_api_of(q, tool, api)))
    _, _, term, _, info = stb_env.step(_finish(finish_arguments(None)))
    assert info["status"] == 4 and info["is_solved"] == 0.0
    assert term is True and info["final"] is True  # giving up ends the episode
    assert info["succ_calling"] == 0 and info["contribution"] == 0.0


def test_repeated_relevant_call_pays_contribution_once(stb_env: StableToolBenchEnv) -> None:
    q = _query_with(stb_env, 2)
    stb_env.reset(options={"task_id": q.task_id})
    api = _api_of(q, *q.relevant[0])
    *_, first = stb_env.step(_call(api))
    *_, second = stb_env.step(_call(api))
    assert (first["succ_calling"], first["contribution"]) == (1, 1.0)
    assert (second["succ_calling"], second["contribution"]) == (1, 0.0)
    assert second["gold_nodes"] == ()
    *_, other = stb_env.step(_call(_api_of(q, *q.relevant[1])))
    assert other["contribution"] == 1.0 and other["gold_nodes"] == (1,)


def test_irrelevant_call_pays_no_contribution(stb_env: StableToolBenchEnv) -> None:
    q = next(q for q in stb_env.suite.queries if len(q.apis) > len(q.relevant))
    stb_env.reset(options={"task_id": q.task_id})
    relevant = {q.function_of(t, a) for t, a in q.relevant}
    api = next(a for a in q.apis if a.function_name not in relevant)
    *_, info = stb_env.step(_call(api))
    assert info["status"] == 0 and info["succ_calling"] == 1 and info["contribution"] == 0.0


def test_unknown_function_is_status_1(stb_env: StableToolBenchEnv) -> None:
    q = _query_with(stb_env, 2)
    stb_env.reset(options={"task_id": q.task_id})
    obs, _, _, _, info = stb_env.step(format_action("react", "no_such_api_for_nobody", {}))
    assert info["status"] == 1 and info["error"] == "unknown_function"
    assert info["succ_calling"] == 0 and info["source"] == ""
    assert "no_such_api_for_nobody" in obs
    # a function of another query is not offered either
    other = next(
        a for p in stb_env.suite.queries for a in p.apis if a.function_name not in q.by_function
    )
    *_, info = stb_env.step(_call(other))
    assert info["status"] == 1


def test_missing_required_parameter_is_status_2(stb_env: StableToolBenchEnv) -> None:
    q = _query_with(stb_env, 2, need_required=True)
    stb_env.reset(options={"task_id": q.task_id})
    api = _api_of(q, *q.relevant[0])
    args = _defaults(api)
    missing = api.required[0].name
    del args[missing]
    obs, _, _, _, info = stb_env.step(_call(api, args))
    assert info["status"] == 2 and info["error"] == "invalid_arguments"
    assert info["succ_calling"] == 0 and info["contribution"] == 0.0
    assert missing in obs
    *_, info = stb_env.step(_call(api, {**_defaults(api), "not_a_parameter": 1}))
    assert info["status"] == 2 and info["error"] == "invalid_arguments"
    *_, info = stb_env.step(_call(api))  # the corrected call still pays
    assert info["status"] == 0 and info["contribution"] == 1.0


def _number_api(env: StableToolBenchEnv) -> tuple[StbQuery, ApiSpec, str]:
    for q in env.suite.queries:
        for tool, api_name in q.relevant:
            api = _api_of(q, tool, api_name)
            for p in api.required:
                if p.type is ParamType.NUMBER and type(p.default) is int:
                    return q, api, p.name
    raise AssertionError("no relevant API with an integer NUMBER parameter")


def test_numeric_string_for_number_is_accepted(stb_env: StableToolBenchEnv) -> None:
    q, api, name = _number_api(stb_env)
    stb_env.reset(options={"task_id": q.task_id})
    args = {**_defaults(api), name: "42"}
    *_, info = stb_env.step(_call(api, args))
    assert info["status"] == 0 and info["succ_calling"] == 1 and info["contribution"] == 1.0
    *_, info = stb_env.step(_call(api, {**_defaults(api), name: "1.5e2"}))
    assert info["status"] == 0
    *_, info = stb_env.step(_call(api, {**_defaults(api), name: "forty-two"}))
    assert info["status"] == 2 and info["error"] == "invalid_arguments"
    *_, info = stb_env.step(_call(api, {**_defaults(api), name: True}))
    assert info["status"] == 2


# ----------------------------------------------------------------------------------------
# The IsSolved rules: grounded (default) and lenient (by name)
# ----------------------------------------------------------------------------------------


def _quotable_query(env: StableToolBenchEnv) -> StbQuery:
    """A query with two relevant APIs whose responses both have something to quote."""
    for q in env.suite.queries:
        if len(q.relevant) != 2:
            continue
        env.reset(options={"task_id": q.task_id})
        for tool, api in q.relevant:
            env.step(_call(_api_of(q, tool, api)))
        if all(salient_values(r, q.query, a, f) for f, a, r in env.call_responses):
            return q
    raise AssertionError("no query whose relevant responses all have salient values")


def test_grounded_rule_is_the_default(stb_env: StableToolBenchEnv) -> None:
    assert stb_env.is_solved_rule == "grounded"
    q = _quotable_query(stb_env)
    scores = {}
    for name, finish in [
        ("generic", lambda: _finish()),
        ("query", lambda: _finish(finish_arguments(q.query))),
        ("quoting", lambda: _quoting(stb_env)),
    ]:
        stb_env.reset(options={"task_id": q.task_id})
        for tool, api in q.relevant:
            stb_env.step(_call(_api_of(q, tool, api)))
        *_, info = stb_env.step(finish())
        scores[name] = info["is_solved"]
    assert scores == {"generic": 0.0, "query": 0.0, "quoting": 1.0}


def test_lenient_rule_by_name(stabletoolbench: Path) -> None:
    env = gym.make(ENV_ID, queries=str(stabletoolbench), is_solved_rule="lenient")
    assert env.unwrapped.is_solved_rule == "lenient"
    q = _query_with(env.unwrapped, 2)
    env.reset(options={"task_id": q.task_id})
    env.step(_call(_api_of(q, *q.relevant[0])))
    *_, info = env.step(_finish())  # says nothing of the response: still 0.5 by this rule
    assert info["is_solved"] == 0.5
    env.close()


def test_unknown_rule_names_the_choices(stabletoolbench: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        gym.make(ENV_ID, queries=str(stabletoolbench), is_solved_rule="strict")
    message = str(caught.value)
    assert "is_solved_rule" in message and "'strict'" in message
    assert "grounded" in message and "lenient" in message


def test_rule_reads_the_raw_response_not_the_cut_observation(stabletoolbench: Path) -> None:
    env = _make(stabletoolbench, max_observation_chars=64)
    q = _query_with(env, 1)
    env.reset(options={"task_id": q.task_id})
    obs, *_ = env.step(_call(_api_of(q, *q.relevant[0])))
    ((function, args, response),) = env.call_responses
    values = salient_values(response, q.query, args, function)
    assert obs.endswith("...[truncated]") and values
    unseen = [v for v in values if str(v) not in obs]
    assert unseen  # the agent never saw it, yet it is part of the response
    *_, info = env.step(_finish(finish_arguments(f"It is {unseen[-1]}.")))
    assert info["is_solved"] == 1.0
    env.close()


def test_call_responses_start_empty_each_episode(stb_env: StableToolBenchEnv) -> None:
    q = _query_with(stb_env, 1)
    stb_env.reset(options={"task_id": q.task_id})
    stb_env.step(_call(_api_of(q, *q.relevant[0])))
    stb_env.step(format_action("react", "no_such_api_for_nobody", {}))
    assert len(stb_env.call_responses) == 1
    stb_env.reset(options={"task_id": q.task_id})
    assert stb_env.call_responses == ()


def _pass_rates(
    stabletoolbench: Path, agent: str, rule: str = "grounded"
) -> dict[str, list[float]]:
    """Pass rate (%) of ``agent`` per subset and seed 0, 1, 2, as ``steptool bench`` runs it."""
    envs = [_make(stabletoolbench, is_solved_rule=rule) for _ in range(4)]
    rates: dict[str, list[float]] = {}
    for split in SPLITS:
        for seed in (0, 1, 2):
            tasks = envs[0].suite.split(split)
            specs = [EpisodeSpec(t.task_id, episode_seed(seed, t.task_id)) for t in tasks]
            runs = list(run_episodes(envs, make_agent(agent), specs))
            assert not any(t.infra_error for t in runs)
            rates.setdefault(split, []).append(100 * sum(t.is_solved for t in runs) / len(runs))
    for env in envs:
        env.close()
    return rates


@pytest.mark.slow
def test_baselines_on_the_real_files(stabletoolbench: Path) -> None:
    oracle = _pass_rates(stabletoolbench, "oracle")
    random = _pass_rates(stabletoolbench, "random")
    assert all(rate == 100.0 for rates in oracle.values() for rate in rates), oracle
    assert all(rate < 10.0 for rates in random.values() for rate in rates), random
    lenient = _pass_rates(stabletoolbench, "random", "lenient")
    assert all(rate > 25.0 for rates in lenient.values() for rate in rates), lenient


def test_bench_records_the_rule(stabletoolbench: Path, tmp_path: Path) -> None:
    cfg = BenchConfig(
        agents=("oracle",),
        env_ids=(ENV_ID,),
        subsets=(SPLITS[0],),
        seeds=(0,),
        limit=2,
        out=tmp_path,
        progress=False,
    )
    records = run_bench(cfg).records
    assert len(records) == 2
    assert {r.is_solved_rule for r in records} == {"grounded"}
    assert all(r.is_solved == 1.0 for r in records)


# ----------------------------------------------------------------------------------------
# Cache replay
# ----------------------------------------------------------------------------------------


def _write_cache(root: Path, api: ApiSpec, arguments: dict[str, Any], entry: Any) -> Path:
    cat = category_folder(api.category)
    path = (
        root / cat / f"{standardize(api.tool_name)}_for_{cat}"
        f"/{standardize_api_name(api.api_name)}.json"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({str(arguments): entry}), encoding="utf-8")
    return path


@pytest.fixture
def cached(stabletoolbench: Path, tmp_path: Path) -> tuple[Path, StbQuery, ApiSpec, ApiSpec]:
    suite = StbSuite(stabletoolbench)
    q = next(
        q for q in suite.queries if len(q.relevant) == 2 and _api_of(q, *q.relevant[0]).required
    )
    api, other = _api_of(q, *q.relevant[0]), _api_of(q, *q.relevant[1])
    root = tmp_path / "tool_response_cache"
    entry = {"error": "", "response": {"cached_marker": "from-the-cache-7431"}}
    _write_cache(root, api, _defaults(api), entry)
    return root, q, api, other


def test_cache_replay_then_mock(
    stabletoolbench: Path, cached: tuple[Path, StbQuery, ApiSpec, ApiSpec]
) -> None:
    root, q, api, other = cached
    env = _make(stabletoolbench, split=q.subset, cache=root)
    env.reset(options={"task_id": q.task_id})
    obs, _, _, _, info = env.step(_call(api))
    assert info["source"] == "cache" and info["status"] == 0
    assert info["contribution"] == 1.0
    assert "from-the-cache-7431" in obs
    obs, _, _, _, info = env.step(_call(other))
    assert info["source"] == "mock" and info["status"] == 0
    assert "from-the-cache-7431" not in obs
    assert env.call_responses[0][2] == {"cached_marker": "from-the-cache-7431"}
    _, _, _, _, info = env.step(_quoting(env))
    assert info["is_solved"] == 1.0
    env.close()


def test_cache_without_mock_fails_uncached_calls(
    stabletoolbench: Path, cached: tuple[Path, StbQuery, ApiSpec, ApiSpec]
) -> None:
    root, q, api, other = cached
    env = _make(stabletoolbench, split=q.subset, cache=root, mock=False)
    env.reset(options={"task_id": q.task_id})
    obs, _, _, _, info = env.step(_call(api))
    assert info["source"] == "cache" and info["status"] == 0
    assert "from-the-cache-7431" in obs
    obs, _, _, _, info = env.step(_call(other))
    assert info["status"] == int(Status.UNAVAILABLE) == 11
    assert info["source"] == "error" and info["api_failure"] is True
    assert info["error"] == "api_error" and info["succ_calling"] == 0
    assert info["contribution"] == 0.0
    assert NO_RESPONSE_MESSAGE in obs
    assert [f for f, _, _ in env.call_responses] == [api.function_name]  # failures not kept
    _, _, _, _, info = env.step(_finish(finish_arguments("Marker from-the-cache-7431.")))
    assert info["is_solved"] == 0.5  # the failed relevant call does not count
    env.close()


def test_cached_error_is_an_api_failure(stabletoolbench: Path, tmp_path: Path) -> None:
    suite = StbSuite(stabletoolbench)
    q = suite.queries[0]
    api = _api_of(q, *q.relevant[0])
    root = tmp_path / "cache"
    _write_cache(root, api, _defaults(api), {"error": "Rate limit exceeded", "response": ""})
    env = _make(stabletoolbench, split=q.subset, cache=root)
    env.reset(options={"task_id": q.task_id})
    *_, info = env.step(_call(api))
    assert info["source"] == "cache" and info["status"] == int(Status.RATE_LIMITED)
    assert info["api_failure"] is True and info["contribution"] == 0.0
    env.close()


# ----------------------------------------------------------------------------------------
# Backends agree
# ----------------------------------------------------------------------------------------


def _scripted(env: StableToolBenchEnv, seed: int) -> list[Any]:
    obs, info = env.reset(seed=seed)
    trace: list[Any] = [obs, info]
    q = env.suite.query(info["task_id"])
    api = _api_of(q, *q.relevant[0])
    actions = [
        _call(api),
        format_action("react", api.function_name, {"surely_not_a_parameter": "x"}),
        format_action("react", "missing_function_for_nobody", {}),
        "this is not an action",
    ]
    for action in actions:
        obs, reward, term, trunc, info = env.step(action)
        trace.append((obs, float(reward), term, trunc, info))
    obs, reward, term, trunc, info = env.step(_quoting(env))
    trace.append((obs, float(reward), term, trunc, info))
    return trace


@pytest.mark.slow
def test_inprocess_and_http_backends_agree(stabletoolbench: Path) -> None:
    local = _make(stabletoolbench, split=SPLITS[0])
    remote = _make(stabletoolbench, split=SPLITS[0], backend="http")
    assert type(remote.backend).__name__ == "RemoteBackend"
    assert type(local.backend).__name__ == "InProcessBackend"
    try:
        for seed in (5, 11):
            a, b = _scripted(local, seed), _scripted(remote, seed)
            assert a == b
            statuses = [step[4]["status"] for step in a[2:]]
            assert statuses == [0, 2, 1, 2, 3]
            assert a[2][4]["source"] == "mock"
            assert a[-1][4]["is_solved"] in (0.5, 1.0)
    finally:
        local.close()
        remote.close()


# ----------------------------------------------------------------------------------------
# The judge
# ----------------------------------------------------------------------------------------


def _judge(content: str | None = None, status: int = 200) -> tuple[ChatJudge, list[dict]]:
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append({"url": str(request.url), "body": json.loads(request.content)})
        if status != 200:
            return httpx.Response(status, text="boom")
        return httpx.Response(200, json={"choices": [{"message": {"content": content}}]})

    judge = ChatJudge("judge-model", "http://judge.test/v1", transport=httpx.MockTransport(handler))
    return judge, seen


@pytest.mark.parametrize(("verdict", "score"), [("Solved", 1.0), ("Unsure", 0.5)])
def test_chat_judge_scores_the_answer(stabletoolbench: Path, verdict: str, score: float) -> None:
    judge, seen = _judge(verdict)
    env = _make(stabletoolbench, judge=judge)
    q = _query_with(env, 2)
    env.reset(options={"task_id": q.task_id})
    api = _api_of(q, *q.relevant[0])
    env.step(_call(api))  # one of two relevant APIs: the rule would say 0.5
    _, _, term, _, info = env.step(_finish(finish_arguments("The final answer.")))
    assert term and info["is_solved"] == score
    assert len(seen) == 1
    assert seen[0]["url"] == "http://judge.test/v1/chat/completions"
    body = seen[0]["body"]
    assert body["model"] == "judge-model" and body["temperature"] == 0
    prompt = body["messages"][0]["content"]
    assert q.query in prompt and "The final answer." in prompt
    assert api.function_name in prompt
    env.close()


def test_judge_failure_is_raised_not_scored(stabletoolbench: Path) -> None:
    judge, seen = _judge(status=500)
    env = _make(stabletoolbench, judge=judge)
    q = _query_with(env, 2)
    env.reset(options={"task_id": q.task_id})
    env.step(_call(_api_of(q, *q.relevant[0])))
    with pytest.raises(ProviderError, match="500"):
        env.step(_finish())
    assert len(seen) == 1
    env.close()


def test_judge_bad_verdict_is_raised(stabletoolbench: Path) -> None:
    judge, _ = _judge("Maybe, who knows")
    env = _make(stabletoolbench, judge=judge)
    env.reset(seed=1)
    with pytest.raises(ProviderError):
        env.step(_finish())
    env.close()


def test_judge_must_be_callable(stabletoolbench: Path) -> None:
    with pytest.raises(ConfigError, match="judge"):
        _make(stabletoolbench, judge="gpt-4")


# ----------------------------------------------------------------------------------------
# Configuration errors and the suite's identity
# ----------------------------------------------------------------------------------------


def test_folder_without_query_files(stabletoolbench: Path, tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="no query files"):
        gym.make(ENV_ID, queries=str(tmp_path))


def test_unknown_split_names_valid_ones(stabletoolbench: Path) -> None:
    with pytest.raises(ConfigError) as info:
        gym.make(ENV_ID, queries=str(stabletoolbench), split="I9-Inst")
    msg = str(info.value)
    assert "I9-Inst" in msg
    for split in SPLITS:
        assert split in msg


def test_default_queries_missing(
    stabletoolbench: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPTOOL_STABLETOOLBENCH_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(ConfigError) as info:
        gym.make(ENV_ID)
    assert "steptool data fetch stabletoolbench" in str(info.value)
    assert "STEPTOOL_STABLETOOLBENCH_DIR" in str(info.value)


def test_default_queries_from_env_var(
    stabletoolbench: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPTOOL_STABLETOOLBENCH_DIR", str(stabletoolbench))
    env = gym.make(ENV_ID).unwrapped
    assert env.split == SPLITS[0]
    assert len(env.suite.queries) == stabletoolbench_query_count()
    env.close()


def test_docker_backend_is_refused(stabletoolbench: Path) -> None:
    with pytest.raises(ConfigError, match="docker"):
        gym.make(ENV_ID, queries=str(stabletoolbench), backend="docker")


def test_suite_argument_is_refused(stabletoolbench: Path) -> None:
    with pytest.raises(ConfigError, match="queries="):
        gym.make(ENV_ID, queries=str(stabletoolbench), suite="toolbench")


def test_suite_rebuilds_from_its_name(stabletoolbench: Path, tmp_path: Path) -> None:
    suite = StbSuite(stabletoolbench, cache=tmp_path, mock=False, mock_seed=3)
    again = StbSuite.from_name(suite.name)
    assert again.name == suite.name
    assert again.hash == suite.hash
    assert again.files == suite.files
    assert (again.cache, again.mock, again.mock_seed) == (str(tmp_path.resolve()), False, 3)
    assert list(again.splits) == list(suite.splits) == list(SPLITS)
    for split in SPLITS:
        ids = [t.task_id for t in suite.split(split)]
        assert [t.task_id for t in again.split(split)] == ids
    assert [q.task_id for q in again.queries] == [q.task_id for q in suite.queries]
    other = StbSuite(stabletoolbench, mock_seed=4)
    assert other.hash != suite.hash
    with pytest.raises(ConfigError):
        StbSuite.from_name("toolbench")
    with pytest.raises(ConfigError):
        StbSuite.from_name("stabletoolbench:{not json")


def test_mock_seed_changes_responses_not_scores(stabletoolbench: Path) -> None:
    a = _make(stabletoolbench, mock_seed=0)
    b = _make(stabletoolbench, mock_seed=1)
    q = _query_with(a, 2)
    api = _api_of(q, *q.relevant[0])
    out = []
    for env in (a, b):
        env.reset(options={"task_id": q.task_id})
        obs, reward, _, _, info = env.step(_call(api))
        out.append((obs, float(reward), info["status"]))
        env.close()
    assert out[0][0] != out[1][0]
    assert out[0][1:] == out[1][1:]
