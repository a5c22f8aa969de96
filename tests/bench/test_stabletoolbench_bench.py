"""``steptool bench`` on StepTool/StableToolBench-v0: real files, groups by usual names."""

from __future__ import annotations

from pathlib import Path

import pytest

from steptool_env.bench import BenchConfig, leaderboard_table, run_bench
from steptool_env.bench.leaderboard import metric_columns
from steptool_env.errors import ConfigError
from steptool_env.stabletoolbench.queries import QUERY_FILES, subset_of
from steptool_env.world.suite import TEST_SUBSETS
from tests.conftest import STABLETOOLBENCH_FILES, STABLETOOLBENCH_SUBSETS

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
    subsets = {r.subset for r in run.records}
    assert subsets == set(STABLETOOLBENCH_SUBSETS)  # the files present, usual names
    assert len(run.records) == 2 * len(subsets) * 8
    table = leaderboard_table(run.records)
    in_order = [s for s in TEST_SUBSETS if s in subsets]  # the leaderboard's order
    assert metric_columns(table)[0] == in_order
    assert list(table.columns[: 3 * len(subsets) + 1 : 3]) == [*in_order, "Average"]
    for subset in subsets:
        assert table.loc[(ENV_ID, "oracle"), subset] == pytest.approx(100.0)
    assert table.loc[(ENV_ID, "random"), "Average"] < 100.0
    assert all(r.task_id.startswith(r.subset + "/") for r in run.records)


def test_subsets_the_data_lacks(
    stabletoolbench: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = STABLETOOLBENCH_FILES[0]
    data = tmp_path / "data" / "test_instruction"  # a folder with one query file only
    data.mkdir(parents=True)
    (data / first.name).symlink_to(first)
    monkeypatch.setenv("STEPTOOL_STABLETOOLBENCH_DIR", str(data.parent))
    lacking = next(s for s in QUERY_FILES.values() if s != subset_of(first))
    cfg = BenchConfig(
        agents=("oracle",),
        env_ids=(ENV_ID,),
        subsets=(lacking,),
        seeds=(0,),
        out=tmp_path,
        progress=False,
    )
    with pytest.raises(ConfigError, match="has none of them"):
        run_bench(cfg)
