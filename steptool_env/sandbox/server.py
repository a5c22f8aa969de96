"""The API-mock server: the tool world over HTTP/1.1, one session per episode.

The same code runs as a local process (``backend="http"``) and inside the sandbox
container (``backend="docker"``). It needs nothing but the standard library, so the
container image carries no third-party package.

Endpoints (JSON in, JSON out; API outcomes travel in the body, HTTP codes are for the
protocol itself):

===========================  =============================================================
``GET /health``              ``{"status": "ok", "protocol", "version", "suite", "seed",
                             "code"}`` -- what the client checks before trusting the world
``GET /stats``               request, call and session counters, calls by status code
``POST /sessions``           a new session with a fresh world state: ``{"session": id}``
``POST /sessions/ID/reset``  forget everything the session's stateful APIs wrote
``POST /sessions/ID/call``   ``{"tool", "api", "arguments"[, "delay_s", "timeout_s"]}`` ->
                             ``{"status", "response", "error"}``
``GET /sessions/ID/records`` ``{"records": {...}}``: what stateful APIs wrote (for checking)
``DELETE /sessions/ID``      close the session
===========================  =============================================================

HTTP 404 is an unknown session or path, 400 a malformed request, 500 a bug in an API
implementation (the client raises :class:`~steptool_env.errors.ToolError`, as the
embedded backend does).

Run it with ``python -m steptool_env.sandbox.server --port 0`` (prints
``STEPTOOL-SANDBOX READY <url>`` once it serves) or ``--unix PATH``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import ipaddress
import json
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from steptool_env.errors import StepToolError, ToolError
from steptool_env.resources import suite_dir
from steptool_env.sandbox.backend import ToolResult, execute, timeout_result
from steptool_env.stabletoolbench.suite import PREFIX as STB_PREFIX
from steptool_env.stabletoolbench.suite import StbSuite
from steptool_env.world.domain import api_table, build_world
from steptool_env.world.state import WorldState
from steptool_env.world.suite import SuiteConfig

PROTOCOL = 1
"""Version of the request/response format above; client and server must agree."""
READY_PREFIX = "STEPTOOL-SANDBOX READY "
MAX_SESSIONS = 4096
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_HEAD_BYTES = 64 * 1024

_PACKAGE_DIR = Path(__file__).resolve().parents[1]
_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


_SERVED_CODE = (
    "tools", "world", "sandbox", "stabletoolbench", "errors.py", "resources.py", "seeding.py"
)  # fmt: skip


@cache
def code_digest(suite: str = "toolbench") -> str:
    """SHA-256 over the sources the server runs and the suite's ``suite.toml``.

    Client and server compare it, so a stale container image is refused instead of
    silently serving another world (and edits elsewhere in the package keep the image).
    """
    h = hashlib.sha256()
    paths = [_PACKAGE_DIR / name for name in _SERVED_CODE]
    files = [p for p in paths if p.is_file()]
    files += [f for p in paths if p.is_dir() for f in p.rglob("*.py")]
    for path in sorted(files):
        rel = path.relative_to(_PACKAGE_DIR).as_posix()
        h.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    if suite.startswith(STB_PREFIX):  # the spec names the data; the suite hash covers it
        h.update(suite.encode())
    else:
        h.update((suite_dir(suite) / "suite.toml").read_bytes())
    return h.hexdigest()


@dataclass(frozen=True)
class Delayed:
    """A call answered later: the transport awaits ``seconds``, then sends ``then()``."""

    seconds: float
    then: Callable[[], tuple[int, dict[str, Any]]]


class ApiService:
    """Transport-free request handling: ``handle(method, path, body) -> (code, payload)``."""

    def __init__(self, suite: str = "toolbench") -> None:
        from steptool_env.version import __version__

        self.suite = suite
        if suite.startswith(STB_PREFIX):
            stb = StbSuite.from_name(suite)
            self.seed = stb.mock_seed
            self.table = stb.implementations
            self._new_state = stb.new_state
        else:
            cfg = SuiteConfig.load(suite_dir(suite) / "suite.toml")
            self.seed = cfg.seed
            world = build_world(cfg.seed)
            self.table = api_table()
            self._new_state = lambda: WorldState(world)
        self.health = {
            "status": "ok",
            "protocol": PROTOCOL,
            "version": __version__,
            "suite": suite,
            "seed": self.seed,
            "code": code_digest(suite),
        }
        self.sessions: dict[str, WorldState] = {}
        self._created = 0
        self._started = time.monotonic()
        self._requests = 0
        self._calls_by_status: Counter[int] = Counter()
        self._http_errors: Counter[int] = Counter()

    # ------------------------------------------------------------------ dispatch
    def handle(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]] | Delayed:
        self._requests += 1
        parts = [p for p in path.split("?", 1)[0].split("/") if p]
        try:
            return self._route(method, parts, body)
        except _HttpError as exc:
            self._http_errors[exc.code] += 1
            return exc.code, {"error": exc.message}

    def _route(self, method: str, parts: list[str], body: bytes) -> Any:
        if parts == ["health"]:
            _allow(method, "GET")
            return 200, dict(self.health, sessions=len(self.sessions))
        if parts == ["stats"]:
            _allow(method, "GET")
            return 200, self.stats()
        if parts == ["sessions"]:
            _allow(method, "POST")
            return 200, {"session": self._create()}
        if len(parts) in (2, 3) and parts[0] == "sessions":
            sid = parts[1]
            state = self.sessions.get(sid)
            if state is None:
                raise _HttpError(404, f"no session {sid!r} (closed, or the server restarted)")
            action = parts[2] if len(parts) == 3 else ""
            if action == "":
                _allow(method, "DELETE")
                del self.sessions[sid]
                return 200, {"closed": sid}
            if action == "reset":
                _allow(method, "POST")
                self.sessions[sid] = self._new_state()
                return 200, {"session": sid}
            if action == "records":
                _allow(method, "GET")
                return 200, {"records": state.records}
            if action == "call":
                _allow(method, "POST")
                return self._call(sid, _json_body(body))
        raise _HttpError(404, f"no endpoint {method} /{'/'.join(parts)}")

    def _create(self) -> str:
        if len(self.sessions) >= MAX_SESSIONS:
            raise _HttpError(503, f"too many open sessions ({MAX_SESSIONS}); close some")
        self._created += 1
        sid = f"s{self._created}"
        self.sessions[sid] = self._new_state()
        return sid

    def _call(self, sid: str, req: dict[str, Any]) -> tuple[int, dict[str, Any]] | Delayed:
        tool, api, arguments = req.get("tool"), req.get("api"), req.get("arguments")
        if not isinstance(tool, str) or not isinstance(api, str) or not isinstance(arguments, dict):
            raise _HttpError(400, 'a call needs "tool" and "api" strings and an "arguments" object')
        delay, timeout = req.get("delay_s", 0.0), req.get("timeout_s", 0.0)
        if not all(isinstance(v, int | float) and 0 <= v < 1e6 for v in (delay, timeout)):
            raise _HttpError(400, '"delay_s" and "timeout_s" must be numbers of seconds >= 0')

        def run() -> tuple[int, dict[str, Any]]:
            state = self.sessions.get(sid)
            if state is None:
                return 404, {"error": f"no session {sid!r} (closed while the call waited)"}
            try:
                return 200, self._result(execute(self.table, state, tool, api, arguments))
            except ToolError as exc:
                self._http_errors[500] += 1
                return 500, {"error": str(exc)}

        if delay > 0:
            if timeout and delay >= timeout:  # never runs: the client has given up by then
                return Delayed(timeout, lambda: (200, self._result(timeout_result(timeout))))
            return Delayed(delay, run)
        return run()

    def _result(self, result: ToolResult) -> dict[str, Any]:
        self._calls_by_status[int(result.status)] += 1
        return {
            "status": int(result.status),
            "response": result.response,
            "error": result.error,
            "source": result.source,
        }

    def stats(self) -> dict[str, Any]:
        return {
            "uptime_s": round(time.monotonic() - self._started, 3),
            "requests": self._requests,
            "calls": sum(self._calls_by_status.values()),
            "calls_by_status": {str(k): v for k, v in sorted(self._calls_by_status.items())},
            "http_errors": {str(k): v for k, v in sorted(self._http_errors.items())},
            "sessions_open": len(self.sessions),
            "sessions_created": self._created,
        }


class _HttpError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _allow(method: str, expected: str) -> None:
    if method != expected:
        raise _HttpError(405, f"use {expected} here, not {method}")


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _HttpError(400, f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise _HttpError(400, "the body must be a JSON object")
    return data


# ---------------------------------------------------------------------------- transport
def _response(code: int, payload: dict[str, Any], keep_alive: bool) -> bytes:
    # default=str, as the env's own renderer: a value JSON lacks reaches the agent as the
    # same text from every backend.
    body = json.dumps(payload, separators=(",", ":"), default=str).encode("utf-8")
    head = (
        f"HTTP/1.1 {code} {_REASONS.get(code, 'Error')}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"{'' if keep_alive else 'Connection: close' + chr(13) + chr(10)}\r\n"
    )
    return head.encode("latin-1") + body


class _HttpProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive and Content-Length bodies, over any stream transport.

    Requests on one connection are answered in order; a delayed answer holds back the
    next request of its connection only.
    """

    def __init__(self, service: ApiService) -> None:
        self.service = service
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.busy = False
        self.done = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.done = True

    def data_received(self, data: bytes) -> None:
        self.buf += data
        self._process()

    def _process(self) -> None:
        while not self.busy and not self.done:
            end = self.buf.find(b"\r\n\r\n", 0, MAX_HEAD_BYTES + 4)
            if end < 0:
                if len(self.buf) > MAX_HEAD_BYTES:
                    self._send(431, {"error": "request head too large"}, False)
                return
            lines = self.buf[:end].decode("latin-1").split("\r\n")
            request = lines[0].split(" ")
            if len(request) != 3 or not request[2].startswith("HTTP/1."):
                return self._send(400, {"error": "malformed request line"}, False)
            headers = {}
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if sep:
                    headers[name.strip().lower()] = value.strip()
            if "transfer-encoding" in headers:
                return self._send(501, {"error": "send a Content-Length body"}, False)
            try:
                length = int(headers.get("content-length", "0"))
            except ValueError:
                length = -1
            if not 0 <= length <= MAX_BODY_BYTES:
                return self._send(413, {"error": "bad or too large Content-Length"}, False)
            total = end + 4 + length
            if len(self.buf) < total:
                return
            body = bytes(self.buf[end + 4 : total])
            del self.buf[:total]
            keep_alive = request[2] == "HTTP/1.1" and headers.get("connection", "") != "close"
            try:
                result = self.service.handle(request[0], request[1], body)
            except Exception as exc:  # a server bug: answer it rather than drop the connection
                result = 500, {"error": f"sandbox server error: {exc!r}"}
            if isinstance(result, Delayed):
                self.busy = True
                asyncio.get_running_loop().call_later(
                    result.seconds, self._delayed, result, keep_alive
                )
                return
            self._send(*result, keep_alive)

    def _delayed(self, pending: Delayed, keep_alive: bool) -> None:
        self.busy = False
        if self.done:
            return  # the client gave up; the call never runs
        try:
            result = pending.then()
        except Exception as exc:
            result = 500, {"error": f"sandbox server error: {exc!r}"}
        self._send(*result, keep_alive)
        self._process()

    def _send(self, code: int, payload: dict[str, Any], keep_alive: bool) -> None:
        assert self.transport is not None
        self.transport.write(_response(code, payload, keep_alive))
        if not keep_alive:
            self.done = True
            self.transport.close()


