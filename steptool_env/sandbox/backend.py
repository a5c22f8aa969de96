"""The one interface between the environment and wherever the APIs run.

The environment never knows whether an API runs in this process, in a local server or in
a container: it talks to a :class:`Backend`. Every backend must give identical results for
the same calls (the parity tests hold them to it).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

from steptool_env.errors import ConfigError, ToolError
from steptool_env.tools.status import Status
from steptool_env.world.domain import ApiFn
from steptool_env.world.helpers import ApiInputError, Sourced
from steptool_env.world.state import WorldState


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
    source: str = ""
    """Where the answer came from: ``world`` (the suite's simulated APIs), ``cache``,
    ``mock`` or ``error`` (StableToolBench's response sources); "" when nothing ran."""

    @property
    def ok(self) -> bool:
        return self.status is Status.OK


@runtime_checkable
class Backend(Protocol):
    """Executes API calls for one episode at a time."""

    name: str

    def reset(self) -> None:
        """Start a new episode: a fresh world state (stateful APIs forget everything)."""

    def call(
        self, tool: str, api: str, arguments: Mapping[str, Any], *, delay_s: float = 0.0
    ) -> ToolResult:
        """Run one API with already validated arguments.

        ``delay_s`` is simulated latency (fault injection's slow responses): the backend
        answers that much later, or, when the delay reaches its per-call timeout, answers
        :func:`timeout_result` after the timeout without running the call. Backends that
        never see slow-response faults may ignore it.
        """

    def records(self) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        """The records stateful APIs wrote in this episode (for the answer checker)."""

    def close(self) -> None:
        """Release every resource; further calls raise :class:`SandboxError`."""


DEFAULT_CALL_TIMEOUT_S = 10.0
"""Per-call timeout of every backend unless configured otherwise."""


def timeout_result(timeout_s: float) -> ToolResult:
    """What every backend answers for a call that did not finish within ``timeout_s``."""
    return ToolResult(Status.TIMEOUT, None, f"The API did not answer within {timeout_s:g} s.")


def validate_timeout(value: Any, field: str = "call_timeout_s") -> float:
    """A positive, finite number of seconds, or :class:`ConfigError`."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e6:
        raise ConfigError(field, value, "must be a number of seconds > 0")
    return float(value)


def execute(
    table: Mapping[tuple[str, str], ApiFn],
    state: WorldState,
    tool: str,
    api: str,
    arguments: Mapping[str, Any],
) -> ToolResult:
    """Run one API implementation on ``state``: the single code path of every backend.

    Bad input from the agent becomes a status code; any other exception is a bug in the
    implementation, i.e. infrastructure, and raises :class:`ToolError`.
    """
    fn = table.get((tool, api))
    if fn is None:
        return ToolResult(Status.NO_SUCH_FUNCTION, None, f"no API {api!r} in tool {tool!r}")
    start = time.perf_counter()
    try:
        response = fn(state, arguments)
    except ApiInputError as exc:
        return ToolResult(
            exc.status, None, str(exc), time.perf_counter() - start, exc.source or "world"
        )
    except Exception as exc:  # an implementation bug is infrastructure, not the agent's
        raise ToolError(f"API {tool}.{api} failed on {dict(arguments)!r}: {exc!r}") from exc
    took = time.perf_counter() - start
    if isinstance(response, Sourced):
        return ToolResult(Status.OK, response.value, "", took, response.source)
    return ToolResult(Status.OK, response, "", took, "world")
