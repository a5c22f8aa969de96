"""``backend=`` names to :class:`~steptool_env.sandbox.Backend` objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from steptool_env.errors import ConfigError
from steptool_env.sandbox.backend import DEFAULT_CALL_TIMEOUT_S, Backend, validate_timeout
from steptool_env.world.suite import TaskSuite

BACKENDS = ("inprocess", "http", "docker")
"""Backend names accepted by the env's ``backend=`` (a Backend instance works too)."""


def backend_option_names(name: str) -> tuple[str, ...]:
    """The ``backend_options`` keys that backend ``name`` accepts."""
    common = ("call_timeout_s",)
    if name == "http":
        return (*common, "startup_timeout_s", "url")
    if name == "docker":  # imported here: inprocess envs never load the Docker machinery
        from steptool_env.sandbox.container import DockerOptions

        return (*common, *(f.name for f in fields(DockerOptions)))
    return common


def make_backend(
    backend: str | Backend, suite: TaskSuite, options: Mapping[str, Any] | None = None
) -> Backend:
    """Build the named backend for ``suite`` (remote ones lease a session from a pool)."""
    options = dict(options or {})
    if not isinstance(backend, str):
        if isinstance(backend, Backend):
            if options:
                raise ConfigError(
                    "backend_options", sorted(options), "only for a backend given by name"
                )
            return backend
        raise ConfigError("backend", backend, "must be a backend name or a Backend instance")
    if backend not in BACKENDS:
        raise ConfigError("backend", backend, choices=BACKENDS)
    allowed = backend_option_names(backend)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ConfigError(
            "backend_options", unknown, f"not options of backend {backend!r}", choices=allowed
        )
    if backend == "docker" and not suite.sandboxable:
        raise ConfigError(
            "backend", backend, "StableToolBench queries run on inprocess or http (not docker yet)"
        )
    timeout = validate_timeout(options.pop("call_timeout_s", DEFAULT_CALL_TIMEOUT_S))
    if backend == "inprocess":
        from steptool_env.sandbox.inprocess import InProcessBackend

        return InProcessBackend(suite, timeout)
    from steptool_env.sandbox.pool import shared_pool

    if backend == "http":
        from steptool_env.sandbox.http import LocalServer

        startup = validate_timeout(options.get("startup_timeout_s", 30.0), "startup_timeout_s")
        url = options.get("url")
        if url is not None:
            from steptool_env.sandbox.remote import ExternalServer

            if not isinstance(url, str) or not url.startswith(("http://", "unix:")):
                raise ConfigError("url", url, 'must be "http://HOST:PORT" or "unix:/path"')
            pool = shared_pool(("url", suite.name, url), lambda: ExternalServer(url, suite.name))
            return pool.lease(timeout)
        pool = shared_pool(("http", suite.name, startup), lambda: LocalServer(suite.name, startup))
        return pool.lease(timeout)
    from steptool_env.sandbox.container import ContainerServer, DockerOptions

    docker_options = DockerOptions(**options)
    pool = shared_pool(
        ("docker", suite.name, docker_options),
        lambda: ContainerServer(suite.name, docker_options),
    )
    return pool.lease(timeout)
