"""The HTTP/1.1 client of the API-mock server: keep-alive connections on plain sockets.

Every request of a remote backend goes through here: one API call is one request, so the
client's own cost is paid on every env step. A general-purpose client (httpx: URL objects,
header models, timeouts as extensions, an h11 state machine) added about 0.15 ms to each
request; this one speaks only what the server speaks (``server.py``: a request head, a JSON
body with ``Content-Length``, an answer with ``Content-Length``) and adds about 15 µs to the
socket round trip (``benchmarks/test_sandbox.py::test_client_against_a_bare_socket``).

Connections are kept alive and shared by the threads that use one :class:`HttpClient`: a
request takes an idle connection (one the server has closed meanwhile is dropped first) or
opens a new one, and gives it back when its answer has been read in full. A request's
timeout bounds the whole exchange from its sending, and a request can be sent before the
answers of others are read (:meth:`HttpClient.send`). Any failure closes the connection it
happened on and raises :class:`TransportError` (a timeout: :class:`TransportTimeout`),
except one case that is retried once (see :class:`Exchange`); the remote backend decides
what a failure means (a dead server is restarted and the episode replayed)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

from steptool_env.errors import SandboxError

MAX_HEAD_BYTES = 64 * 1024
"""The longest response head accepted (the server's are under 200 bytes)."""
_IDLE_KEPT = 64
"""Idle connections kept for reuse; more are closed when they come back."""


class TransportError(SandboxError):
    """The request did not get an HTTP answer: the server is not listening, closed or reset
    the connection, or answered something that is not HTTP/1.x with a ``Content-Length``."""


class TransportTimeout(TransportError):
    """Connecting, sending or reading took longer than the request's timeout."""


class HttpClient:
    """Keep-alive HTTP/1.1 to one server, over TCP (``http://host:port``) or a unix socket.

    Args:
        base_url: ``http://host:port`` (the ``Host`` header names it); with ``uds``, only
            the ``Host`` it names matters.
        uds: the path of a unix socket to connect to instead of TCP.
    """

    def __init__(self, base_url: str, uds: str | None = None) -> None:
        scheme, sep, authority = base_url.partition("://")
        authority = authority.rstrip("/")
        if scheme != "http" or not sep or not authority or "/" in authority:
            raise SandboxError(f"not an http://host[:port] URL: {base_url!r}")
        self.uds = uds
        self._host = authority.encode("ascii", "replace")
        host, port = authority, "80"
        if not authority.endswith("]") and ":" in authority:
            host, _, port = authority.rpartition(":")
        if not port.isdigit():
            raise SandboxError(f"the URL {base_url!r} has a malformed port")
        self._address: str | tuple[str, int] = (
            uds if uds is not None else (host.strip("[]"), int(port))
        )
        self._idle: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False

    # ------------------------------------------------------------------ public
    def exchange(self, method: str, path: str, content: bytes, timeout: float) -> tuple[int, bytes]:
        """Send one request (a JSON body, possibly empty); its HTTP status and body."""
        return self.send(method, path, content, timeout).answer()

    def send(self, method: str, path: str, content: bytes, timeout: float) -> Exchange:
        """Send one request without waiting for its answer (:meth:`Exchange.answer` reads it):
        other work, or other requests on other connections, can go on meanwhile. ``timeout``
        bounds the whole exchange from now: connecting, sending and reading the answer."""
        head = (
            b"%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n"
            % (method.encode("ascii"), path.encode("ascii"), self._host, len(content))
        )
        exchange = Exchange(self, head + content, f"{method} {path}", timeout)
        exchange.transmit(reuse=True)
        return exchange

    def checkin(self, sock: socket.socket) -> None:
        """Take back a connection whose answer was read in full."""
        with self._lock:
            if not self._closed and len(self._idle) < _IDLE_KEPT:
                self._idle.append(sock)
                return
        sock.close()

    def close(self) -> None:
        """Close every idle connection; connections in use close when they come back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for sock in idle:
            sock.close()

    # ------------------------------------------------------------------ connections
    def _checkout(self, timeout: float, reuse: bool = True) -> tuple[socket.socket, bool]:
        """An open idle connection (if ``reuse``), else a new one; and whether it was idle."""
        if self._closed:
            raise TransportError("the client is closed")
        while reuse:
            with self._lock:
                sock = self._idle.pop() if self._idle else None
            if sock is None:
                break
            if _still_open(sock):
                return sock, True
            sock.close()
        return self._connect(timeout), False

    def _connect(self, timeout: float) -> socket.socket:
        address = self._address
        try:
            if isinstance(address, str):
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    sock.settimeout(timeout)
                    sock.connect(address)
                except BaseException:
                    sock.close()
                    raise
            else:
                sock = socket.create_connection(address, timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except TimeoutError:
            raise TransportTimeout(
                f"could not connect to {address!r} within {timeout:g} s"
            ) from None
        except OSError as exc:
            raise TransportError(f"could not connect to {address!r}: {exc!r}") from None
        return sock


class Exchange:
    """A request sent on a connection of its own, its answer not read yet.

    A connection taken from the idle pool may have been closed by the server an instant
    before the request went out (its idle timeout firing as the request leaves): the request
    then fails before any byte of an answer arrives. The server never closes a connection
    part-way through a request it has read, so such a request was not run, and it is sent
    once more on a new connection. Every other failure raises."""

    __slots__ = ("client", "data", "deadline", "request", "reused", "sock", "timeout")

    def __init__(self, client: HttpClient, data: bytes, request: str, timeout: float) -> None:
        self.client = client
        self.data = data
        self.request = request
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.sock: socket.socket | None = None
        self.reused = False

    def transmit(self, reuse: bool) -> None:
        """Send the request on a connection (an idle one if ``reuse`` and one is open)."""
        sock, self.reused = self.client._checkout(self._remaining(), reuse)
        self.sock = sock
        try:
            with self.failing():
                sock.settimeout(self._remaining())
                sock.sendall(self.data)
        except _NotRun:
            self.transmit(reuse=False)

    def answer(self) -> tuple[int, bytes]:
        """The HTTP status and body of the answer (read once; the connection goes back to
        the client for reuse)."""
        sock = self.sock
        if sock is None:
            raise TransportError(f"the answer to {self.request} was already read or abandoned")
        try:
            with self.failing():
                sock.settimeout(self._remaining())
                code, body, keep = _read_response(sock)
        except _NotRun:
            self.transmit(reuse=False)
            return self.answer()
        self.sock = None
        if keep:
            self.client.checkin(sock)
        else:
            sock.close()
        return code, body

    def abandon(self) -> None:
        """Close the connection without reading the answer (idempotent)."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _remaining(self) -> float:
        # a positive timeout: 0 would make the socket non-blocking, not time out at once
        return max(self.deadline - time.monotonic(), 1e-3)

    @contextlib.contextmanager
    def failing(self) -> Iterator[None]:
        """Any failure inside closes the connection and raises :class:`TransportError`
        (:class:`_NotRun` for a reused connection found closed before any answer)."""
        try:
            yield
        except TimeoutError:
            self.abandon()
            raise TransportTimeout(
                f"no answer to {self.request} within {self.timeout:g} s"
            ) from None
        except (_NoAnswer, OSError) as exc:
            self.abandon()
            closed = isinstance(exc, _NoAnswer | ConnectionResetError | BrokenPipeError)
            if closed and self.reused:
                raise _NotRun from None
            raise TransportError(f"{self.request} failed: {exc!r}") from None
        except BaseException:
            self.abandon()
            raise


class _NoAnswer(TransportError):
    """The connection ended before any byte of an answer."""


class _NotRun(Exception):
    """A reused connection was found closed before any byte of an answer: send again."""


def _still_open(sock: socket.socket) -> bool:
    """Whether an idle connection can carry a request: the server has sent nothing on it (an
    idle connection it closed reads as end of file, and anything else is out of turn)."""
    try:
        sock.settimeout(0)  # a peek that never waits
        sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True  # nothing to read: the connection is open and quiet
    except OSError:
        return False
    return False


def _read_response(sock: socket.socket) -> tuple[int, bytes, bool]:
    """Status, body and whether the connection may carry another request."""
    buf = bytearray()
    while (end := buf.find(b"\r\n\r\n")) < 0:
        if len(buf) > MAX_HEAD_BYTES:
            raise TransportError(f"the response head is longer than {MAX_HEAD_BYTES:,} bytes")
        chunk = sock.recv(65536)
        if not chunk:
            if not buf:
                raise _NoAnswer("the server closed the connection without an answer")
            raise TransportError("the server closed the connection in the middle of an answer")
        buf += chunk
    lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
    status = lines[0].split(" ", 2)
    code = status[1] if len(status) > 1 else ""
    if not status[0].startswith("HTTP/1.") or not (code.isascii() and code.isdigit()):
        raise TransportError(f"not an HTTP/1.x answer: {lines[0][:80]!r}")
    length = -1
    keep = status[0] == "HTTP/1.1"
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            value = value.strip()
            if not (value.isascii() and value.isdigit()) or len(value) > 15:
                raise TransportError(f"malformed Content-Length {value[:40]!r}")
            length = int(value)
        elif name == "connection":
            keep = keep and value.strip().lower() != "close"
        elif name == "transfer-encoding":
            raise TransportError("the answer has a Transfer-Encoding (only Content-Length)")
    if length < 0:
        raise TransportError("the answer has no Content-Length")
    body = buf[end + 4 :]
    while len(body) < length:
        chunk = sock.recv(max(65536, length - len(body)))
        if not chunk:
            raise TransportError(
                f"the server closed the connection after {len(body)} of {length} body bytes"
            )
        body += chunk
    if len(body) > length:  # bytes beyond the answer: the connection is out of step
        keep = False
        del body[length:]
    return int(code), bytes(body), keep
