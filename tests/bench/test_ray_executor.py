"""``steptool bench --executor ray``: same records and leaderboard as the local executor,
resume across executors, and a worker killed mid-run (a loopback Ray head, two workers)."""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path

import pytest

from steptool_env.bench import BenchConfig, run_bench, write_leaderboard
from steptool_env.bench.store import episode_key
from steptool_env.cli import main
from steptool_env.errors import ConfigError

TIMING = ("started_at", "ended_at", "wall_s")
PLAN = dict(agents=("oracle", "heuristic", "random"), seeds=(0, 1), limit=8, num_envs=3)


def records_of(run) -> list[dict]:
    """The records without their wall-clock fields, in a fixed order."""
    out = [{k: v for k, v in r.to_json().items() if k not in TIMING} for r in run.records]
    return sorted(out, key=lambda r: json.dumps(episode_key(r)))


def leaderboard(run, out: Path) -> bytes:
    return write_leaderboard(run.records, out)["csv"].read_bytes()


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    run = run_bench(BenchConfig(out=out, progress=False, **PLAN))
    return run, leaderboard(run, out)


@pytest.mark.slow
def test_ray_executor_gives_the_local_records_and_leaderboard(
    local_run, ray_address: str, tmp_path: Path
) -> None:
    local, board = local_run
    cfg = BenchConfig(out=tmp_path, progress=False, executor="ray", ray_address=ray_address, **PLAN)
    run = run_bench(cfg)
    assert (run.executor, run.ran, run.lost) == ("ray", len(local.records), 0)
    assert records_of(run) == records_of(local)
    assert leaderboard(run, tmp_path) == board
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["executor"] == "ray"
    assert info["config"] == json.loads((local.path.parent / "run.json").read_text())["config"]


@pytest.mark.slow
def test_a_run_started_locally_resumes_on_ray(local_run, ray_address: str, tmp_path) -> None:
    local, board = local_run
    first = run_bench(BenchConfig(out=tmp_path, progress=False, **{**PLAN, "seeds": (0,)}))
    cfg = BenchConfig(out=tmp_path, progress=False, executor="ray", ray_address=ray_address, **PLAN)
    run = run_bench(cfg)
    assert run.resumed == first.ran == len(local.records) // 2
    assert run.ran == len(local.records) - run.resumed
    assert records_of(run) == records_of(local)
    assert leaderboard(run, tmp_path) == board
    again = run_bench(cfg)  # nothing left to run
    assert (again.ran, again.resumed) == (0, len(local.records))


def _env_workers() -> set[int]:
    pids = set()
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    if fh.read().startswith(b"ray::EnvWorker"):
                        pids.add(int(pid))
            except OSError:
                continue
    return pids


@pytest.mark.slow
def test_killing_a_worker_mid_run_loses_and_duplicates_nothing(
    local_run, ray_address: str, tmp_path: Path
) -> None:
    local, board = local_run
    before = _env_workers()
    episodes = tmp_path / "episodes.jsonl"
    killed: list[tuple[int, int]] = []
    stop = threading.Event()

    def killer() -> None:  # once a tenth of the episodes are recorded, kill one worker
        while not stop.wait(0.005):
            n = episodes.read_bytes().count(b"\n") if episodes.exists() else 0
            mine = sorted(_env_workers() - before)
            if n >= len(local.records) // 10 and len(mine) == 2:
                os.kill(mine[0], signal.SIGKILL)
                killed.append((mine[0], n))
                return

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    cfg = BenchConfig(out=tmp_path, progress=False, executor="ray", ray_address=ray_address, **PLAN)
    try:
        run = run_bench(cfg)
    finally:
        stop.set()
        thread.join()
    assert killed and killed[0][1] < len(local.records)  # it died mid-run
    assert run.lost >= 1
    lines = [json.loads(line) for line in episodes.read_text().splitlines()]
    keys = [episode_key(r) for r in lines]
    assert len(keys) == len(set(keys)) == len(local.records)  # each episode exactly once
    assert not any(r["infra_error"] for r in lines)  # lost chunks were run again
    assert records_of(run) == records_of(local)
    assert leaderboard(run, tmp_path) == board


@pytest.mark.slow
def test_cli_runs_the_ray_executor(ray_address: str, tmp_path: Path, capsys) -> None:
    argv = [
        "bench", "--agents", "oracle", "--seeds", "0", "--subsets", "I1-Inst,I3-Inst",
        "--limit", "4", "--out", str(tmp_path), "--no-progress", "--executor", "ray",
        "--ray-address", ray_address, "--ray-workers", "2",
    ]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "oracle" in out and "100.0" in out
    assert len((tmp_path / "episodes.jsonl").read_text().splitlines()) == 8


def test_the_ray_settings_reach_the_workers(monkeypatch, tmp_path: Path) -> None:
    """What the bench asks of Ray (address, workers, envs and GPUs per worker)."""
    from steptool_env.rollout import ray_workers

    seen = []

    class Pool:
        def __init__(self, env_id, env_kwargs, config) -> None:
            seen.append((env_id, env_kwargs, config))
            raise ConfigError("stop", 0, "enough")

    monkeypatch.setattr(ray_workers, "WorkerPool", Pool)
    argv = [
        "bench", "--agents", "oracle", "--seeds", "0", "--subsets", "I1-Inst", "--limit",
        "2", "--out", str(tmp_path), "--no-progress", "--executor", "ray", "--ray-address",
        "10.0.0.5:6379", "--ray-workers", "3", "--num-envs", "5", "--ray-gpus-per-worker",
        "0.5",
    ]  # fmt: skip
    assert main(argv) == 2
    ((env_id, kwargs, config),) = seen
    assert env_id == "StepTool/ToolBench-v0" and kwargs["split"] == "I1-Inst"
    assert (config.address, config.workers, config.envs_per_worker) == ("10.0.0.5:6379", 3, 5)
    assert config.gpus_per_worker == 0.5


@pytest.mark.parametrize(
    ("field", "value"),
    [("executor", "slurm"), ("ray_workers", 0), ("ray_address", ""), ("ray_gpus_per_worker", -1)],
)
def test_executor_settings_are_validated(tmp_path: Path, field: str, value) -> None:
    with pytest.raises(ConfigError, match=field):
        BenchConfig(out=tmp_path, **{field: value})
