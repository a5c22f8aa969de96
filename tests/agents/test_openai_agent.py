"""The OpenAI-compatible agent against a fake served model on loopback."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from steptool_env.agents import make_agent
from steptool_env.agents.base import TurnView
from steptool_env.agents.openai_agent import OpenAIAgent, ServedSample, served_sample
from steptool_env.bench import AgentSpec, BenchConfig, leaderboard_table, run_bench
from steptool_env.bench.runner import episode_seed
from steptool_env.envs.prompts import finish_arguments, format_action, to_ascii
from steptool_env.errors import ConfigError
from steptool_env.rollout import EpisodeSpec, collect
from steptool_env.world.suite import Suite
from tests.agents.fake_openai import HANG, FakeModel, completion, tool_call


def gold_calls(suite: Suite, split: str, n: int) -> dict[str, list[tuple[str, dict]]]:
    """query text -> the calls a perfect model makes (gold calls, then Finish)."""
    out = {}
    for task in suite.split(split)[:n]:
        calls = [
            (suite.catalogue.api(g.tool, g.api).function_name, dict(g.arguments)) for g in task.gold
        ]
        calls.append(("Finish", finish_arguments(task.reference_answer)))
        out[to_ascii(task.query)] = calls
    return out


def perfect_model(plans: dict[str, list[tuple[str, dict]]], mode: str = "tools"):
    def script(body, n):
        msgs = body["messages"]
        query = msgs[1]["content"]
        turn = sum(1 for m in msgs if m["role"] == "assistant")
        name, args = plans[query][turn]
        if mode == "tools":
            return completion(None, [tool_call(name, args, f"id{turn}")])
        return completion(format_action("react", name, args, "next"))

    return script


def episodes(suite: Suite, split: str, n: int) -> list[EpisodeSpec]:
    return [EpisodeSpec(t.task_id, episode_seed(0, t.task_id)) for t in suite.split(split)[:n]]


def make_envs(k: int = 3, split: str = "I2-Inst"):
    return [gym.make("StepTool/ToolBench-v0", split=split) for _ in range(k)]


def test_native_tool_calls_round_trip(suite: Suite) -> None:
    plans = gold_calls(suite, "I2-Inst", 6)
    with FakeModel(perfect_model(plans)) as fake:
        agent = OpenAIAgent(model="fake", base_url=fake.url)
        trajs = collect(make_envs(), agent, episodes(suite, "I2-Inst", 6))
        agent.close()
    assert [t.is_solved for t in trajs] == [1.0] * 6
    assert all(t.infra_error == "" and t.succ_calling_rate == 1.0 for t in trajs)
    assert all(t.tokens_in == 11 * t.n_steps and t.tokens_out == 7 * t.n_steps for t in trajs)
    first = fake.requests[0]
    assert first["model"] == "fake" and first["temperature"] == 0.0
    names = [t["function"]["name"] for t in first["tools"]]
    assert names[-1] == "Finish" and len(names) >= 2
    assert "Action Input" not in first["messages"][0]["content"]  # no text format in tools mode
    # a later request carries the call and its result as tool messages, ids matched
    later = next(r for r in fake.requests if any(m["role"] == "tool" for m in r["messages"]))
    call_msg = next(m for m in later["messages"] if m.get("tool_calls"))
    result = next(m for m in later["messages"] if m["role"] == "tool")
    assert result["tool_call_id"] == call_msg["tool_calls"][0]["id"]
    assert call_msg["content"] is None
    assert json.loads(result["content"])  # the env's JSON observation, as the env sent it


def test_text_mode_sends_the_env_prompt_and_observations(suite: Suite) -> None:
    plans = gold_calls(suite, "I2-Inst", 3)
    with FakeModel(perfect_model(plans, mode="text")) as fake:
        agent = OpenAIAgent(model="fake", base_url=fake.url, mode="text")
        trajs = collect(make_envs(), agent, episodes(suite, "I2-Inst", 3))
        agent.close()
    assert [t.is_solved for t in trajs] == [1.0] * 3
    assert all("tools" not in r for r in fake.requests)
    assert "Action Input" in fake.requests[0]["messages"][0]["content"]
    roles = {m["role"] for r in fake.requests for m in r["messages"]}
    assert roles == {"system", "user", "assistant"}
    assert any(
        m["content"].startswith("Observation: ")
        for r in fake.requests
        for m in r["messages"]
        if m["role"] == "user"
    )


def test_429_and_503_are_retried_with_backoff(suite: Suite) -> None:
    plans = gold_calls(suite, "I2-Inst", 1)
    good = perfect_model(plans)

    def script(body, n):
        if n == 0:
            return 429, {"retry-after": "0.25"}, '{"error": "rate limited"}'
        if n == 1:
            return 503, {}, "busy"
        return good(body, n)

    with FakeModel(script) as fake:
        agent = OpenAIAgent(model="fake", base_url=fake.url, backoff_s=0.5)
        waits: list[float] = []
        agent.sleep = waits.append
        trajs = collect(make_envs(1), agent, episodes(suite, "I2-Inst", 1))
        agent.close()
    assert waits == [0.25, 1.0]  # Retry-After honoured, then 0.5 * 2**1
    assert trajs[0].is_solved == 1.0 and trajs[0].infra_error == ""


@pytest.mark.slow
def test_a_server_that_never_answers_is_a_recorded_timeout(suite: Suite, tmp_path: Path) -> None:
    plans = gold_calls(suite, "I2-Inst", 4)
    stuck = next(iter(plans))
    good = perfect_model(plans)

    def script(body, n):
        return HANG if body["messages"][1]["content"] == stuck else good(body, n)

    with FakeModel(script) as fake:
        spec = AgentSpec(
            "served",
            "openai",
            {
                "model": "fake",
                "base_url": fake.url,
                "timeout_s": 0.3,
                "max_retries": 1,
                "backoff_s": 0.0,
            },
        )
        cfg = BenchConfig(
            tmp_path,
            agents=(spec,),
            subsets=("I2-Inst",),
            seeds=(0,),
            limit=4,
            num_envs=4,
            progress=False,
        )
        t0 = time.perf_counter()
        run = run_bench(cfg)
        elapsed = time.perf_counter() - t0
    assert elapsed < 10
    infra = [r for r in run.records if r.infra_error]
    assert len(infra) == 1
    assert "timeout after 0.3 s" in infra[0].infra_error
    assert "(2 attempts)" in infra[0].infra_error
    assert sum(r.is_solved for r in run.records) == 3
    table = leaderboard_table(run.records)
    row = table.loc[("StepTool/ToolBench-v0", "served")]
    assert row["infra"] == 1 and row["episodes"] == 3 and row["Average"] == 100.0
    assert row["Tokens"] > 0
    assert "api_key" not in json.dumps(run.records[0].agent_config).replace("api_key_env", "")


@pytest.mark.parametrize(
    "answer",
    [
        completion(None, [tool_call("Finish", "{not json")]),
        completion(None, None),
        completion("x" * 100_000),
        completion(None, [{"id": "a", "type": "function", "function": "nope"}]),
    ],
    ids=["bad-arguments", "empty", "over-long", "malformed-call"],
)
@pytest.mark.slow
def test_malformed_generations_take_the_bad_input_path(suite: Suite, answer) -> None:
    with FakeModel(lambda body, n: answer) as fake:
        agent = OpenAIAgent(model="fake", base_url=fake.url)
        trajs = collect(make_envs(1), agent, episodes(suite, "I2-Inst", 1))
        agent.close()
    t = trajs[0]
    assert t.infra_error == "" and t.truncated and t.is_solved == 0.0
    assert {s.status for s in t.steps} == {2}


@pytest.mark.parametrize(
    ("answer", "needle"),
    [
        ((400, {}, '{"error": "bad request"}'), "HTTP 400"),
        ((200, {}, "this is not json"), "not JSON"),
        ({"choices": []}, "malformed chat-completions response"),
    ],
)
@pytest.mark.slow
def test_provider_failures_end_only_that_episode(suite: Suite, answer, needle: str) -> None:
    with FakeModel(lambda body, n: answer) as fake:
        agent = OpenAIAgent(model="fake", base_url=fake.url, max_retries=0)
        trajs = collect(make_envs(2), agent, episodes(suite, "I2-Inst", 2))
        agent.close()
    assert all(needle in t.infra_error for t in trajs)
    assert len(fake.requests) == 2  # a 400 is not retried


@pytest.mark.slow
def test_concurrency_is_bounded(suite: Suite) -> None:
    plans = gold_calls(suite, "I2-Inst", 8)
    good = perfect_model(plans)
    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    def script(body, n):
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.02)
        with lock:
            state["now"] -= 1
        return good(body, n)

    with FakeModel(script) as fake:
        agent = OpenAIAgent(model="fake", base_url=fake.url, max_concurrency=3)
        trajs = collect(make_envs(8), agent, episodes(suite, "I2-Inst", 8))
        agent.close()
    assert all(t.is_solved == 1.0 for t in trajs)
    assert state["max"] == 3


def test_api_key_comes_from_the_named_variable(suite: Suite, monkeypatch) -> None:
    with pytest.raises(ConfigError, match="api_key_env='STEPTOOL_TEST_KEY'"):
        OpenAIAgent(model="m", api_key_env="STEPTOOL_TEST_KEY")
    monkeypatch.setenv("STEPTOOL_TEST_KEY", "sk-secret")
    plans = gold_calls(suite, "I2-Inst", 1)
    with FakeModel(perfect_model(plans)) as fake:
        agent = make_agent(
            "openai", model="fake", base_url=fake.url, api_key_env="STEPTOOL_TEST_KEY"
        )
        collect(make_envs(1), agent, episodes(suite, "I2-Inst", 1))
        agent.close()
    auth = {h.get("Authorization") or h.get("authorization") for h in fake.headers}
    assert auth == {"Bearer sk-secret"}
    assert "sk-secret" not in json.dumps(agent.config())


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({}, "model"),
        ({"model": "m", "mode": "voice"}, "mode"),
        ({"model": "m", "base_url": "ftp://x"}, "base_url"),
        ({"model": "m", "max_concurrency": 0}, "max_concurrency"),
        ({"model": "m", "timeout_s": -1}, "timeout_s"),
        ({"model": "m", "temprature": 0.1}, "temprature"),
    ],
)
def test_bad_options_name_the_field(options: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=f"invalid {field}="):
        make_agent("openai", **options)


# ---------------------------------------------------------------- token-in/token-out
def served_tokens(body: dict, n: int) -> dict:
    """What a vLLM server asked for token ids sends: the prompt's ids, the generated ids, and
    log-prob entries whose tokens are ids (``return_tokens_as_token_ids``). Derived from the
    request alone, as a seeded server's would be."""
    text = json.dumps(body["messages"], sort_keys=True)
    prompt = [ord(c) for c in text[:40]] + [len(text) % 50_000]
    ids = [1000 + len(text) % 997, 2000 + len(body["messages"]), 7]
    logprobs = [-0.25 * (i + 1) - (len(text) % 89) / 1000 for i in range(len(ids))]
    return {
        "prompt_token_ids": prompt,
        "token_ids": ids,
        "logprobs": {
            "content": [
                {"token": f"token_id:{t}", "logprob": lp, "bytes": [], "top_logprobs": []}
                for t, lp in zip(ids, logprobs)
            ]
        },
    }


