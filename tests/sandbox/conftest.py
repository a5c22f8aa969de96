"""Fixtures for the backend tests: warm server pools, and Docker when there is one."""

from __future__ import annotations

import os

import pytest

from steptool_env.errors import MissingDependencyError, SandboxError


def docker_unavailable() -> str | None:
    """Why the Docker tests cannot run here, or None when they can."""
    try:
        from steptool_env.sandbox.container import docker_client

        docker_client()
    except (MissingDependencyError, SandboxError) as exc:
        return f"no usable Docker engine: {exc}"
    return None


@pytest.fixture(scope="session")
def docker_ready() -> None:
    reason = docker_unavailable()
    if reason is not None:
        if os.environ.get("STEPTOOL_REQUIRE_DOCKER"):
            pytest.fail(f"STEPTOOL_REQUIRE_DOCKER is set, but: {reason}")
        pytest.skip(reason)
