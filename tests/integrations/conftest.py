"""Helpers of the integration tests: the third-party package or a skip (a failure with
STEPTOOL_REQUIRE_INTEGRATIONS, as in CI), servers in subprocesses, action plans (oracle and
random-ish) and the reference trajectory of the in-process env."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import pytest

from steptool_env.agents.random_agent import random_value
from steptool_env.envs.prompts import finish_arguments, format_action
from steptool_env.integrations.episode import json_safe
from steptool_env.seeding import StableRng
from steptool_env.world.suite import Suite, Task
from tests.conftest import REPO

Action = tuple[str, Any, Any]
"""``("call", name, arguments)`` or ``("text", text, None)``."""


def need(module: str, extra: str) -> Any:
    """``module`` imported, or a skip naming the extra (a failure under
    STEPTOOL_REQUIRE_INTEGRATIONS, which CI sets: there the dev extra installs them)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        why = f"the {extra} extra is not installed ({module}: {exc})"
        if os.environ.get("STEPTOOL_REQUIRE_INTEGRATIONS"):
            pytest.fail(f"STEPTOOL_REQUIRE_INTEGRATIONS is set, but {why}")
        pytest.skip(why)


def oracle_plan(suite: Suite, task: Task) -> list[Action]:
    """The task's gold calls, then Finish with the reference answer."""
    plan: list[Action] = [
        ("call", suite.catalogue.api(g.tool, g.api).function_name, dict(g.arguments))
        for g in task.gold
    ]
    plan.append(("call", "Finish", finish_arguments(task.reference_answer)))
    return plan


def random_plan(schemas: list[dict[str, Any]], query: str, seed: int, n: int = 6) -> list[Action]:
    """Random-ish actions: offered functions with random arguments, unknown functions,
    unparseable text, missing arguments, then Finish (a random answer or a give-up)."""
    rng = StableRng(seed)
    words = [w.strip("?.,!:;'\"()") for w in query.split()] or ["x"]
    plan: list[Action] = []
    for _ in range(n):
        kind = rng.randint(0, 9)
        schema = rng.choice([s for s in schemas if s["name"] != "Finish"])
        props = schema["parameters"].get("properties", {})
        if kind == 0:
            plan.append(("text", "I am not sure what to do " + rng.choice(words), None))
        elif kind == 1:
            plan.append(("call", "no_such_function", {"q": rng.choice(words)}))
        elif kind == 2:
            plan.append(("call", schema["name"], {}))
        else:
            required = schema["parameters"].get("required", [])
            args = {k: random_value(rng, props[k], words) for k in required if k in props}
            plan.append(("call", schema["name"], args))
    answer = " ".join(rng.choice(words) for _ in range(3))
    plan.append(("call", "Finish", finish_arguments(answer if rng.random() < 0.7 else None)))
    return plan


@dataclass
class Step:
    observation: Any
    reward: float | None
    terminated: bool
    truncated: bool
    info: dict[str, Any]

    def key(self) -> tuple:
        return (self.observation, self.reward, self.terminated, self.truncated, self.info)


def as_text(parser: str, action: Action) -> str:
    kind, a, b = action
    return format_action(parser, a, b) if kind == "call" else a


def reference_episode(
    env_id: str, env_kwargs: dict[str, Any], seed: int, plan_for: Any, task_id: str | None = None
) -> tuple[Step, list[Step], list[Action]]:
    """Reset an in-process env with ``seed`` (and ``task_id``), make the plan
    ``plan_for(env, task, reset_info)`` and step it until the episode ends: the reset step,
    the steps and the actions actually taken."""
    env = gym.make(env_id, **env_kwargs)
    try:
        options = {"task_id": task_id} if task_id else None
        obs, info = env.reset(seed=seed, options=options)
        first = Step(obs, None, False, False, json_safe(info))
        plan = plan_for(env.unwrapped, env.unwrapped.task, info)
        steps, taken = [], []
        for action in plan:
            out = env.step(as_text(env.unwrapped.parser_name, action))
            taken.append(action)
            steps.append(Step(out[0], float(out[1]), out[2], out[3], json_safe(out[4])))
            if out[2] or out[3]:
                break
        return first, steps, taken
    finally:
        env.close()


def mixed_plan(suite: Suite, seed: int):
    """Oracle plans on even seeds, random-ish ones on odd seeds."""

    def plan_for(env: Any, task: Task, info: dict) -> list[Action]:
        if seed % 2 == 0:
            return oracle_plan(suite, task)
        return random_plan(env.tool_schemas, info["query"], seed)

    return plan_for


@contextmanager
def server_process(*args: str) -> Iterator[str]:
    """``python -m steptool_env.cli serve ...`` in a subprocess; yields the URL it prints
    on stderr when listening, and stops it afterwards."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "steptool_env.cli", "serve", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    lines: list[str] = []
    try:
        url = None
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            found = re.search(r"at (http://\S+)", line)
            if found:
                url = found.group(1)
                break
        assert url, f"the server did not start: {''.join(lines)[-2000:]}"
        drain = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
        drain.start()
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
            proc.kill()
            proc.wait(5)
