"""The client side of the API-mock server: :class:`RemoteBackend` and the server handles.

A :class:`ServerHandle` is one running server (a local process or a container) with one
keep-alive httpx connection pool that every env leased to it shares. A
:class:`RemoteBackend` is one env's session on it. Each backend keeps a journal of the
calls its episode ran; if the server dies mid-episode, the handle restarts it and the
backend replays the journal into a new session, so the episode goes on with exactly the
state it had (the APIs are deterministic). If that fails too, the call raises
:class:`~steptool_env.errors.SandboxError`, which the rollout loop records as an
infrastructure error -- never as a plain 0.

Every server this process starts is stopped at interpreter exit (:func:`stop_all_servers`),
however it was started, and none starts or restarts once the exit has begun: a normal exit
leaves no container, socket folder or server process behind.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from steptool_env.errors import SandboxError, ToolError, require
from steptool_env.sandbox.backend import (
    DEFAULT_CALL_TIMEOUT_S,
    ToolResult,
    timeout_result,
    validate_timeout,
)
from steptool_env.sandbox.server import PROTOCOL, code_digest
from steptool_env.tools.status import Status

if TYPE_CHECKING:
    import httpx

_LIVE: set[ServerHandle] = set()
"""The servers of this process that are started (held here until stopped)."""
_LIVE_LOCK = threading.Lock()
_exiting = False

_GRACE_S = 1.0
"""How much longer than ``call_timeout_s`` the client waits for the server's own answer."""
_JSON = {"content-type": "application/json"}
_STATUSES = {int(s): s for s in Status}


@lru_cache(maxsize=64)
def _timeout_extension(seconds: float) -> dict[str, Any]:
    return {"timeout": dict.fromkeys(("connect", "read", "write", "pool"), seconds)}


class ServerHandle(ABC):
    """One running API-mock server, shared by the backends leased to it."""

    kind = "server"

    def __init__(self, suite: str, startup_timeout_s: float) -> None:
        self.suite = suite
        self.startup_timeout_s = startup_timeout_s
        self.generation = 0
        """Bumped at every (re)start: sessions of an older generation are gone."""
        self._lock = threading.RLock()
        self._transport: httpx.HTTPTransport | None = None
        self._base = ""
        self._urls: dict[str, httpx.URL] = {}
        self._closed = False
        self.max_body_bytes: int | None = None
        """The largest request body the server takes (from its health answer; None: unknown)."""

    # ------------------------------------------------------------------ to implement
    @abstractmethod
    def _launch(self) -> tuple[str, httpx.HTTPTransport]:
        """Start the server; return its base URL and a transport that reaches it."""

    @abstractmethod
    def _terminate(self) -> None:
        """Stop the server and free what it held (idempotent)."""

    @abstractmethod
    def alive(self) -> bool:
        """Whether the server process or container is still running."""

    def describe(self) -> str:
        return f"{self.kind} server at {self._base or '(not started)'}"

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        with self._lock:
            if self._closed:
                raise SandboxError(f"the {self.describe()} was shut down; it does not restart")
            with _LIVE_LOCK:
                if _exiting:
                    raise SandboxError("the interpreter is exiting: no sandbox server starts now")
                _LIVE.add(self)  # before launching: whatever the launch leaves is stopped at exit
            try:
                self._base, self._transport = self._launch()
                self._urls = {}
                self._wait_healthy()
            except BaseException:
                self.stop()
                raise
            self.generation += 1

    def stop(self) -> None:
        with self._lock:
            if self._transport is not None:
                self._transport.close()
                self._transport = None
            try:
                self._terminate()
            finally:
                with _LIVE_LOCK:
                    _LIVE.discard(self)

    def close(self) -> None:
        """Stop for good: a backend that finds the server gone no longer restarts it."""
        self._closed = True
        self.stop()

    def restart(self, seen_generation: int) -> None:
        """Restart unless another backend already did since ``seen_generation``."""
        with self._lock:
            if self.generation != seen_generation and self._transport is not None and self.alive():
                return
            self.stop()
            self.start()

    def _wait_healthy(self) -> None:
        httpx = require("httpx", "docker")
        deadline = time.monotonic() + self.startup_timeout_s
        last: Exception | None = None
        while time.monotonic() < deadline:
            if not self.alive():
                raise SandboxError(f"the {self.describe()} exited while starting{self._logs()}")
            try:
                health = self.request("GET", "/health", timeout=1.0)
            except httpx.TransportError as exc:  # not listening yet
                last = exc
                time.sleep(0.005)
                continue
            self._check_health(health)
            return
        raise SandboxError(
            f"the {self.describe()} did not become healthy within "
            f"{self.startup_timeout_s:g} s (last error: {last!r}){self._logs()}"
        )

    def _check_health(self, health: Mapping[str, Any]) -> None:
        from steptool_env.version import __version__

        want = {
            "status": "ok",
            "protocol": PROTOCOL,
            "version": __version__,
            "suite": self.suite,
            "code": code_digest(self.suite),
        }
        wrong = {k: health.get(k) for k, v in want.items() if health.get(k) != v}
        if wrong:
            raise SandboxError(
                f"the {self.describe()} serves another world than this process "
                f"(differs in {sorted(wrong)}: {wrong}); rebuild the sandbox image with "
                "`steptool sandbox build`"
            )
        limit = health.get("max_body_bytes")
        self.max_body_bytes = limit if type(limit) is int else None

    def _logs(self) -> str:
        return ""

    # ------------------------------------------------------------------ requests
    def request(
        self, method: str, path: str, body: Any = None, timeout: float | None = None
    ) -> dict[str, Any]:
        """One JSON request on the shared keep-alive pool; protocol errors raise."""
        httpx = require("httpx", "docker")
        transport = self._transport
        if transport is None:
            raise SandboxError(f"the {self.describe()} is stopped")
        content = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        if self.max_body_bytes is not None and len(content) > self.max_body_bytes:
            raise _TooLarge(len(content), f"at most {self.max_body_bytes:,} are accepted")
        t = self.startup_timeout_s if timeout is None else timeout
        url = self._urls.get(path)
        if url is None:  # parsing a URL costs more than the API call: keep them
            if len(self._urls) > 4096:
                self._urls.clear()
            url = self._urls[path] = httpx.URL(self._base + path)
        request = httpx.Request(
            method,
            url,
            content=content,
            headers=_JSON,
            extensions=_timeout_extension(t),
        )
        response = transport.handle_request(request)
        try:
            raw = response.read()
        finally:
            response.close()
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise SandboxError(
                f"malformed response from the {self.describe()} to {method} {path}: HTTP "
                f"{response.status_code}, not JSON: {raw[:200]!r}"
            ) from None
        if not isinstance(data, dict):
            raise SandboxError(
                f"malformed response from the {self.describe()} to {method} {path}: "
                f"expected a JSON object, got {raw[:200]!r}"
            )
        if response.status_code == 500:
            raise ToolError(str(data.get("error", data)))
        if response.status_code == 404:
            raise _SessionGone(str(data.get("error", "")))
        if response.status_code == 413:
            raise _TooLarge(len(content), str(data.get("error", "")))
        if response.status_code != 200:
            raise SandboxError(
                f"the {self.describe()} refused {method} {path}: HTTP "
                f"{response.status_code}: {data.get('error', data)}"
            )
        return data

    def stats(self) -> dict[str, Any]:
        """The server's counters (``GET /stats``)."""
        return self.request("GET", "/stats")


