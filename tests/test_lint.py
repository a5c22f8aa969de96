"""Static checks that run with the test suite: ruff, the layer contract of DESIGN.md
(imports only point down) checked by import-linter, and mypy on the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_ruff_is_clean() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "steptool_env", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_layers_only_import_downwards() -> None:
    out = subprocess.run(
        [str(BIN / "lint-imports")], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.slow
def test_mypy_finds_no_errors_in_the_package() -> None:
    """Type checking of ``steptool_env`` with the settings in pyproject.toml ([tool.mypy])."""
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "steptool_env"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
