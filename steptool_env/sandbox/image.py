"""Building the sandbox image, offline: no registry, no network during the build.

The build context is the package's own sources plus the suite content and
``docker/Dockerfile``; the image runs them on the base's Python 3.11+ with nothing else
installed. Images are tagged ``steptool-sandbox:<version>-<code digest>``, so an image
built from other sources is never reused by mistake (the server's health check compares
the digest too).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from steptool_env.errors import SandboxError, require
from steptool_env.resources import content_root
from steptool_env.sandbox.server import code_digest

IMAGE_REPOSITORY = "steptool-sandbox"
DEFAULT_BASE_IMAGE = "python:3.11-slim"
BASE_IMAGE_ENV = "STEPTOOL_SANDBOX_BASE_IMAGE"
_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def default_tag() -> str:
    from steptool_env.version import __version__

    return f"{IMAGE_REPOSITORY}:{__version__}-{code_digest()[:12]}"


def default_base_image() -> str:
    return os.environ.get(BASE_IMAGE_ENV) or DEFAULT_BASE_IMAGE


def dockerfile_path() -> Path:
    path = content_root() / "docker" / "Dockerfile"
    if not path.is_file():
        raise SandboxError(f"no Dockerfile at {path}: the installation is incomplete")
    return path


def prepare_context(dest: Path) -> Path:
    """Write the build context into ``dest``: Dockerfile, sources, suite content."""
    shutil.copy2(dockerfile_path(), dest / "Dockerfile")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "_content")
    shutil.copytree(_PACKAGE_DIR, dest / "steptool_env", ignore=ignore)
    shutil.copytree(
        content_root() / "envs",
        dest / "steptool_env" / "_content" / "envs",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return dest


def build_image(
    client: Any,
    tag: str | None = None,
    base_image: str | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> Any:
    """Build the sandbox image with no network (``--network none``); returns the image."""
    docker = require("docker", "docker")
    tag = tag or default_tag()
    base = base_image or default_base_image()
    try:
        client.images.get(base)
    except docker.errors.ImageNotFound:
        raise SandboxError(
            f"the base image {base!r} is not on this Docker host, and the build runs without "
            "network, so it cannot be pulled. Pull it (`docker pull "
            f"{base}`), or build one offline with docker/build-base-image.sh and pass "
            f"--base-image / ${BASE_IMAGE_ENV}."
        ) from None
    with tempfile.TemporaryDirectory(prefix="steptool-build-") as tmp:
        prepare_context(Path(tmp))
        try:
            image, output = client.images.build(
                path=tmp,
                tag=tag,
                buildargs={"BASE_IMAGE": base},
                network_mode="none",
                pull=False,
                rm=True,
                forcerm=True,
            )
        except docker.errors.BuildError as exc:
            lines = "".join(str(c.get("stream", c.get("error", ""))) for c in exc.build_log)
            raise SandboxError(f"building {tag} on {base} failed: {exc}\n{lines[-3000:]}") from exc
        for chunk in output:
            if "stream" in chunk and chunk["stream"].strip():
                log(chunk["stream"].rstrip())
    return image


def ensure_image(
    client: Any, tag: str | None = None, base_image: str | None = None, build: bool = True
) -> str:
    """The tag of a present sandbox image: reused if it exists, else built (if allowed)."""
    docker = require("docker", "docker")
    tag = tag or default_tag()
    try:
        client.images.get(tag)
        return tag
    except docker.errors.ImageNotFound:
        if not build:
            raise SandboxError(
                f"the sandbox image {tag} does not exist: build it with `steptool sandbox build`"
            ) from None
    build_image(client, tag, base_image)
    return tag