async def serve(
    service: ApiService,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    unix: str | None = None,
    ready: Callable[[str], None] = lambda url: None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve ``service`` until ``stop`` is set (or forever); ``ready(url)`` once listening."""

    loop = asyncio.get_running_loop()

    def factory() -> _HttpProtocol:
        return _HttpProtocol(service)

    if unix:
        if os.path.exists(unix):
            os.unlink(unix)
        server = await loop.create_unix_server(factory, path=unix)
        url = f"unix:{unix}"
    else:
        server = await loop.create_server(factory, host, port)
        bound = server.sockets[0].getsockname()
        url = f"http://{bound[0]}:{bound[1]}"
    stop = stop or asyncio.Event()
    async with server:
        ready(url)
        await stop.wait()


def _loopback(host: str) -> str:
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        if host == "localhost":
            return host
    raise argparse.ArgumentTypeError(
        f"{host!r} is not a loopback address: the server has no authentication, so it only "
        "listens on 127.0.0.0/8, ::1 or a unix socket"
    )


def _watch_stdin(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Stop when stdin reaches end of file: the parent process has exited (even by kill -9)."""
    fd = sys.stdin.fileno()

    def on_readable() -> None:
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(fd)
            stop.set()

    loop.add_reader(fd, on_readable)


def _check(path: str) -> int:
    """Container health check: ``GET /health`` over the unix socket, stdlib only."""
    import socket

    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(3)
            sock.connect(path)
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n")
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    healthy = reply.startswith(b"HTTP/1.1 200") and b'"status":"ok"' in reply
    return 0 if healthy else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m steptool_env.sandbox.server", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--suite", default="toolbench", help="suite whose world to serve")
    parser.add_argument("--host", type=_loopback, default="127.0.0.1", help="loopback address")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0: any free port)")
    parser.add_argument("--unix", help="serve on this unix socket instead of TCP")
    parser.add_argument(
        "--watch-stdin", action="store_true", help="exit when stdin closes (parent died)"
    )
    parser.add_argument(
        "--check", metavar="SOCKET", help="health-check the server on SOCKET, exit 0 if healthy"
    )
    args = parser.parse_args(argv)
    if args.check:
        return _check(args.check)
    try:
        service = ApiService(args.suite)
    except StepToolError as exc:
        print(f"steptool sandbox server: {exc}", file=sys.stderr)
        return 2

    async def run() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        if args.watch_stdin:
            _watch_stdin(loop, stop)

        def ready(url: str) -> None:
            if args.unix:
                os.chmod(args.unix, 0o660)
            print(READY_PREFIX + url, flush=True)

        await serve(service, host=args.host, port=args.port, unix=args.unix, ready=ready, stop=stop)

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
