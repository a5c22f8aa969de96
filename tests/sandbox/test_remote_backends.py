"""The http and docker backends: parity with the embedded backend, recovery, cleanup.

Every test here runs on ``backend="http"``; the ones parametrised with ``docker`` also run
on a container when a Docker engine answers (they skip, with the reason, when none does;
CI sets ``STEPTOOL_REQUIRE_DOCKER=1`` so they cannot skip there).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import gymnasium as gym
import pytest

from steptool_env.agents import make_agent
from steptool_env.errors import ConfigError, SandboxError
from steptool_env.sandbox.remote import ExternalServer, RemoteBackend, ServerHandle
from steptool_env.testing import transcript
from steptool_env.tools.status import Status
from steptool_env.world.suite import SPLITS, Suite
from steptool_env.world.tasks import StateFact
from tests.sandbox.conftest import child_env

BACKENDS = ["http", pytest.param("docker", marks=pytest.mark.docker)]
FAULTS = {"timeout": 0.1, "rate_limit": 0.05, "server_error": 0.05, "slow": 0.1, "slow_s": 0.001}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "docker":
        request.getfixturevalue("docker_ready")
    # One env held open for the whole test keeps the pool's server warm for the others.
    keeper = gym.make("StepTool/ToolBench-v0", backend=request.param)
    yield request.param
    keeper.close()


def make(backend: str, **kwargs: Any) -> Any:
    return gym.make("StepTool/ToolBench-v0", backend=backend, **kwargs)


def server_of(env: Any) -> ServerHandle:
    remote = env.unwrapped.backend
    assert isinstance(remote, RemoteBackend)
    return remote.server


def state_task(suite: Suite) -> Any:
    return next(
        t
        for t in suite.split("train")
        if len(t.gold) >= 2 and any(isinstance(f, StateFact) for f in t.facts)
    )


# ------------------------------------------------------------------------------ parity
@pytest.mark.slow
def test_parity_with_the_embedded_backend(backend: str) -> None:
    """Observations, rewards and infos are identical, episode by episode (>= 200 episodes)."""
    local, remote = make("inprocess"), make(backend)
    agents = {"oracle": make_agent("oracle"), "random": make_agent("random", seed=7)}
    episodes = 0
    for split in SPLITS:
        for env in (local, remote):
            env.unwrapped.set_split(split)
        for seed in range(13):
            for agent in agents.values():
                assert transcript(remote, agent, seed) == transcript(local, agent, seed)
                episodes += 1
    assert episodes >= 200
    # And with every kind of injected fault.
    local_f, remote_f = make("inprocess", faults=FAULTS), make(backend, faults=FAULTS)
    faults = 0
    for seed in range(30):
        for agent in agents.values():
            want = transcript(local_f, agent, seed)
            assert transcript(remote_f, agent, seed) == want
            faults += sum(1 for step in want[1:] if step[-1]["fault"])
    assert faults > 20
    for env in (local, remote, local_f, remote_f):
        env.close()


@pytest.mark.slow
def test_envs_sharing_a_server_keep_separate_state(backend: str, suite: Suite) -> None:
    task = state_task(suite)
    oracle = make_agent("oracle")
    want = transcript(make("inprocess"), oracle, 0, {"task_id": task.task_id})
    a, b = make(backend), make(backend)
    assert server_of(a) is server_of(b)
    # Interleave two identical stateful episodes on one server: ids and records must not mix.
    ta = [a.reset(seed=0, options={"task_id": task.task_id})]
    tb = [b.reset(seed=0, options={"task_id": task.task_id})]
    from steptool_env.agents.base import TurnView

    for step in range(len(want) - 1):
        for idx, (env, out) in enumerate(((a, ta), (b, tb))):
            obs, info = out[-1][0], out[-1][-1]
            act = oracle.act([TurnView(idx, env.unwrapped, obs, step, 0, info)])[0]
            o, r, term, trunc, inf = env.step(act)
            out.append((o, float(r), term, trunc, inf))
    assert ta == want and tb == want
    assert want[-1][-1]["is_solved"] == 1.0
    a.close()
    b.close()


# ------------------------------------------------------------------------------ faults
def crash(server: ServerHandle) -> None:
    if server.kind == "http":
        proc = server.process  # type: ignore[attr-defined]
        proc.send_signal(signal.SIGKILL)
        proc.wait(5)
    else:
        server.container.kill()  # type: ignore[attr-defined]
        for _ in range(200):
            if not server.alive():
                return
            time.sleep(0.01)


@pytest.mark.slow
def test_a_crash_mid_episode_is_recovered_with_the_episode_state(
    backend: str, suite: Suite
) -> None:
    task = state_task(suite)
    oracle = make_agent("oracle")
    want = transcript(make("inprocess"), oracle, 0, {"task_id": task.task_id})
    env = make(backend)
    server = server_of(env)
    generation = server.generation
    actions = _actions(suite, task)
    got = [env.reset(seed=0, options={"task_id": task.task_id})]
    for k, action in enumerate(actions):
        if k == len(actions) - 1:
            crash(server)  # after the state-changing calls, before Finish reads the records
        o, r, term, trunc, info = env.step(action)
        got.append((o, float(r), term, trunc, info))
    assert got == want and want[-1][-1]["is_solved"] == 1.0
    assert server.generation == generation + 1
    assert env.unwrapped.backend.recoveries == 1
    env.close()


def _actions(suite: Suite, task: Any) -> list[str]:
    from tests.conftest import gold_actions

    return gold_actions(suite, task)


@pytest.mark.slow
def test_an_unrecoverable_crash_raises_and_the_env_stays_usable(
    backend: str, suite: Suite, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = make(backend)
    task = state_task(suite)
    actions = _actions(suite, task)
    env.reset(seed=0, options={"task_id": task.task_id})
    server = server_of(env)

    def broken_start() -> None:
        raise SandboxError("no more containers today")

    crash(server)
    monkeypatch.setattr(server, "start", broken_start)
    with pytest.raises(SandboxError, match=r"could not be recovered|no more containers"):
        env.step(actions[0])
    monkeypatch.undo()
    _obs, _info = env.reset(seed=0, options={"task_id": task.task_id})
    assert env.step(actions[0])[-1]["status"] == Status.OK
    env.close()


@pytest.mark.slow
def test_a_call_that_hangs_past_the_timeout_answers_status_5(backend: str, suite: Suite) -> None:
    env = make(backend, backend_options={"call_timeout_s": 0.5})
    task = state_task(suite)
    actions = _actions(suite, task)
    env.reset(seed=0, options={"task_id": task.task_id})
    server = server_of(env)
    freeze, thaw = _freezer(server)
    freeze()
    try:
        start = time.perf_counter()
        obs, _reward, _term, _trunc, info = env.step(actions[0])
        waited = time.perf_counter() - start
    finally:
        thaw()
    assert info["status"] == Status.TIMEOUT and info["api_failure"]
    assert "did not answer within 0.5 s" in obs
    assert 0.45 < waited < 5
    assert env.step(actions[0])[-1]["status"] == Status.OK  # usable again
    env.close()


def _freezer(server: ServerHandle) -> tuple[Any, Any]:
    if server.kind == "http":
        pid = server.process.pid  # type: ignore[attr-defined]
        return (lambda: os.kill(pid, signal.SIGSTOP)), (lambda: os.kill(pid, signal.SIGCONT))
    container = server.container  # type: ignore[attr-defined]
    return container.pause, container.unpause


def _fake_server(answer_health: bool) -> tuple[str, Any]:
    """A loopback server that answers /health like the real one, and garbage otherwise."""
    from steptool_env.sandbox.server import PROTOCOL, code_digest
    from steptool_env.version import __version__

    good = json.dumps(
        {
            "status": "ok",
            "protocol": PROTOCOL,
            "version": __version__,
            "suite": "toolbench",
            "code": code_digest("toolbench"),
            "session": "s1",
        }
    ).encode()
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()

    def run() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head = data.split(b"\r\n", 1)[0]
                ok = answer_health and (b"/health" in head or head.startswith(b"POST /sessions "))
                body = good if ok else b"<html>surprise</html>"
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                    % (len(body), body)
                )

    threading.Thread(target=run, daemon=True).start()
    return f"http://127.0.0.1:{srv.getsockname()[1]}", srv


@pytest.mark.parametrize("answer_health", [False, True])
def test_a_garbage_response_is_a_clear_error(answer_health: bool) -> None:
    url, srv = _fake_server(answer_health)
    try:
        server = ExternalServer(url)
        if not answer_health:
            with pytest.raises(SandboxError, match=r"malformed response .* not JSON"):
                server.start()
            return
        server.start()
        backend = RemoteBackend(server, call_timeout_s=2.0)
        backend.reset()
        with pytest.raises(SandboxError, match=r"malformed response .*surprise"):
            backend.call("football_data", "list_leagues", {})
        server.stop()
    finally:
        srv.close()


def test_a_stale_server_is_refused_with_a_rebuild_hint() -> None:
    server = ExternalServer("http://127.0.0.1:1")
    with pytest.raises(SandboxError, match="steptool sandbox build"):
        server._check_health({"status": "ok", "protocol": 1, "version": "0.0.1"})


# ------------------------------------------------------------------------------ lifecycle
@pytest.mark.slow
def test_many_envs_leave_no_server_behind(backend: str) -> None:
    envs = [make(backend) for _ in range(100)]
    servers = {server_of(e) for e in envs}
    keeper_server = server_of(envs[0])
    for env in envs:
        env.reset(seed=0)
    for env in envs:
        env.close()
    # The fixture's keeper env still holds its server; every other one must be gone.
    for server in servers - {keeper_server}:
        assert not server.alive()
    if backend == "docker":
        from steptool_env.sandbox.container import sandbox_containers

        mine = sandbox_containers(all_owners=False)
        assert [c.name for c in mine] == [keeper_server.container.name]  # type: ignore[attr-defined]
        # No network is ever created: the containers have none.
        client = keeper_server.container.client  # type: ignore[attr-defined]
        assert {n.name for n in client.networks.list()} <= {"bridge", "host", "none"}


@pytest.mark.slow
def test_the_last_env_closing_stops_the_server() -> None:
    env = make("http", backend_options={"startup_timeout_s": 29.0})  # a pool of its own
    server = server_of(env)
    pid = server.process.pid  # type: ignore[attr-defined]
    env.close()
    env.close()  # idempotent
    assert not server.alive()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.parametrize("kill", [True, False], ids=["kill -9", "normal exit"])
@pytest.mark.slow
def test_the_server_exits_when_its_parent_exits(kill: bool) -> None:
    pid = int(child_env("http", "process.pid", kill))
    for _ in range(500):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.01)
    else:
        pytest.fail(f"the server {pid} outlived its parent")


def test_backend_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="memory"):
        make("http", backend_options={"memory": "1g"})
    with pytest.raises(ConfigError, match="call_timeout_s"):
        make("http", backend_options={"call_timeout_s": 0})
    with pytest.raises(ConfigError, match="url"):
        make("http", backend_options={"url": "ftp://x"})
    with pytest.raises(ConfigError, match="backend"):
        make("ssh")
    with pytest.raises(ConfigError, match="pids"):
        make("docker", backend_options={"pids": 1})
