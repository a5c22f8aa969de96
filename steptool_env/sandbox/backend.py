"""The one interface between the environment and wherever the APIs run.

The environment never knows whether an API runs in this process, in a local server or in
a container: it talks to a :class:`Backend`. Every backend must give identical results for
the same calls (the parity tests hold them to it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

from steptool_env.tools.status import Status


class ToolResult(NamedTuple):
    """What one API call returned (a NamedTuple: immutable and cheap on the hot path)."""

    status: Status
    """ToolBench status code (0 ok, 2 bad input, 5-12 API-side failures)."""
    response: Any
    """The JSON-serialisable response (``None`` when the call failed)."""
    error: str = ""
    """A message for the agent when the call failed."""
    duration_s: float = 0.0
    """Wall time of the call; reported, never part of observations or rewards."""

    @property
    def ok(self) -> bool:
        return self.status is Status.OK


@runtime_checkable
class Backend(Protocol):
    """Executes API calls for one episode at a time."""

    name: str

    def reset(self) -> None:
        """Start a new episode: a fresh world state (stateful APIs forget everything)."""

    def call(self, tool: str, api: str, arguments: Mapping[str, Any]) -> ToolResult:
        """Run one API with already validated arguments."""

    def records(self) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        """The records stateful APIs wrote in this episode (for the answer checker)."""

    def close(self) -> None:
        """Release every resource; further calls raise :class:`SandboxError`."""
