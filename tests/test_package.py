from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import steptool_env
from steptool_env import errors


def test_import_is_cheap() -> None:
    code = (
        "import sys, steptool_env; heavy = {'torch', 'transformers', 'docker', 'pandas', "
        "'matplotlib', 'httpx'} & set(sys.modules); print(sorted(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.strip() == "[]"


def test_one_error_root() -> None:
    for name in (
        "ConfigError",
        "CatalogueError",
        "TaskError",
        "ToolError",
        "SandboxError",
        "ProviderError",
        "MissingDependencyError",
    ):
        assert issubclass(getattr(errors, name), errors.StepToolError)
    assert steptool_env.StepToolError is errors.StepToolError


def test_missing_extra_names_the_extra() -> None:
    err = errors.MissingDependencyError("pandas", "bench")
    assert "pip install 'steptool-env[bench]'" in str(err)
