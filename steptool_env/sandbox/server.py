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
``POST /batch``              ``{"ops": [{"session", "op": "call" | "records"[, "reset":
                             true][, "call": {...}]}, ...]}`` -> ``{"results": [{"code",
                             "body"}, ...]}``: several sessions' calls and records in one
                             request, each op answered as its own request would be (its
                             HTTP code and body); ``"reset": true`` resets the session
                             first. Delayed calls are sent on their own
===========================  =============================================================

HTTP 404 is an unknown session or path, 400 a malformed request (the reason in
``"error"``), 413 a body over ``max_body_bytes``, 503 a limit reached (sessions,
connections, buffered bytes), 500 a bug in an API implementation (the client raises
:class:`~steptool_env.errors.ToolError`, as the embedded backend does).

The server has no authentication, so it only listens on loopback or a unix socket, and it
holds out against hostile local clients (:class:`ServerLimits`, each a flag of the command
below): session ids are unguessable and idle sessions expire; connections are capped (an
idle keep-alive connection gives way to a new one), idle ones are closed and a request
must arrive in time; what one connection, and all of them together, may buffer is bounded,
and a connection whose call is delayed reads nothing more until it is answered.

Run it with ``python -m steptool_env.sandbox.server --port 0`` (prints
``STEPTOOL-SANDBOX READY <url>`` once it serves) or ``--unix PATH``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import ipaddress
import json
import math
import os
import secrets
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any

from steptool_env.errors import ConfigError, StepToolError, ToolError
from steptool_env.resources import suite_dir
from steptool_env.sandbox.backend import ToolResult, execute, timeout_result
from steptool_env.stabletoolbench.suite import PREFIX as STB_PREFIX
from steptool_env.stabletoolbench.suite import StbSuite
from steptool_env.world.domain import api_table, build_world
from steptool_env.world.state import WorldState
from steptool_env.world.suite import SuiteConfig

PROTOCOL = 2
"""Version of the request/response format above; client and server must agree (2 added
``POST /batch``)."""
READY_PREFIX = "STEPTOOL-SANDBOX READY "
MAX_HEAD_BYTES = 64 * 1024
MAX_JSON_DEPTH = 256
"""Deepest nesting of arrays/objects in a request body (argument validation allows 32)."""
MAX_BATCH_OPS = 4096
"""Ops in one ``POST /batch`` at most (the client splits larger batches)."""
_PIPELINE_BYTES = 64 * 1024
"""What a connection reads ahead while its call is delayed (then it reads no more)."""
_BACKLOG = 128
_FD_RESERVE = _BACKLOG + 32
"""File descriptors kept free beyond the connection cap: a burst of accepts, logs, imports."""

