"""Pools of API-mock servers shared by many envs, and their cleanup.

Every env with ``backend="http"`` (or ``"docker"``) and the same options leases a session
on one pool's servers: a server is started when the first env needs it, takes up to
``max_sessions_per_server`` envs, and is stopped when its last env closes -- or at
interpreter exit, whichever comes first. :meth:`ServerPool.keep_warm` keeps the servers
running between envs (benchmarks, or tests that open many envs one after another). A
server the pool has stopped is closed for good: a backend still holding it fails on its
next call instead of starting a server that no pool would stop.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from functools import partial

from steptool_env.sandbox.remote import RemoteBackend, ServerHandle


class ServerPool:
    """Servers of one kind and configuration, shared by the backends leased from it."""

    def __init__(
        self,
        factory: Callable[[], ServerHandle],
        max_sessions_per_server: int = 64,
        max_servers: int = 8,
    ) -> None:
        self.factory = factory
        self.max_sessions_per_server = max_sessions_per_server
        self.max_servers = max_servers
        self._leases: dict[ServerHandle, int] = {}
        self._warm = 0
        self._lock = threading.Lock()

    @property
    def servers(self) -> tuple[ServerHandle, ...]:
        return tuple(self._leases)

    def lease(self, call_timeout_s: float) -> RemoteBackend:
        """A backend with its own session on the least busy server (starting one if needed)."""
        with self._lock:
            server = min(self._leases, key=self._leases.__getitem__, default=None)
            if server is None or (
                self._leases[server] >= self.max_sessions_per_server
                and len(self._leases) < self.max_servers
            ):
                server = self.factory()
                server.start()
                self._leases[server] = 0
            self._leases[server] += 1
        # RemoteBackend.close() calls release once, however often it is closed.
        return RemoteBackend(server, call_timeout_s, release=partial(self._release, server))

    def _release(self, server: ServerHandle) -> None:
        with self._lock:
            self._leases[server] -= 1
            if self._leases[server] > 0 or self._warm:
                return
            del self._leases[server]
        server.close()

    @contextmanager
    def keep_warm(self) -> Iterator[ServerPool]:
        """Keep this pool's servers running while the block runs, even with no env open."""
        with self._lock:
            self._warm += 1
        try:
            yield self
        finally:
            with self._lock:
                self._warm -= 1
                idle = [s for s, n in self._leases.items() if n == 0] if not self._warm else []
                for server in idle:
                    del self._leases[server]
            for server in idle:
                server.close()

    def close(self) -> None:
        """Stop every server now (backends still leased fail on their next call)."""
        with self._lock:
            servers = list(self._leases)
            self._leases.clear()
        for server in servers:
            server.close()


_POOLS: dict[Hashable, ServerPool] = {}
_POOLS_LOCK = threading.Lock()


def shared_pool(key: Hashable, factory: Callable[[], ServerHandle]) -> ServerPool:
    """The process-wide pool for ``key`` (created on first use)."""
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            pool = _POOLS[key] = ServerPool(factory)
        return pool


def shutdown_pools() -> None:
    """Stop every server of every shared pool (also runs at interpreter exit)."""
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
    for pool in pools:
        pool.close()


atexit.register(shutdown_pools)
