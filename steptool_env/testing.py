"""Helpers for testing agents and environments, shipped so users can test theirs the same way.

- :class:`ScriptedAgent` replays fixed action texts;
- :class:`FlakyBackend` wraps a backend and raises :class:`SandboxError` on chosen calls,
  to test how infrastructure failures are recorded;
- :func:`transcript` records everything an episode emits, to compare backends (parity).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from steptool_env.agents.base import TurnView
from steptool_env.errors import SandboxError
from steptool_env.sandbox.backend import Backend, ToolResult


class ScriptedAgent:
    """Returns ``script(view)`` for each view, or the ``step``-th text of a fixed list."""

    name = "scripted"

    def __init__(self, script: Sequence[str] | Callable[[TurnView], str]) -> None:
        self.script = script

    def config(self) -> dict[str, Any]:
        return {"agent": self.name}

    def act(self, views: Sequence[TurnView]) -> list[str]:
        out = []
        for v in views:
            if callable(self.script):
                out.append(self.script(v))
            else:
                out.append(self.script[min(v.step, len(self.script) - 1)])
        return out


class FlakyBackend:
    """A backend that raises :class:`SandboxError` on the calls where ``fail(n)`` is true
    (``n`` counts calls from 1 over the backend's life)."""

    def __init__(self, inner: Backend, fail: Callable[[int], bool]) -> None:
        self.inner = inner
        self.fail = fail
        self.name = f"flaky-{inner.name}"
        self.calls = 0

    def reset(self) -> None:
        self.inner.reset()

    def call(
        self, tool: str, api: str, arguments: Mapping[str, Any], *, delay_s: float = 0.0
    ) -> ToolResult:
        self.calls += 1
        if self.fail(self.calls):
            raise SandboxError(f"injected infrastructure failure on call {self.calls}")
        return self.inner.call(tool, api, arguments, delay_s=delay_s)

    def records(self) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        return self.inner.records()

    def close(self) -> None:
        self.inner.close()


def transcript(
    env: Any, agent: Any, seed: int, options: Mapping[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """Everything one episode emits: ``(obs, info)`` of the reset, then
    ``(obs, reward, terminated, truncated, info)`` per step, with ``agent`` acting.

    Two backends are at parity when they give equal transcripts for the same seeds.
    """
    base = env.unwrapped
    obs, info = env.reset(seed=seed, options=options)
    out: list[tuple[Any, ...]] = [(obs, info)]
    done, step = False, 0
    while not done:
        view = TurnView(0, base, obs, step, seed, info)
        action = agent.act([view])[0]
        obs, reward, terminated, truncated, info = env.step(action)
        out.append((obs, float(reward), terminated, truncated, info))
        done, step = terminated or truncated, step + 1
    return out
