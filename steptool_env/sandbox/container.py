"""``backend="docker"``: the API-mock server in a locked-down container.

The container has no network at all (``network_mode="none"``): the library reaches the
server through a unix socket in a private host folder bind-mounted at ``/run/steptool``.
It runs with a read-only root filesystem (a small tmpfs at ``/tmp``), a non-root user, all
capabilities dropped, ``no-new-privileges``, and memory, CPU and pids limits; every
container carries the label ``io.steptool.sandbox=container`` plus its owner's pid and
host, and its socket folder is named ``steptool-sandbox-<owner pid>-*``, so what a killed
process left is found and removed (:func:`prune_containers`, also ``steptool sandbox
prune``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steptool_env.errors import ConfigError, SandboxError, require
from steptool_env.sandbox.http_client import HttpClient
from steptool_env.sandbox.image import ensure_image
from steptool_env.sandbox.remote import ServerHandle
from steptool_env.sandbox.server import ServerLimits

LABEL = "io.steptool.sandbox"
OWNER_PID = "io.steptool.owner-pid"
OWNER_HOST = "io.steptool.owner-host"
SOCKET_DIR = "/run/steptool"
SANDBOX_UID = 10001
SOCKET_DIR_PREFIX = "steptool-sandbox-"
_SOCKET_DIR_NAME = re.compile(rf"{SOCKET_DIR_PREFIX}(\d+)-[^/]+")
_counter = 0
_counter_lock = threading.Lock()


@dataclass(frozen=True)
class DockerOptions:
    """How sandbox containers are built and limited (``backend_options`` of the env)."""

    image: str | None = None
    """Image to run; default ``steptool-sandbox:<version>-<code digest>``, built if missing."""
    base_image: str | None = None
    """Base for a build; default ``$STEPTOOL_SANDBOX_BASE_IMAGE`` or ``python:3.11-slim``."""
    build: bool = True
    """Build the image when it is missing (else a missing image is an error)."""
    memory: str = "512m"
    """Memory limit (no swap beyond it)."""
    cpus: float = 1.0
    """CPU limit, in cores."""
    pids: int = 128
    """Limit on processes and threads inside the container."""
    startup_timeout_s: float = 30.0
    """How long a new container may take to answer its health check."""

    def __post_init__(self) -> None:
        if not isinstance(self.memory, str) or not self.memory[:1].isdigit():
            raise ConfigError("memory", self.memory, 'must be a size such as "512m"')
        if isinstance(self.cpus, bool) or not isinstance(self.cpus, int | float):
            raise ConfigError("cpus", self.cpus, "must be a number of cores")
        if not 0.01 <= self.cpus <= 256:
            raise ConfigError("cpus", self.cpus, "must be between 0.01 and 256 cores")
        if isinstance(self.pids, bool) or not isinstance(self.pids, int) or self.pids < 16:
            raise ConfigError("pids", self.pids, "must be an integer >= 16")


_client: Any = None
_client_lock = threading.Lock()


def docker_client() -> Any:
    """The docker SDK client of this process, or a :class:`SandboxError` saying how to fix it."""
    global _client
    docker = require("docker", "docker")
    with _client_lock:
        if _client is not None:
            return _client
        try:
            client = docker.from_env(timeout=60)
            client.ping()
        except docker.errors.DockerException as exc:
            raise SandboxError(
                "backend='docker' needs a running Docker daemon, and none answered "
                f"({exc}). Start one (`sudo systemctl start docker`, or `sudo dockerd &`), "
                "point DOCKER_HOST at it, or use backend='inprocess' or 'http' instead."
            ) from None
        _client = client
        return client


def isolation_settings(options: DockerOptions) -> dict[str, Any]:
    """The ``containers.run`` settings that lock a sandbox container down."""
    return {
        "network_mode": "none",
        "read_only": True,
        "tmpfs": {"/tmp": "rw,nosuid,nodev,noexec,size=16m"},
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "mem_limit": options.memory,
        "memswap_limit": options.memory,
        "nano_cpus": int(options.cpus * 1e9),
        "pids_limit": options.pids,
    }


class ContainerServer(ServerHandle):
    """One sandbox container serving the API world on a unix socket."""

    kind = "docker"

    def __init__(
        self,
        suite: str = "toolbench",
        options: DockerOptions | None = None,
        limits: ServerLimits | None = None,
    ) -> None:
        options = options or DockerOptions()
        super().__init__(suite, options.startup_timeout_s)
        self.options = options
        self.limits = limits or ServerLimits()
        self.container: Any = None
        self._dir: Path | None = None

    def _launch(self) -> tuple[str, HttpClient]:
        global _counter
        client = docker_client()
        image = ensure_image(
            client, self.options.image, self.options.base_image, self.options.build
        )
        self._dir = Path(tempfile.mkdtemp(prefix=f"{SOCKET_DIR_PREFIX}{os.getpid()}-"))
        if os.getuid() == 0:
            os.chown(self._dir, SANDBOX_UID, SANDBOX_UID)
            user = f"{SANDBOX_UID}:{SANDBOX_UID}"
        else:  # rootless or docker-group user: run as this user so it owns the socket
            user = f"{os.getuid()}:{os.getgid()}"
        with _counter_lock:
            _counter += 1
            name = f"steptool-sandbox-{os.getpid()}-{_counter}"
        docker = require("docker", "docker")
        try:
            self.container = client.containers.run(
                image,
                command=[
                    *("--suite", self.suite, "--unix", f"{SOCKET_DIR}/api.sock"),
                    *self.limits.argv(),
                ],
                name=name,
                detach=True,
                user=user,
                labels={
                    LABEL: "container",
                    OWNER_PID: str(os.getpid()),
                    OWNER_HOST: socket.gethostname(),
                },
                volumes={str(self._dir): {"bind": SOCKET_DIR, "mode": "rw"}},
                **isolation_settings(self.options),
            )
        except BaseException as exc:
            # Created but not handed back (an interrupt, a timeout): remove it by its name.
            with contextlib.suppress(docker.errors.DockerException):
                client.containers.get(name).remove(force=True)
            self._terminate()
            if isinstance(exc, docker.errors.DockerException):
                raise SandboxError(
                    f"could not start a sandbox container from {image}: {exc}"
                ) from exc
            raise
        return "http://sandbox", HttpClient("http://sandbox", uds=str(self._dir / "api.sock"))

    def _terminate(self) -> None:
        container, self.container = self.container, None
        if container is not None:
            docker = require("docker", "docker")
            try:
                container.remove(force=True)
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as exc:
                if "already in progress" not in str(exc):
                    raise SandboxError(f"could not remove {container.name}: {exc}") from exc
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def alive(self) -> bool:
        if self.container is None:
            return False
        docker = require("docker", "docker")
        try:
            self.container.reload()
        except docker.errors.DockerException:
            return False
        # A paused container is frozen, not dead: its calls time out (status 5).
        return self.container.status in ("running", "paused")

    def describe(self) -> str:
        name = self.container.name if self.container is not None else "(not started)"
        return f"sandbox container {name}"

    def _logs(self) -> str:
        if self.container is None:
            return ""
        try:
            tail = self.container.logs(tail=40).decode("utf-8", "replace").strip()
        except Exception:
            return ""
        return f"; its output:\n{tail}" if tail else ""


def sandbox_containers(client: Any = None, all_owners: bool = True) -> list[Any]:
    """Every container labelled as a steptool sandbox (running or not)."""
    client = client or docker_client()
    found = client.containers.list(all=True, filters={"label": f"{LABEL}=container"})
    if all_owners:
        return list(found)
    return [c for c in found if c.labels.get(OWNER_PID) == str(os.getpid())]


def prune_containers(client: Any = None, everything: bool = False) -> list[str]:
    """Remove sandbox containers whose owner process on this host is gone (or all of them),
    with their socket folders (:func:`prune_socket_dirs` removes the folders left alone).

    Returns the names removed.
    """
    client = client or docker_client()
    host = socket.gethostname()
    removed = []
    for container in sandbox_containers(client):
        if not everything:
            if container.labels.get(OWNER_HOST) != host:
                continue
            if _owner_alive(container.labels.get(OWNER_PID, "")):
                continue
        folders = [
            Path(m["Source"])
            for m in container.attrs.get("Mounts", [])
            if m.get("Destination") == SOCKET_DIR and m.get("Source")
        ]
        container.remove(force=True)
        for folder in folders:
            if folder.name.startswith(SOCKET_DIR_PREFIX):  # never another folder mounted there
                shutil.rmtree(folder, ignore_errors=True)
        removed.append(container.name)
    return removed


def prune_socket_dirs(tmp: str | Path | None = None) -> list[Path]:
    """Remove the socket folders whose owner process is gone (from before its container
    started, or whose container was removed by hand); returns the folders removed."""
    removed = []
    for folder in Path(tmp or tempfile.gettempdir()).glob(f"{SOCKET_DIR_PREFIX}*"):
        match = _SOCKET_DIR_NAME.fullmatch(folder.name)
        if match and folder.is_dir() and not _owner_alive(match.group(1)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _owner_alive(pid_label: str) -> bool:
    try:
        pid = int(pid_label)
    except ValueError:
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # a live process of another user
    return True
