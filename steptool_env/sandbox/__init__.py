"""Layer 3: where API calls run. One :class:`Backend` protocol, several implementations.

``inprocess`` calls the API implementations directly; ``http`` runs them in a local
server process; ``docker`` in a locked-down container. All give identical results.
Importing this package is cheap: the HTTP and Docker machinery loads on first use.
"""

from steptool_env.sandbox.backend import Backend, ToolResult
from steptool_env.sandbox.factory import BACKENDS, make_backend
from steptool_env.sandbox.faults import FaultConfig, FaultInjector
from steptool_env.sandbox.inprocess import InProcessBackend

__all__ = [
    "BACKENDS",
    "Backend",
    "FaultConfig",
    "FaultInjector",
    "InProcessBackend",
    "ToolResult",
    "make_backend",
]