_PACKAGE_DIR = Path(__file__).resolve().parents[1]
_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    413: "Payload Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True)
class ServerLimits:
    """What one server grants its clients; every field is a flag of the server command
    (``--max-sessions`` ...), and its help text is the field's ``help``."""

    max_sessions: int = field(
        default=4096,
        metadata=_help("open sessions at most; one more is refused (HTTP 503) naming this limit"),
    )
    session_idle_s: float = field(
        default=600.0,
        metadata=_help(
            "a session unused this long is closed (the client replays its episode into a new "
            "one, so a slow env loses nothing)"
        ),
    )
    max_connections: int = field(
        default=256,
        metadata=_help(
            "open connections at most (fewer if the process may open fewer files); at the cap "
            "the longest-idle keep-alive connection gives way, else the newcomer gets HTTP 503"
        ),
    )
    idle_timeout_s: float = field(
        default=60.0,
        metadata=_help("a keep-alive connection with no request for this long is closed"),
    )
    request_timeout_s: float = field(
        default=10.0,
        metadata=_help("a request's head and body must arrive within this long (else HTTP 408)"),
    )
    max_body_bytes: int = field(
        default=32 * 1024 * 1024,
        metadata=_help(
            "largest request body (HTTP 413 beyond; the client answers such a call as bad "
            "input). Far above what argument validation lets through, even JSON-escaped"
        ),
    )
    max_buffered_bytes: int = field(
        default=256 * 1024 * 1024,
        metadata=_help("bytes of unanswered requests held over all connections (HTTP 503 beyond)"),
    )
    max_delay_s: float = field(
        default=3600.0,
        metadata=_help("largest delay_s a call may ask for (fault injection's slow_s is below it)"),
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f.name, value, "must be a number")
            if f.type == "int" and not isinstance(value, int):
                raise ConfigError(f.name, value, "must be an integer")
            if not (math.isfinite(value) and value > 0):
                raise ConfigError(f.name, value, "must be > 0")
        if self.max_buffered_bytes < self.max_body_bytes + MAX_HEAD_BYTES:
            raise ConfigError(
                "max_buffered_bytes",
                self.max_buffered_bytes,
                "must hold at least one whole request (max_body_bytes + 64 KiB)",
            )

    def argv(self) -> list[str]:
        """The server command's flags for the fields that differ from the defaults."""
        default = ServerLimits()
        return [
            arg
            for name, value in asdict(self).items()
            if value != getattr(default, name)
            for arg in (f"--{name.replace('_', '-')}", str(value))
        ]


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

    def __init__(self, suite: str = "toolbench", limits: ServerLimits | None = None) -> None:
        from steptool_env.version import __version__

        self.suite = suite
        self.limits = limits or ServerLimits()
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
            "max_body_bytes": self.limits.max_body_bytes,
        }
        self.clock: Callable[[], float] = time.monotonic
        """What session expiry measures time with (tests pass a fake clock)."""
        self.sessions: dict[str, WorldState] = {}
        self._used: dict[str, float] = {}
        """When each session was last used; least recently used first (dicts keep order)."""
        self._created = 0
        self._expired = 0
        self._started = time.monotonic()
        self._requests = 0
        self._batches = 0
        self._calls_by_status: Counter[int] = Counter()
        self._http_errors: Counter[int] = Counter()
        self.transport_stats: Callable[[], dict[str, int]] = dict
        """Counters of the transport serving this service (connections), for ``/stats``."""

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
        if parts == ["batch"]:
            _allow(method, "POST")
            return 200, {"results": self._batch(_json_body(body))}
        if len(parts) in (2, 3) and parts[0] == "sessions":
            sid = parts[1]
            state = self._session(sid)
            action = parts[2] if len(parts) == 3 else ""
            if action == "":
                _allow(method, "DELETE")
                del self.sessions[sid], self._used[sid]
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
                return self._call(sid, *_call_fields(_json_body(body)))
        raise _HttpError(404, f"no endpoint {method} /{'/'.join(parts)}")

    def _session(self, sid: str) -> WorldState:
        """The state of session ``sid``, now its most recently used; 404 if there is none."""
        state = self.sessions.get(sid)
        if state is None:
            raise _HttpError(
                404, f"no session {sid[:64]!r} (closed, expired, or the server restarted)"
            )
        del self._used[sid]  # now the most recently used
        self._used[sid] = self.clock()
        return state

    def _batch(self, req: dict[str, Any]) -> list[dict[str, Any]]:
        ops = req.get("ops")
        if not isinstance(ops, list) or not ops:
            raise _HttpError(400, 'a batch needs a non-empty "ops" array')
        if len(ops) > MAX_BATCH_OPS:
            raise _HttpError(400, f"a batch has at most {MAX_BATCH_OPS} ops, not {len(ops)}")
        self._batches += 1
        results = []
        for op in ops:  # one op's error is its own: the others are answered all the same
            try:
                code, payload = self._op(op)
            except _HttpError as exc:
                self._http_errors[exc.code] += 1
                code, payload = exc.code, {"error": exc.message}
            results.append({"code": code, "body": payload})
        return results

    def _op(self, op: Any) -> tuple[int, dict[str, Any]]:
        """One op of a batch, answered as its own request would be."""
        if not isinstance(op, dict):
            raise _HttpError(400, "each op of a batch must be an object")
        sid, kind, reset = op.get("session"), op.get("op"), op.get("reset", False)
        if not isinstance(sid, str) or kind not in ("call", "records") or type(reset) is not bool:
            raise _HttpError(
                400,
                'an op needs a "session" string, "op": "call" or "records", and "reset" '
                "true or false if any",
            )
        call_fields = None
        if kind == "call":
            call = op.get("call")
            if not isinstance(call, dict):
                raise _HttpError(400, 'a call op needs a "call" object')
            call_fields = _call_fields(call)
            if call_fields[3] or call_fields[4]:
                raise _HttpError(400, "a delayed call is sent on its own, not in a batch")
        state = self._session(sid)
        if reset:
            state = self.sessions[sid] = self._new_state()
        if call_fields is None:
            return 200, {"records": state.records}
        result = self._call(sid, *call_fields)
        assert not isinstance(result, Delayed)  # no delay: answered now
        return result

    def _create(self) -> str:
        limit = self.limits.max_sessions
        if len(self.sessions) >= limit:
            self.expire_sessions()
        if len(self.sessions) >= limit:
            raise _HttpError(
                503,
                f"too many open sessions: {len(self.sessions)}, this server's limit "
                f"(--max-sessions {limit}). Close the envs you no longer use; a session "
                f"unused for {self.limits.session_idle_s:g} s closes by itself.",
            )
        self._created += 1
        # Unguessable: another local process cannot reach (or close) an env's session.
        sid = secrets.token_urlsafe(18)
        self.sessions[sid] = self._new_state()
        self._used[sid] = self.clock()
        return sid

    def expire_sessions(self, now: float | None = None) -> int:
        """Close the sessions unused for ``session_idle_s``; returns how many."""
        cutoff = (self.clock() if now is None else now) - self.limits.session_idle_s
        stale = []
        for sid, used in self._used.items():  # oldest first: stop at the first fresh one
            if used > cutoff:
                break
            stale.append(sid)
        for sid in stale:
            del self._used[sid], self.sessions[sid]
        self._expired += len(stale)
        return len(stale)

    def _call(
        self,
        sid: str,
        tool: str,
        api: str,
        arguments: dict[str, Any],
        delay: float,
        timeout: float,
    ) -> tuple[int, dict[str, Any]] | Delayed:
        if delay > self.limits.max_delay_s:
            raise _HttpError(
                400,
                f'"delay_s" is {delay:g} s, over this server\'s limit of '
                f"{self.limits.max_delay_s:g} s (--max-delay-s)",
            )

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
            "batches": self._batches,
            "calls": sum(self._calls_by_status.values()),
            "calls_by_status": {str(k): v for k, v in sorted(self._calls_by_status.items())},
            "http_errors": {str(k): v for k, v in sorted(self._http_errors.items())},
            "sessions_open": len(self.sessions),
            "sessions_created": self._created,
            "sessions_expired": self._expired,
            **self.transport_stats(),
        }


