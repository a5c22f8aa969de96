"""Drive StepTool envs through OpenEnv: a server (reset/step/state over WebSocket) and its client.

pip install "steptool-env[openenv]"
python examples/openenv_client.py            # serves from a thread, 20 episodes, about 15 s
steptool serve openenv --split I2-Inst --port 8000 &
python examples/openenv_client.py --url http://127.0.0.1:8000

OpenEnv-speaking trainers use the same client (or OpenEnv's GenericEnvClient with plain
dicts). Actions are tool calls here; StepToolAction(text=...) sends a model's raw text.
"""

from __future__ import annotations

import argparse
from contextlib import nullcontext

from steptool_env.envs.prompts import finish_arguments
from steptool_env.integrations.asgi import serving
from steptool_env.integrations.openenv_adapter import StepToolAction, StepToolEnvClient, create_app
from steptool_env.world.suite import load_suite


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", help="a running server (default: serve one from a thread)")
    p.add_argument("--split", default="I2-Inst")
    p.add_argument("--episodes", type=int, default=20)
    args = p.parse_args()
    suite = load_suite()
    server = (
        nullcontext(args.url)
        if args.url
        else serving(create_app("StepTool/ToolBench-v0", {"split": args.split}))
    )
    solved = 0.0
    with server as url, StepToolEnvClient(base_url=url).sync() as env:
        for seed in range(args.episodes):
            result = env.reset(seed=seed)
            task = suite.task(result.observation.info["task_id"])  # the oracle's privilege
            calls = [
                (suite.catalogue.api(g.tool, g.api).function_name, g.arguments) for g in task.gold
            ]
            calls.append(("Finish", finish_arguments(task.reference_answer)))
            for name, arguments in calls:
                result = env.step(StepToolAction(tool_name=name, arguments=dict(arguments)))
            state = env.state()
            solved += result.observation.info["is_solved"]
            print(f"{state.task_id}: {state.step_count} steps, return {state.episode_return:.3f}")
    print(f"pass rate {solved / args.episodes:.2f} over {args.episodes} episodes at {url}")


if __name__ == "__main__":
    main()