class _SessionGone(SandboxError):
    """The server does not know the session: it restarted, or the session was closed."""


class _TooLarge(SandboxError):
    """The request is larger than the server takes: for a call, the agent's bad input."""

    def __init__(self, size: int, limit: str) -> None:
        super().__init__(
            f"The call is too large for the API server: its request has {size:,} bytes "
            f"({limit}). Send shorter arguments."
        )


def stop_all_servers() -> None:
    """Stop every server this process started, and start none from now on.

    Runs at interpreter exit (registered below), so servers started outside a pool are
    stopped too, and a thread still stepping an env cannot bring one back.
    """
    global _exiting
    with _LIVE_LOCK:
        _exiting = True
        servers = list(_LIVE)
    for server in servers:
        with contextlib.suppress(Exception):
            server.stop()


atexit.register(stop_all_servers)


class RemoteBackend:
    """One env's session on a :class:`ServerHandle` (``backend="http"`` or ``"docker"``).

    Args:
        server: the running server.
        call_timeout_s: a call not answered within this many seconds answers status 5
            (TIMEOUT); the env stays usable.
        release: called once on :meth:`close` (gives the lease back to its pool).
    """

    def __init__(
        self,
        server: ServerHandle,
        call_timeout_s: float = DEFAULT_CALL_TIMEOUT_S,
        release: Callable[[], None] | None = None,
    ) -> None:
        self.server = server
        self.name = server.kind
        self.call_timeout_s = validate_timeout(call_timeout_s)
        self._release = release
        self._session: str | None = None
        self._generation = -1
        self._journal: list[dict[str, Any]] = []
        self._closed = False
        self.recoveries = 0
        """How many times this backend rebuilt its session on a restarted server."""

    # ------------------------------------------------------------------ Backend
    def reset(self) -> None:
        self._check_open()
        self._journal = []
        if self._session is not None and self._generation == self.server.generation:
            try:
                self._guarded(lambda: self.server.request("POST", self._path("reset")))
                return
            except SandboxError:
                pass  # recovered below with a new session
        self._recover(replay=False)

    def call(
        self, tool: str, api: str, arguments: Mapping[str, Any], *, delay_s: float = 0.0
    ) -> ToolResult:
        self._check_open()
        if self._session is None:
            self.reset()
        body: dict[str, Any] = {"tool": tool, "api": api, "arguments": dict(arguments)}
        if delay_s > 0:
            body["delay_s"] = float(delay_s)
            body["timeout_s"] = self.call_timeout_s
        start = time.perf_counter()
        try:
            data = self._call_once(body)
        except _TooLarge as exc:  # arguments too large: bad input, as validation says it
            return ToolResult(Status.BAD_INPUT, None, str(exc), time.perf_counter() - start)
        if data is None:
            return timeout_result(self.call_timeout_s)
        result = self._result(data, time.perf_counter() - start)
        if "delay_s" in body:
            del body["delay_s"], body["timeout_s"]
        if result.status is not Status.TIMEOUT:
            self._journal.append(body)
        return result

    def records(self) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        self._check_open()
        if self._session is None:
            return {}
        httpx = require("httpx", "docker")
        try:
            data = self._recovering(lambda: self.server.request("GET", self._path("records")))
        except httpx.TimeoutException as exc:
            raise SandboxError(f"the {self.server.describe()} did not send the records") from exc
        records = data.get("records")
        if not isinstance(records, dict):
            raise SandboxError(f"malformed records from the {self.server.describe()}: {data!r}")
        return records

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._session is not None and self._generation == self.server.generation:
            # The server may already be gone; closing must not fail.
            with contextlib.suppress(Exception):
                self.server.request("DELETE", f"/sessions/{self._session}", timeout=2.0)
        self._session = None
        if self._release is not None:
            self._release()

    # ------------------------------------------------------------------ internals
    def _check_open(self) -> None:
        if self._closed:
            raise SandboxError("backend is closed")

    def _path(self, action: str) -> str:
        return f"/sessions/{self._session}/{action}"

    def _call_once(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """The call's reply, or ``None`` when it hung past the timeout."""
        httpx = require("httpx", "docker")
        timeout = self.call_timeout_s + (_GRACE_S if "delay_s" in body else 0.0)
        try:
            return self._recovering(
                lambda: self.server.request("POST", self._path("call"), body, timeout=timeout)
            )
        except httpx.TimeoutException:
            return None  # the server is alive but did not answer: status 5, the env goes on

    def _recovering(self, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """``fn()``; if the server died or lost the session, recover once and retry."""
        httpx = require("httpx", "docker")
        try:
            return fn()
        except httpx.TimeoutException:
            if self.server.alive():
                raise
            self._recover(replay=True)
        except (httpx.TransportError, _SessionGone):
            self._recover(replay=True)
        return self._guarded(fn)

    def _guarded(self, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        httpx = require("httpx", "docker")
        try:
            return fn()
        except (httpx.TransportError, _SessionGone) as exc:
            raise SandboxError(f"lost the {self.server.describe()}: {exc!r}") from exc

    def _recover(self, replay: bool) -> None:
        """A new session (restarting a dead server first), replaying this episode's calls."""
        httpx = require("httpx", "docker")
        try:
            if self._session is not None and not self.server.alive():
                self.server.restart(self._generation)
                self.recoveries += 1
            self._generation = self.server.generation
            self._session = str(self.server.request("POST", "/sessions")["session"])
            if replay:
                for body in self._journal:
                    self.server.request("POST", self._path("call"), body)
        except (httpx.TransportError, _SessionGone) as exc:
            self._session = None
            raise SandboxError(
                f"the {self.server.describe()} failed and could not be recovered: {exc!r}"
            ) from exc

    def _result(self, data: Mapping[str, Any], duration: float) -> ToolResult:
        status = _STATUSES.get(data.get("status"))  # type: ignore[arg-type]
        error = data.get("error", "")
        source = data.get("source", "")
        if (
            status is None
            or not isinstance(error, str)
            or not isinstance(source, str)
            or "response" not in data
        ):
            raise SandboxError(
                f"malformed call result from the {self.server.describe()}: {data!r:.300}"
            )
        return ToolResult(status, data["response"], error, duration, source)


class ExternalServer(ServerHandle):
    """A server this process did not start (``steptool sandbox serve``): attach, never restart.

    ``url`` is ``http://127.0.0.1:PORT`` or ``unix:/path/to/socket``.
    """

    kind = "http"

    def __init__(self, url: str, suite: str = "toolbench", startup_timeout_s: float = 10.0) -> None:
        super().__init__(suite, startup_timeout_s)
        self.url = url

    def _launch(self) -> tuple[str, httpx.HTTPTransport]:
        httpx = require("httpx", "docker")
        if self.url.startswith("unix:"):
            return "http://sandbox", httpx.HTTPTransport(uds=self.url[5:], retries=0)
        return self.url.rstrip("/"), httpx.HTTPTransport(retries=0)

    def _terminate(self) -> None:
        pass

    def alive(self) -> bool:
        return self._transport is not None

    def describe(self) -> str:
        return f"sandbox server at {self.url}"
