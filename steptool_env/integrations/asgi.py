"""Serving an ASGI app (the MCP and OpenEnv servers) with uvicorn, on loopback only.

The socket is bound before uvicorn starts, so ``port=0`` takes a free port, and the URL is
printed on stderr once it is known (tests and scripts read that line).
"""

from __future__ import annotations

import socket
import sys
from typing import Any

from steptool_env.errors import ConfigError, require

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_loopback(host: str) -> str:
    """``host`` when it is a loopback address, else a :class:`ConfigError`."""
    if host not in LOOPBACK:
        raise ConfigError("host", host, "served on loopback only", choices=LOOPBACK)
    return host


def run_asgi(app: Any, host: str, port: int, what: str, path: str = "", extra: str = "") -> None:
    """Serve ``app`` on ``host:port`` until interrupted; print ``what`` and the URL (with
    ``path``) on stderr when listening. ``extra`` names the extra that installs uvicorn."""
    uvicorn = require("uvicorn", extra)
    anyio = require("anyio", extra)
    check_loopback(host)
    v6 = ":" in host
    sock = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)  # connections wait in the backlog until uvicorn accepts them
        url = f"http://{'[::1]' if v6 else host}:{sock.getsockname()[1]}{path}"
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))

        async def run() -> None:
            print(f"steptool: {what} at {url}", file=sys.stderr, flush=True)
            await server.serve(sockets=[sock])

        anyio.run(run)
    finally:
        sock.close()
