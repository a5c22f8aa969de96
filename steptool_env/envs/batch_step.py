"""Many envs stepped at once, with the backend work of all their steps done together.

:func:`step_together` returns exactly what ``env.step(action)`` for each env in turn returns
(or the exception it raises), but each env's step is split at its backend work
(``ToolUseEnv._begin_step`` / ``_end_step``): first every env parses and acts without the
backend, then the tool calls of all of them -- and the records the judge of a final answer
reads -- go to the servers together, one request per server
(:func:`~steptool_env.sandbox.remote.send_together`), then every env finishes its step with
its own result. With ``http`` or ``docker`` backends that is one round trip per turn
instead of one per env; from :data:`PIPELINE_MIN_ENVS` envs on, two overlapping ones (one
per half of the envs), so that the server works while this process does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gymnasium.wrappers.common import OrderEnforcing, PassiveEnvChecker

from steptool_env.envs.step_result import FinalAnswer, PendingStep, ToolCall
from steptool_env.envs.tool_use_env import ToolUseEnv
from steptool_env.sandbox import Backend, InProcessBackend, ToolResult

if TYPE_CHECKING:
    from steptool_env.sandbox.remote import Together

StepOut = tuple[str, Any, bool, bool, dict[str, Any]]


def can_step_together(env: Any) -> bool:
    """Whether ``env`` -- a :class:`ToolUseEnv`, bare or gym-wrapped -- may be stepped by
    :func:`step_together` now: its backend is remote (``http`` or ``docker``; elsewhere there
    is nothing to gain), and every wrapper around it would pass this step through untouched.
    That holds for the wrappers ``gym.make`` adds once they are done checking
    (``OrderEnforcing`` after a reset, ``PassiveEnvChecker`` after its first two steps); any
    other wrapper may change the step, so such an env is stepped through its wrappers."""
    layer = env
    while layer is not getattr(layer, "unwrapped", layer):
        kind = type(layer)  # exactly: a subclass may step differently
        if kind is OrderEnforcing:
            done_checking = layer.has_reset
        elif kind is PassiveEnvChecker:
            done_checking = layer.checked_step and layer.checked_data_reuse
        else:
            return False
        if not done_checking:
            return False
        layer = layer.env
    return isinstance(layer, ToolUseEnv) and is_remote(layer.backend)


def is_remote(backend: Backend) -> bool:
    """Whether ``backend`` is a session on a sandbox server (``http`` or ``docker``)."""
    if isinstance(backend, InProcessBackend):
        return False  # the common case, without loading the HTTP machinery
    from steptool_env.sandbox.remote import RemoteBackend

    return isinstance(backend, RemoteBackend)


PIPELINE_MIN_ENVS = 4
"""From this many envs on, :func:`step_together` works in two halves, so that the server runs
one half's calls while this process prepares or finishes the other's."""


def step_together(
    envs: Sequence[ToolUseEnv], actions: Sequence[object]
) -> list[StepOut | Exception]:
    """``envs[k].step(actions[k])`` for every ``k``, with the backend work done together; per
    env, its step's outcome or the exception its step raised (one env's failure is its own).

    ``envs`` are the bare envs (``env.unwrapped``), each at most once. With
    :data:`PIPELINE_MIN_ENVS` or more, the envs go in two halves, pipelined: the first
    half's calls are sent, then the second half's are prepared and sent while the server
    runs the first's, and the first half finishes its steps while the server runs the
    second's. Each env's step is the same either way (the envs share no state)."""

    if len({id(env.backend) for env in envs}) < len(envs):  # shared state: keep the order
        return [_step(env, action) for env, action in zip(envs, actions, strict=True)]
    n = len(actions)
    if len(envs) != n:
        raise ValueError(f"{len(envs)} envs but {n} actions")
    halves = [range(n)] if n < PIPELINE_MIN_ENVS else [range(n // 2), range(n // 2, n)]
    pending: list[PendingStep | Exception] = []
    sent: list[tuple[range, list[int], Together]] = []
    try:
        for half in halves:
            callers, together = _send(envs, actions, half, pending)
            sent.append((half, callers, together))
        out: list[StepOut | Exception] = []
        for half, callers, together in sent:
            results: dict[int, ToolResult | Exception] = dict(zip(callers, together.results()))
            for k in half:
                p, result = pending[k], results.get(k)
                if isinstance(p, Exception):
                    out.append(p)
                elif isinstance(result, Exception):
                    out.append(result)
                else:
                    try:
                        out.append(envs[k]._end_step(p, result))
                    except Exception as exc:
                        out.append(exc)
        return out
    finally:
        for _, _, together in sent:
            together.abandon()  # nothing left once its results were read


def _send(
    envs: Sequence[ToolUseEnv],
    actions: Sequence[object],
    half: range,
    pending: list[PendingStep | Exception],
) -> tuple[list[int], Together]:
    """Begin the steps of the envs in ``half`` (appended to ``pending``) and send their
    backend work; the envs whose calls were sent, and the sent work."""
    from steptool_env.sandbox.remote import send_together  # remote backends only get here

    calls, callers, judged = [], [], []
    for k in half:
        env = envs[k]
        try:
            p: PendingStep | Exception = env._begin_step(actions[k])
        except Exception as exc:
            p = exc
        pending.append(p)
        if isinstance(p, Exception):
            continue
        if isinstance(p.acted, ToolCall) and p.acted.runs:
            api, fault = p.acted.api, p.acted.fault
            delay = fault.delay_s if fault is not None else 0.0
            calls.append((env.backend, api.tool_name, api.api_name, p.acted.arguments, delay))
            callers.append(k)
        elif isinstance(p.acted, FinalAnswer):
            judged.append(env.backend)
    return callers, send_together(calls, prefetch=judged)


def _step(env: ToolUseEnv, action: object) -> StepOut | Exception:
    try:
        return env.step(action)  # type: ignore[arg-type]
    except Exception as exc:
        return exc
