"""``steptool bench`` on StepTool/StableToolBench-v0: real files, groups by usual names."""

from __future__ import annotations

from pathlib import Path

import pytest

from steptool_env.bench import BenchConfig, leaderboard_table, run_bench
from steptool_env.errors import ConfigError

ENV_ID = "StepTool/StableToolBench-v0"


def test_oracle_and_random_on_the_real_subsets(stabletoolbench: Path, tmp_path: Path) -> None:
    cfg = BenchConfig(
        agents=("oracle", "random"),
        env_ids=(ENV_ID,),
        subsets="test",
        seeds=(0,),
        limit=8,
        num_envs=4,
        out=tmp_path,
        progress=False,
    )
    run = run_bench(cfg)
    subsets = {r["subset"] for r in run.records}
    assert subsets == {"I1-Inst", "I1-Tool", "I2-Inst"}  # the files present, usual names
    assert len(run.records) == 2 * 3 * 8
    table = leaderboard_table(run.records)
    assert [c for c in table.columns if not c.endswith(" std")][:4] == [
        "I1-Inst", "I1-Tool", "I2-Inst", "Average"
    ]  # fmt: skip
    for subset in subsets:
        assert table.loc[(ENV_ID, "oracle"), subset] == pytest.approx(100.0)
    assert table.loc[(ENV_ID, "random"), "Average"] < 100.0
    assert all(r["task_id"].startswith(r["subset"] + "/") for r in run.records)


def test_subsets_the_data_lacks(stabletoolbench: Path, tmp_path: Path) -> None:
    cfg = BenchConfig(
        agents=("oracle",),
        env_ids=(ENV_ID,),
        subsets=("I3-Inst",),
        seeds=(0,),
        out=tmp_path,
        progress=False,
    )
    with pytest.raises(ConfigError, match="has none of them"):
        run_bench(cfg)
