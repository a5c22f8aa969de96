"""Calls made together: ``POST /batch`` on the server, ``call_together`` and deferred resets
on the client. Each op is answered, and each result is, what its own request would give."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from steptool_env.errors import SandboxError
from steptool_env.sandbox.http import LocalServer
from steptool_env.sandbox.remote import RemoteBackend, call_together, deferred_resets
from steptool_env.sandbox.server import MAX_BATCH_OPS, ApiService, Delayed, ServerLimits
from steptool_env.tools.status import Status
from steptool_env.world.suite import Suite
from steptool_env.world.tasks import StateFact

CALL = {"tool": "football_data", "api": "list_leagues", "arguments": {}}


@pytest.fixture(scope="module")
def service() -> ApiService:
    return ApiService("toolbench")


def handle(service: ApiService, method: str, path: str, body: Any = None) -> tuple[int, dict]:
    result = service.handle(method, path, b"" if body is None else json.dumps(body).encode())
    assert not isinstance(result, Delayed)
    return result


def batch(service: ApiService, *ops: Any) -> list[tuple[int, dict]]:
    code, data = handle(service, "POST", "/batch", {"ops": list(ops)})
    assert code == 200
    return [(r["code"], r["body"]) for r in data["results"]]


def new_session(service: ApiService) -> str:
    return handle(service, "POST", "/sessions")[1]["session"]


def stateful_calls(suite: Suite) -> list[dict[str, Any]]:
    """The gold calls of a task whose answer is checked against written records."""
    task = next(t for t in suite.split("train") if any(isinstance(f, StateFact) for f in t.facts))
    return [{"tool": g.tool, "api": g.api, "arguments": dict(g.arguments)} for g in task.gold]


def test_each_op_is_answered_as_its_own_request(service: ApiService, suite: Suite) -> None:
    a, b = new_session(service), new_session(service)
    for call in stateful_calls(suite):
        (got,) = batch(service, {"session": a, "op": "call", "call": call})
        assert got == handle(service, "POST", f"/sessions/{b}/call", call)
    records = handle(service, "GET", f"/sessions/{b}/records")
    assert any(records[1]["records"].values())
    assert batch(service, {"session": a, "op": "records"}) == [records]
    # "reset": the session starts over before the op.
    fresh = handle(service, "GET", f"/sessions/{new_session(service)}/records")
    assert batch(service, {"session": a, "op": "records", "reset": True}) == [fresh]
    assert batch(service, {"session": a, "op": "records"}) == [fresh]


def test_an_ops_error_is_its_own(service: ApiService) -> None:
    sid = new_session(service)
    before = service.stats()
    answers = batch(
        service,
        {"session": sid, "op": "call", "call": CALL},
        {"session": "s999999", "op": "call", "call": CALL},
        {"session": sid, "op": "call", "call": dict(CALL, delay_s=0.01)},
        {"session": sid, "op": "call", "call": {"tool": "x"}},
        {"session": sid, "op": "reset"},
        {"session": sid, "op": "records", "reset": "yes"},
        [sid],
        {"session": sid, "op": "call", "call": CALL},
    )
    codes = [code for code, _ in answers]
    assert codes == [200, 404, 400, 400, 400, 400, 400, 200]
    assert answers[0] == answers[-1] and answers[0][1]["status"] == Status.OK
    assert "s999999" in answers[1][1]["error"] and "on its own" in answers[2][1]["error"]
    after = service.stats()
    assert after["batches"] == before["batches"] + 1 and after["calls"] == before["calls"] + 2


def test_malformed_batches_are_refused(service: ApiService) -> None:
    assert handle(service, "GET", "/batch")[0] == 405
    assert handle(service, "POST", "/batch", {"ops": []})[0] == 400
    assert handle(service, "POST", "/batch", {"ops": {"session": "x"}})[0] == 400
    assert handle(service, "POST", "/batch", [1])[0] == 400
    many = {"ops": [{"session": "x", "op": "records"}] * (MAX_BATCH_OPS + 1)}
    code, data = handle(service, "POST", "/batch", many)
    assert code == 400 and str(MAX_BATCH_OPS) in data["error"]


# ------------------------------------------------------------------------ the client
@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    """A server that takes bodies of 4 KiB at most (so that a call can be too large)."""
    limits = ServerLimits(max_body_bytes=4096, max_buffered_bytes=4096 + 65536)
    server = LocalServer(limits=limits)
    server.start()
    yield server
    server.close()


def backends(server: LocalServer, n: int) -> list[RemoteBackend]:
    out = [RemoteBackend(server) for _ in range(n)]
    for backend in out:
        backend.reset()
    return out


def same(got: Any, want: Any) -> bool:
    """Results equal but for their durations; errors of the same type and message."""
    if isinstance(want, Exception):
        return type(got) is type(want) and str(got) == str(want)
    return isinstance(got, type(want)) and got._replace(duration_s=0) == want._replace(duration_s=0)


def test_call_together_gives_what_each_call_would(server: LocalServer, suite: Suite) -> None:
    calls = [(c["tool"], c["api"], c["arguments"], 0.0) for c in stateful_calls(suite)]
    big = dict(CALL, arguments={"league": "x" * 5000})
    calls += [
        (CALL["tool"], "nope", {}, 0.0),  # status 1: the agent's mistake
        (big["tool"], big["api"], big["arguments"], 0.0),  # too large: bad input
        (CALL["tool"], CALL["api"], {}, 0.001),  # a slow response goes on its own
        (CALL["tool"], CALL["api"], {}, 0.0),  # on a closed backend
    ]
    together, alone = backends(server, len(calls)), backends(server, len(calls))
    for pair in (together, alone):
        pair[-1].close()
    # Each backend gets its calls in the same order, together with the others' or alone.
    rounds = [calls[k:] + calls[:k] for k in range(3)]
    for round_calls in rounds:
        got = call_together([(b, *c) for b, c in zip(together, round_calls)])
        want: list[Any] = []
        for b, (tool, api, args, delay) in zip(alone, round_calls):
            try:
                want.append(b.call(tool, api, args, delay_s=delay))
            except SandboxError as exc:
                want.append(exc)
        assert all(same(g, w) for g, w in zip(got, want, strict=True)), (got, want)
    assert [r.status for r in want[:-1]].count(Status.BAD_INPUT) >= 1
    for b in together[:-1]:
        assert b.records() == alone[together.index(b)].records()
        b.close()
    for b in alone[:-1]:
        b.close()


def test_deferred_resets_and_prefetched_records(server: LocalServer, suite: Suite) -> None:
    calls = stateful_calls(suite)
    a, b = backends(server, 2)
    for backend in (a, b):
        for c in calls:
            backend.call(c["tool"], c["api"], c["arguments"])
    written = a.records()
    assert any(written.values())
    stats = server.stats()["requests"]
    with deferred_resets():
        a.reset()
        b.reset()
    assert server.stats()["requests"] == stats + 1  # the resets sent nothing (+ this /stats)
    # The next op resets the session first, alone or in a batch.
    assert not any(a.records().values())
    call_together([], prefetch=[b])
    stats = server.stats()["requests"]
    fresh = b.records()
    assert server.stats()["requests"] == stats + 1  # prefetched: no request
    assert fresh == a.records() and not any(fresh.values())
    # A call invalidates the prefetched records.
    c = calls[0]
    [result] = call_together([(b, c["tool"], c["api"], c["arguments"], 0.0)], prefetch=[])
    assert result.status == Status.OK  # type: ignore[union-attr]
    call_together([], prefetch=[b])
    b.call(c["tool"], c["api"], c["arguments"])
    a.call(c["tool"], c["api"], c["arguments"])
    a.call(c["tool"], c["api"], c["arguments"])
    assert b.records() == a.records()
    for backend in (a, b):
        backend.close()
