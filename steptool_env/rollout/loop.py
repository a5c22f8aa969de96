"""THE rollout loop: runs episodes of an agent on a batch of environments.

Bench, evaluation and training all collect episodes through :func:`run_episodes`. It keeps
``len(envs)`` episodes in flight, asks the agent for all their actions in one batched
call, steps each env and yields every episode as soon as it ends. Results do not depend on
the batch size: each episode's env seed and task come from its :class:`EpisodeSpec`, and
agents derive their randomness from the episode seed.

Infrastructure failures (a backend or the agent's provider raising a
:class:`~steptool_env.errors.StepToolError` other than a config error, or an agent
:class:`~steptool_env.agents.base.Reply` carrying ``infra_error``) end the affected
episode with ``infra_error`` set, and the loop goes on. Token counts of replies are summed
per episode.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from steptool_env.agents.base import Agent, Reply, TurnView
from steptool_env.envs.tool_use_env import ToolUseEnv
from steptool_env.errors import ConfigError, StepToolError
from steptool_env.rollout.records import EpisodeSpec, StepRecord, Trajectory


class _Slot:
    __slots__ = ("called", "info", "obs", "start", "traj")

    def __init__(self, traj: Trajectory, obs: str, start: float) -> None:
        self.traj = traj
        self.obs = obs
        self.info: dict[str, Any] = {}
        self.start = start
        self.called: set[str] = set()


def _unwrap(env: Any) -> ToolUseEnv:
    base = getattr(env, "unwrapped", env)
    if not isinstance(base, ToolUseEnv):
        raise ConfigError("envs", type(base).__name__, "the rollout loop needs ToolUseEnv envs")
    return base


def run_episodes(
    envs: Sequence[Any],
    agent: Agent,
    specs: Sequence[EpisodeSpec],
    *,
    on_step: Callable[[int, StepRecord], None] | None = None,
) -> Iterator[Trajectory]:
    """Run every spec to the end on ``envs`` (gym-wrapped or bare :class:`ToolUseEnv`)."""
    if not envs:
        raise ConfigError("envs", 0, "need at least one environment")
    bases = [_unwrap(e) for e in envs]
    queue = list(reversed(specs))
    slots: list[_Slot | None] = [None] * len(envs)

    def start(i: int) -> Trajectory | None:
        """Start the next episode on env i; return a trajectory if it failed at reset."""
        spec = queue.pop()
        t0 = time.perf_counter()
        try:
            obs, _ = envs[i].reset(seed=spec.seed, options={"task_id": spec.task_id})
        except StepToolError as exc:
            if isinstance(exc, ConfigError):
                raise
            task = bases[i].suite.task(spec.task_id)
            return Trajectory(spec, task.split, task.group, infra_error=repr(exc))
        task = bases[i].task
        assert task is not None
        traj = Trajectory(
            spec, task.split, task.group, relevant_apis=len(task.relevant_apis), prompt=obs
        )
        slots[i] = _Slot(traj, obs, t0)
        return None

    while queue or any(s is not None for s in slots):
        for i in range(len(envs)):
            while slots[i] is None and queue:
                failed = start(i)
                if failed is not None:
                    yield failed
        active = [i for i, s in enumerate(slots) if s is not None]
        if not active:
            break
        views = []
        for i in active:
            s = slots[i]
            assert s is not None
            views.append(TurnView(i, bases[i], s.obs, s.traj.n_steps, s.traj.spec.seed, s.info))
        try:
            actions = agent.act(views)
        except StepToolError as exc:
            if isinstance(exc, ConfigError):
                raise
            for i in active:
                yield _finish(slots, i, infra=repr(exc))
            continue
        if len(actions) != len(views):
            raise ConfigError(
                "agent",
                agent.name,
                f"returned {len(actions)} actions for {len(views)} environments",
            )
        for i, reply in zip(active, actions):
            s = slots[i]
            assert s is not None
            if isinstance(reply, Reply):
                s.traj.tokens_in += reply.tokens_in
                s.traj.tokens_out += reply.tokens_out
                if reply.infra_error:
                    yield _finish(slots, i, infra=reply.infra_error)
                    continue
                action, sample = reply.text, reply.sample
            else:
                action, sample = reply, None
            try:
                obs, reward, terminated, truncated, info = envs[i].step(action)
            except StepToolError as exc:
                if isinstance(exc, ConfigError):
                    raise
                yield _finish(slots, i, infra=repr(exc))
                continue
            rec = StepRecord(
                action,
                obs,
                float(reward),
                info["status"],
                info["error"],
                info["function"],
                info["succ_calling"],
                info["contribution"],
                sample,
            )
            s.traj.steps.append(rec)
            if info["status"] == 0:
                s.called.add(info["function"])
            if on_step is not None:
                on_step(i, rec)
            s.obs, s.info = obs, info
            if terminated or truncated:
                task = bases[i].task
                assert task is not None
                rel = {bases[i].function_of(*k) for k in task.relevant_apis}
                s.traj.relevant_called = len(rel & s.called)
                s.traj.terminated, s.traj.truncated = bool(terminated), bool(truncated)
                s.traj.is_solved = float(info["is_solved"])
                s.traj.gave_up = info["status"] == 4
                yield _finish(slots, i)


def _finish(slots: list[_Slot | None], i: int, infra: str = "") -> Trajectory:
    s = slots[i]
    assert s is not None
    slots[i] = None
    s.traj.wall_s = time.perf_counter() - s.start
    if infra:
        s.traj.infra_error = infra
    return s.traj


def collect(envs: Sequence[Any], agent: Agent, specs: Sequence[EpisodeSpec]) -> list[Trajectory]:
    """:func:`run_episodes`, returned in the order of ``specs``."""
    order = {id(s): k for k, s in enumerate(specs)}
    out = list(run_episodes(envs, agent, specs))
    out.sort(key=lambda t: order.get(id(t.spec), 0))
    return out
