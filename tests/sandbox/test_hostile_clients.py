"""The API-mock server under hostile local clients (issue 21, H1-H4 and item 7).

The server has no authentication (it listens on loopback or a unix socket only), so any
local process can talk to it: none may exhaust its memory or connections, reach another
env's session, or make it answer a malformed request with anything but a 4xx naming the
reason. The limits are small settings here, so every test takes well under a second or two.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from steptool_env.errors import ConfigError
from steptool_env.sandbox import InProcessBackend
from steptool_env.sandbox.remote import ExternalServer, RemoteBackend
from steptool_env.sandbox.server import ApiService, Delayed, ServerLimits
from steptool_env.tools.status import Status
from steptool_env.world.suite import Suite
from tests.sandbox.conftest import served, spawned

CALL = {"tool": "football_data", "api": "list_leagues", "arguments": {}}


def request(method: str, path: str, body: object = None, *, close: bool = False) -> bytes:
    raw = b"" if body is None else json.dumps(body).encode()
    head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(raw)}\r\n"
    return (head + ("Connection: close\r\n" if close else "") + "\r\n").encode() + raw


def connect(port: int, timeout: float = 3.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def read_answer(sock: socket.socket) -> tuple[int, dict]:
    """One HTTP answer from ``sock``: its status code and JSON body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length"))[15:]
    )
    while len(body) < length:
        body += sock.recv(65536)
    return int(head.split()[1]), json.loads(body)


def ask(port: int, method: str, path: str, body: object = None) -> tuple[int, dict]:
    with connect(port) as sock:
        sock.sendall(request(method, path, body, close=True))
        return read_answer(sock)


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closes ``sock`` (reads what is left until end of file)."""
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def eventually(check: Callable[[], bool], timeout: float = 3.0) -> bool:
    """Whether ``check()`` comes true within ``timeout`` seconds (the server is another
    thread or process: what it does after a client's move takes a moment)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def rss_bytes(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return (
        int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1])
        * 1024
    )


@pytest.fixture(scope="module")
def small() -> Iterator[tuple[ApiService, int]]:
    """A server with small limits, served from a thread: (service, port)."""
    limits = ServerLimits(
        idle_timeout_s=0.3,
        request_timeout_s=0.3,
        max_body_bytes=16 * 1024,
        max_buffered_bytes=1024 * 1024,
        max_delay_s=2.0,
    )
    service = ApiService("toolbench", limits)
    with served(service) as port:
        yield service, port


# ------------------------------------------------------------------------ H1: buffers
@pytest.mark.slow
def test_bytes_sent_while_a_call_is_delayed_are_not_buffered() -> None:
    """H1: a connection whose call is delayed reads 64 KiB ahead, then nothing more: the
    sender blocks and the server's memory stays put (it read 300 MB: RSS 85 -> 393 MB)."""
    with spawned() as (port, pid):
        sid = ask(port, "POST", "/sessions")[1]["session"]
        before = rss_bytes(pid)
        sock = connect(port)
        sock.sendall(request("POST", f"/sessions/{sid}/call", dict(CALL, delay_s=0.6)))
        sock.setblocking(False)
        junk, sent, deadline = b"x" * 1024 * 1024, 0, time.monotonic() + 0.3
        while time.monotonic() < deadline and sent < 96 * 1024 * 1024:
            try:
                sent += sock.send(junk)
            except BlockingIOError:
                time.sleep(0.01)
        grown = rss_bytes(pid) - before
        during = ask(port, "GET", "/stats")[1]
        sock.close()
        # Past the delay, the connection is gone, with what it held.
        assert eventually(lambda: ask(port, "GET", "/stats")[1]["connections_open"] == 1)
        after = ask(port, "GET", "/stats")[1]
    # Only the kernel's socket buffers took the junk (a few MB); the server read ~nothing.
    assert sent < 32 * 1024 * 1024, f"the server read {sent / 2**20:.0f} MiB of junk"
    assert grown < 16 * 1024 * 1024, f"the server grew by {grown / 2**20:.0f} MiB"
    assert during["buffered_bytes"] <= 512 * 1024
    assert after["buffered_bytes"] == 0 and after["connections_open"] == 1  # this /stats


