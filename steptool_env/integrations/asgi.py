"""Serving an ASGI app (the MCP and OpenEnv servers) with uvicorn, on loopback only.

The socket is bound and listening before uvicorn starts, so ``port=0`` takes a free port and
the URL is known at once: :func:`run_asgi` serves in the foreground and prints it on stderr
(tests and scripts read that line); :func:`serving` serves from a thread of this process
and yields it (notebooks, examples, tests).
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from steptool_env.errors import ConfigError, require

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_loopback(host: str) -> str:
    """``host`` when it is a loopback address, else a :class:`ConfigError`."""
    if host not in LOOPBACK:
        raise ConfigError("host", host, "served on loopback only", choices=LOOPBACK)
    return host


def _listen(app: Any, host: str, port: int, extra: str) -> tuple[Any, socket.socket, str]:
    """A uvicorn server for ``app`` and its listening socket, with the socket's URL."""
    uvicorn = require("uvicorn", extra)
    check_loopback(host)
    v6 = ":" in host
    sock = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)  # connections wait in the backlog until uvicorn accepts them
    except OSError:
        sock.close()
        raise
    url = f"http://{'[::1]' if v6 else host}:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    return server, sock, url


def run_asgi(app: Any, host: str, port: int, what: str, path: str = "", extra: str = "") -> None:
    """Serve ``app`` on ``host:port`` until interrupted; print ``what`` and the URL (with
    ``path``) on stderr when listening. ``extra`` names the extra that installs uvicorn."""
    server, sock, url = _listen(app, host, port, extra)
    try:
        print(f"steptool: {what} at {url}{path}", file=sys.stderr, flush=True)
        server.run(sockets=[sock])
    finally:
        sock.close()


@contextmanager
def serving(app: Any, host: str = "127.0.0.1", port: int = 0, extra: str = "") -> Iterator[str]:
    """Serve ``app`` from a thread of this process while the block runs; yields its URL
    (``http://127.0.0.1:<port>``, a free port by default)."""
    server, sock, url = _listen(app, host, port, extra)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="steptool-asgi", daemon=True
    )
    thread.start()
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
