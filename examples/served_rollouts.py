"""Roll out a served model and keep its tokens: token-in/token-out for training.

pip install "steptool-env[bench]"
vllm serve Qwen/Qwen2.5-0.5B-Instruct --enable-auto-tool-choice --tool-call-parser hermes
python examples/served_rollouts.py --model Qwen/Qwen2.5-0.5B-Instruct

With return_tokens=True the openai agent asks the server for the prompt's token ids, the
sampled ids and their log-probs (vLLM: return_token_ids, return_tokens_as_token_ids) and keeps
them on every step record (StepRecord.sample, a ServedSample), so a trainer learns from the
very tokens the server sampled and never tokenises the conversation again. A server that
does not send them ends the episode with an infrastructure error that says what is missing.
"""

from __future__ import annotations

import argparse

import gymnasium as gym

import steptool_env  # noqa: F401 - registers the StepTool/* ids
from steptool_env.agents.openai_agent import OpenAIAgent
from steptool_env.bench.runner import episode_seed
from steptool_env.rollout import EpisodeSpec, collect
from steptool_env.world.suite import load_suite


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="the served model's name")
    p.add_argument("--base-url", default="http://127.0.0.1:8000/v1")
    p.add_argument("--split", default="I1-Inst")
    p.add_argument("--episodes", type=int, default=4)
    p.add_argument("--temperature", type=float, default=1.0)
    args = p.parse_args()
    tasks = load_suite().split(args.split)[: args.episodes]
    specs = [EpisodeSpec(t.task_id, episode_seed(0, t.task_id)) for t in tasks]
    envs = [gym.make("StepTool/ToolBench-v0", split=args.split) for _ in range(2)]
    agent = OpenAIAgent(
        model=args.model,
        base_url=args.base_url,
        temperature=args.temperature,
        return_tokens=True,
    )
    try:
        trajectories = collect(envs, agent, specs)
    finally:
        agent.close()
    for t in trajectories:
        if t.infra_error:
            print(f"{t.spec.task_id}: {t.infra_error}")
            continue
        print(f"{t.spec.task_id}: {t.n_steps} steps, return {t.episode_return:.3f}")
        for i, s in enumerate(t.steps):
            smp = s.sample
            print(
                f"  step {i + 1}: {len(smp.context_ids)} prompt ids, {len(smp.action_ids)} "
                f"sampled ids, sum log-prob {float(smp.logprobs.sum()):.2f}, reward {s.reward:.3f}"
            )


if __name__ == "__main__":
    main()
