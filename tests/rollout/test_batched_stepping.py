"""Envs with a remote backend stepped together (``LocalEnvs`` -> ``step_together``): every
reset and step gives exactly what the in-process backend gives, step by step, recovery and
failures included, while the calls of a turn travel in one request per server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import gymnasium as gym
import pytest

from steptool_env.agents import make_agent
from steptool_env.agents.base import Reply, TurnView
from steptool_env.envs.batch_step import PIPELINE_MIN_ENVS, can_step_together
from steptool_env.envs.tool_use_env import ToolUseEnv
from steptool_env.errors import SandboxError
from steptool_env.rollout import EpisodeSpec, Failure, LocalEnvs
from steptool_env.sandbox.remote import RemoteBackend, ServerHandle
from steptool_env.world.suite import Suite
from steptool_env.wrappers.reward_mode import RewardModeWrapper
from tests.sandbox.test_remote_backends import crash

BACKENDS = ["http", pytest.param("docker", marks=pytest.mark.docker)]
FAULTS = {"timeout": 0.1, "rate_limit": 0.05, "server_error": 0.05, "slow": 0.1, "slow_s": 0.001}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "docker":
        request.getfixturevalue("docker_ready")
    return request.param


def local_envs(backend: str, n: int, **kwargs: Any) -> LocalEnvs:
    """``n`` envs, bare and through ``gym.make`` in turn (those step together once gym's
    checks are done; before, and for the bare in-process ones, one by one)."""
    envs = [
        ToolUseEnv(split="I1-Inst", backend=backend, **kwargs)
        if k % 2 == 0
        else gym.make("StepTool/ToolBench-v0", split="I1-Inst", backend=backend, **kwargs)
        for k in range(n)
    ]
    return LocalEnvs(envs)


@pytest.fixture
def batches(backend: str) -> Iterator[Callable[..., tuple[LocalEnvs, LocalEnvs]]]:
    """Makes (in-process, ``backend``) pairs of batches; closes them after the test."""
    made: list[LocalEnvs] = []

    def make(n: int = 6, **kwargs: Any) -> tuple[LocalEnvs, LocalEnvs]:
        pair = local_envs("inprocess", n, **kwargs), local_envs(backend, n, **kwargs)
        made.extend(pair)
        return pair

    yield make
    for batch in made:
        batch.close()


def server_of(batch: LocalEnvs) -> ServerHandle:
    remote = batch.bases[0].backend
    assert isinstance(remote, RemoteBackend)
    return remote.server


def lockstep(
    ref: LocalEnvs,
    other: LocalEnvs,
    agent: Any,
    specs: list[EpisodeSpec],
    before_turn: Callable[[int], None] = lambda turn: None,
    expect: Callable[[int, int, Any, Any], bool] = lambda turn, i, got, want: False,
) -> tuple[int, list[dict[str, Any]]]:
    """Run ``specs`` on both batches turn by turn with the same actions (the agent reads
    ``ref``) and assert that every reset and every step gives the same outcome, except where
    ``expect(turn, env, got, want)`` accepts a difference (and ends that episode). Returns the
    number of turns and the ``info`` of every step."""
    queue = list(reversed(specs))
    live: dict[int, tuple[str, dict[str, Any], int, int]] = {}
    infos: list[dict[str, Any]] = []
    turn = 0
    while queue or live:
        free = [i for i in range(len(ref)) if i not in live][: len(queue)]
        starts = [(i, queue.pop()) for i in free]
        if starts:
            started = ref.reset(starts)
            assert other.reset(starts) == started
            for (i, spec), (obs, info) in zip(starts, started):  # type: ignore[misc]
                live[i] = (obs, info, 0, spec.seed)
        views = [
            TurnView(i, ref.env(i), obs, n, seed, info) for i, (obs, info, n, seed) in live.items()
        ]
        actions = [a.text if isinstance(a, Reply) else a for a in agent.act(views)]
        items = [(v.index, a) for v, a in zip(views, actions)]
        before_turn(turn)
        want, got = ref.step(items), other.step(items)
        for (i, _), w, g in zip(items, want, got):
            if g != w:
                assert expect(turn, i, g, w), f"turn {turn}, env {i}: {g!r:.300} != {w!r:.300}"
                del live[i]
                continue
            assert not isinstance(w, Failure)
            obs, _reward, terminated, truncated, info = w  # type: ignore[misc]
            infos.append(info)
            if terminated or truncated:
                del live[i]
            else:
                live[i] = (obs, info, live[i][2] + 1, live[i][3])
        turn += 1
    return turn, infos


def _specs(suite: Suite, n: int, seed0: int = 0) -> list[EpisodeSpec]:
    return [EpisodeSpec(t.task_id, seed0 + k) for k, t in enumerate(suite.split("I1-Inst")[:n])]


@pytest.mark.slow
@pytest.mark.parametrize("agent", ["oracle", "random"])
def test_stepped_together_as_inprocess_step_by_step(
    batches: Callable[..., tuple[LocalEnvs, LocalEnvs]], suite: Suite, agent: str
) -> None:
    ref, remote = batches()
    server = server_of(remote)
    before = server.stats()
    turns, infos = lockstep(ref, remote, make_agent(agent, seed=5), _specs(suite, 30))
    after = server.stats()
    requests = after["requests"] - before["requests"] - 1  # less the /stats itself
    assert after["batches"] - before["batches"] >= turns // 2
    # About one request per half of the envs a turn (pipelined halves from
    # PIPELINE_MIN_ENVS envs on), not one per call and reset (gym.make's envs go on their
    # own for their first two steps, while its checker looks at them).
    per_turn = 2 if len(remote) >= PIPELINE_MIN_ENVS else 1
    assert per_turn * turns + 4 * len(remote) < len(remote) * turns
    assert requests <= per_turn * turns + 4 * len(remote)
    assert len(infos) >= 3 * turns


@pytest.mark.slow
def test_stepped_together_with_injected_faults(
    batches: Callable[..., tuple[LocalEnvs, LocalEnvs]], suite: Suite
) -> None:
    """Failures answer in the call's place, slow responses go on their own: still identical."""
    ref, remote = batches(faults=FAULTS)
    _turns, infos = lockstep(ref, remote, make_agent("oracle"), _specs(suite, 60, 100))
    assert {"timeout", "rate_limit", "server_error", "slow"} <= {i["fault"] for i in infos}


