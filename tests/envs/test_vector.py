"""The envs under Gymnasium's vector envs: sync and async, autoreset, seeding, clean shutdown
(worker processes and sandbox server processes)."""

from __future__ import annotations

import os
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AsyncVectorEnv, AutoresetMode, SyncVectorEnv

from steptool_env.envs.tool_use_env import ToolUseEnv

TEXT_ID = "StepTool/ToolBench-v0"
DISCRETE_ID = "StepTool/ToolBenchDiscrete-v0"
GIVE_UP = 'Action: Finish\nAction Input: {"return_type": "give_up_and_restart"}'
PROMPT_START = "You are an assistant"
NO_SHM = {"shared_memory": False}


def make_text(mode: str, **kwargs) -> gym.vector.VectorEnv:
    vector_kwargs = NO_SHM if mode == "async" else {}
    return gym.make_vec(
        TEXT_ID, num_envs=2, vectorization_mode=mode, vector_kwargs=vector_kwargs, **kwargs
    )


# ---------------------------------------------------------------------------- /proc helpers
def _stat(pid: int) -> tuple[str, int] | None:
    """(state, ppid) of a process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def children_of(parents: set[int]) -> dict[int, str]:
    """Live (non-zombie) processes whose parent is in ``parents``: pid -> command line."""
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            st = _stat(int(entry.name))
            if st is not None and st[1] in parents and st[0] != "Z":
                out[int(entry.name)] = _cmdline(int(entry.name))
    return out


def is_running(pid: int) -> bool:
    st = _stat(pid)
    return st is not None and st[0] != "Z"


def server_children(parents: set[int]) -> set[int]:
    return {p for p, cmd in children_of(parents).items() if "steptool_env.sandbox.server" in cmd}


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


# ---------------------------------------------------------------------------- basics
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_text_env_under_a_vector_env(mode: str) -> None:
    envs = make_text(mode)
    assert isinstance(envs, SyncVectorEnv if mode == "sync" else AsyncVectorEnv)
    assert envs.num_envs == 2
    obs, info = envs.reset(seed=[1, 2])
    assert isinstance(obs, tuple) and len(obs) == 2
    assert all(o.startswith(PROMPT_START) for o in obs)
    assert all(envs.single_observation_space.contains(o) for o in obs)
    assert list(info["split"]) == ["train", "train"]
    assert obs[0] != obs[1]  # two seeds, two tasks
    obs, rewards, term, trunc, info = envs.step(("Action: nope\nAction Input: {}", "hello"))
    assert rewards.shape == (2,) and term.shape == (2,) and trunc.shape == (2,)
    assert list(info["status"]) == [1, 2]  # no such function; unparseable
    assert "No such function" in obs[0] and "Could not parse" in obs[1]
    envs.close()


def test_sync_and_async_agree() -> None:
    sync, asyn = make_text("sync"), make_text("async")
    a, _ = sync.reset(seed=[1, 2])
    b, _ = asyn.reset(seed=[1, 2])
    assert a == b
    actions = ("Action: nope\nAction Input: {}", GIVE_UP)
    for _ in range(3):
        ra, rb = sync.step(actions), asyn.step(actions)
        assert ra[0] == rb[0]
        for x, y in zip(ra[1:4], rb[1:4]):
            assert np.array_equal(x, y)
    sync.close()
    asyn.close()


def test_async_text_with_default_shared_memory_is_garbled() -> None:
    """Documents a Gymnasium limitation: AsyncVectorEnv with the default ``shared_memory=True``
    reads a ``Text`` observation out of shared memory **once**, at construction, into an
    immutable tuple of strings (``read_from_shared_memory`` builds strings, not a view). Every
    later reset/step hands back that stale snapshot: ``max_length`` copies of the charset's
    first character (``"\\t"``), never the real prompt or tool response. Text envs need
    ``vector_kwargs={"shared_memory": False}`` under async."""
    sync = make_text("sync")
    expected, _ = sync.reset(seed=[1, 2])
    envs = gym.make_vec(TEXT_ID, num_envs=2, vectorization_mode="async")
    try:
        space = envs.single_observation_space
        blank = space.character_list[0] * space.max_length
        obs, _ = envs.reset(seed=[1, 2])
        assert obs != expected
        assert obs == (blank, blank)
        assert not any(o.startswith(PROMPT_START) for o in obs)
        obs, _, term, _, info = envs.step((GIVE_UP, "hello"))
        assert obs == (blank, blank)  # stale, while the rest of the step is right:
        assert list(term) == [True, False] and list(info["status"]) == [4, 2]
    finally:
        envs.close()
        sync.close()


# ---------------------------------------------------------------------------- autoreset
def test_text_env_declares_next_step_autoreset() -> None:
    assert ToolUseEnv.metadata.get("autoreset_mode") == AutoresetMode.NEXT_STEP
    envs = make_text("sync")
    assert envs.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    envs.close()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_next_step_autoreset_after_give_up(mode: str) -> None:
    envs = make_text(mode)
    _, info0 = envs.reset(seed=[1, 2])
    obs, rewards, term, trunc, info = envs.step((GIVE_UP, "hello"))
    assert list(term) == [True, False] and list(trunc) == [False, False]
    assert obs[0] == '{"error": "", "response": "You gave up."}'
    assert list(info["status"]) == [4, 2] and rewards[0] == 0.0
    # The next step: sub-env 0 ignores its action (a valid call would otherwise have run)
    # and resets; sub-env 1 steps on.
    obs, rewards, term, trunc, info = envs.step((GIVE_UP, "hello again"))
    assert obs[0].startswith(PROMPT_START)
    assert "User: " in obs[0]
    assert rewards[0] == 0.0 and not term[0] and not trunc[0]
    assert not info["_status"][0] and info["_status"][1]  # no step info for the reset one
    assert info["_task_id"][0] and info["task_id"][0] != info0["task_id"][0]
    assert info["step"][1] == 2
    assert not obs[1].startswith(PROMPT_START)
    # The ignored give-up did not end the new episode: sub-env 0 is on its first step now.
    obs, rewards, term, trunc, info = envs.step(("Action: nope\nAction Input: {}", "x"))
    assert info["step"][0] == 1 and info["status"][0] == 1 and not term[0]
    envs.close()


# ---------------------------------------------------------------------------- seeding
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_reset_with_seed_list_is_reproducible(mode: str) -> None:
    envs = make_text(mode)
    a, ia = envs.reset(seed=[1, 2])
    envs.step(("Action: nope\nAction Input: {}", GIVE_UP))
    b, ib = envs.reset(seed=[1, 2])
    assert a == b and list(ia["task_id"]) == list(ib["task_id"])
    _, ic = envs.reset(seed=[3, 4])
    assert list(ic["task_id"]) != list(ia["task_id"])
    d, _ = envs.reset(seed=1)  # an int seeds sub-env i with seed + i
    assert d == a
    envs.close()


# ---------------------------------------------------------------------------- shutdown
def test_async_text_workers_exit_on_close() -> None:
    envs = make_text("async")
    envs.reset(seed=[1, 2])
    envs.step((GIVE_UP, "x"))
    procs = list(envs.processes)
    assert len(procs) == 2 and all(p.is_alive() for p in procs)
    envs.close()
    assert all(not p.is_alive() for p in procs)
    assert all(p.exitcode == 0 for p in procs)


def test_discrete_env_under_async_with_shared_memory() -> None:
    sync = gym.make_vec(DISCRETE_ID, num_envs=2, vectorization_mode="sync")
    envs = gym.make_vec(DISCRETE_ID, num_envs=2, vectorization_mode="async")
    assert isinstance(envs, AsyncVectorEnv) and envs.shared_memory
    procs = list(envs.processes)
    try:
        obs, info = envs.reset(seed=[5, 6])
        expected, sinfo = sync.reset(seed=[5, 6])
        assert obs.dtype == np.float32 and obs.shape == (2, *envs.single_observation_space.shape)
        assert np.array_equal(obs, expected)  # Box observations do come through shared memory
        assert obs.any()
        assert [list(c) for c in info["candidates"]] == [list(c) for c in sinfo["candidates"]]
        envs.action_space.seed(0)
        for _ in range(8):
            action = envs.action_space.sample()
            a, b = envs.step(action), sync.step(action)
            assert np.array_equal(a[0], b[0])
            assert np.array_equal(a[1], b[1]) and np.array_equal(a[2], b[2])
            assert envs.observation_space.contains(a[0])
    finally:
        envs.close()
        sync.close()
    assert all(not p.is_alive() for p in procs)


# ---------------------------------------------------------------------------- http backend
@pytest.mark.slow
@needs_proc
def test_http_backend_under_sync_vector_env_leaves_no_server() -> None:
    me = os.getpid()
    before = server_children({me})
    envs = gym.make_vec(TEXT_ID, num_envs=2, vectorization_mode="sync", backend="http")
    try:
        servers = server_children({me}) - before
        assert len(servers) >= 1, "the http backend runs a local server process"
        handles = {e.unwrapped.backend.server for e in envs.envs}
        assert {h.process.pid for h in handles} == servers
        obs, _ = envs.reset(seed=[1, 2])
        assert all(o.startswith(PROMPT_START) for o in obs)
        obs, _, _, _, info = envs.step(("Action: nope\nAction Input: {}", GIVE_UP))
        assert list(info["status"]) == [1, 4]
        envs.step(("x", "y"))  # sub-env 1 autoresets
    finally:
        envs.close()
    assert server_children({me}) - before == set()
    assert not any(is_running(p) for p in servers)
    assert all(not h.alive() for h in handles)


@needs_proc
@pytest.mark.slow
def test_http_backend_under_async_vector_env_leaves_no_server() -> None:
    envs = gym.make_vec(
        TEXT_ID, num_envs=2, vectorization_mode="async", vector_kwargs=NO_SHM, backend="http"
    )
    try:
        workers = {p.pid for p in envs.processes}
        obs, _ = envs.reset(seed=[1, 2])
        assert all(o.startswith(PROMPT_START) for o in obs)
        servers = server_children(workers)
        assert len(servers) == 2  # one server per worker process
        envs.step(("Action: nope\nAction Input: {}", GIVE_UP))
    finally:
        envs.close()
    assert not any(is_running(p) for p in servers)