class _HttpError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _call_fields(req: dict[str, Any]) -> tuple[str, str, dict[str, Any], float, float]:
    """``tool``, ``api``, ``arguments``, ``delay_s`` and ``timeout_s`` of a call body (400 if
    malformed)."""
    tool, api, arguments = req.get("tool"), req.get("api"), req.get("arguments")
    if not isinstance(tool, str) or not isinstance(api, str) or not isinstance(arguments, dict):
        raise _HttpError(400, 'a call needs "tool" and "api" strings and an "arguments" object')
    delay, timeout = req.get("delay_s", 0.0), req.get("timeout_s", 0.0)
    for name, value in (("delay_s", delay), ("timeout_s", timeout)):
        if type(value) not in (int, float):  # not bool: true is no number of seconds
            raise _HttpError(400, f'"{name}" must be a number of seconds, not {value!r:.40}')
        if not 0 <= value < 1e6:
            raise _HttpError(400, f'"{name}" must be seconds >= 0, not {value!r:.40}')
    return tool, api, arguments, delay, timeout


def _allow(method: str, expected: str) -> None:
    if method != expected:
        raise _HttpError(405, f"use {expected} here, not {method}")


def _json_body(body: bytes) -> dict[str, Any]:
    too_deep = f"the body nests arrays/objects more than {MAX_JSON_DEPTH} levels deep"
    try:
        data = json.loads(body)
    except RecursionError:
        raise _HttpError(400, too_deep) from None
    except ValueError as exc:  # not JSON, not UTF-8, or an integer of over 4,300 digits
        raise _HttpError(400, f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise _HttpError(400, "the body must be a JSON object")
    # Nested that deep, the code that reads a value could exhaust the recursion limit.
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and _deeper_than(data, MAX_JSON_DEPTH):
        raise _HttpError(400, too_deep)
    return data


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays/objects in ``value`` nest more than ``limit`` levels (iteratively)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


# ---------------------------------------------------------------------------- transport
_ENCODER = json.JSONEncoder(separators=(",", ":"), default=str)
"""``json.dumps(payload, separators=(",", ":"), default=str)``, its encoder built once."""


def _response(code: int, payload: dict[str, Any], keep_alive: bool) -> bytes:
    # default=str, as the env's own renderer: a value JSON lacks reaches the agent as the
    # same text from every backend.
    body = _ENCODER.encode(payload).encode("utf-8")
    head = (
        f"HTTP/1.1 {code} {_REASONS.get(code, 'Error')}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"{'' if keep_alive else 'Connection: close' + chr(13) + chr(10)}\r\n"
    )
    return head.encode("latin-1") + body


def _connection_limit(wanted: int) -> int:
    """``wanted``, lowered so that the open connections never exhaust the file limit."""
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        return wanted
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft - _FD_RESERVE))


