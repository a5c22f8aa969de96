"""``steptool serve openenv`` with OpenEnv's own clients (``openenv-core``): 100+ episodes
(oracle and random-ish actions) give what the in-process env gives for the same seeds."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import gymnasium as gym
import pytest

from steptool_env.world.suite import Suite
from tests.integrations.conftest import (
    mixed_plan,
    need,
    oracle_plan,
    reference_episode,
    server_process,
)

pytestmark = pytest.mark.slow  # a module-wide fixture starts a server/cluster

SPLIT = "I3-Inst"


@pytest.fixture(scope="module")
def adapter() -> Any:
    need("openenv.core", "openenv")
    from steptool_env.integrations import openenv_adapter

    return openenv_adapter


@pytest.fixture(scope="module")
def url(adapter: Any) -> str:
    with server_process(
        "openenv", "--env-id", "StepTool/ToolBench-v0", "--split", SPLIT, "--port", "0"
    ) as url:
        yield url


def action_of(adapter: Any, action: tuple) -> Any:
    kind, a, b = action
    if kind == "call":
        return adapter.StepToolAction(tool_name=a, arguments=b)
    return adapter.StepToolAction(text=a)


def test_a_hundred_episodes_match_the_in_process_env(adapter: Any, url: str, suite: Suite) -> None:
    episodes = steps = solved = texts = 0
    with adapter.StepToolEnvClient(base_url=url).sync() as client:
        for seed in range(104):
            first, ref, plan = reference_episode(
                "StepTool/ToolBench-v0", {"split": SPLIT}, seed, mixed_plan(suite, seed)
            )
            start = client.reset(seed=seed)
            assert start.reward is None and not start.done
            assert start.observation.text == first.observation
            assert start.observation.info == first.info
            assert [t["name"] for t in start.observation.tools][-1] == "Finish"
            assert start.observation.messages[1]["content"] == first.info["query"]
            for action, want in zip(plan, ref):
                got = client.step(action_of(adapter, action))
                o = got.observation
                assert (o.text, got.reward, o.terminated, o.truncated, o.info) == want.key()
                assert got.done == (want.terminated or want.truncated)
                texts += action[0] == "text"
            state = client.state()
            assert state.step_count == len(ref) and state.seed == seed
            assert state.task_id == first.info["task_id"]
            assert state.episode_return == pytest.approx(sum(s.reward for s in ref))
            episodes += 1
            steps += len(ref)
            solved += ref[-1].info["is_solved"] == 1.0
    assert episodes >= 100 and steps > 300 and texts > 0
    assert solved >= 52  # every oracle episode (even seeds) is solved


def test_generic_client_task_ids_and_errors(adapter: Any, url: str, suite: Suite) -> None:
    from openenv.core import GenericEnvClient
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="exactly one of text, tool_name, index"):
        adapter.StepToolAction(text="x", index=1)
    task = suite.task("I1-Inst-00003")
    with GenericEnvClient(base_url=url).sync() as client:
        start = client.reset(seed=1, task_id=task.task_id)  # any split, by id
        assert start.observation["info"]["task_id"] == task.task_id
        result = None
        for _, name, args in oracle_plan(suite, task):
            result = client.step({"tool_name": name, "arguments": args})
        assert result.done and result.observation["info"]["is_solved"] == 1.0
        with pytest.raises(RuntimeError, match="episode is over"):
            client.step({"text": "Action: Finish"})
        client.reset(seed=2)
        with pytest.raises(RuntimeError, match="VALIDATION_ERROR"):
            client.step({"text": "x", "index": 3})  # two kinds of action at once
        assert not client.step({"text": "x"}).done  # the session lives on


def test_sessions_are_independent_and_the_server_is_conformant(
    adapter: Any, url: str, suite: Suite
) -> None:
    with urllib.request.urlopen(f"{url}/health", timeout=10) as r:
        assert json.load(r)["status"] == "healthy"
    with urllib.request.urlopen(f"{url}/schema", timeout=10) as r:
        schema = json.load(r)
    assert {"text", "tool_name", "arguments", "index"} <= set(schema["action"]["properties"])
    with urllib.request.urlopen(f"{url}/metadata", timeout=10) as r:
        assert json.load(r)["name"] == "StepTool/ToolBench-v0"
    a = adapter.StepToolEnvClient(base_url=url).sync()
    b = adapter.StepToolEnvClient(base_url=url).sync()
    with a, b:
        ta = a.reset(seed=7).observation.info["task_id"]
        tb = b.reset(seed=8).observation.info["task_id"]
        plans = {ta: oracle_plan(suite, suite.task(ta)), tb: oracle_plan(suite, suite.task(tb))}
        for i in range(max(len(p) for p in plans.values())):  # interleaved steps
            for client, tid in ((a, ta), (b, tb)):
                if i < len(plans[tid]):
                    last = client.step(action_of(adapter, plans[tid][i]))
                    if i == len(plans[tid]) - 1:
                        assert last.done and last.observation.info["is_solved"] == 1.0


def test_discrete_env_id(adapter: Any) -> None:
    with (
        server_process(
            "openenv",
            "--env-id",
            "StepTool/ToolBenchDiscrete-v0",
            "--split",
            "I1-Inst",
            "--port",
            "0",
        ) as url,
        adapter.StepToolEnvClient(base_url=url).sync() as client,
    ):
        env = gym.make("StepTool/ToolBenchDiscrete-v0", split="I1-Inst")
        try:
            for seed in range(3):
                start = client.reset(seed=seed)
                obs, info = env.reset(seed=seed)
                assert start.observation.vector == pytest.approx(obs.tolist(), abs=0)
                done = False
                while not done:
                    pick = info["oracle_action"]
                    got = client.step(adapter.StepToolAction(index=pick))
                    obs, reward, term, trunc, info = env.step(pick)
                    assert got.observation.vector == obs.tolist() and got.reward == reward
                    done = term or trunc
                    assert got.done == done
        finally:
            env.close()


def test_served_from_a_thread(adapter: Any, suite: Suite) -> None:
    from steptool_env.integrations.asgi import serving

    app = adapter.create_app("StepTool/ToolBench-v0", {"split": "I1-Inst", "parser": "json"})
    with serving(app) as url, adapter.StepToolEnvClient(base_url=url).sync() as client:
        for seed in range(3):
            first, ref, plan = reference_episode(
                "StepTool/ToolBench-v0",
                {"split": "I1-Inst", "parser": "json"},
                seed,
                mixed_plan(suite, seed),
            )
            assert client.reset(seed=seed).observation.text == first.observation
            for action, want in zip(plan, ref):
                got = client.step(action_of(adapter, action))
                assert (got.observation.text, got.reward, got.observation.info) == (
                    want.observation,
                    want.reward,
                    want.info,
                )
