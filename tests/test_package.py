from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import steptool_env
from steptool_env import errors


def _python(code: str) -> subprocess.CompletedProcess[str]:
    """``code`` run by a fresh interpreter in the repository root."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=120,
    )


def test_import_is_cheap() -> None:
    code = (
        "import sys, steptool_env; heavy = {'torch', 'transformers', 'docker', 'pandas', "
        "'matplotlib', 'httpx'} & set(sys.modules); print(sorted(heavy))"
    )
    out = _python(code)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


def test_the_http_backend_needs_no_extra() -> None:
    """``backend="http"`` runs an episode with every optional dependency unimportable (the
    sandbox's client and server use the standard library only)."""
    code = (
        "import sys\n"
        "for name in ('httpx', 'docker', 'torch', 'transformers', 'pandas', 'ray'):\n"
        "    sys.modules[name] = None  # import fails\n"
        "import gymnasium as gym, steptool_env\n"
        "env = gym.make('StepTool/ToolBench-v0', backend='http')\n"
        "env.reset(seed=0)\n"
        "obs, reward, *_ = env.step('Action: Finish\\nAction Input: {}')\n"
        "env.close()\n"
        "print(env.unwrapped.backend.name, obs)\n"
    )
    out = _python(code)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("http ") and "Finish needs return_type" in out.stdout


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
