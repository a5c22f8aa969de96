from __future__ import annotations

import json
from pathlib import Path

import pytest

from steptool_env.cli import main

PROVENANCE = {
    "env_id",
    "env_version",
    "suite_hash",
    "agent",
    "agent_config",
    "agent_config_hash",
    "parser",
    "seed",
    "sample",
    "package_version",
    "git_commit",
    "task_id",
    "subset",
    "is_solved",
    "wall_s",
    "statuses",
    "infra_error",
}


def bench(out: Path, *extra: str) -> int:
    return main(
        [
            "bench",
            "--agents",
            "random,oracle",
            "--subsets",
            "I1-Inst,I3-Inst",
            "--seeds",
            "0,1",
            "--limit",
            "6",
            "--num-envs",
            "3",
            "--no-progress",
            "--out",
            str(out),
            *extra,
        ]
    )


@pytest.mark.slow
def test_bench_writes_records_and_leaderboards(tmp_path: Path, capsys) -> None:
    assert bench(tmp_path / "a") == 0
    records = [json.loads(x) for x in (tmp_path / "a" / "episodes.jsonl").read_text().splitlines()]
    assert len(records) == 2 * 2 * 2 * 6
    assert all(set(r) >= PROVENANCE for r in records)
    assert {r["agent"] for r in records} == {"random", "oracle"}
    md = (tmp_path / "a" / "leaderboard.md").read_text()
    assert "| `oracle` | 100.0 [100.0, 100.0] | 100.0 [100.0, 100.0] | 100.0 [100.0, 100.0] |" in md
    assert "steptool bench" in md
    csv = (tmp_path / "a" / "leaderboard.csv").read_text()
    assert csv.splitlines()[0].startswith("env_id,agent,I1-Inst,I1-Inst ci low,I1-Inst ci high")
    assert "Leaderboard" in capsys.readouterr().out


@pytest.mark.slow
def test_same_benchmark_twice_same_numbers(tmp_path: Path) -> None:
    assert bench(tmp_path / "a") == 0
    assert bench(tmp_path / "b") == 0
    assert (tmp_path / "a" / "leaderboard.csv").read_bytes() == (
        tmp_path / "b" / "leaderboard.csv"
    ).read_bytes()
    # steptool leaderboard rebuilds the same table, naming the command from run.json
    assert main(["leaderboard", str(tmp_path / "a"), "--out", str(tmp_path / "c")]) == 0
    csv = "leaderboard.csv"
    assert (tmp_path / "c" / csv).read_bytes() == (tmp_path / "a" / csv).read_bytes()
    md = (tmp_path / "c" / "leaderboard.md").read_text(encoding="utf-8")
    assert "command: `steptool bench --agents random,oracle --subsets I1-Inst,I3-Inst" in md


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--agents", "gpt"], "agents[0]='gpt'"),
        (["--subsets", "I4-Inst"], "subsets='I4-Inst'"),
        (["--seeds", "0,0"], "duplicate seed"),
        (["--num-envs", "0"], "num_envs=0"),
        (["--parser", "xml"], "parser='xml'"),
        (["--env-ids", "StepTool/Nope-v0"], "env_ids='StepTool/Nope-v0'"),
        (["--samples", "0"], "samples=0"),
        (["--backend", "cloud"], "backend='cloud'"),
    ],
)
def test_bad_flags_name_the_field(tmp_path: Path, capsys, args: list[str], needle: str) -> None:
    code = main(["bench", "--no-progress", "--out", str(tmp_path), "--limit", "1", *args])
    assert code == 2
    assert needle in capsys.readouterr().err


def test_suite_command(capsys) -> None:
    assert main(["suite"]) == 0
    out = capsys.readouterr().out
    assert "hash" in out and "I3-Inst" in out


def test_usage_errors_return_nonzero() -> None:
    assert main(["frobnicate"]) == 2
    assert main(["bench", "--seeds", "a,b"]) == 2
