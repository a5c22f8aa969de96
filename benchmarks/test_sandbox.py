"""Backends measured in one run: per-call latency, steps/s, cold start, reset, 8 envs at once.

    python -m pytest benchmarks/test_sandbox.py -s

Targets (issue 3): http p50 <= 0.5 ms per call with keep-alive; docker p50 <= 1 ms per
call; container cold start to healthy <= 1.5 s; warm episode reset <= 5 ms. Issue 20: 8
http/docker envs stepped together (``EnvBatch``) >= 3x one env's steps/s. The docker
rows skip, with the reason, where no Docker engine answers.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from benchmarks.conftest import run_plans
from benchmarks.test_env_throughput import interleaved
from steptool_env.envs.tool_use_env import ToolUseEnv
from steptool_env.rollout import EpisodeSpec, LocalEnvs
from steptool_env.sandbox import make_backend
from steptool_env.world.suite import load_suite

BACKENDS = ["inprocess", "http", "docker"]


def _docker_missing() -> str | None:
    try:
        from steptool_env.sandbox.container import docker_client

        docker_client()
    except Exception as exc:
        return str(exc)
    return None


@pytest.fixture(scope="module", autouse=True)
def nothing_left_behind() -> Iterator[None]:
    """Once the benchmarks are done and the pools shut, no server of this process remains."""
    yield
    from steptool_env.sandbox.pool import shutdown_pools
    from tests.sandbox.conftest import leftovers

    shutdown_pools()
    assert leftovers(os.getpid(), docker=_docker_missing() is None) == {}


@pytest.fixture(params=BACKENDS)
def backend_name(request: pytest.FixtureRequest) -> str:
    if request.param == "docker" and (reason := _docker_missing()):
        pytest.skip(f"no Docker engine: {reason}")
    return request.param


@pytest.fixture(scope="module")
def calls() -> list[tuple[str, str, dict[str, Any]]]:
    """The gold calls of 300 train tasks (what an oracle agent sends)."""
    suite = load_suite()
    return [(g.tool, g.api, dict(g.arguments)) for t in suite.split("train")[:300] for g in t.gold]


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


def test_call_latency(benchmark, backend_name: str, calls) -> None:
    backend = make_backend(backend_name, load_suite())
    backend.reset()

    def measure() -> list[float]:
        lat = []
        for tool, api, args in calls:
            t0 = time.perf_counter()
            backend.call(tool, api, args)
            lat.append(time.perf_counter() - t0)
        return lat

    measure()  # warm the connection and the server's caches
    lat = benchmark.pedantic(measure, rounds=3, iterations=1)
    p50, p99 = _pct(lat, 0.5) * 1e3, _pct(lat, 0.99) * 1e3
    benchmark.extra_info.update({"p50_ms": round(p50, 3), "p99_ms": round(p99, 3)})
    print(f"\n{backend_name:9s} per call: p50 {p50:.3f} ms  p99 {p99:.3f} ms")
    backend.close()


def test_env_steps_per_second(benchmark, backend_name: str, plans) -> None:
    env = ToolUseEnv(backend=backend_name)
    run_plans(env, plans[:50])
    n = sum(len(acts) for _, acts in plans)
    benchmark.pedantic(run_plans, args=(env, plans), rounds=3, iterations=1)
    sps = n / benchmark.stats.stats.mean
    benchmark.extra_info["steps_per_s"] = round(sps)
    print(f"\n{backend_name:9s} env steps/s (oracle, resets included): {sps:,.0f}")
    env.close()


def test_warm_reset(benchmark, backend_name: str) -> None:
    backend = make_backend(backend_name, load_suite())
    backend.reset()
    benchmark.pedantic(backend.reset, rounds=200, iterations=1)
    ms = benchmark.stats.stats.median * 1e3
    benchmark.extra_info["median_ms"] = round(ms, 3)
    print(f"\n{backend_name:9s} warm episode reset: {ms:.3f} ms")
    backend.close()


def test_eight_envs_in_parallel(benchmark, backend_name: str, plans) -> None:
    """8 envs, one thread each, stepping oracle episodes at once: total steps/s."""
    envs = [ToolUseEnv(backend=backend_name) for _ in range(8)]
    shards = [plans[i::8] for i in range(8)]

    def run() -> int:
        counts = [0] * 8

        def work(i: int) -> None:
            counts[i] = run_plans(envs[i], shards[i])

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return sum(counts)

    n = run()
    benchmark.pedantic(run, rounds=3, iterations=1)
    sps = n / benchmark.stats.stats.mean
    benchmark.extra_info["steps_per_s"] = round(sps)
    print(f"\n{backend_name:9s} 8 envs in parallel: {sps:,.0f} steps/s")
    for env in envs:
        env.close()


def run_plans_together(batch: LocalEnvs, plans: list[tuple[str, list[str]]]) -> int:
    """:func:`run_plans` on every env of ``batch`` at once, as the rollout loop runs them (one
    episode in flight per env, each turn's steps in one ``batch.step``); returns the steps."""
    queue = list(reversed(plans))
    live: dict[int, list[str]] = {}
    n = 0
    while queue or live:
        free = [i for i in range(len(batch)) if i not in live][: len(queue)]
        starts = [(i, queue.pop()) for i in free]
        if starts:
            batch.reset([(i, EpisodeSpec(task_id, 0)) for i, (task_id, _) in starts])
            live.update((i, list(reversed(acts))) for i, (_, acts) in starts)
        items = [(i, acts.pop()) for i, acts in live.items()]
        batch.step(items)
        n += len(items)
        live = {i: acts for i, acts in live.items() if acts}
    return n


@pytest.mark.parametrize("remote", ["http", "docker"])
def test_eight_envs_stepped_together(benchmark, remote: str, plans) -> None:
    """8 envs stepped together (one request per turn) against one env, interleaved round by
    round so both see the same machine load; the ratio of their best rounds is printed."""
    if remote == "docker" and (reason := _docker_missing()):
        pytest.skip(f"no Docker engine: {reason}")
    one = ToolUseEnv(backend=remote)
    batch = LocalEnvs([ToolUseEnv(backend=remote) for _ in range(8)])
    run_plans(one, plans[:50])  # warm-up
    run_plans_together(batch, plans[:50])
    single, together = interleaved(
        benchmark, lambda: run_plans(one, plans), lambda: run_plans_together(batch, plans)
    )
    ratio = together / single
    benchmark.extra_info.update(
        one_env_steps_per_s=round(single), steps_per_s=round(together), ratio=round(ratio, 2)
    )
    print(
        f"\n{remote:9s} 8 envs stepped together: {together:,.0f} steps/s, one env "
        f"{single:,.0f} steps/s: {ratio:.2f}x (target >= 3x)"
    )
    one.close()
    batch.close()


def test_container_cold_start(benchmark) -> None:
    if reason := _docker_missing():
        pytest.skip(f"no Docker engine: {reason}")
    from steptool_env.sandbox.container import ContainerServer

    warm = ContainerServer()
    warm.start()  # builds the image if needed; not part of the timing
    warm.stop()
    servers: list[ContainerServer] = []

    def cold_start() -> None:
        server = ContainerServer()
        server.start()
        servers.append(server)

    def cleanup() -> None:
        while servers:
            servers.pop().stop()

    benchmark.pedantic(cold_start, rounds=5, iterations=1, teardown=cleanup)
    s = benchmark.stats.stats.median
    benchmark.extra_info["median_s"] = round(s, 3)
    print(f"\ncontainer cold start to healthy: median {s:.3f} s")


def test_client_against_a_bare_socket(benchmark, calls) -> None:
    """The sandbox's HTTP client (``HttpClient.exchange`` of each gold call, as a backend
    sends it) against the same request bytes written and read on a bare keep-alive socket
    by the simplest possible code, interleaved round by round on one local server: what the
    client adds to a call is the difference of their p50s."""
    import json
    import socket

    from steptool_env.sandbox.http import LocalServer

    server = LocalServer()
    server.start()
    session = server.request("POST", "/sessions")["session"]
    path = f"/sessions/{session}/call"
    bodies = [json.dumps({"tool": t, "api": a, "arguments": x}).encode() for t, a, x in calls]
    client = server._connected()
    host, port = server._base.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def bare(body: bytes) -> None:
        sock.sendall(
            b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
            % (path.encode(), len(body), body)
        )
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += sock.recv(65536)
        head, _, rest = buf.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(rest) < length:
            rest += sock.recv(65536)
        json.loads(rest)

    def ours(body: bytes) -> None:
        json.loads(client.exchange("POST", path, body, 10.0)[1])

    lat: dict[str, list[float]] = {"client": [], "bare": []}

    def one_round() -> None:
        for body in bodies:
            for name, fn in (("client", ours), ("bare", bare)):
                t0 = time.perf_counter()
                fn(body)
                lat[name].append(time.perf_counter() - t0)

    benchmark.pedantic(one_round, rounds=3, iterations=1)
    p50 = {k: _pct(v, 0.5) * 1e3 for k, v in lat.items()}
    benchmark.extra_info.update({f"{k}_p50_ms": round(v, 4) for k, v in p50.items()})
    print(
        f"\nper call p50: HttpClient {p50['client']:.3f} ms, bare socket {p50['bare']:.3f} ms: "
        f"the client adds {p50['client'] - p50['bare']:.3f} ms"
    )
    sock.close()
    server.close()
