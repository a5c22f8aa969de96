"""Ray env workers: same trajectories as local envs, worker deaths, bad settings.

A Ray head on loopback (4 CPUs) is started once per session (``ray_address`` fixture); each
pool below has two worker processes.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator, Sequence

import gymnasium as gym
import pytest

from steptool_env.agents import make_agent
from steptool_env.agents.base import TurnView
from steptool_env.errors import ConfigError, TaskError, WorkerError
from steptool_env.rollout import EpisodeSpec, Trajectory, collect
from steptool_env.rollout.ray_workers import RayConfig, WorkerPool
from steptool_env.world.suite import Suite
from tests.conftest import run_python

pytestmark = pytest.mark.slow  # a module-wide fixture starts a Ray cluster

ENV = "StepTool/ToolBench-v0"
KWARGS = {"split": "I2-Inst"}


def specs_of(suite: Suite, split: str = "I2-Inst", n: int = 24, seed0: int = 50) -> list:
    return [EpisodeSpec(t.task_id, seed0 + k) for k, t in enumerate(suite.split(split)[:n])]


def local(agent: str, specs: Sequence[EpisodeSpec], n_envs: int = 3) -> list[Trajectory]:
    envs = [gym.make(ENV, **KWARGS) for _ in range(n_envs)]
    return collect(envs, make_agent(agent, seed=7), specs)


def summary(t: Trajectory) -> tuple:
    """Everything of a trajectory but its wall time."""
    return (
        t.spec, t.split, t.group, t.digest(), t.is_solved, t.terminated, t.truncated,
        t.gave_up, t.relevant_apis, t.relevant_called, t.prompt, t.infra_error,
    )  # fmt: skip


@pytest.fixture(scope="module")
def pool(ray_address: str) -> Iterator[WorkerPool]:
    cfg = RayConfig(ray_address, workers=2, envs_per_worker=2, chunk_size=3)
    with WorkerPool(ENV, KWARGS, cfg) as p:
        yield p


class Recorder:
    """Wraps an agent and records what it read of each env on every turn."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.seen = inner, "recorder", []

    def config(self):
        return {}

    def act(self, views: Sequence[TurnView]):
        for v in views:
            fns = tuple(v.env.function_of(*k) for k in v.task.relevant_apis)
            self.seen.append((v.episode_seed, v.step, v.messages, v.tools, v.parser, fns))
        return self.inner.act(views)


@pytest.mark.parametrize("agent", ["oracle", "heuristic", "random"])
def test_ray_envs_give_the_local_trajectories(agent: str, pool: WorkerPool, suite) -> None:
    specs = specs_of(suite)
    want = local(agent, specs)
    got = collect(pool.envs(), make_agent(agent, seed=7), specs)
    assert [summary(t) for t in got] == [summary(t) for t in want]
    assert {t.is_solved for t in want} != {0.0} or agent == "random"  # not a trivial match


def test_agents_read_the_same_env_state_remotely(pool: WorkerPool, suite) -> None:
    """Messages, tool schemas, parser and function names seen through the mirrors."""
    specs = specs_of(suite, n=8)
    here, there = Recorder(make_agent("heuristic")), Recorder(make_agent("heuristic"))
    envs = [gym.make(ENV, **KWARGS) for _ in range(4)]
    collect(envs, here, specs)
    collect(pool.envs(), there, specs)
    assert sorted(here.seen, key=repr) == sorted(there.seen, key=repr)
    assert max(len(s[2]) for s in here.seen) > 4  # conversations grew over the turns


@pytest.mark.parametrize("agent", ["oracle", "random"])
def test_whole_episodes_in_workers_give_the_local_trajectories(
    agent: str, pool: WorkerPool, suite
) -> None:
    specs = specs_of(suite, n=20)
    got = list(pool.run_episodes(agent, {"seed": 7}, specs))
    assert sorted(t.spec.task_id for t in got) == sorted(s.task_id for s in specs)
    got.sort(key=lambda t: specs.index(t.spec))
    assert [summary(t) for t in got] == [summary(t) for t in local(agent, specs)]


def test_any_split_runs_by_task_id(pool: WorkerPool, suite) -> None:
    specs = specs_of(suite, "I3-Inst", n=4) + specs_of(suite, "val", n=4)
    got = collect(pool.envs(), make_agent("oracle"), specs)
    assert [t.split for t in got] == ["I3-Inst"] * 4 + ["val"] * 4
    assert all(t.is_solved == 1.0 for t in got)


class Killer:
    """The oracle, which kills a worker process on its ``on_turn``-th call."""

    def __init__(self, pid: int, on_turn: int) -> None:
        self.inner, self.name, self.pid, self.on_turn, self.turn = (
            make_agent("oracle"), "killer", pid, on_turn, 0,
        )  # fmt: skip

    def config(self):
        return {}

    def act(self, views):
        self.turn += 1
        if self.turn == self.on_turn:
            os.kill(self.pid, signal.SIGKILL)
        return self.inner.act(views)