class _Connections:
    """The open connections of one server: their cap, their timeouts, their buffers."""

    def __init__(self, limits: ServerLimits) -> None:
        self.limits = limits
        self.cap = _connection_limit(limits.max_connections)
        self.open: dict[_HttpProtocol, None] = {}
        self.buffered = 0
        """Bytes of unanswered requests over every connection."""
        self.counts: Counter[str] = Counter()

    def admit(self, conn: _HttpProtocol) -> bool:
        """Register ``conn``; at the cap the longest-idle connection gives way, if any."""
        if len(self.open) >= self.cap:
            idle = [c for c in self.open if c.idle]
            if not idle:
                self.counts["connections_refused"] += 1
                return False
            oldest = min(idle, key=lambda c: c.since)
            self.counts["connections_evicted"] += 1
            oldest.drop()
        self.open[conn] = None
        return True

    def sweep(self, now: float) -> None:
        """Close idle connections past ``idle_timeout_s`` and requests past their time."""
        for conn in list(self.open):
            if conn.pending is not None:
                continue  # a delayed call: bounded by max_delay_s
            if conn.idle:
                if now - conn.since > self.limits.idle_timeout_s:
                    self.counts["idle_closed"] += 1
                    conn.drop()
            elif now - conn.since > self.limits.request_timeout_s:
                self.counts["requests_timed_out"] += 1
                conn.time_out()

    def stats(self) -> dict[str, int]:
        return {
            "connections_open": len(self.open),
            "connection_limit": self.cap,
            "buffered_bytes": self.buffered,
            **dict(sorted(self.counts.items())),
        }


