"""Where the declarative suite content (``envs/``, ``agents/``) lives.

In a source checkout (or an editable install) it is the repository's own ``envs/`` and
``agents/`` folders; in a built wheel the same folders are shipped as
``steptool_env/_content/``. The environment variable ``STEPTOOL_CONTENT_DIR`` overrides both
(a folder holding ``envs/`` and ``agents/``).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from steptool_env.errors import ConfigError

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def content_root() -> Path:
    """The folder that holds ``envs/`` and ``agents/``."""
    override = os.environ.get("STEPTOOL_CONTENT_DIR")
    candidates = [Path(override)] if override else []
    candidates += [_PACKAGE_DIR / "_content", _PACKAGE_DIR.parent]
    for cand in candidates:
        if (cand / "envs").is_dir():
            return cand
    raise ConfigError(
        "STEPTOOL_CONTENT_DIR",
        override,
        f"no envs/ folder found in any of {[str(c) for c in candidates]}",
    )


def suite_dir(name: str) -> Path:
    """The content folder of one suite, e.g. ``suite_dir("toolbench")``."""
    path = content_root() / "envs" / name
    if not path.is_dir():
        available = sorted(p.name for p in (content_root() / "envs").iterdir() if p.is_dir())
        raise ConfigError("suite", name, "no such suite content folder", choices=available)
    return path


def agents_dir() -> Path:
    return content_root() / "agents"
