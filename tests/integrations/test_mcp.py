"""``steptool serve mcp`` with the official MCP client SDK (``mcp``), over stdio, streamable
HTTP on loopback and in process: the tools are the episode's, and every call answers what
``env.step`` answers for the same seed and the same calls."""

from __future__ import annotations

import json
import sys
import tempfile
from typing import Any

import anyio
import gymnasium as gym
import pytest

from steptool_env.cli import main
from steptool_env.integrations.episode import EpisodeSession
from steptool_env.world.suite import Suite
from tests.conftest import REPO
from tests.integrations.conftest import (
    mixed_plan,
    need,
    oracle_plan,
    reference_episode,
    server_process,
)

ENV_ID = "StepTool/ToolBench-v0"
SPLIT = "I2-Inst"
RESET = "steptool_reset"


@pytest.fixture(scope="module")
def mcp() -> Any:
    return need("mcp", "mcp")


def observed(result: Any) -> tuple:
    """A tool result as (observation, reward, terminated, truncated, info)."""
    assert not result.is_error, result.content
    s = result.structured_content
    assert s["done"] == (s["terminated"] or s["truncated"]) and s["status"] == s["info"]["status"]
    return (result.content[0].text, s["reward"], s["terminated"], s["truncated"], s["info"])


async def play(client: Any, suite: Suite, seed: int, first: bool = False) -> int:
    """Episode ``seed`` through ``client`` (reset by the tool unless ``first``: the server
    started it), compared with the in-process env step by step; returns the steps taken."""
    ref_start, ref_steps, plan = reference_episode(
        ENV_ID, {"split": SPLIT}, seed, mixed_plan(suite, seed)
    )
    if not first:
        reset = await client.call_tool(RESET, {"seed": seed})
        assert not reset.is_error, reset.content
        body = reset.structured_content
        assert body["task_id"] == ref_start.info["task_id"] and body["seed"] == seed
        assert body["info"] == ref_start.info and reset.content[0].text == body["query"]
        assert body["query"] == ref_start.info["query"] and body["prompt"][1]["role"] == "user"
    listed = await client.list_tools()
    env = gym.make(ENV_ID, split=SPLIT)
    env.reset(seed=seed)
    schemas = env.unwrapped.tool_schemas
    env.close()
    assert [t.name for t in listed.tools] == [s["name"] for s in schemas] + [RESET]
    for tool, schema in zip(listed.tools, schemas):
        assert tool.input_schema["properties"] == schema["parameters"]["properties"]
    for (kind, a, b), ref in zip(plan, ref_steps):
        assert kind == "call"
        assert observed(await client.call_tool(a, b)) == ref.key()
    return len(plan)


def text_free(suite: Suite, seeds: range) -> list[int]:
    """The seeds whose plans are calls only: MCP carries calls, not free text (the env's
    bad-input path is reached by unknown functions and missing arguments instead)."""
    out = []
    for seed in seeds:
        _, _, plan = reference_episode(ENV_ID, {"split": SPLIT}, seed, mixed_plan(suite, seed))
        if all(kind == "call" for kind, _, _ in plan):
            out.append(seed)
    return out


@pytest.mark.slow
def test_stdio_tools_parity_resources_and_errors(mcp: Any, suite: Suite) -> None:
    seeds = text_free(suite, range(1, 12))[:5]
    assert len(seeds) >= 3
    params = mcp.StdioServerParameters(
        command=sys.executable,
        args=[
            "-m",
            "steptool_env.cli",
            "serve",
            "mcp",
            "--env-id",
            ENV_ID,
            "--split",
            SPLIT,
            "--seed",
            "0",
        ],
        cwd=str(REPO),
    )

    from mcp.client.stdio import stdio_client

    async def go() -> None:
        # The server's stderr to a file of its own: stdio_client's default is the sys.stderr
        # of the moment mcp was imported, which under pytest may be a capture without fileno.
        with tempfile.TemporaryFile("w+") as errlog:
            async with mcp.Client(stdio_client(params, errlog=errlog)) as client:
                await stdio_session(client, suite, seeds)

    anyio.run(go)