def test_a_client_that_leaves_during_a_delay_is_dropped_at_once(
    small: tuple[ApiService, int],
) -> None:
    service, port = small
    sid = ask(port, "POST", "/sessions")[1]["session"]
    calls = service.stats()["calls"]
    with connect(port) as sock:
        sock.sendall(request("POST", f"/sessions/{sid}/call", dict(CALL, delay_s=2.0)))
        assert eventually(lambda: service.stats()["connections_open"] == 1)
    assert eventually(lambda: service.stats()["connections_open"] == 0, timeout=1.0)
    assert service.stats()["calls"] == calls


def test_delay_s_is_capped_and_must_be_a_number(small: tuple[ApiService, int]) -> None:
    """H1/H4: delay_s beyond max_delay_s, or a boolean, is a 400 naming the reason."""
    service, _port = small
    _code, created = service.handle("POST", "/sessions", b"")  # type: ignore[misc]
    path = f"/sessions/{created['session']}/call"

    def call(**extra: object) -> object:
        return service.handle("POST", path, json.dumps(dict(CALL, **extra)).encode())

    assert call(delay_s=3.0) == (
        400,
        {"error": '"delay_s" is 3 s, over this server\'s limit of 2 s (--max-delay-s)'},
    )
    for bad in ({"delay_s": True}, {"timeout_s": False}, {"delay_s": "1"}, {"delay_s": -1}):
        code, data = call(**bad)  # type: ignore[misc]
        assert code == 400 and next(iter(bad)) in data["error"], (bad, data)
    assert isinstance(call(delay_s=2.0), Delayed)


# ------------------------------------------------------------------------ H2: connections
@pytest.mark.slow
def test_idle_connections_cannot_lock_clients_out() -> None:
    """H2: a server allowed 256 open files holds 300 idle connections and still answers a
    new client at once (the longest-idle connection gives way); it was locked out."""
    with spawned(max_files=256) as (port, _pid):
        idle = [connect(port) for _ in range(300)]
        try:
            code, stats = ask(port, "GET", "/stats")
        finally:
            for sock in idle:
                sock.close()
    assert code == 200
    assert stats["connections_open"] <= stats["connection_limit"] < 256
    assert stats["connections_evicted"] >= 300 - stats["connection_limit"]


def test_an_idle_keep_alive_connection_is_closed(small: tuple[ApiService, int]) -> None:
    _service, port = small
    with connect(port) as sock:
        sock.sendall(request("GET", "/health"))
        assert read_answer(sock)[0] == 200
        start = time.monotonic()
        assert closed_by_server(sock)
    assert 0.25 < time.monotonic() - start < 1.5


def test_a_request_must_arrive_in_time(small: tuple[ApiService, int]) -> None:
    """H2: a request that trickles in (a partial head, or a body that never comes) gets 408."""
    _service, port = small
    for partial in (b"GET /health HTTP/1.1\r\nHost: x\r\n", b"POST /sessions HTTP/1.1\r\n"
                    b"Content-Length: 100\r\n\r\n{"):  # fmt: skip
        with connect(port) as sock:
            sock.sendall(partial)
            start = time.monotonic()
            code, data = read_answer(sock)
            assert code == 408 and "within 0.3 s" in data["error"]
            assert 0.25 < time.monotonic() - start < 1.5
            assert closed_by_server(sock)


@pytest.mark.slow
def test_at_the_cap_idle_connections_give_way_and_busy_ones_refuse() -> None:
    service = ApiService("toolbench", ServerLimits(max_connections=4))
    with served(service) as port:
        # Four connections each in the middle of a request: a fifth is refused, with the reason.
        busy = [connect(port) for _ in range(4)]
        for sock in busy:
            sock.sendall(b"GET /health HTTP/1.1\r\n")
        assert eventually(lambda: service.stats()["buffered_bytes"] == 4 * 22)
        with connect(port) as sock:
            code, data = read_answer(sock)
        assert code == 503 and "--max-connections" in data["error"]
        for sock in busy:
            sock.close()
        assert eventually(lambda: service.stats()["connections_open"] == 0)
        # Four idle keep-alive connections: a fifth is served, and the oldest idle one closed.
        idle = [connect(port) for _ in range(4)]
        for sock in idle:
            sock.sendall(request("GET", "/health"))
            assert read_answer(sock)[0] == 200
        assert ask(port, "GET", "/health")[0] == 200
        assert closed_by_server(idle[0])
        for sock in idle:
            sock.close()
        assert service.stats()["connections_evicted"] >= 1


