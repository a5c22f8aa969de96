"""Server pools: sharing, capacity, release and keep-warm, on stand-in servers."""

from __future__ import annotations

from typing import Any

from steptool_env.sandbox.pool import ServerPool
from steptool_env.sandbox.remote import ServerHandle


class StandIn(ServerHandle):
    """A server handle that starts nothing (the pool's bookkeeping is what is tested)."""

    kind = "stand-in"
    started: list[StandIn] = []

    def __init__(self) -> None:
        super().__init__("toolbench", 1.0)
        self.running = False

    def start(self) -> None:
        self.running = True
        self.generation += 1
        StandIn.started.append(self)

    def stop(self) -> None:
        self.running = False

    def _launch(self) -> Any:  # pragma: no cover - start() is replaced
        raise AssertionError

    def _terminate(self) -> None:  # pragma: no cover
        pass

    def alive(self) -> bool:
        return self.running


def test_leases_share_servers_up_to_capacity_and_release_stops_them() -> None:
    pool = ServerPool(StandIn, max_sessions_per_server=3, max_servers=2)
    backends = [pool.lease(1.0) for _ in range(7)]
    servers = pool.servers
    assert len(servers) == 2  # capped: the 7th env shares an already full server
    assert sorted(sum(b.server is s for b in backends) for s in servers) == [3, 4]
    for b in backends[:-1]:
        b.close()
    assert sum(s.alive() for s in servers) == 1
    backends[-1].close()
    backends[-1].close()  # a second close does not release twice
    assert not any(s.alive() for s in servers) and pool.servers == ()


def test_keep_warm_holds_idle_servers_until_the_block_ends() -> None:
    pool = ServerPool(StandIn)
    with pool.keep_warm():
        first = pool.lease(1.0)
        server = first.server
        first.close()
        assert server.alive()
        second = pool.lease(1.0)
        assert second.server is server  # reused, not restarted
        second.close()
    assert not server.alive()


def test_close_stops_everything() -> None:
    pool = ServerPool(StandIn)
    backend = pool.lease(1.0)
    pool.close()
    assert not backend.server.alive()
