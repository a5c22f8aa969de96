"""The envs the rollout loop steps together: local ones, or remote ones (Ray workers).

The loop talks to an :class:`EnvBatch`: one ``reset`` call for every episode it starts on a
turn and one ``step`` call for every action of a turn, so a remote batch can send each of its
workers one request per turn and wait for all of them (at most one step per env is ever in
flight; the loop asks the agent again only when every step of the turn is back, which is
the back-pressure). What an agent may read of env ``i`` between turns comes from
``env(i)``: the env itself when local, a read-only mirror when remote.

Local envs with an ``http`` or ``docker`` backend are stepped together
(:func:`~steptool_env.envs.batch_step.step_together`): the tool calls of a turn go to each
server in one request, and an episode's reset travels with its first call, so a turn of
many envs costs one round trip instead of one per env (and per reset). The outcomes are
exactly those of stepping the envs in turn.

A failure of one env -- an :class:`~steptool_env.errors.InfrastructureError` (a backend,
provider or lost worker) or any unexpected exception (a bug in an env, a wrapper or our own
code) -- is returned as a :class:`Failure` in that env's
place, with its traceback, so one episode's failure never ends a run; configuration errors
are raised.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from steptool_env.envs.batch_step import can_step_together, is_remote, step_together
from steptool_env.envs.tool_use_env import ToolUseEnv
from steptool_env.errors import ConfigError
from steptool_env.rollout.records import EpisodeSpec

EXECUTORS = ("local", "ray")
"""Where episodes run: envs in this process, or Ray env workers (``rollout/ray_workers.py``)."""

ResetOut = tuple[str, dict[str, Any]]
StepOut = tuple[str, float, bool, bool, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Failure:
    """An env could not reset or step because of an infrastructure failure."""

    error: str
    """What failed (recorded as the episode's ``infra_error``)."""
    traceback: str = ""
    """Where it failed (recorded as the episode's ``infra_traceback``)."""

    @classmethod
    def of(cls, exc: BaseException) -> Failure:
        """The failure an exception stands for; a :class:`ConfigError` is raised again (a
        user's setting is wrong for every episode, so the run must stop and say so)."""
        if isinstance(exc, ConfigError):
            raise exc
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return cls(repr(exc), tb)


class EnvBatch:
    """Envs stepped together by :func:`~steptool_env.rollout.loop.run_episodes`."""

    def __len__(self) -> int:
        raise NotImplementedError

    def env(self, i: int) -> Any:
        """What agents read of env ``i`` (``messages``, ``tool_schemas``, ``parser_name``,
        ``task``, ``function_of``): a :class:`ToolUseEnv` or an object with those members."""
        raise NotImplementedError

    def usable(self, i: int) -> bool:
        """Whether env ``i`` can start episodes (a remote env whose worker is gone cannot)."""
        return True

    def reset(self, items: Sequence[tuple[int, EpisodeSpec]]) -> list[ResetOut | Failure]:
        """Start episode ``spec`` on env ``i`` for each item; one outcome per item."""
        raise NotImplementedError

    def step(self, items: Sequence[tuple[int, str]]) -> list[StepOut | Failure]:
        """Step env ``i`` with ``action`` for each item; one outcome per item."""
        raise NotImplementedError

    def task_meta(self, i: int, task_id: str) -> tuple[str, str]:
        """``(split, group)`` of a task (for an episode that failed before it started)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the envs."""


def _unwrap(env: Any) -> ToolUseEnv:
    base = getattr(env, "unwrapped", env)
    if not isinstance(base, ToolUseEnv):
        raise ConfigError("envs", type(base).__name__, "the rollout loop needs ToolUseEnv envs")
    return base


class LocalEnvs(EnvBatch):
    """Envs in this process (gym-wrapped or bare :class:`ToolUseEnv`): those with a remote
    backend stepped together, the others in turn."""

    def __init__(self, envs: Sequence[Any]) -> None:
        self.envs = list(envs)
        self.bases = [_unwrap(e) for e in self.envs]
        self._remote = any(is_remote(b.backend) for b in self.bases)

    def __len__(self) -> int:
        return len(self.envs)

    def env(self, i: int) -> ToolUseEnv:
        return self.bases[i]

    def reset(self, items: Sequence[tuple[int, EpisodeSpec]]) -> list[ResetOut | Failure]:
        out: list[ResetOut | Failure] = []
        with _resets_deferred(self._remote):
            for i, spec in items:
                try:
                    options = {"task_id": spec.task_id}
                    out.append(self.envs[i].reset(seed=spec.seed, options=options))
                except Exception as exc:
                    out.append(Failure.of(exc))
        return out

    def step(self, items: Sequence[tuple[int, str]]) -> list[StepOut | Failure]:
        out: list[StepOut | Failure | None] = [None] * len(items)
        together = (
            [k for k, (i, _) in enumerate(items) if can_step_together(self.envs[i])]
            if self._remote
            else []
        )
        if len(together) > 1:
            envs = [self.bases[items[k][0]] for k in together]
            outcomes = step_together(envs, [items[k][1] for k in together])
            for k, outcome in zip(together, outcomes):
                out[k] = Failure.of(outcome) if isinstance(outcome, Exception) else outcome
        for k, (i, action) in enumerate(items):
            if out[k] is None:
                try:
                    out[k] = self.envs[i].step(action)
                except Exception as exc:
                    out[k] = Failure.of(exc)
        return [o for o in out if o is not None]

    def task_meta(self, i: int, task_id: str) -> tuple[str, str]:
        task = self.bases[i].suite.task(task_id)
        return task.split, task.group

    def close(self) -> None:
        for e in self.envs:
            e.close()


def _resets_deferred(remote: bool) -> contextlib.AbstractContextManager[None]:
    """Remote backends' resets sent with their next call (see ``deferred_resets``)."""
    if not remote:
        return contextlib.nullcontext()
    from steptool_env.sandbox.remote import deferred_resets  # loaded: a remote backend exists

    return deferred_resets()


def as_batch(envs: Sequence[Any] | EnvBatch) -> EnvBatch:
    """``envs`` as an :class:`EnvBatch` (a list of envs becomes :class:`LocalEnvs`)."""
    return envs if isinstance(envs, EnvBatch) else LocalEnvs(envs)