def with_tokens(script, extra=served_tokens):
    """``script`` whose answers also carry ``extra(body, n)`` (the sent payloads are kept)."""
    sent: list[dict] = []

    def wrapped(body, n):
        answer = script(body, n)
        tokens = extra(body, n)
        sent.append({"messages": body["messages"], **tokens})
        answer["prompt_token_ids"] = tokens.pop("prompt_token_ids", None)
        answer["choices"][0].update(tokens)
        return answer

    return wrapped, sent


@pytest.mark.slow
def test_return_tokens_keeps_the_served_tokens_on_step_records(suite: Suite) -> None:
    from steptool_env.training.run import items_from

    plans = gold_calls(suite, "I2-Inst", 4)
    runs = []
    for _ in range(2):  # the same episodes twice: the same tokens on the same steps
        script, sent = with_tokens(perfect_model(plans))
        with FakeModel(script) as fake:
            agent = OpenAIAgent(model="fake", base_url=fake.url, return_tokens=True)
            trajs = collect(make_envs(2), agent, episodes(suite, "I2-Inst", 4))
            agent.close()
        assert all(r["logprobs"] is True and r["return_token_ids"] is True for r in fake.requests)
        assert all(r["return_tokens_as_token_ids"] is True for r in fake.requests)
        assert [t.is_solved for t in trajs] == [1.0] * 4
        by_request = {json.dumps(p["messages"], sort_keys=True): p for p in sent}
        for traj in trajs:
            env = gym.make("StepTool/ToolBench-v0", split="I2-Inst")
            env.reset(seed=traj.spec.seed, options={"task_id": traj.spec.task_id})
            request_agent = OpenAIAgent(model="fake")
            for step in traj.steps:
                s = step.sample
                assert isinstance(s, ServedSample) and s.stopped
                # the very ids and log-probs the server sent for this step's request
                view = TurnView(0, env.unwrapped, "", 0, traj.spec.seed, {})
                want = by_request[json.dumps(request_agent.messages(view), sort_keys=True)]
                assert s.context_ids.tolist() == want["prompt_token_ids"]
                assert s.action_ids.tolist() == want["token_ids"]
                lps = [e["logprob"] for e in want["logprobs"]["content"]]
                assert s.logprobs.tolist() == pytest.approx(lps, abs=1e-6)
                assert s.logprobs.dtype == np.float32 and s.action_ids.dtype == np.int64
                env.step(step.action)
            env.close()
        runs.append(trajs)
        # a trainer reads them as it reads the local model's samples: no tokenizer involved
        items = items_from(trajs)
        assert len(items) == sum(t.n_steps for t in trajs)
        assert all(it.rollout_logprobs is not None for it in items)
    for a, b in zip(*runs):
        assert a.digest() == b.digest()
        assert [s.sample.action_ids.tolist() for s in a.steps] == [
            s.sample.action_ids.tolist() for s in b.steps
        ]


