"""What the benchmark harness adds to the env: steps/s of ``run_bench`` with the oracle agent
against the raw env loop (one env, reset/step, the same oracle agent), in the same run.

    python -m pytest benchmarks/test_bench_harness.py -s

Target (issue: the harness adds little): harness / raw >= 0.8. The harness does everything a
real run does: plans every episode, records each one with its provenance and appends it to
``episodes.jsonl`` (one write per episode), progress bar off.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import gymnasium as gym

from steptool_env.agents import OracleAgent, TurnView
from steptool_env.bench import BenchConfig, run_bench
from steptool_env.bench.runner import episode_seed
from steptool_env.world.suite import TEST_SUBSETS, load_suite

SEED = 0


def _tasks() -> list[str]:
    suite = load_suite()
    return [t.task_id for s in TEST_SUBSETS for t in suite.split(s)]


def raw_loop(task_ids: list[str]) -> int:
    """The raw env loop: one env, the oracle acting on each observation."""
    env = gym.make("StepTool/ToolBench-v0")
    agent, base, steps = OracleAgent(), env.unwrapped, 0
    for tid in task_ids:
        seed = episode_seed(SEED, tid)
        obs, info = env.reset(seed=seed, options={"task_id": tid})
        done, t = False, 0
        while not done:
            action = agent.act([TurnView(0, base, obs, t, seed, info)])[0]
            obs, _, terminated, truncated, info = env.step(action)
            done, t, steps = terminated or truncated, t + 1, steps + 1
    env.close()
    return steps


def test_harness_vs_raw_env_loop(benchmark, tmp_path: Path) -> None:
    tasks = _tasks()
    counter = itertools.count()

    def harness() -> int:
        out = tmp_path / f"run{next(counter)}"  # a fresh folder: nothing to resume
        cfg = BenchConfig(out, agents=("oracle",), seeds=(SEED,), progress=False)
        return sum(r.n_steps for r in run_bench(cfg).records)

    raw_times, harness_times = [], []
    steps_raw = steps_harness = 0
    for _ in range(5):  # interleaved, so drift of the machine hits both alike
        t0 = time.perf_counter()
        steps_raw = raw_loop(tasks)
        raw_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        steps_harness = harness()
        harness_times.append(time.perf_counter() - t0)
    assert steps_raw == steps_harness  # the same episodes, step for step
    benchmark.pedantic(harness, rounds=1, iterations=1)
    raw_sps = steps_raw / min(raw_times)
    harness_sps = steps_harness / min(harness_times)
    ratio = harness_sps / raw_sps
    benchmark.extra_info.update(
        {
            "episodes": len(tasks),
            "raw_steps_per_s": round(raw_sps),
            "harness_steps_per_s": round(harness_sps),
            "ratio": round(ratio, 3),
        }
    )
    print(
        f"\n{len(tasks)} episodes, {steps_raw} steps: raw env loop {raw_sps:,.0f} steps/s, "
        f"harness {harness_sps:,.0f} steps/s, ratio {ratio:.2f} (target >= 0.8)"
    )