async def stdio_session(client: Any, suite: Suite, seeds: list[int]) -> None:
    """The stdio test's calls: parity, the error after the end, resources, reset by id."""
    assert client.server_info.name == "steptool-env"
    await play(client, suite, 0, first=True)
    # The episode is over: one more call is an error result, not a step.
    late = await client.call_tool("Finish", {"return_type": "give_up_and_restart"})
    assert late.is_error and "reset" in late.content[0].text
    for seed in seeds:
        await play(client, suite, seed)
    state = json.loads((await client.read_resource("steptool://episode/state")).contents[0].text)
    assert state["seed"] == seeds[-1] and state["done"] and state["episode"] == 1 + len(seeds)
    # A task by id (any split); the prompt resource is the env's opening messages.
    reset = await client.call_tool(RESET, {"task_id": "I1-Inst-00042"})
    assert reset.structured_content["task_id"] == "I1-Inst-00042"
    prompt = json.loads((await client.read_resource("steptool://episode/prompt")).contents[0].text)
    env = gym.make(ENV_ID, split=SPLIT)
    env.reset(options={"task_id": "I1-Inst-00042"})
    assert prompt == list(env.unwrapped.messages[:2])
    env.close()
    bad = await client.call_tool(RESET, {"seed": -1})
    assert bad.is_error and "seed" in bad.content[0].text


@pytest.mark.slow
def test_streamable_http_on_loopback_both_protocol_eras(mcp: Any, suite: Suite) -> None:
    seeds = text_free(suite, range(12, 30))[:4]
    with server_process(
        "mcp", "--split", SPLIT, "--seed", "0", "--transport", "http", "--port", "0"
    ) as url:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/mcp")

        async def go() -> None:
            async with mcp.Client(url) as client:  # the 2026 protocol (auto)
                await play(client, suite, 0, first=True)
                await play(client, suite, seeds[0])
            async with mcp.Client(url, mode="legacy") as client:  # initialize handshake
                assert client.protocol_version != "2026-07-28"
                for seed in seeds[1:]:
                    await play(client, suite, seed)

        anyio.run(go)


def test_in_process_server_many_episodes(mcp: Any, suite: Suite) -> None:
    from steptool_env.integrations.mcp_server import build_server

    seeds = text_free(suite, range(30, 90))
    assert len(seeds) >= 20
    session = EpisodeSession(ENV_ID, split=SPLIT)
    session.reset(seed=0)

    async def go() -> None:
        async with mcp.Client(build_server(session)) as client:
            for seed in seeds:
                await play(client, suite, seed)

    try:
        anyio.run(go)
    finally:
        session.close()


def test_oracle_solves_through_mcp(mcp: Any, suite: Suite) -> None:
    from steptool_env.integrations.mcp_server import build_server

    session = EpisodeSession(ENV_ID, split=SPLIT, reward_mode="outcome")
    session.reset(seed=5)
    task = session.text_env.task

    async def go() -> dict:
        async with mcp.Client(build_server(session), mode="legacy") as client:
            result = None
            for _, name, args in oracle_plan(suite, task):
                result = await client.call_tool(name, args)
            return result.structured_content

    try:
        last = anyio.run(go)
    finally:
        session.close()
    assert last["terminated"] and last["info"]["is_solved"] == 1.0 and last["reward"] == 1.0


def test_cli_refuses_what_it_cannot_serve(mcp: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "mcp", "--transport", "pigeon"]) == 2
    assert main(["serve", "mcp", "--transport", "http", "--host", "0.0.0.0"]) == 2
    assert main(["serve", "mcp", "--env-id", "StepTool/ToolBenchDiscrete-v0"]) == 2
    assert main(["serve", "mcp", "--env-arg", "parser=nope"]) == 2
    err = capsys.readouterr().err
    assert "transport" in err and "loopback" in err and "text env" in err and "parser" in err