def test_a_killed_env_worker_ends_its_episodes_as_infra_errors(ray_address, suite) -> None:
    specs = specs_of(suite, n=16)
    cfg = RayConfig(ray_address, workers=2, envs_per_worker=2)
    with WorkerPool(ENV, KWARGS, cfg) as pool:
        envs = pool.envs()
        victim = pool.pids[0]
        got = collect(envs, Killer(victim, on_turn=3), specs)
        assert [t.spec for t in got] == specs  # every episode once, none lost
        lost = [t for t in got if t.infra_error]
        assert len(lost) == 2  # the two episodes running on the killed worker
        assert all("Ray env worker lost" in t.infra_error for t in lost)
        assert all(t.is_solved == 0.0 for t in lost)
        ok = [t for t in got if not t.infra_error]
        assert all(t.is_solved == 1.0 for t in ok)
        assert pool.lost >= 1
        # Ray restarted the worker: the same envs run on, with the local trajectories.
        again = collect(envs, make_agent("oracle"), specs)
        assert [summary(t) for t in again] == [summary(t) for t in local("oracle", specs)]


def run_killing(pool: WorkerPool, specs: list, victim: int) -> list[Trajectory]:
    """Whole episodes in ``pool``; worker ``victim`` is killed when the first chunk is back
    (every worker still has chunks queued then)."""
    got: list[Trajectory] = []
    for t in pool.run_episodes("oracle", {}, specs):
        if not got:
            os.kill(pool.pids[victim], signal.SIGKILL)
        got.append(t)
    return got


def test_a_chunk_lost_with_its_worker_is_run_again(ray_address, suite) -> None:
    specs = specs_of(suite, n=40)
    cfg = RayConfig(ray_address, workers=2, envs_per_worker=2, chunk_size=2)
    with WorkerPool(ENV, KWARGS, cfg) as pool:
        got = run_killing(pool, specs, 1)
        assert pool.lost >= 1
    assert sorted(t.spec.seed for t in got) == [s.seed for s in specs]  # exactly once each
    got.sort(key=lambda t: t.spec.seed)
    assert [summary(t) for t in got] == [summary(t) for t in local("oracle", specs)]


def test_a_chunk_lost_too_often_becomes_infra_errors(ray_address, suite) -> None:
    specs = specs_of(suite, n=12)
    cfg = RayConfig(ray_address, workers=1, envs_per_worker=2, chunk_size=2, max_attempts=1)
    with WorkerPool(ENV, KWARGS, cfg) as pool:
        got = run_killing(pool, specs, 0)
    assert sorted(t.spec.seed for t in got) == [s.seed for s in specs]
    failed = [t for t in got if t.infra_error]
    assert 1 <= len(failed) <= 4  # the chunks queued at the worker when it died
    assert all("Ray env worker lost" in t.infra_error for t in failed)
    assert all(t.split == "I2-Inst" and t.group for t in failed)  # still labelled


def test_bad_env_settings_raise_a_config_error(ray_address) -> None:
    with pytest.raises(ConfigError, match="parser"):
        WorkerPool(ENV, {"parser": "nope"}, RayConfig(ray_address, workers=1, envs_per_worker=1))


def test_an_unknown_task_id_raises_as_it_does_locally(pool: WorkerPool) -> None:
    specs = [EpisodeSpec("no-such-task", 0)]
    with pytest.raises(TaskError, match="no-such-task"):
        collect([gym.make(ENV)], make_agent("oracle"), specs)
    with pytest.raises(TaskError, match="no-such-task"):
        collect(pool.envs(), make_agent("oracle"), specs)
    with pytest.raises(TaskError, match="no-such-task"):
        list(pool.run_episodes("oracle", {}, specs))


def test_workers_the_cluster_cannot_hold_fail_after_the_start_timeout(ray_address) -> None:
    cfg = RayConfig(ray_address, workers=1, cpus_per_worker=64, start_timeout_s=2)
    with pytest.raises(WorkerError, match="started within 2 s"):
        WorkerPool(ENV, KWARGS, cfg)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("workers", 0),
        ("envs_per_worker", -1),
        ("max_attempts", 0),
        ("max_restarts", -2),
        ("cpus_per_worker", -1),
        ("gpus_per_worker", "one"),
        ("start_timeout_s", 0),
        ("address", ""),
    ],
)
def test_ray_config_validation(field: str, value) -> None:
    with pytest.raises(ConfigError):
        RayConfig(**{field: value})


