"""The sandbox's HTTP client against scripted servers on loopback: keep-alive reuse, stale
connections, timeouts, malformed answers, unix sockets and threads sharing one client."""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from steptool_env.errors import SandboxError
from steptool_env.sandbox.http_client import HttpClient, TransportError, TransportTimeout

Answer = Callable[[bytes, bytes], bytes | None]
"""(request head, request body) -> raw bytes to send back, or None to close silently."""


def ok(body: dict, extra: str = "") -> bytes:
    raw = json.dumps(body).encode()
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(raw)}\r\n{extra}\r\n".encode() + raw


def echo(head: bytes, body: bytes) -> bytes:
    line = head.split(b"\r\n")[0].decode()
    return ok({"line": line, "body": body.decode(), "host": _header(head, b"host")})


def _header(head: bytes, name: bytes) -> str:
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == name:
            return v.strip().decode()
    return ""


class Scripted:
    """A threaded server: each request is answered by ``answer``; it counts connections."""

    def __init__(self, answer: Answer, unix: str | None = None, hang_up: bool = False) -> None:
        self.answer = answer
        self.hang_up = hang_up
        """Close each connection after its first answer, whatever the answer said."""
        self.connections = 0
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer.connections += 1
                with contextlib.suppress(ConnectionError):  # a client that hung up
                    self.serve_requests()

            def serve_requests(self) -> None:
                buf = b""
                while True:
                    while b"\r\n\r\n" not in buf:
                        chunk = self.request.recv(65536)
                        if not chunk:
                            return
                        buf += chunk
                    head, _, buf = buf.partition(b"\r\n\r\n")
                    n = int(_header(head, b"content-length") or 0)
                    while len(buf) < n:
                        buf += self.request.recv(65536)
                    body, buf = buf[:n], buf[n:]
                    out = outer.answer(head, body)
                    if out is None:
                        return
                    self.request.sendall(out)
                    if outer.hang_up or b"connection: close" in out.lower():
                        return

        if unix is None:
            self.server: socketserver.BaseServer = socketserver.ThreadingTCPServer(
                ("127.0.0.1", 0), Handler
            )
            self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        else:
            self.server = socketserver.ThreadingUnixStreamServer(unix, Handler)
            self.url = "http://sandbox"
        self.server.daemon_threads = True  # type: ignore[attr-defined]
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[..., Scripted]]:
    started: list[Scripted] = []

    def start(answer: Answer = echo, hang_up: bool = False) -> Scripted:
        started.append(Scripted(answer, hang_up=hang_up))
        return started[-1]

    yield start
    for s in started:
        s.close()


def test_a_request_and_its_answer(serve) -> None:
    server = serve()
    client = HttpClient(server.url)
    code, body = client.exchange("POST", "/sessions/7/call", b'{"a": 1}', 5.0)
    assert code == 200
    answer = json.loads(body)
    assert answer["line"] == "POST /sessions/7/call HTTP/1.1"
    assert answer["body"] == '{"a": 1}'
    assert answer["host"] == server.url[len("http://") :]
    client.close()


def test_connections_are_kept_alive_and_reused(serve) -> None:
    server = serve()
    client = HttpClient(server.url)
    for i in range(20):
        assert client.exchange("GET", f"/x/{i}", b"", 5.0)[0] == 200
    assert server.connections == 1
    client.close()


def test_a_connection_the_server_closed_while_idle_is_replaced(serve) -> None:
    """The server hangs up after every answer without saying so (as after an idle timeout):
    each next request finds its idle connection closed and opens a new one, no error."""
    server = serve(hang_up=True)
    client = HttpClient(server.url)
    for i in range(5):
        assert client.exchange("GET", f"/{i}", b"", 5.0)[0] == 200
        time.sleep(0.02)  # the hang-up reaches this side
    assert server.connections == 5
    client.close()


def test_connection_close_answers_are_not_reused(serve) -> None:
    server = serve(lambda h, b: ok({"n": 1}, "Connection: close\r\n"))
    client = HttpClient(server.url)
    for _ in range(3):
        assert client.exchange("GET", "/", b"", 5.0) == (200, b'{"n": 1}')
    assert server.connections == 3
    assert client._idle == []


