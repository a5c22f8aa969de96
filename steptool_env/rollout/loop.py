"""THE rollout loop: runs episodes of an agent on a batch of environments.

Bench, evaluation and training all collect episodes through :func:`run_episodes`. It keeps
``len(envs)`` episodes in flight, asks the agent for all their actions in one batched
call, steps the envs in one batched call (see :mod:`steptool_env.rollout.batch`: local envs
or Ray workers) and yields every episode as soon as it ends. Results do not depend on
the batch size: each episode's env seed and task come from its :class:`EpisodeSpec`, and
agents derive their randomness from the episode seed.

One episode's failure never ends the run. Infrastructure failures (a backend or the
agent's provider raising an :class:`~steptool_env.errors.InfrastructureError`, or an
agent :class:`~steptool_env.agents.base.Reply` carrying ``infra_error``) and any
unexpected exception while running an episode (a bug in an env, a wrapper, an agent or here)
end the affected episode with ``infra_error`` set (``infra_traceback`` holds where it
happened), and the loop goes on; an exception from ``agent.act`` ends every episode of that
turn. Only a :class:`~steptool_env.errors.ConfigError` (a wrong setting, wrong for every
episode) stops the loop. Token counts of replies are summed per episode.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from steptool_env.agents.base import Agent, Reply, TurnView
from steptool_env.errors import ConfigError, WorkerError
from steptool_env.rollout.batch import EnvBatch, Failure, as_batch
from steptool_env.rollout.records import EpisodeSpec, StepRecord, Trajectory
from steptool_env.tools.status import Status


class _Slot:
    __slots__ = ("called", "info", "obs", "start", "traj")

    def __init__(self, traj: Trajectory, obs: str, start: float) -> None:
        self.traj = traj
        self.obs = obs
        self.info: dict[str, Any] = {}
        self.start = start
        self.called: set[str] = set()


def run_episodes(
    envs: Sequence[Any] | EnvBatch,
    agent: Agent,
    specs: Sequence[EpisodeSpec],
    *,
    on_step: Callable[[int, StepRecord], None] | None = None,
) -> Iterator[Trajectory]:
    """Run every spec to the end on ``envs``: gym-wrapped or bare :class:`ToolUseEnv`
    instances, or an :class:`~steptool_env.rollout.batch.EnvBatch` (e.g. Ray workers).

    Each turn has three stages: start episodes on free envs (:func:`_start`), ask the agent
    for every live episode's action (:func:`_ask`), step the envs (:func:`_step`)."""
    batch = as_batch(envs)
    if not len(batch):
        raise ConfigError("envs", 0, "need at least one environment")
    queue = list(reversed(specs))
    slots: list[_Slot | None] = [None] * len(batch)
    while queue or any(s is not None for s in slots):
        yield from _start(batch, slots, queue)
        active = [i for i, s in enumerate(slots) if s is not None]
        if not active:
            break
        todo, failed = _ask(agent, batch, slots, active)
        yield from failed
        yield from _step(batch, slots, todo, on_step)


def _start(
    batch: EnvBatch, slots: list[_Slot | None], queue: list[EpisodeSpec]
) -> Iterator[Trajectory]:
    """Start queued episodes on the free envs (batched resets, until no env is free); yield
    those whose reset failed."""
    while queue:
        free = [i for i, s in enumerate(slots) if s is None and batch.usable(i)]
        if not free:
            if all(s is None for s in slots):
                raise WorkerError(f"no environment is left to run {len(queue)} episodes")
            return
        items = [(i, queue.pop()) for i in free[: len(queue)]]
        t0 = time.perf_counter()
        for (i, spec), out in zip(items, batch.reset(items)):
            if isinstance(out, Failure):
                split, group = batch.task_meta(i, spec.task_id)
                yield Trajectory(
                    spec, split, group, infra_error=out.error, infra_traceback=out.traceback
                )
                continue
            task = batch.env(i).task
            assert task is not None
            traj = Trajectory(
                spec,
                task.split,
                task.group,
                relevant_apis=len(task.relevant_apis),
                prompt=out[0],
            )
            slots[i] = _Slot(traj, out[0], t0)


