"""Provenance of a benchmark run: versions, git commit, hashes."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from functools import cache
from pathlib import Path
from typing import Any


@cache
def git_commit() -> str:
    """The commit of the source checkout the package runs from ("unknown" outside git)."""
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = out.stdout.strip()
    if out.returncode != 0 or not commit:
        return "unknown"
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=5,
        check=False,
    )
    return commit + ("-dirty" if dirty.stdout.strip() else "")


def config_hash(config: Any) -> str:
    blob = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def environment() -> dict[str, str]:
    import gymnasium

    from steptool_env.version import __version__

    return {
        "package_version": __version__,
        "gymnasium_version": gymnasium.__version__,
        "python_version": platform.python_version(),
        "git_commit": git_commit(),
    }


def is_solved_rule(env_id: str) -> str | None:
    """The IsSolved rule ``gym.make(env_id)`` scores with, for env ids that offer a choice
    (StableToolBench: ``grounded`` or ``lenient``); None for the others. Every record of such
    an env id carries it, so a leaderboard says which rule scored it."""
    import gymnasium as gym

    from steptool_env.envs.registration import text_env_class

    default = text_env_class(env_id).default_is_solved_rule
    if default is None:
        return None
    return str(gym.spec(env_id).kwargs.get("is_solved_rule", default))


SCORING_VERSION = 2
"""Bumped whenever what a record's ``return`` or ``is_solved`` means changes. 2: the bounded
default step reward and StableToolBench's grounded IsSolved rule (1: the paper's formula
and the lenient rule)."""


def scoring(env_id: str) -> str:
    """What scored the records of ``env_id``: ``v{SCORING_VERSION}:{reward_mode}:{rule}``
    (``rule`` is ``checker`` for the generated suite). Part of an episode's identity, so a
    resumed run never mixes records scored under other rules."""
    import gymnasium as gym

    mode = gym.spec(env_id).kwargs.get("reward_mode", "steptool")
    return f"v{SCORING_VERSION}:{mode}:{is_solved_rule(env_id) or 'checker'}"