def test_an_http_1_0_answer_is_not_reused(serve) -> None:
    server = serve(lambda h, b: ok({}).replace(b"HTTP/1.1", b"HTTP/1.0", 1))
    client = HttpClient(server.url)
    client.exchange("GET", "/", b"", 5.0)
    client.exchange("GET", "/", b"", 5.0)
    assert server.connections == 2


def test_a_slow_answer_times_out_and_the_client_goes_on(serve) -> None:
    def slow(head: bytes, body: bytes) -> bytes:
        if b"/slow" in head:
            time.sleep(2.0)
        return echo(head, body)

    server = serve(slow)
    client = HttpClient(server.url)
    t0 = time.monotonic()
    with pytest.raises(TransportTimeout, match=r"within 0\.1 s"):
        client.exchange("GET", "/slow", b"", 0.1)
    assert time.monotonic() - t0 < 1.5  # not the server's 2 s
    assert client._idle == []  # the timed-out connection is not reused
    assert client.exchange("GET", "/fast", b"", 5.0)[0] == 200


def test_nothing_listening_is_a_transport_error_not_a_timeout() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connections are refused
        client = HttpClient(f"http://127.0.0.1:{port}")
        with pytest.raises(TransportError, match="could not connect") as info:
            client.exchange("GET", "/", b"", 2.0)
        assert not isinstance(info.value, TransportTimeout)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP/1.x answer"),
        (b"HTTP/1.1 \xb200 OK\r\nContent-Length: 2\r\n\r\n{}", "not an HTTP/1.x answer"),
        (b"HTTP/1.1 200 OK\r\n\r\n{}", "no Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1_0\r\n\r\n{}", "malformed Content-Length"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", "Transfer"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", "after 2 of 10 body bytes"),
        (None, "closed the connection without an answer"),
        (b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"x" * 70_000, "longer than"),
    ],
)
def test_a_malformed_answer_is_a_transport_error(serve, raw, message) -> None:
    server = serve(lambda h, b: raw, hang_up=True)
    client = HttpClient(server.url)
    with pytest.raises(TransportError, match=message):
        client.exchange("GET", "/", b"", 2.0)
    assert client._idle == []
    assert server.connections == 1


def test_bytes_beyond_the_answer_stop_the_connection_from_being_reused(serve) -> None:
    server = serve(lambda h, b: ok({"a": 1}) + b"garbage")
    client = HttpClient(server.url)
    assert client.exchange("GET", "/", b"", 5.0) == (200, b'{"a": 1}')
    assert client._idle == []


def test_unix_socket() -> None:
    with tempfile.TemporaryDirectory() as d:
        path = str(Path(d) / "api.sock")
        server = Scripted(echo, unix=path)
        try:
            client = HttpClient("http://sandbox", uds=path)
            code, body = client.exchange("POST", "/sessions", b"{}", 5.0)
            assert code == 200 and json.loads(body)["host"] == "sandbox"
            client.exchange("POST", "/sessions", b"{}", 5.0)
            assert server.connections == 1
            client.close()
        finally:
            server.close()


def test_threads_share_one_client(serve) -> None:
    server = serve()
    client = HttpClient(server.url)
    seen: list[tuple[int, int]] = []
    lock = threading.Lock()

    def work(t: int) -> None:
        for i in range(40):
            body = json.dumps({"t": t, "i": i}).encode()
            code, raw = client.exchange("POST", f"/t/{t}/{i}", body, 5.0)
            got = json.loads(json.loads(raw)["body"])
            with lock:
                seen.append((got["t"], got["i"]))
            assert code == 200 and got == {"t": t, "i": i}

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(seen) == [(t, i) for t in range(8) for i in range(40)]
    assert server.connections <= 8
    client.close()


def test_a_closed_client_refuses_requests(serve) -> None:
    client = HttpClient(serve().url)
    client.exchange("GET", "/", b"", 5.0)
    client.close()
    assert client._idle == []
    with pytest.raises(TransportError, match="closed"):
        client.exchange("GET", "/", b"", 5.0)


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1:1", "127.0.0.1:80", "http://", "http://h:x", "http://h:1/api"]
)
def test_urls_it_cannot_reach_are_refused_at_once(url: str) -> None:
    with pytest.raises(SandboxError):
        HttpClient(url)


def test_a_url_without_a_port_means_port_80() -> None:
    assert HttpClient("http://example.invalid")._address == ("example.invalid", 80)
    assert HttpClient("http://[::1]:8080/")._address == ("::1", 8080)


