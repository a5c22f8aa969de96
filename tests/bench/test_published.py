"""The published leaderboards are reproducible from the README.

Each leaderboard table in the README (a table whose header starts with ``| Agent |``) names,
in the paragraph above it, the command that rebuilds it and the suite hash. For the
baseline agents (random, heuristic, oracle: cheap, in-process) the test reruns that exact
command (``steptool bench --file benchmarks/baselines.toml``, about 17 s; only ``--out`` and
``--no-progress`` are added) and checks that it gives the committed
``benchmarks/results/baselines/leaderboard.csv`` byte for byte and the README's table. The
StableToolBench baselines are rebuilt and checked the same way where the three query files
the README names are present. The served model's leaderboard needs a model server and tens
of minutes to rebuild, so its episodes are committed (``benchmarks/results/served/
episodes.jsonl``, 60 episodes): the test rebuilds the leaderboard from them.
"""

from __future__ import annotations

import json
import re
import shlex
from itertools import pairwise
from pathlib import Path

import pytest

from steptool_env.bench import leaderboard_table, load_records
from steptool_env.bench.leaderboard import env_lines, to_markdown
from steptool_env.bench.record import as_json
from steptool_env.cli import main
from tests.conftest import STABLETOOLBENCH_SUBSETS

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PUBLISHED = ROOT / "benchmarks" / "results" / "baselines"
BASELINES = "steptool bench --file benchmarks/baselines.toml"
SERVED = ROOT / "benchmarks" / "results" / "served"
SERVED_COMMAND = "python benchmarks/served_bench.py"
STABLETOOLBENCH = (
    "steptool bench --agents oracle,heuristic,random --env-ids StepTool/StableToolBench-v0 "
    "--subsets test --seeds 0,1,2"
)


def readme_tables() -> list[tuple[str, str]]:
    """(the paragraph above, the table) for each leaderboard table of the README, the
    paragraph's whitespace collapsed."""
    blocks = re.split(r"\n\s*\n", README.read_text(encoding="utf-8"))
    out = []
    for before, block in pairwise(blocks):
        if block.startswith("| Agent |"):
            out.append((" ".join(before.split()), block.strip() + "\n"))
    return out


def table_after(command: str) -> tuple[str, str]:
    found = [(text, table) for text, table in readme_tables() if f"`{command}`" in text]
    assert len(found) == 1, f"one README leaderboard table should name `{command}`"
    return found[0]


def rebuild(tmp_path: Path, command: str) -> Path:
    out = tmp_path / "run"
    assert main([*shlex.split(command)[1:], "--out", str(out), "--no-progress"]) == 0
    return out


def check_table(text: str, table: str, out: Path) -> None:
    records = load_records(out)
    for env_id, line in env_lines(records).items():
        assert f"`{env_id}`" in text
        suite_hash, scoring = line.split(" · ")[:2]
        assert suite_hash in text
        assert scoring in text
    assert table == to_markdown(leaderboard_table(records), summary=True)


def test_every_readme_leaderboard_names_its_command_and_suite_hash() -> None:
    tables = readme_tables()
    assert len(tables) >= 2
    for text, _ in tables:
        assert re.search(r"suite hash `[0-9a-f]{16}`", text), text
        assert re.search(r"`steptool bench [^`]+`", text), text


@pytest.mark.slow
def test_baseline_leaderboard_is_what_its_command_gives(tmp_path: Path) -> None:
    text, table = table_after(BASELINES)
    out = rebuild(tmp_path, BASELINES)
    committed = (PUBLISHED / "leaderboard.csv").read_bytes()
    assert (out / "leaderboard.csv").read_bytes() == committed
    assert json.loads((PUBLISHED / "run.json").read_text())["command"] == BASELINES
    published = json.loads((PUBLISHED / "run.json").read_text())["config"]
    rebuilt = json.loads((out / "run.json").read_text())["config"]
    assert {**rebuilt, "out": None} == {**published, "out": None}
    check_table(text, table, out)
    md = (PUBLISHED / "leaderboard.md").read_text(encoding="utf-8")
    assert f"command: `{BASELINES}`" in md


@pytest.mark.slow
@pytest.mark.usefixtures("stabletoolbench")
@pytest.mark.slow
def test_stabletoolbench_table_is_what_its_command_gives(tmp_path: Path) -> None:
    if set(STABLETOOLBENCH_SUBSETS) != {"I1-Inst", "I1-Tool", "I2-Inst"}:
        pytest.skip(
            f"the README's table is over I1-Inst, I1-Tool, I2-Inst, not {STABLETOOLBENCH_SUBSETS}"
        )
    text, table = table_after(STABLETOOLBENCH)
    check_table(text, table, rebuild(tmp_path, STABLETOOLBENCH))


@pytest.mark.slow
def test_served_leaderboard_is_what_its_committed_episodes_give(tmp_path: Path) -> None:
    text, table = table_after(SERVED_COMMAND)
    assert main(["leaderboard", str(SERVED), "--out", str(tmp_path)]) == 0
    committed = (SERVED / "leaderboard.csv").read_bytes()
    assert (tmp_path / "leaderboard.csv").read_bytes() == committed
    md = (SERVED / "leaderboard.md").read_text(encoding="utf-8")
    assert f"command: `{SERVED_COMMAND}`" in md
    check_table(text, table, SERVED)
    agents = {r.agent for r in load_records(SERVED)}
    assert {"smollm2-135m-served-tools", "smollm2-135m-served-text"} <= agents


LM_EVIDENCE = ROOT / "benchmarks" / "results" / "lm-evidence"


@pytest.mark.slow
def test_lm_evidence_leaderboard_and_comparisons_are_what_its_episodes_give(
    tmp_path: Path,
) -> None:
    """The real-model evidence (five arms, hours of CPU) is published with its episodes: the
    leaderboard and every paired comparison are rebuilt from them byte for byte."""
    assert main(["leaderboard", str(LM_EVIDENCE), "--out", str(tmp_path / "board")]) == 0
    committed = (LM_EVIDENCE / "leaderboard.csv").read_bytes()
    assert (tmp_path / "board" / "leaderboard.csv").read_bytes() == committed
    by_agent: dict[str, list] = {}
    for record in load_records(LM_EVIDENCE):
        by_agent.setdefault(record.agent.removeprefix("hf:"), []).append(record)
    arms = {"base": "smollm2-135m-instruct"} | {
        a: f"runs/lm-evidence/{a}/final" for a in ("sft", "ppo-step", "ppo-outcome", "grpo")
    }
    folders = sorted(LM_EVIDENCE.glob("compare-*"))
    assert len(folders) == 8
    for folder in folders:
        name = re.fullmatch(r"compare-(.+)-vs-(.+)-(pass_rate|succ_calling)", folder.name)
        assert name is not None, folder.name
        a, b, metric = name.groups()
        sides = [tmp_path / f"{folder.name}-{side}.jsonl" for side in ("a", "b")]
        for path, arm in zip(sides, (a, b)):
            lines = [json.dumps(r) + "\n" for r in as_json(by_agent[arms[arm]])]
            path.write_text("".join(lines), encoding="utf-8")
        out = tmp_path / folder.name
        argv = ["compare", *map(str, sides), "--metric", metric, "--out", str(out)]
        assert main(argv) == 0
        assert (out / "compare.csv").read_bytes() == (folder / "compare.csv").read_bytes()