def test_without_ray_the_ray_executor_names_the_extra_and_the_rest_works(tmp_path) -> None:
    """In a fresh interpreter where ``import ray`` fails: a local bench runs, and the Ray
    executor fails with the extra to install (CLI exit code 2, the message on stderr)."""
    code = f"""
import contextlib, io, sys
sys.modules["ray"] = None  # import ray -> ImportError
from steptool_env.cli import main
from steptool_env.rollout.ray_workers import WorkerPool
args = ["bench", "--agents", "oracle", "--seeds", "0", "--subsets", "I1-Inst", "--limit", "3",
        "--no-progress"]
with contextlib.redirect_stdout(io.StringIO()):
    print(main(args + ["--out", {str(tmp_path / "local")!r}]), file=sys.__stdout__)
err = io.StringIO()
with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
    code = main(args + ["--out", {str(tmp_path / "ray")!r}, "--executor", "ray"])
print(code, err.getvalue().strip())
try:
    WorkerPool("StepTool/ToolBench-v0")
except ImportError as exc:
    print(type(exc).__name__, exc)
"""
    lines = run_python(code).splitlines()
    assert lines[0] == "0"
    assert lines[1].startswith("2 steptool: error:")
    assert "pip install 'steptool-env[ray]'" in lines[1]
    assert lines[2].startswith("MissingDependencyError")
    assert "steptool-env[ray]" in lines[2]


def test_the_package_does_not_import_ray() -> None:
    code = """
import sys
import steptool_env, steptool_env.bench, steptool_env.rollout, steptool_env.training
import steptool_env.rollout.ray_workers
print("ray" in sys.modules)
"""
    assert run_python(code) == "False"


def test_an_address_where_no_cluster_answers_fails_fast() -> None:
    code = """
import time
from steptool_env.errors import WorkerError
from steptool_env.rollout.ray_workers import connect

t0 = time.monotonic()
try:
    connect("127.0.0.1:1")
except WorkerError as exc:
    print(round(time.monotonic() - t0), exc)
"""
    out = run_python(code)
    seconds, message = out.split(" ", 1)
    assert int(seconds) < 15
    assert "no Ray cluster answers at 127.0.0.1:1" in message
    assert "ray start --head" in message


@pytest.mark.docker
def test_docker_backed_envs_in_ray_workers(docker_ready, ray_address: str, suite) -> None:
    """The workers start their sandbox containers on their own node; same trajectories."""
    specs = specs_of(suite, n=6)
    cfg = RayConfig(ray_address, workers=2, envs_per_worker=1)
    with WorkerPool(ENV, {**KWARGS, "backend": "docker"}, cfg) as pool:
        got = collect(pool.envs(), make_agent("oracle"), specs)
    assert [summary(t) for t in got] == [summary(t) for t in local("oracle", specs)]
    assert all(t.is_solved == 1.0 for t in got)


def test_a_worker_gone_for_good_leaves_its_work_to_the_others(ray_address, suite) -> None:
    """max_restarts=0: the killed worker's envs are not used again; the rest of the queue
    runs on the other worker instead of failing there."""
    specs = specs_of(suite, n=16)
    cfg = RayConfig(ray_address, workers=2, envs_per_worker=2, max_restarts=0)
    with WorkerPool(ENV, KWARGS, cfg) as pool:
        got = collect(pool.envs(), Killer(pool.pids[0], on_turn=3), specs)
        assert pool.dead == {0}
        assert [t.spec for t in got] == specs
        assert sum(1 for t in got if t.infra_error) == 2  # only those running there
        assert all(t.is_solved == 1.0 for t in got if not t.infra_error)
        with pytest.raises(WorkerError, match="no environment is left"):
            collect(pool.envs(), Killer(pool.pids[1], on_turn=1), specs)


def test_whole_episodes_move_to_the_workers_left(ray_address, suite) -> None:
    specs = specs_of(suite, n=24)
    cfg = RayConfig(ray_address, workers=2, envs_per_worker=2, chunk_size=2, max_restarts=0)
    with WorkerPool(ENV, KWARGS, cfg) as pool:
        got = run_killing(pool, specs, 0)
        assert pool.dead == {0}
        assert sorted(t.spec.seed for t in got) == [s.seed for s in specs]
        assert not any(t.infra_error for t in got)
        os.kill(pool.pids[1], signal.SIGKILL)
        with pytest.raises(WorkerError, match="every Ray env worker is gone"):
            list(pool.run_episodes("oracle", {}, specs))


def test_a_hung_step_restarts_its_worker_instead_of_waiting(ray_address, suite) -> None:
    """Every API call answers 3 s late; requests may take 1 s: the worker is ended and
    restarted, the episodes end as infrastructure errors, nothing waits for ever."""
    specs = specs_of(suite, n=2)
    kwargs = {**KWARGS, "faults": {"slow": 1.0, "slow_s": 3.0}}
    cfg = RayConfig(ray_address, workers=1, envs_per_worker=2, request_timeout_s=1)
    with WorkerPool(ENV, kwargs, cfg) as pool:
        first = pool.pids[0]
        got = collect(pool.envs(), make_agent("oracle"), specs)
        assert [t.spec for t in got] == specs
        assert all("GetTimeoutError" in t.infra_error for t in got)
        assert pool.lost >= 1
        assert pool._alive(0) and pool.dead == set()
        pid = pool.ray.get(pool.actors[0].hello.options(concurrency_group="control").remote())[0]
        assert pid != first  # a new process