def test_requests_in_flight_together_are_answered_each_on_its_own_connection(serve) -> None:
    """Two requests sent before either answer is read (what pipelined batches do): each
    answer is its own request's, whichever is read first; both connections are kept."""
    server = serve()
    client = HttpClient(server.url)
    first = client.send("POST", "/one", b'{"n": 1}', 5.0)
    second = client.send("POST", "/two", b'{"n": 2}', 5.0)
    assert json.loads(second.answer()[1])["line"] == "POST /two HTTP/1.1"
    assert json.loads(first.answer()[1])["body"] == '{"n": 1}'
    assert server.connections == 2
    assert len(client._idle) == 2
    with pytest.raises(TransportError, match="already read"):
        first.answer()
    client.close()


def test_an_abandoned_request_does_not_return_its_connection(serve) -> None:
    server = serve()
    client = HttpClient(server.url)
    client.send("GET", "/dropped", b"", 5.0).abandon()
    assert client._idle == []
    assert client.exchange("GET", "/next", b"", 5.0)[0] == 200
    assert server.connections == 2


def test_a_reused_connection_closed_before_any_answer_is_sent_again_once(serve) -> None:
    """The server's idle timeout can close a connection just as a request goes out on it:
    the request fails before any byte of an answer and was not run, so it goes again on a
    new connection. Here the server hangs up on the second request of each connection."""
    seen: dict[int, int] = {}

    def second_is_dropped(head: bytes, body: bytes) -> bytes | None:
        conn = threading.get_ident()  # one handler thread a connection
        seen[conn] = seen.get(conn, 0) + 1
        return None if seen[conn] == 2 else echo(head, body)

    server = serve(second_is_dropped)
    client = HttpClient(server.url)
    assert client.exchange("GET", "/1", b"", 5.0)[0] == 200
    code, body = client.exchange("GET", "/2", b"", 5.0)  # dropped, then sent again
    assert code == 200 and json.loads(body)["line"] == "GET /2 HTTP/1.1"
    assert server.connections == 2
    client.close()


def test_a_fresh_connection_closed_before_any_answer_is_not_sent_again(serve) -> None:
    calls: list[bytes] = []

    def drop(head: bytes, body: bytes) -> None:
        calls.append(head)
        return None

    server = serve(drop)
    with pytest.raises(TransportError, match="without an answer"):
        HttpClient(server.url).exchange("GET", "/", b"", 5.0)
    assert len(calls) == 1


def test_the_timeout_bounds_the_whole_exchange_from_its_sending(serve) -> None:
    """Two requests in flight on a server that does not answer: the second one's timeout
    ran while the first was waited for, so both time out within one timeout, not two."""

    def hang(head: bytes, body: bytes) -> bytes:
        time.sleep(3.0)
        return echo(head, body)

    server = serve(hang)
    client = HttpClient(server.url)
    t0 = time.monotonic()
    first = client.send("GET", "/a", b"", 0.5)
    second = client.send("GET", "/b", b"", 0.5)
    for exchange in (first, second):
        with pytest.raises(TransportTimeout):
            exchange.answer()
    assert time.monotonic() - t0 < 0.9  # one timeout (0.5 s), not two (1.0 s)


def test_an_interrupt_while_reading_batches_leaves_the_rest_to_abandon(serve) -> None:
    """``Together.results`` reads its batches one at a time: when an interrupt escapes the
    first, the second is still there for ``abandon()`` to close (``step_together`` calls it
    in a ``finally``)."""
    from steptool_env.sandbox.remote import SentBatch, Together

    class Interrupted:
        def answer(self) -> tuple[int, bytes]:
            raise KeyboardInterrupt

        def abandon(self) -> None:
            pass

    class Server:
        def describe(self) -> str:
            return "scripted server"

    second = HttpClient(serve().url).send("POST", "/batch", b"{}", 5.0)
    together = Together(0)
    together.sent = [
        ([], SentBatch(Server(), ex, 0, 2), 0.0)  # type: ignore[arg-type]
        for ex in (Interrupted(), second)
    ]
    with pytest.raises(KeyboardInterrupt):
        together.results()
    assert second.sock is not None
    together.abandon()
    assert second.sock is None and together.sent == []
