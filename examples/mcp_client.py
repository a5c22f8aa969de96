"""Act in StepTool episodes through MCP: spawn `steptool serve mcp` over stdio and play.

pip install "steptool-env[mcp]"
python examples/mcp_client.py                 # 5 episodes of I1-Inst, about 10 s
python examples/mcp_client.py --url http://127.0.0.1:8766/mcp   # a running HTTP server

The "agent" here knows each task's gold calls (it reads the suite locally, as the oracle
does); any MCP client or MCP-based agent framework acts the same way: list the tools, read
the task, call tools, end with Finish. Each result's structured content carries the step
reward and whether the episode is over.
"""

from __future__ import annotations

import argparse
import sys

import anyio
from mcp import Client, StdioServerParameters

from steptool_env.envs.prompts import finish_arguments
from steptool_env.world.suite import load_suite


async def play(client: Client, episodes: int) -> None:
    suite = load_suite()
    tools = await client.list_tools()
    print(f"{len(tools.tools)} tools, e.g. {tools.tools[0].name}")
    for seed in range(episodes):
        reset = await client.call_tool("steptool_reset", {"seed": seed})
        task = suite.task(reset.structured_content["task_id"])
        print(f"\n[{task.task_id}] {reset.content[0].text}")
        calls = [(suite.catalogue.api(g.tool, g.api).function_name, g.arguments) for g in task.gold]
        calls.append(("Finish", finish_arguments(task.reference_answer)))
        for name, arguments in calls:
            result = await client.call_tool(name, dict(arguments))
            s = result.structured_content
            print(f"  {name}: reward {s['reward']:.3f}, {result.content[0].text[:70]}")
        print(f"  return {s['episode_return']:.3f}, solved {s['info']['is_solved']}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", help="a streamable-HTTP server (default: spawn one over stdio)")
    p.add_argument("--split", default="I1-Inst")
    p.add_argument("--episodes", type=int, default=5)
    args = p.parse_args()
    server = args.url or StdioServerParameters(
        command=sys.executable,
        args=["-m", "steptool_env.cli", "serve", "mcp", "--split", args.split],
    )

    async def run() -> None:
        async with Client(server) as client:
            await play(client, args.episodes)

    anyio.run(run)


if __name__ == "__main__":
    main()