def test_token_ids_from_log_prob_entries_and_length_finish() -> None:
    llama = {  # llama.cpp's server writes an id on each log-prob entry
        "logprobs": {
            "content": [
                {"id": 5, "token": "a", "logprob": -1.0},
                {"id": 9, "token": "b", "logprob": -0.5},
            ]
        },
        "prompt_token_ids": [1, 2, 3],
        "finish_reason": "length",
    }
    s = served_sample({}, llama)
    assert s.action_ids.tolist() == [5, 9] and s.context_ids.tolist() == [1, 2, 3]
    assert not s.stopped and s.finish_reason == "length"
    vllm = {"logprobs": {"content": [{"token": "token_id:42", "logprob": -2.0}]}}
    s = served_sample({"prompt_token_ids": [8]}, vllm)
    assert s.action_ids.tolist() == [42] and s.logprobs.tolist() == [-2.0]


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (lambda b, n: {"token_ids": [1, 2]}, "no log-probs"),
        (
            lambda b, n: {k: v for k, v in served_tokens(b, n).items() if k != "prompt_token_ids"},
            "no prompt token ids",
        ),
        (
            lambda b, n: {
                "prompt_token_ids": [1],
                "logprobs": {"content": [{"token": "x", "logprob": -1.0}]},
            },
            "no generated token ids",
        ),
        (lambda b, n: {**served_tokens(b, n), "token_ids": [1, 2]}, "3 log-probs"),
        (lambda b, n: {**served_tokens(b, n), "token_ids": [3, 2, 1]}, "disagree"),
    ],
)
@pytest.mark.slow
def test_answers_without_the_tokens_are_infra_errors(suite: Suite, extra, needle: str) -> None:
    plans = gold_calls(suite, "I2-Inst", 1)
    script, _ = with_tokens(perfect_model(plans), extra)
    with FakeModel(script) as fake:
        agent = OpenAIAgent(model="fake", base_url=fake.url, return_tokens=True)
        trajs = collect(make_envs(1), agent, episodes(suite, "I2-Inst", 1))
        agent.close()
    assert needle in trajs[0].infra_error and trajs[0].n_steps == 0


def test_return_tokens_off_leaves_requests_and_config_as_before(suite: Suite) -> None:
    plans = gold_calls(suite, "I2-Inst", 1)
    with FakeModel(perfect_model(plans)) as fake:
        agent = OpenAIAgent(model="fake", base_url=fake.url)
        trajs = collect(make_envs(1), agent, episodes(suite, "I2-Inst", 1))
        agent.close()
    assert all(s.sample is None for s in trajs[0].steps)
    assert not any("logprobs" in r or "return_token_ids" in r for r in fake.requests)
    assert "return_tokens" not in agent.config()  # earlier runs keep their config hash
    assert OpenAIAgent(model="fake", return_tokens=True).config()["return_tokens"] is True