class _HttpProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive and Content-Length bodies, over any stream transport.

    Requests on one connection are answered in order; a delayed answer holds back the
    next request of its connection only. Meanwhile the connection reads ahead at most
    64 KiB (so a client that leaves is noticed at once, and its call dropped), and nothing
    while the client does not read its answers: what it buffers stays within one request
    plus one read. An answer that closes the connection half-closes it and discards what
    the client still sends, so the client reads the answer whole.
    """

    def __init__(self, service: ApiService, connections: _Connections) -> None:
        self.service = service
        self.connections = connections
        self.limits = service.limits
        self.buf = bytearray()
        self.counted = 0
        """``len(self.buf)`` as last added to ``connections.buffered``."""
        self.transport: asyncio.Transport | None = None
        self.pending: asyncio.TimerHandle | None = None
        """The timer of a delayed answer, while one is due."""
        self.write_paused = False
        self.closing = False
        """The last answer is sent: what still arrives is discarded."""
        self.done = False
        self.since = time.monotonic()
        """When the current state began: idle since, or receiving a request since."""

    @property
    def idle(self) -> bool:
        return not (self.buf or self.pending or self.write_paused or self.closing or self.done)

    # ------------------------------------------------------------------ asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if not self.connections.admit(self):
            self.done = True
            limit = self.connections.cap
            message = f"the server has {limit} connections open, its limit (--max-connections)"
            transport.write(_response(503, {"error": message}, False))
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.done = True
        if self.pending is not None:  # the client gave up: the call never runs
            self.pending.cancel()
            self.pending = None
        self.buf = bytearray()
        self._account()
        self.connections.open.pop(self, None)

    def data_received(self, data: bytes) -> None:
        if self.closing or self.done:
            return
        if not self.buf:
            self.since = time.monotonic()  # a new request begins
        if self.connections.buffered + len(data) > self.limits.max_buffered_bytes:
            self.connections.counts["refused_buffer_full"] += 1
            limit = self.limits.max_buffered_bytes
            return self._error(
                503, f"the server holds {limit} bytes of unanswered requests, its limit"
            )
        self.buf += data
        self._process()
        self._flow()
        self._account()

    def pause_writing(self) -> None:  # the client does not read its answers
        self.write_paused = True
        self.since = time.monotonic()
        self._flow()

    def resume_writing(self) -> None:
        self.write_paused = False
        self.since = time.monotonic()
        self._flow()
        self._process()
        self._account()

    # ------------------------------------------------------------------ requests
    def _process(self) -> None:
        while not (self.pending or self.write_paused or self.closing or self.done):
            end = self.buf.find(b"\r\n\r\n", 0, MAX_HEAD_BYTES + 4)
            if end < 0:
                if len(self.buf) > MAX_HEAD_BYTES:
                    self._error(431, f"the request head is over {MAX_HEAD_BYTES} bytes")
                return
            try:
                method, target, keep_alive, length = self._head(end)
            except _HttpError as exc:
                return self._error(exc.code, exc.message)
            total = end + 4 + length
            if len(self.buf) < total:
                return
            body = bytes(self.buf[end + 4 : total])
            del self.buf[:total]
            try:
                result = self.service.handle(method, target, body)
            except Exception as exc:  # a server bug: answer it rather than drop the connection
                result = 500, {"error": f"sandbox server error: {exc!r}"}
            if isinstance(result, Delayed):
                self.pending = asyncio.get_running_loop().call_later(
                    result.seconds, self._delayed, result, keep_alive
                )
                self._flow()
                return
            self._send(*result, keep_alive)

    def _head(self, end: int) -> tuple[str, str, bool, int]:
        """Method, target, keep-alive and body length of the request head ending at ``end``."""
        lines = self.buf[:end].decode("latin-1").split("\r\n")
        request = lines[0].split(" ")
        if len(request) != 3 or not request[2].startswith("HTTP/1."):
            raise _HttpError(400, "malformed request line")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise _HttpError(400, f"malformed header line {line[:40]!r}")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length" and headers.get(name, value) != value:
                raise _HttpError(400, "conflicting Content-Length headers")
            headers[name] = value
        if "transfer-encoding" in headers:
            raise _HttpError(501, "send a Content-Length body (no Transfer-Encoding)")
        raw = headers.get("content-length", "0")
        if not (raw.isascii() and raw.isdigit()):  # int() would take "0_2", " +2", "²"
            raise _HttpError(400, f"malformed Content-Length {raw[:40]!r}: want decimal digits")
        length = int(raw) if len(raw) <= 18 else math.inf
        if length > self.limits.max_body_bytes:
            raise _HttpError(
                413,
                f"the body has {raw[:40]} bytes, over this server's limit of "
                f"{self.limits.max_body_bytes} (--max-body-bytes)",
            )
        keep_alive = request[2] == "HTTP/1.1" and headers.get("connection", "") != "close"
        return request[0], request[1], keep_alive, int(length)

    def _delayed(self, pending: Delayed, keep_alive: bool) -> None:
        self.pending = None
        if self.done:
            return
        try:
            result = pending.then()
        except Exception as exc:
            result = 500, {"error": f"sandbox server error: {exc!r}"}
        self._send(*result, keep_alive)
        self._flow()
        self._process()
        self._account()

    # ------------------------------------------------------------------ answers, closing
    def _send(self, code: int, payload: dict[str, Any], keep_alive: bool) -> None:
        assert self.transport is not None
        self.transport.write(_response(code, payload, keep_alive))
        self.since = time.monotonic()
        if not keep_alive:
            # Half-close and drain: closing outright with unread bytes would reset the
            # connection and could destroy the answer before the client reads it.
            self.closing = True
            self.buf.clear()
            self._flow()
            if self.transport.can_write_eof():
                self.transport.write_eof()
            else:
                self.transport.close()

    def _error(self, code: int, message: str) -> None:
        self.service._http_errors[code] += 1
        self._send(code, {"error": message}, False)
        self._account()

    def _flow(self) -> None:
        """Read while the connection can act on what arrives (or discards it)."""
        assert self.transport is not None
        if self.closing or not (
            self.write_paused or (self.pending is not None and len(self.buf) > _PIPELINE_BYTES)
        ):
            self.transport.resume_reading()
        else:
            self.transport.pause_reading()

    def _account(self) -> None:
        size = len(self.buf)
        self.connections.buffered += size - self.counted
        self.counted = size

    def drop(self) -> None:
        """Close now (an idle connection; the client opens another when it needs one)."""
        self.connections.open.pop(self, None)
        if self.transport is not None:
            self.transport.abort() if self.closing or self.write_paused else self.transport.close()

    def time_out(self) -> None:
        """The request did not arrive in time: answer 408, or close if that cannot be sent."""
        if self.closing or self.write_paused:
            return self.drop()
        seconds = self.limits.request_timeout_s
        self._error(408, f"the request did not arrive within {seconds:g} s")


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
    limits = service.limits
    connections = _Connections(limits)
    service.transport_stats = connections.stats

    def factory() -> _HttpProtocol:
        return _HttpProtocol(service, connections)

    if unix:
        if os.path.exists(unix):
            os.unlink(unix)
        server = await loop.create_unix_server(factory, path=unix, backlog=_BACKLOG)
        url = f"unix:{unix}"
    else:
        server = await loop.create_server(factory, host, port, backlog=_BACKLOG)
        bound = server.sockets[0].getsockname()
        url = f"http://{bound[0]}:{bound[1]}"

    async def sweep() -> None:
        shortest = min(limits.idle_timeout_s, limits.request_timeout_s, limits.session_idle_s)
        tick = min(1.0, max(0.01, shortest / 4))
        while True:
            await asyncio.sleep(tick)
            connections.sweep(time.monotonic())
            service.expire_sessions()

    stop = stop or asyncio.Event()
    sweeper = asyncio.create_task(sweep())
    try:
        async with server:
            ready(url)
            await stop.wait()
    finally:
        sweeper.cancel()


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
    for f in fields(ServerLimits):
        parser.add_argument(
            f"--{f.name.replace('_', '-')}",
            type=int if f.type == "int" else float,
            default=f.default,
            help=f"{f.metadata['help']} (default {f.default})",
        )
    args = parser.parse_args(argv)
    if args.check:
        return _check(args.check)
    try:
        limits = ServerLimits(**{f.name: getattr(args, f.name) for f in fields(ServerLimits)})
        service = ApiService(args.suite, limits)
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
