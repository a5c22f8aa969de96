"""Seeded fault injection: validated config, deterministic draws, ToolBench status codes."""

from __future__ import annotations

import time
from collections import Counter

import gymnasium as gym
import pytest

from steptool_env.agents import make_agent
from steptool_env.agents.base import TurnView
from steptool_env.errors import ConfigError
from steptool_env.sandbox import FaultConfig, FaultInjector
from steptool_env.testing import transcript
from steptool_env.tools.status import Status

ALL = {"timeout": 0.1, "rate_limit": 0.1, "server_error": 0.1, "slow": 0.1, "slow_s": 0.001}


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"timeout": 1.5}, "faults.timeout"),
        ({"rate_limit": -0.1}, "faults.rate_limit"),
        ({"slow": True}, "faults.slow"),
        ({"timeout": 0.6, "server_error": 0.6}, "sum to at most 1"),
        ({"slow_s": float("inf")}, "faults.slow_s"),
        ({"seed": 1.5}, "faults.seed"),
    ],
)
def test_bad_fault_configs_are_refused(fields: dict, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        FaultConfig(**fields)


def test_coerce_accepts_mappings_and_names_unknown_fields() -> None:
    assert FaultConfig.coerce({"timeout": 0.5}) == FaultConfig(timeout=0.5)
    assert FaultConfig.coerce(None) is None
    with pytest.raises(ConfigError, match="timout"):
        FaultConfig.coerce({"timout": 0.5})
    with pytest.raises(ConfigError, match="mapping"):
        FaultConfig.coerce(0.5)  # type: ignore[arg-type]


def test_draws_follow_the_rates_and_the_seed() -> None:
    inj = FaultInjector(FaultConfig(timeout=0.2, rate_limit=0.1, server_error=0.05, seed=3), 10.0)
    inj.start_episode(1, 0, "task")
    kinds = Counter(f.kind if f else "none" for f in (inj.draw() for _ in range(20000)))
    assert abs(kinds["timeout"] / 20000 - 0.2) < 0.015
    assert abs(kinds["rate_limit"] / 20000 - 0.1) < 0.01
    assert abs(kinds["server_error"] / 20000 - 0.05) < 0.01
    inj.start_episode(1, 0, "task")
    first = [inj.draw() for _ in range(50)]
    inj.start_episode(1, 0, "task")
    assert [inj.draw() for _ in range(50)] == first
    inj.start_episode(2, 0, "task")
    assert [inj.draw() for _ in range(50)] != first


def test_faults_show_up_with_toolbench_codes_and_do_not_run_the_call() -> None:
    env = gym.make("StepTool/ToolBench-v0", faults=ALL)
    agent = make_agent("oracle")
    seen: Counter[str] = Counter()
    statuses = {"timeout": Status.TIMEOUT, "rate_limit": Status.RATE_LIMITED}
    statuses |= {"server_error": Status.SERVER_ERROR, "slow": Status.OK}
    for seed in range(40):
        for _obs, _r, _term, _trunc, info in transcript(env, agent, seed)[1:]:
            if info["fault"]:
                seen[info["fault"]] += 1
                assert info["status"] == statuses[info["fault"]]
                assert info["api_failure"] == (info["fault"] != "slow")
                if info["fault"] != "slow":
                    assert info["contribution"] == 0.0 and info["succ_calling"] == 0
    assert set(seen) == set(statuses)
    env.close()


def test_same_seed_same_faults_and_none_without_config() -> None:
    agent = make_agent("random", seed=1)
    a = gym.make("StepTool/ToolBench-v0", faults=ALL)
    b = gym.make("StepTool/ToolBench-v0", faults=dict(ALL))
    for seed in (5, 6, 7):
        assert transcript(a, agent, seed) == transcript(b, agent, seed)
    plain = gym.make("StepTool/ToolBench-v0")
    assert all(info["fault"] == "" for *_, info in transcript(plain, agent, 5)[1:])
    assert plain.unwrapped.faults is None


def test_a_slow_response_past_the_timeout_waits_and_answers_status_5() -> None:
    env = gym.make(
        "StepTool/ToolBench-v0",
        faults={"slow": 1.0, "slow_s": 5.0},
        backend_options={"call_timeout_s": 0.2},
    )
    obs, info = env.reset(seed=0)
    action = make_agent("oracle").act([TurnView(0, env.unwrapped, obs, 0, 0, info)])[0]
    start = time.perf_counter()
    obs, _reward, _term, _trunc, info = env.step(action)
    waited = time.perf_counter() - start
    assert info["status"] == Status.TIMEOUT and info["fault"] == "slow"
    assert "0.2 s" in obs
    assert 0.19 < waited < 2.0
