"""The embedded backend: API implementations called directly in this process."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from steptool_env.errors import SandboxError
from steptool_env.sandbox.backend import (
    DEFAULT_CALL_TIMEOUT_S,
    ToolResult,
    execute,
    timeout_result,
    validate_timeout,
)
from steptool_env.world.suite import TaskSuite


class InProcessBackend:
    """Runs the suite's API implementations in-process (the default, and the fastest).

    Args:
        suite: the suite whose world the APIs run on.
        call_timeout_s: simulated slow responses at or beyond this delay answer status 5
            (TIMEOUT) after it, exactly as the remote backends do.
    """

    name = "inprocess"

    def __init__(self, suite: TaskSuite, call_timeout_s: float = DEFAULT_CALL_TIMEOUT_S) -> None:
        self.suite = suite
        self.call_timeout_s = validate_timeout(call_timeout_s)
        self._table = suite.implementations
        self._state = suite.new_state()
        self._closed = False

    def reset(self) -> None:
        if self._closed:
            raise SandboxError("backend is closed")
        self._state = self.suite.new_state()

    def call(
        self, tool: str, api: str, arguments: Mapping[str, Any], *, delay_s: float = 0.0
    ) -> ToolResult:
        if self._closed:
            raise SandboxError("backend is closed")
        if delay_s > 0:
            if delay_s >= self.call_timeout_s:
                time.sleep(self.call_timeout_s)
                return timeout_result(self.call_timeout_s)
            time.sleep(delay_s)
        return execute(self._table, self._state, tool, api, arguments)

    def records(self) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        return self._state.records

    def close(self) -> None:
        self._closed = True
