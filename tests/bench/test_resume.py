"""Interrupt and resume: a runner killed with SIGKILL mid-run, rerun with the same command,
ends with the leaderboard of an uninterrupted run, every episode exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from steptool_env.bench.store import episode_key
from steptool_env.cli import main

ARGS = [
    "bench",
    "--agents",
    "random,heuristic,oracle",
    "--subsets",
    "test",
    "--seeds",
    "0,1",
    "--limit",
    "60",
    "--num-envs",
    "4",
    "--no-progress",
]
TOTAL = 3 * 6 * 2 * 60


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _kill_after(out: Path, at_least: int) -> int:
    """Start the runner in a child process, SIGKILL it once it has written ``at_least``
    records; return how many complete records it left."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "steptool_env.cli", *ARGS, "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    episodes = out / "episodes.jsonl"
    deadline = time.monotonic() + 120
    try:
        while _lines(episodes) < at_least:
            assert proc.poll() is None, "the runner ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.002)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return _lines(episodes)


def _records(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "episodes.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_kill_9_twice_then_resume_gives_the_uninterrupted_leaderboard(tmp_path: Path) -> None:
    assert main([*ARGS, "--out", str(tmp_path / "whole")]) == 0
    killed = tmp_path / "killed"
    first = _kill_after(killed, 20)
    assert 20 <= first < TOTAL
    second = _kill_after(killed, first + 200)  # the resumed run is killed again
    assert first + 200 <= second < TOTAL
    assert main([*ARGS, "--out", str(killed)]) == 0

    whole, resumed = _records(tmp_path / "whole"), _records(killed)
    keys = Counter(episode_key(r) for r in resumed)
    assert len(keys) == TOTAL and max(keys.values()) == 1  # none lost, none twice
    assert keys.keys() == {episode_key(r) for r in whole}
    digest = {episode_key(r): r["trajectory_digest"] for r in whole}
    assert all(digest[episode_key(r)] == r["trajectory_digest"] for r in resumed)
    for name in ("leaderboard.csv",):
        assert (killed / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()
    md = (killed / "leaderboard.md").read_text()
    assert "| `oracle` | 100.0 [100.0, 100.0] |" in md


@pytest.mark.slow
def test_a_second_run_in_the_same_folder_runs_nothing(tmp_path: Path, capsys) -> None:
    args = [*ARGS[:-5], "--limit", "2", "--no-progress", "--out", str(tmp_path)]
    assert main(args) == 0
    before = (tmp_path / "episodes.jsonl").read_bytes()
    capsys.readouterr()
    assert main(args) == 0
    assert "resumed: 72 episodes already recorded, 0 run now" in capsys.readouterr().out
    assert (tmp_path / "episodes.jsonl").read_bytes() == before
