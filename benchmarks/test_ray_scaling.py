"""Episodes/s of the bench runner with the oracle agent: local executor against Ray with two
env workers, in the same run, plus the per-episode costs the README's scaling estimate is
built from.

    python -m pytest benchmarks/test_ray_scaling.py -s

Measured (all on a Ray head on loopback started here, ``num_cpus=2``):

- ``run_bench`` end to end (plan, run, record every episode), local and Ray, interleaved,
  best of three each; Ray's time includes starting its two workers.
- The same episodes on a warm pool (:meth:`WorkerPool.run_episodes`): the steady state.
- Where the time goes: one episode's work in a worker (the local rollout loop without the
  store), the driver's work per record (build it and append it), a round trip to a worker,
  and starting a pool.
- Env-worker mode (the trainer's): steps/s of the rollout loop over :class:`RayEnvs` (two
  workers × four envs) against eight local envs, the agent in this process.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import gymnasium as gym
import pytest

from steptool_env.agents import OracleAgent
from steptool_env.bench import BenchConfig, run_bench
from steptool_env.bench.runner import _record, _static, episode_seed
from steptool_env.bench.store import EpisodeStore, SharedFields
from steptool_env.rollout import EpisodeSpec, collect
from steptool_env.testing import local_ray_head
from steptool_env.world.suite import TEST_SUBSETS, load_suite

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def address():
    pytest.importorskip("ray")
    with local_ray_head(num_cpus=2) as addr:
        yield addr


def _specs() -> list[EpisodeSpec]:
    suite = load_suite()
    return [
        EpisodeSpec(t.task_id, episode_seed(s, t.task_id))
        for s in SEEDS
        for sub in TEST_SUBSETS
        for t in suite.split(sub)
    ]


def _best(fn, rounds: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(rounds):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def test_bench_episodes_per_s_local_vs_ray(benchmark, address: str, tmp_path: Path) -> None:
    from steptool_env.rollout.ray_workers import RayConfig, RayEnvs, WorkerPool, connect

    ray = connect(address)
    counter = itertools.count()

    def bench(executor: str) -> int:
        cfg = BenchConfig(
            tmp_path / f"run{next(counter)}",
            agents=("oracle",),
            seeds=SEEDS,
            progress=False,
            executor=executor,
            ray_address=address,
        )
        return len(run_bench(cfg).records)

    bench("local")  # load the suite once
    local_s, ray_s = float("inf"), float("inf")
    for _ in range(3):  # interleaved, so drift of the machine hits both alike
        t0 = time.perf_counter()
        n = bench("local")
        local_s = min(local_s, time.perf_counter() - t0)
        t0 = time.perf_counter()
        assert bench("ray") == n
        ray_s = min(ray_s, time.perf_counter() - t0)
    benchmark.pedantic(bench, args=("ray",), rounds=1, iterations=1)

    specs = _specs()
    assert len(specs) == n
    start_s, pool = _best(lambda: WorkerPool("StepTool/ToolBench-v0", {}, RayConfig(address)), 1)
    try:
        steady_s, trajs = _best(lambda: list(pool.run_episodes("oracle", {}, specs)))
        rtt_s, _ = _best(lambda: [ray.get(pool.actors[0].hello.remote()) for _ in range(200)])
        rtt_s /= 200
    finally:
        pool.close()  # the head has two CPUs: one pool at a time
    envs = [gym.make("StepTool/ToolBench-v0") for _ in range(8)]
    worker_s, local_trajs = _best(lambda: collect(envs, OracleAgent(), specs))
    steps = sum(t.n_steps for t in local_trajs)
    remote = RayEnvs(WorkerPool("StepTool/ToolBench-v0", {}, RayConfig(address, envs_per_worker=4)))
    try:
        envmode_s, remote_trajs = _best(lambda: collect(remote, OracleAgent(), specs), 1)
    finally:
        remote.close()
    assert [t.digest() for t in remote_trajs] == [t.digest() for t in local_trajs]
    assert sorted(t.digest() for t in trajs) == sorted(t.digest() for t in local_trajs)

    # The driver's work per record: build it, append it.
    store = EpisodeStore(tmp_path / "records")
    plan = type("P", (), {"spec": None, "subset": "I1-Inst", "seed": 0})

    def record_all() -> None:
        with store:
            shared = SharedFields({"agent": "oracle", "env_id": "StepTool/ToolBench-v0"})
            for t in trajs:
                plan.spec = t.spec
                store.append(_record(t, plan, 0.0), shared)

    record_s, _ = _best(record_all)
    assert _static  # the static fields are built once per run, not per record

    row = {
        "episodes": n,
        "local_eps": round(n / local_s),
        "ray_eps": round(n / ray_s),
        "ratio_ray_to_local": round(local_s / ray_s, 3),
        "pool_start_s": round(start_s, 2),
        "ray_steady_eps": round(n / steady_s),
        "worker_ms_per_episode": round(1000 * worker_s / n, 3),
        "driver_ms_per_record": round(1000 * record_s / n, 4),
        "round_trip_ms": round(1000 * rtt_s, 3),
        "local_envs_steps_per_s": round(steps / worker_s),
        "ray_envs_steps_per_s": round(steps / envmode_s),
    }
    benchmark.extra_info.update(row)
    print(
        f"\n{n} oracle episodes: local {n / local_s:,.0f} ep/s, Ray (2 workers) "
        f"{n / ray_s:,.0f} ep/s end to end (x{local_s / ray_s:.2f}; start {start_s:.2f} s), "
        f"{n / steady_s:,.0f} ep/s on a warm pool\n"
        f"per episode: worker {1000 * worker_s / n:.3f} ms, driver record "
        f"{1000 * record_s / n:.4f} ms; round trip {1000 * rtt_s:.3f} ms\n"
        f"env-worker mode: local 8 envs {steps / worker_s:,.0f} steps/s, RayEnvs 2x4 "
        f"{steps / envmode_s:,.0f} steps/s"
    )
