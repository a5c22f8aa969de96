"""The shell scripts of the repository parse (``bash -n``): a typo in a long evidence script
would otherwise show only hours into a run."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

SCRIPTS = sorted([*REPO.glob("benchmarks/*.sh"), *REPO.glob("docker/*.sh"), REPO / ".ci" / "run"])


def test_scripts_are_found() -> None:
    names = {p.name for p in SCRIPTS}
    assert {"lm_evidence.sh", "train_evidence.sh", "run"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_script_parses(script: Path) -> None:
    done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