def _ask(
    agent: Agent, batch: EnvBatch, slots: list[_Slot | None], active: list[int]
) -> tuple[list[tuple[int, str, Any]], list[Trajectory]]:
    """The agent's actions for the live episodes as ``(env index, text, sample)``, and the
    episodes its reply ended (an infrastructure failure of the agent or its provider)."""
    views = []
    for i in active:
        s = slots[i]
        assert s is not None
        views.append(TurnView(i, batch.env(i), s.obs, s.traj.n_steps, s.traj.spec.seed, s.info))
    try:
        actions = agent.act(views)
    except Exception as exc:
        failure = Failure.of(exc)
        return [], [_finish(slots, i, failure) for i in active]
    if len(actions) != len(views):
        raise ConfigError(
            "agent", agent.name, f"returned {len(actions)} actions for {len(views)} environments"
        )
    todo: list[tuple[int, str, Any]] = []
    failed: list[Trajectory] = []
    for i, reply in zip(active, actions):
        if not isinstance(reply, Reply):
            todo.append((i, reply, None))
            continue
        s = slots[i]
        assert s is not None
        s.traj.tokens_in += reply.tokens_in
        s.traj.tokens_out += reply.tokens_out
        if reply.infra_error:
            failed.append(_finish(slots, i, Failure(reply.infra_error)))
        else:
            todo.append((i, reply.text, reply.sample))
    return todo, failed


def _step(
    batch: EnvBatch,
    slots: list[_Slot | None],
    todo: list[tuple[int, str, Any]],
    on_step: Callable[[int, StepRecord], None] | None,
) -> Iterator[Trajectory]:
    """Step the envs with the agent's actions (one batched call); yield the episodes that
    ended (normally, or with the failure of their env or of recording the step)."""
    if not todo:
        return
    outs = batch.step([(i, action) for i, action, _ in todo])
    for (i, action, sample), out in zip(todo, outs):
        if not isinstance(out, Failure):
            try:
                if _advance(batch, i, slots[i], action, sample, out, on_step):
                    yield _finish(slots, i)
                continue
            except Exception as exc:  # e.g. a wrapper whose info lacks our keys
                out = Failure.of(exc)
        yield _finish(slots, i, out)


def _advance(
    batch: EnvBatch,
    i: int,
    s: _Slot | None,
    action: str,
    sample: Any,
    out: tuple[str, float, bool, bool, dict[str, Any]],
    on_step: Callable[[int, StepRecord], None] | None,
) -> bool:
    """Record one step of env ``i``'s episode; True when the episode ended with it."""
    assert s is not None
    obs, reward, terminated, truncated, info = out
    rec = StepRecord.from_step(action, obs, reward, info, sample)
    s.traj.steps.append(rec)
    if rec.status == Status.OK:
        s.called.add(rec.function)
    if on_step is not None:
        on_step(i, rec)
    s.obs, s.info = obs, info
    if not (terminated or truncated):
        return False
    env = batch.env(i)
    task = env.task
    assert task is not None
    rel = {env.function_of(*k) for k in task.relevant_apis}
    s.traj.relevant_called = len(rel & s.called)
    s.traj.terminated, s.traj.truncated = bool(terminated), bool(truncated)
    s.traj.is_solved = float(info["is_solved"])
    s.traj.gave_up = rec.status == Status.GIVE_UP
    return True


def _finish(slots: list[_Slot | None], i: int, failure: Failure | None = None) -> Trajectory:
    s = slots[i]
    assert s is not None
    slots[i] = None
    s.traj.wall_s = time.perf_counter() - s.start
    if failure is not None:
        s.traj.infra_error = failure.error
        s.traj.infra_traceback = failure.traceback
    return s.traj


def collect(
    envs: Sequence[Any] | EnvBatch, agent: Agent, specs: Sequence[EpisodeSpec]
) -> list[Trajectory]:
    """:func:`run_episodes`, returned in the order of ``specs``."""
    order = {id(s): k for k, s in enumerate(specs)}
    out = list(run_episodes(envs, agent, specs))
    out.sort(key=lambda t: order.get(id(t.spec), 0))
    return out
