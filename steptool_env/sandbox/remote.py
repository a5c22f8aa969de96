"""The client side of the API-mock server: :class:`RemoteBackend` and the server handles.

A :class:`ServerHandle` is one running server (a local process or a container) with one
keep-alive connection pool (:class:`~steptool_env.sandbox.http_client.HttpClient`) that
every env leased to it shares. A :class:`RemoteBackend` is one env's session on it. Each
backend keeps a journal of the calls its episode ran; if the server dies mid-episode, the
handle restarts it and the backend replays the journal into a new session, so the episode
goes on with exactly the state it had (the APIs are deterministic). If that fails too, the
call raises :class:`~steptool_env.errors.SandboxError`, which the rollout loop records as an
infrastructure error -- never as a plain 0.

Envs stepped together (:func:`call_together`, or :func:`send_together` and
:meth:`Together.results` to work while the server does; used by the rollout loop's
``EnvBatch``) send their calls in one ``POST /batch`` per server instead of one request
each; inside :func:`deferred_resets` an episode's reset travels with its session's next call. Every
result is the one the backend's own ``call`` would give, recovery included.

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
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from steptool_env.errors import SandboxError, StepToolError, ToolError
from steptool_env.sandbox.backend import (
    DEFAULT_CALL_TIMEOUT_S,
    Backend,
    ToolResult,
    timeout_result,
    validate_timeout,
)
from steptool_env.sandbox.http_client import (
    Exchange,
    HttpClient,
    TransportError,
    TransportTimeout,
)
from steptool_env.sandbox.server import MAX_BATCH_OPS, PROTOCOL, code_digest
from steptool_env.tools.status import Status

_LIVE: set[ServerHandle] = set()
"""The servers of this process that are started (held here until stopped)."""
_LIVE_LOCK = threading.Lock()
_exiting = False

_GRACE_S = 1.0
"""How much longer than ``call_timeout_s`` the client waits for the server's own answer."""
_STATUSES = {int(s): s for s in Status}
_DEFERRING = threading.local()
"""``on`` while :func:`deferred_resets` runs in this thread."""