# ------------------------------------------------------------------------ H3: sessions
@pytest.mark.slow
def test_session_ids_are_unguessable() -> None:
    service = ApiService("toolbench")
    ids = [service.handle("POST", "/sessions", b"")[1]["session"] for _ in range(200)]  # type: ignore[index]
    assert len(set(ids)) == 200
    assert all(len(sid) >= 22 and sid.replace("-", "").replace("_", "").isalnum() for sid in ids)
    # Nothing in one id leads to another: ids are not numbered.
    assert not any(sid[-1].isdigit() and sid.rstrip("0123456789") == ids[0].rstrip("0123456789")
                   for sid in ids[1:])  # fmt: skip
    code, _data = service.handle("DELETE", "/sessions/s1", b"")  # type: ignore[misc]
    assert code == 404


@pytest.mark.slow
def test_idle_sessions_expire_and_the_cap_is_a_setting() -> None:
    now = [0.0]
    service = ApiService("toolbench", ServerLimits(max_sessions=2, session_idle_s=5.0))
    service.clock = lambda: now[0]

    def create() -> tuple[int, dict]:
        return service.handle("POST", "/sessions", b"")  # type: ignore[return-value]

    a, b = create()[1]["session"], create()[1]["session"]
    code, data = create()
    assert code == 503
    assert data["error"] == (
        "too many open sessions: 2, this server's limit (--max-sessions 2). Close the envs "
        "you no longer use; a session unused for 5 s closes by itself."
    )
    now[0] = 3.0
    assert service.handle("POST", f"/sessions/{a}/call", json.dumps(CALL).encode())[0] == 200  # type: ignore[index]
    now[0] = 5.5  # b unused for 5.5 s, a for 2.5 s
    code, data = create()  # makes room by expiring b
    assert code == 200 and set(service.sessions) == {a, data["session"]}
    assert service.handle("POST", f"/sessions/{b}/reset", b"")[0] == 404  # type: ignore[index]
    assert service.expire_sessions(now=8.1) == 1 and set(service.sessions) == {data["session"]}
    assert service.stats()["sessions_expired"] == 2
    with pytest.raises(ConfigError, match="max_sessions"):
        ServerLimits(max_sessions=0)


def test_an_expired_session_is_rebuilt_with_the_episode_state(suite: Suite) -> None:
    """The client replays the episode into a new session: expiry never changes a result."""
    task = next(t for t in suite.split("train") if len(t.gold) >= 2 and t.facts)
    service = ApiService("toolbench")
    local = InProcessBackend(suite)
    with served(service) as port:
        server = ExternalServer(f"http://127.0.0.1:{port}")
        server.start()
        remote = RemoteBackend(server, call_timeout_s=5.0)
        for backend in (local, remote):
            backend.reset()
        for k, g in enumerate(task.gold):
            if k == 1:
                assert service.expire_sessions(now=float("inf")) == 1
            results = [b.call(g.tool, g.api, g.arguments) for b in (local, remote)]
            assert results[0][:3] == results[1][:3]
        assert remote.records() == local.records()
        remote.close()
        server.stop()


# ------------------------------------------------------------------------ H4: malformed
def _nested(depth: int) -> bytes:
    return b'{"tool":"football_data","api":"list_leagues","arguments":{"a":%s}}' % (
        b"[" * depth + b"]" * depth
    )