@pytest.mark.slow
def test_a_server_crash_mid_run_is_recovered_by_every_env(
    batches: Callable[..., tuple[LocalEnvs, LocalEnvs]], suite: Suite
) -> None:
    ref, remote = batches()
    server = server_of(remote)
    generation = server.generation

    def before_turn(turn: int) -> None:
        if turn == 3:
            crash(server)

    lockstep(ref, remote, make_agent("oracle"), _specs(suite, 16, 200), before_turn)
    assert server.generation == generation + 1
    recoveries = [b.backend.recoveries for b in remote.bases]  # type: ignore[attr-defined]
    assert sum(recoveries) == 1  # one restart, for everyone


@pytest.mark.slow
def test_one_envs_failure_stays_its_own(
    batches: Callable[..., tuple[LocalEnvs, LocalEnvs]],
    suite: Suite,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On one turn env 2 loses its session and cannot recover (its episode ends with an
    infrastructure failure), env 4 loses its session and recovers; the rest is identical."""
    ref, remote = batches()
    broken = remote.bases[2].backend
    assert isinstance(broken, RemoteBackend)
    lost = remote.bases[4].backend
    assert isinstance(lost, RemoteBackend)

    def no_recovery(replay: bool) -> None:
        raise SandboxError("no recovery for env 2 today")

    def before_turn(turn: int) -> None:
        if turn == 1:
            for backend in (broken, lost):
                backend.server.request("DELETE", f"/sessions/{backend._session}")
            monkeypatch.setattr(broken, "_recover", no_recovery)
        if turn == 2:
            monkeypatch.undo()

    failed: list[int] = []

    def expect(turn: int, i: int, got: Any, want: Any) -> bool:
        failed.append(i)
        return turn == 1 and i == 2 and isinstance(got, Failure) and "no recovery" in got.error

    oracle = make_agent("oracle")
    lockstep(ref, remote, oracle, _specs(suite, 12, 300), before_turn, expect)
    assert failed == [2]
    assert lost.recoveries == 0  # a lost session is a new session; the server did not restart


@pytest.mark.slow
def test_which_envs_step_together(suite: Suite) -> None:
    task = suite.split("I1-Inst")[0].task_id
    bare = ToolUseEnv(backend="http")
    made = gym.make("StepTool/ToolBench-v0", backend="http")
    rewrapped = RewardModeWrapper(gym.make("StepTool/ToolBench-v0", backend="http"), "outcome")
    local = gym.make("StepTool/ToolBench-v0")
    try:
        assert can_step_together(bare)
        assert not can_step_together(local)  # in-process: nothing to gain
        assert not can_step_together(made)  # not reset yet: gym's wrapper must say so
        for env in (made, rewrapped, local):
            env.reset(options={"task_id": task})
        states = []
        for _ in range(3):
            states.append(can_step_together(made))
            made.step("Thought: nothing")
        assert states == [False, False, True]  # gym's checker looks at the first two steps
        for _ in range(3):
            rewrapped.step("Thought: nothing")
        assert not can_step_together(rewrapped)  # a wrapper that changes the step
    finally:
        for env in (bare, made, rewrapped, local):
            env.close()