class ServerHandle(ABC):
    """One running API-mock server, shared by the backends leased to it."""

    kind = "server"

    def __init__(self, suite: str, startup_timeout_s: float) -> None:
        self.suite = suite
        self.startup_timeout_s = startup_timeout_s
        self.generation = 0
        """Bumped at every (re)start: sessions of an older generation are gone."""
        self._lock = threading.RLock()
        self._client: HttpClient | None = None
        self._base = ""
        self._closed = False
        self.max_body_bytes: int | None = None
        """The largest request body the server takes (from its health answer; None: unknown)."""

    # ------------------------------------------------------------------ to implement
    @abstractmethod
    def _launch(self) -> tuple[str, HttpClient]:
        """Start the server; return its base URL and a client that reaches it."""

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
                self._base, self._client = self._launch()
                self._wait_healthy()
            except BaseException:
                self.stop()
                raise
            self.generation += 1

    def stop(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
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
            if self.generation != seen_generation and self._client is not None and self.alive():
                return
            self.stop()
            self.start()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        last: Exception | None = None
        while time.monotonic() < deadline:
            if not self.alive():
                raise SandboxError(f"the {self.describe()} exited while starting{self._logs()}")
            try:
                health = self.request("GET", "/health", timeout=1.0)
            except TransportError as exc:  # not listening yet
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
        content = b"" if body is None else _encode(body)
        if self.max_body_bytes is not None and len(content) > self.max_body_bytes:
            raise _TooLarge(len(content), f"at most {self.max_body_bytes:,} are accepted")
        code, data = self._exchange(method, path, content, timeout)
        return self._answer(method, path, code, data, len(content))

    def send_batch(self, ops: Sequence[bytes], timeout: float) -> SentBatch:
        """Ops of several sessions (each encoded by :meth:`RemoteBackend._op`) in one
        ``POST /batch``, sent without waiting: :meth:`SentBatch.answers` reads, per op, its
        answer or the error its own request would have raised. A failure to send raises."""
        content = b'{"ops":[' + b",".join(ops) + b"]}"
        exchange = self._connected().send("POST", "/batch", content, timeout)
        return SentBatch(self, exchange, len(ops), len(content))

    def _connected(self) -> HttpClient:
        client = self._client
        if client is None:
            raise SandboxError(f"the {self.describe()} is stopped")
        return client

    def _exchange(
        self, method: str, path: str, content: bytes, timeout: float | None
    ) -> tuple[int, dict[str, Any]]:
        """Send one request; its HTTP status and JSON object (anything else raises)."""
        t = self.startup_timeout_s if timeout is None else timeout
        code, raw = self._connected().exchange(method, path, content, t)
        return code, self._decode(method, path, code, raw)

    def _decode(self, method: str, path: str, code: int, raw: bytes) -> dict[str, Any]:
        """The JSON object of an answer (anything else raises)."""
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise SandboxError(
                f"malformed response from the {self.describe()} to {method} {path}: HTTP "
                f"{code}, not JSON: {raw[:200]!r}"
            ) from None
        if not isinstance(data, dict):
            raise SandboxError(
                f"malformed response from the {self.describe()} to {method} {path}: "
                f"expected a JSON object, got {raw[:200]!r}"
            )
        return data

    def _answer(
        self, method: str, path: str, code: int, data: dict[str, Any], size: int
    ) -> dict[str, Any]:
        """``data`` if ``code`` is 200, else the error that HTTP code stands for."""
        if code == 200:
            return data
        if code == 500:
            raise ToolError(str(data.get("error", data)))
        if code == 404:
            raise _SessionGone(str(data.get("error", "")))
        if code == 413:
            raise _TooLarge(size, str(data.get("error", "")))
        raise SandboxError(
            f"the {self.describe()} refused {method} {path}: HTTP {code}: {data.get('error', data)}"
        )

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


class SentBatch:
    """A ``POST /batch`` sent to a server, its answer not read yet."""

    def __init__(self, server: ServerHandle, exchange: Exchange, n_ops: int, size: int) -> None:
        self.server = server
        self.exchange = exchange
        self.n_ops = n_ops
        self.size = size
        """Bytes of the request."""

    def answers(self) -> list[dict[str, Any] | StepToolError]:
        """Per op, its answer or the error its own request would have raised; a failure of
        the whole batch (transport, protocol) raises."""
        server, where = self.server, self.server.describe()
        code, raw = self.exchange.answer()
        try:
            data = server._decode("POST", "/batch", code, raw)
            results = server._answer("POST", "/batch", code, data, self.size).get("results")
        except _TooLarge as exc:  # never one op's bad input: the batch as a whole
            raise SandboxError(f"the {where} refused a batch: {exc}") from None
        if not isinstance(results, list) or len(results) != self.n_ops:
            raise SandboxError(f"malformed batch answer from the {where}: {data!r:.300}")
        out: list[dict[str, Any] | StepToolError] = []
        for result in results:
            op_code = result.get("code") if isinstance(result, dict) else None
            op_body = result.get("body") if isinstance(result, dict) else None
            if type(op_code) is not int or not isinstance(op_body, dict):
                raise SandboxError(f"malformed batch answer from the {where}: {result!r:.300}")
            try:
                out.append(server._answer("POST", "/batch", op_code, op_body, 0))
            except StepToolError as exc:
                out.append(exc)
        return out


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
        self._reset_due = False
        """A reset deferred by :func:`deferred_resets`, to be sent with the next request."""
        self._prefetched: Mapping[str, Sequence[Mapping[str, Any]]] | None = None
        """The records :func:`call_together` fetched; valid until the next call or reset."""
        self.recoveries = 0
        """How many times this backend rebuilt its session on a restarted server."""

    # ------------------------------------------------------------------ Backend
    def reset(self) -> None:
        self._check_open()
        self._journal = []
        self._prefetched = None
        if getattr(_DEFERRING, "on", False) and self._live():
            self._reset_due = True
            return
        self._reset_now()

    def call(
        self, tool: str, api: str, arguments: Mapping[str, Any], *, delay_s: float = 0.0
    ) -> ToolResult:
        self._check_open()
        self._prefetched = None
        if self._session is None:
            self.reset()
        elif self._reset_due:
            self._reset_now()
        body: dict[str, Any] = {"tool": tool, "api": api, "arguments": dict(arguments)}
        if delay_s > 0:
            body["delay_s"] = float(delay_s)
            body["timeout_s"] = self.call_timeout_s
        return self._answered(body, None, time.perf_counter())

    def records(self) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        self._check_open()
        if self._prefetched is not None:
            return self._prefetched
        if self._session is None:
            return {}
        if self._reset_due:
            self._reset_now()
        try:
            data = self._recovering(lambda: self.server.request("GET", self._path("records")))
        except TransportTimeout as exc:
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

    # ------------------------------------------------------------------ batches
    def _op(self, call: dict[str, Any] | None) -> _Op | None:
        """``call`` (or, if None, fetching the records) as an op of a ``POST /batch``, with
        a deferred reset if one is due; None when it must be sent on its own (the backend
        is closed, has no session on the running server, or the op would not fit a body)."""
        if self._closed or not self._live():
            return None
        head = b'{"session":%s,"op":"%s","reset":%s' % (
            _encode(self._session),
            b"records" if call is None else b"call",
            b"true" if self._reset_due else b"false",
        )
        data = head + b"}" if call is None else head + b',"call":' + _encode(call) + b"}"
        limit = self.server.max_body_bytes
        if limit is not None and len(data) + len(_BATCH_FRAME) > limit:
            return None  # on its own it fits, or is refused as too large as it would be
        if call is not None:
            self._prefetched = None
        return _Op(self, call, data, self._reset_due)

    def _settle(self, op: _Op, outcome: dict[str, Any] | Exception, start: float) -> Any:
        """What :meth:`call` returns (or, for a records op, None) given ``outcome``, the op's
        answer in a batch or the error of its request (recovered from as :meth:`call` does)."""
        if op.reset and isinstance(outcome, dict):
            self._reset_due = False  # the server reset the session before the op
        if op.call is not None:
            return self._answered(op.call, outcome, start)
        records = outcome.get("records") if isinstance(outcome, dict) else None
        if isinstance(records, dict):
            self._prefetched = records
        return None  # a failed prefetch costs nothing: records() asks again

    # ------------------------------------------------------------------ internals
    def _check_open(self) -> None:
        if self._closed:
            raise SandboxError("backend is closed")

    def _live(self) -> bool:
        """Whether the backend has a session on the server as it now runs."""
        return self._session is not None and self._generation == self.server.generation

    def _path(self, action: str) -> str:
        return f"/sessions/{self._session}/{action}"

    def _reset_now(self) -> None:
        if self._live():
            try:
                self._guarded(lambda: self.server.request("POST", self._path("reset")))
                self._reset_due = False
                return
            except SandboxError:
                pass  # recovered below with a new session
        self._recover(replay=False)

    def _answered(
        self, body: dict[str, Any], first: dict[str, Any] | Exception | None, start: float
    ) -> ToolResult:
        """The call's result: from ``first`` (its answer in a batch, or the error of that
        request) or, when None, from a request sent now."""
        try:
            data = self._call_once(body, first)
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

    def _call_once(
        self, body: dict[str, Any], first: dict[str, Any] | Exception | None = None
    ) -> dict[str, Any] | None:
        """The call's reply, or ``None`` when it hung past the timeout."""
        timeout = self.call_timeout_s + (_GRACE_S if "delay_s" in body else 0.0)
        try:
            return self._recovering(
                lambda: self.server.request("POST", self._path("call"), body, timeout=timeout),
                first,
            )
        except TransportTimeout:
            return None  # the server is alive but did not answer: status 5, the env goes on

    def _recovering(
        self,
        fn: Callable[[], dict[str, Any]],
        first: dict[str, Any] | Exception | None = None,
    ) -> dict[str, Any]:
        """``fn()`` (or ``first``, the outcome of a request already sent); if the server died
        or lost the session, recover once and retry with ``fn()``."""
        try:
            if first is None:
                return fn()
            if isinstance(first, Exception):
                raise first
            return first
        except TransportTimeout:
            if self.server.alive():
                raise
            self._recover(replay=True)
        except (TransportError, _SessionGone):
            self._recover(replay=True)
        return self._guarded(fn)

    def _guarded(self, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        try:
            return fn()
        except (TransportError, _SessionGone) as exc:
            raise SandboxError(f"lost the {self.server.describe()}: {exc!r}") from exc

    def _recover(self, replay: bool) -> None:
        """A new session (restarting a dead server first), replaying this episode's calls."""
        try:
            if self._session is not None and not self.server.alive():
                self.server.restart(self._generation)
                self.recoveries += 1
            self._generation = self.server.generation
            self._session = str(self.server.request("POST", "/sessions")["session"])
            self._reset_due = False  # a new session starts from a fresh state
            if replay:
                for body in self._journal:
                    self.server.request("POST", self._path("call"), body)
        except (TransportError, _SessionGone) as exc:
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


class _Op(NamedTuple):
    """One backend's op in a batch."""

    backend: RemoteBackend
    call: dict[str, Any] | None
    """The call's body (None: fetching the records)."""
    data: bytes
    """The op as the batch request carries it."""
    reset: bool
    """Whether the server resets the session first (a deferred reset)."""


_BATCH_FRAME = b'{"ops":[]}'


_ENCODER = json.JSONEncoder(separators=(",", ":"))
"""``json.dumps(value, separators=(",", ":"))`` without building an encoder per call."""


def _encode(value: Any) -> bytes:
    return _ENCODER.encode(value).encode()


@contextlib.contextmanager
def deferred_resets() -> Iterator[None]:
    """While the block runs, ``reset()`` of a remote backend (in this thread) sends nothing:
    the session is reset by the server together with the backend's next call or records
    fetch -- in a batch, in the same request. What the episode sees does not change."""
    before = getattr(_DEFERRING, "on", False)
    _DEFERRING.on = True
    try:
        yield
    finally:
        _DEFERRING.on = before


def call_together(
    calls: Sequence[tuple[Backend, str, str, Mapping[str, Any], float]],
    prefetch: Sequence[Backend] = (),
) -> list[ToolResult | Exception]:
    """``backend.call(tool, api, arguments, delay_s=delay_s)`` for each of ``calls``, made
    together: per result, what that call would return, or the exception it would raise.

    The calls of remote backends on one server (and the same ``call_timeout_s``) travel in
    one ``POST /batch``, which also fetches the records of the ``prefetch`` backends (their
    next ``records()`` sends no request); a failed op recovers exactly as its own request
    would. Delayed calls, other backends, and a backend named twice are called in turn.
    """
    return send_together(calls, prefetch).results()


class Together:
    """The calls of :func:`send_together`: those made in turn already done, the batches sent
    and their answers not read yet (:meth:`results` reads them; :meth:`abandon` drops them)."""

    def __init__(self, n_calls: int) -> None:
        self.out: list[ToolResult | Exception | None] = [None] * n_calls
        self.sent: list[tuple[list[tuple[int, _Op]], SentBatch | Exception, float]] = []

    def results(self) -> list[ToolResult | Exception]:
        """Per call, what ``backend.call`` would return or raise (recovered as it would be)."""
        out = self.out
        while self.sent:  # one batch at a time: an interrupt leaves the rest to abandon()
            chunk, batch, start = self.sent.pop(0)
            outcomes: Sequence[dict[str, Any] | Exception]
            try:
                if isinstance(batch, Exception):
                    raise batch
                outcomes = batch.answers()
            except Exception as exc:  # the whole request failed: so did each op's
                outcomes = [exc] * len(chunk)
            for (k, op), outcome in zip(chunk, outcomes):
                try:
                    result = op.backend._settle(op, outcome, start)
                except Exception as exc:
                    result = exc
                if k >= 0:
                    out[k] = result
        done = [r for r in out if r is not None]
        assert len(done) == len(out)
        return done

    def abandon(self) -> None:
        """Close the connections of batches whose answers will not be read."""
        for _, batch, _ in self.sent:
            if isinstance(batch, SentBatch):
                batch.exchange.abandon()
        self.sent = []


def send_together(
    calls: Sequence[tuple[Backend, str, str, Mapping[str, Any], float]],
    prefetch: Sequence[Backend] = (),
) -> Together:
    """:func:`call_together` up to sending its batches: the caller can do other work (e.g.
    prepare and send the next group of envs' calls) while the servers run them, then read
    the results with :meth:`Together.results`."""
    backends = [c[0] for c in calls] + list(prefetch)
    distinct = len({id(b) for b in backends}) == len(backends)
    together = Together(len(calls))
    groups: dict[tuple[ServerHandle, float], list[tuple[int, _Op]]] = {}
    for k, (backend, tool, api, arguments, delay_s) in enumerate(calls):
        op = None
        if distinct and not delay_s and isinstance(backend, RemoteBackend):
            op = backend._op({"tool": tool, "api": api, "arguments": dict(arguments)})
        if op is None:
            try:
                together.out[k] = backend.call(tool, api, arguments, delay_s=delay_s)
            except Exception as exc:
                together.out[k] = exc
        else:
            groups.setdefault((op.backend.server, op.backend.call_timeout_s), []).append((k, op))
    for backend in prefetch if distinct else ():
        if isinstance(backend, RemoteBackend) and (op := backend._op(None)) is not None:
            groups.setdefault((op.backend.server, op.backend.call_timeout_s), []).append((-1, op))
    try:
        for (server, timeout), items in groups.items():
            for chunk in _chunks(items, server.max_body_bytes):
                start = time.perf_counter()
                batch: SentBatch | Exception
                try:
                    batch = server.send_batch([op.data for _, op in chunk], timeout)
                except Exception as exc:
                    batch = exc
                together.sent.append((chunk, batch, start))
    except BaseException:  # an interrupt: close what was sent, whose answers nobody reads
        together.abandon()
        raise
    return together


def _chunks(items: list[tuple[int, _Op]], max_bytes: int | None) -> Iterator[list[tuple[int, _Op]]]:
    """``items`` in batches of at most :data:`MAX_BATCH_OPS` ops and ``max_bytes`` bytes."""
    chunk: list[tuple[int, _Op]] = []
    size = len(_BATCH_FRAME)
    for item in items:
        n = len(item[1].data) + 1
        if chunk and (
            len(chunk) >= MAX_BATCH_OPS or (max_bytes is not None and size + n > max_bytes)
        ):
            yield chunk
            chunk, size = [], len(_BATCH_FRAME)
        chunk.append(item)
        size += n
    if chunk:
        yield chunk


class ExternalServer(ServerHandle):
    """A server this process did not start (``steptool sandbox serve``): attach, never restart.

    ``url`` is ``http://127.0.0.1:PORT`` or ``unix:/path/to/socket``.
    """

    kind = "http"

    def __init__(self, url: str, suite: str = "toolbench", startup_timeout_s: float = 10.0) -> None:
        super().__init__(suite, startup_timeout_s)
        self.url = url

    def _launch(self) -> tuple[str, HttpClient]:
        if self.url.startswith("unix:"):
            return "http://sandbox", HttpClient("http://sandbox", uds=self.url[5:])
        base = self.url.rstrip("/")
        return base, HttpClient(base)

    def _terminate(self) -> None:
        pass

    def alive(self) -> bool:
        return self._client is not None

    def describe(self) -> str:
        return f"sandbox server at {self.url}"
