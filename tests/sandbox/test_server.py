"""The API-mock server: its routes, its HTTP handling and its stdlib-only imports."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from steptool_env.sandbox.server import PROTOCOL, ApiService, Delayed, main
from steptool_env.tools.status import Status
from steptool_env.world.suite import Suite
from steptool_env.world.tasks import StateFact
from tests.sandbox.conftest import served

CALL = {"tool": "football_data", "api": "list_leagues", "arguments": {}}


@pytest.fixture(scope="module")
def service() -> ApiService:
    return ApiService("toolbench")


def post(service: ApiService, path: str, body: object = None) -> tuple[int, dict]:
    raw = b"" if body is None else json.dumps(body).encode()
    result = service.handle("POST", path, raw)
    assert not isinstance(result, Delayed)
    return result


def new_session(service: ApiService) -> str:
    code, data = post(service, "/sessions")
    assert code == 200
    return data["session"]


def test_health_names_the_world(service: ApiService, suite: Suite) -> None:
    code, health = service.handle("GET", "/health", b"")
    assert code == 200
    assert health["status"] == "ok" and health["protocol"] == PROTOCOL
    assert health["suite"] == "toolbench" and health["seed"] == suite.config.seed
    assert len(health["code"]) == 64


def test_call_matches_the_embedded_backend(service: ApiService, suite: Suite) -> None:
    from steptool_env.sandbox import InProcessBackend

    sid = new_session(service)
    code, data = post(service, f"/sessions/{sid}/call", CALL)
    local = InProcessBackend(suite).call("football_data", "list_leagues", {})
    assert code == 200
    assert data["status"] == Status.OK
    assert json.dumps(data["response"]) == json.dumps(local.response)


def test_sessions_do_not_share_state(service: ApiService, suite: Suite) -> None:
    task = next(t for t in suite.split("train") if any(isinstance(f, StateFact) for f in t.facts))
    a, b = new_session(service), new_session(service)
    # The gold calls of a task with a state fact write records, in session a only.
    for g in task.gold:
        args = g.arguments
        post(service, f"/sessions/{a}/call", {"tool": g.tool, "api": g.api, "arguments": args})
    rec_a = service.handle("GET", f"/sessions/{a}/records", b"")[1]["records"]
    rec_b = service.handle("GET", f"/sessions/{b}/records", b"")[1]["records"]
    assert any(rec_a.values())
    assert not any(rec_b.values())
    post(service, f"/sessions/{a}/reset")
    assert not any(service.handle("GET", f"/sessions/{a}/records", b"")[1]["records"].values())


def test_protocol_errors_have_codes_and_messages(service: ApiService) -> None:
    sid = new_session(service)
    assert service.handle("GET", "/nowhere", b"")[0] == 404
    code, data = post(service, "/sessions/s999999/call", CALL)
    assert code == 404 and "s999999" in data["error"]
    assert service.handle("GET", f"/sessions/{sid}/call", b"")[0] == 405
    code, data = service.handle("POST", f"/sessions/{sid}/call", b"{not json")
    assert code == 400 and "not JSON" in data["error"]
    assert post(service, f"/sessions/{sid}/call", [1, 2])[0] == 400
    assert (
        post(service, f"/sessions/{sid}/call", {"tool": "x", "api": 3, "arguments": {}})[0] == 400
    )
    bad_delay = dict(CALL, delay_s="soon")
    assert post(service, f"/sessions/{sid}/call", bad_delay)[0] == 400
    # Unknown APIs are the agent's problem: status 1 in a 200 answer, like the embedded backend.
    code, data = post(service, f"/sessions/{sid}/call", dict(CALL, api="nope"))
    assert code == 200 and data["status"] == Status.NO_SUCH_FUNCTION
    assert service.handle("DELETE", f"/sessions/{sid}", b"")[0] == 200
    assert post(service, f"/sessions/{sid}/reset")[0] == 404


def test_delays_and_timeouts_are_deferred(service: ApiService) -> None:
    sid = new_session(service)
    slow = service.handle(
        "POST", f"/sessions/{sid}/call", json.dumps(dict(CALL, delay_s=0.01)).encode()
    )
    assert isinstance(slow, Delayed) and slow.seconds == 0.01
    assert slow.then()[1]["status"] == Status.OK
    body = dict(CALL, delay_s=5.0, timeout_s=0.5)
    late = service.handle("POST", f"/sessions/{sid}/call", json.dumps(body).encode())
    assert isinstance(late, Delayed) and late.seconds == 0.5
    _code, data = late.then()
    assert data["status"] == Status.TIMEOUT and "0.5 s" in data["error"]


def test_stats_count_calls_by_status(service: ApiService) -> None:
    before = service.stats()
    sid = new_session(service)
    post(service, f"/sessions/{sid}/call", CALL)
    post(service, f"/sessions/{sid}/call", dict(CALL, api="nope"))
    after = service.stats()
    assert after["calls"] == before["calls"] + 2
    assert after["sessions_created"] == before["sessions_created"] + 1


# ------------------------------------------------------------------------ over a socket
@pytest.fixture(scope="module")
def server_port(service: ApiService) -> Iterator[int]:
    with served(service) as port:
        yield port


def exchange(port: int, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(raw)
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
    return out


def test_keep_alive_serves_many_requests_on_one_connection(server_port: int) -> None:
    req = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server_port), timeout=5) as sock:
        # Two pipelined requests, then a closing one: three answers, in order.
        sock.sendall(req + req + b"GET /stats HTTP/1.1\r\nConnection: close\r\n\r\n")
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
    assert out.count(b"HTTP/1.1 200 OK") == 3
    assert out.rstrip().endswith(b"}") and b'"requests"' in out.split(b"\r\n\r\n")[-1]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"garbage\r\n\r\n", b"400"),
        (b"GET /health HTTP/1.1\r\nContent-Length: nine\r\n\r\n", b"400"),
        (b"POST /sessions HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n", b"413"),
        (b"POST /sessions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", b"501"),
        (b"GET /x HTTP/1.1\r\n" + b"X-Long: " + b"a" * 70000 + b"\r\n\r\n", b"431"),
    ],
)
def test_malformed_http_is_refused_and_closed(server_port: int, raw: bytes, code: bytes) -> None:
    out = exchange(server_port, raw)
    assert out.startswith(b"HTTP/1.1 " + code)
    assert b"Connection: close" in out


def test_server_cli_refuses_non_loopback_hosts(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--host", "0.0.0.0"])
    assert "not a loopback address" in capsys.readouterr().err


def test_health_check_command(tmp_path) -> None:
    assert main(["--check", str(tmp_path / "missing.sock")]) == 1


@pytest.mark.slow
def test_server_needs_only_the_standard_library() -> None:
    """The container image carries no third-party package: the server must not import any."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in {'gymnasium', 'numpy', 'httpx', 'docker', 'tqdm'}:\n"
        "            raise ModuleNotFoundError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from steptool_env.sandbox.server import ApiService\n"
        "ApiService('toolbench')\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