@pytest.mark.parametrize(
    ("body", "code", "reason"),
    [
        (b'{"tool":"t","api":"a","arguments":{"n":' + b"1" * 4301 + b"}}", 400, "4300 digits"),
        (_nested(1000), 400, "more than 256 levels deep"),
        (_nested(300), 400, "more than 256 levels deep"),
        (_nested(100), 200, ""),  # deeper than validation allows (32), still served
        (b'{"tool":"t","api":"a","arguments":{"s":"\xff"}}', 400, "not JSON"),
        (json.dumps(dict(CALL, delay_s=True)).encode(), 400, "delay_s"),
    ],
    ids=["4301 digits", "nesting 1000", "nesting 300", "nesting 100", "not UTF-8", "bool delay"],
)
def test_malformed_bodies_are_400_with_the_reason(
    small: tuple[ApiService, int], body: bytes, code: int, reason: str
) -> None:
    """H4: what was a 500 (read by the client as an API bug) is a 400 naming the reason."""
    _service, port = small
    sid = ask(port, "POST", "/sessions")[1]["session"]
    head = f"POST /sessions/{sid}/call HTTP/1.1\r\nContent-Length: {len(body)}\r\n\r\n"
    with connect(port) as sock:
        sock.sendall(head.encode() + body)
        got, data = read_answer(sock)
    assert got == code, data
    assert reason in data.get("error", ""), data


@pytest.mark.parametrize(
    "header",
    ["Content-Length: 0_2", "Content-Length: +2", "Content-Length: 2 2", "Content-Length: -1",
     "Content-Length: \xb2", "Content-Length: 2\r\nContent-Length: 3", "X-No-Colon"],
)  # fmt: skip
def test_malformed_heads_are_400_with_the_reason(
    small: tuple[ApiService, int], header: str
) -> None:
    _service, port = small
    with connect(port) as sock:
        sock.sendall(f"POST /sessions HTTP/1.1\r\n{header}\r\n\r\n{{}}".encode("latin-1"))
        code, data = read_answer(sock)
        assert closed_by_server(sock)
    assert code == 400, data
    assert "Content-Length" in data["error"] or "header line" in data["error"]


def test_a_well_formed_content_length_still_works(small: tuple[ApiService, int]) -> None:
    _service, port = small
    with connect(port) as sock:
        sock.sendall(b"POST /sessions HTTP/1.1\r\nContent-Length:  2 \r\n\r\n{}")
        assert read_answer(sock)[0] == 200


# ------------------------------------------------------------------------ item 7: body size
@pytest.mark.slow
def test_the_body_limit_is_above_what_argument_validation_allows(suite: Suite) -> None:
    """Validation lets 1,000,000 characters of arguments through (one per number); the
    bulkiest such calls, JSON-escaped, fit the server's body limit, and are served like the
    embedded backend serves them (9 MB of escapes was a 413 under the old 8 MiB limit)."""
    per_number = len(json.dumps(-1.2345678901234567e-300) + ",")  # 25 bytes, 1 character
    assert 999_999 * per_number < ServerLimits().max_body_bytes
    escaped = {"q": "\U0001f600" * 500_000 + "\x01" * 500_000}  # 12 and 6 bytes a character
    local = InProcessBackend(suite)
    with served(ApiService("toolbench")) as port:
        server = ExternalServer(f"http://127.0.0.1:{port}")
        server.start()
        remote = RemoteBackend(server, call_timeout_s=30.0)
        got = remote.call("football_data", "list_leagues", escaped)
        assert got[:3] == local.call("football_data", "list_leagues", escaped)[:3]
        remote.close()
        server.stop()


@pytest.mark.parametrize("knows_the_limit", [True, False])
@pytest.mark.slow
def test_a_call_over_the_body_limit_is_bad_input(knows_the_limit: bool) -> None:
    """Item 7: status 2 with the reason, never a SandboxError; the backend goes on. The
    client checks the size the server announced; a server's 413 answers the same."""
    limits = ServerLimits(max_body_bytes=64 * 1024, max_buffered_bytes=1024 * 1024)
    with served(ApiService("toolbench", limits)) as port:
        server = ExternalServer(f"http://127.0.0.1:{port}")
        server.start()
        if not knows_the_limit:
            server.max_body_bytes = None  # an older server: only its 413 says it
        backend = RemoteBackend(server, call_timeout_s=5.0)
        result = backend.call("football_data", "list_leagues", {"q": "x" * 3_000_000})
        assert result.status is Status.BAD_INPUT and result.response is None
        assert "too large" in result.error and "3,000,0" in result.error
        assert backend.call("football_data", "list_leagues", {}).status is Status.OK
        backend.close()
        server.stop()
