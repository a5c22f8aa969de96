"""Layer 3: where API calls run. One :class:`Backend` protocol, several implementations."""

from steptool_env.sandbox.backend import Backend, ToolResult
from steptool_env.sandbox.inprocess import InProcessBackend

BACKENDS = ("inprocess",)

__all__ = ["BACKENDS", "Backend", "InProcessBackend", "ToolResult"]
