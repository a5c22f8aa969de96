"""The embedded backend: API implementations called directly in this process."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from steptool_env.errors import SandboxError, ToolError
from steptool_env.sandbox.backend import ToolResult
from steptool_env.tools.status import Status
from steptool_env.world.helpers import ApiInputError
from steptool_env.world.suite import Suite


class InProcessBackend:
    """Runs the suite's API implementations in-process (the default, and the fastest)."""

    name = "inprocess"

    def __init__(self, suite: Suite) -> None:
        self.suite = suite
        self._table = suite.implementations
        self._state = suite.new_state()
        self._closed = False

    def reset(self) -> None:
        if self._closed:
            raise SandboxError("backend is closed")
        self._state = self.suite.new_state()

    def call(self, tool: str, api: str, arguments: Mapping[str, Any]) -> ToolResult:
        if self._closed:
            raise SandboxError("backend is closed")
        fn = self._table.get((tool, api))
        if fn is None:
            return ToolResult(Status.NO_SUCH_FUNCTION, None, f"no API {api!r} in tool {tool!r}")
        start = time.perf_counter()
        try:
            response = fn(self._state, arguments)
        except ApiInputError as exc:
            return ToolResult(exc.status, None, str(exc), time.perf_counter() - start)
        except Exception as exc:  # an implementation bug is infrastructure, not the agent's
            raise ToolError(f"API {tool}.{api} failed on {dict(arguments)!r}: {exc!r}") from exc
        return ToolResult(Status.OK, response, "", time.perf_counter() - start)

    def records(self) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        return self._state.records

    def close(self) -> None:
        self._closed = True
