from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import pytest

from steptool_env.bench import BenchConfig, compare, compare_markdown, run_bench
from steptool_env.bench.record import as_json
from steptool_env.cli import main
from steptool_env.errors import ConfigError

ENV = "StepTool/ToolBench-v0"


def rec(
    agent: str, subset: str, seed: int, task: str, solved: float, infra: str = ""
) -> dict[str, Any]:
    return {
        "agent": agent,
        "agent_config_hash": f"hash-{agent}",
        "env_id": ENV,
        "suite_hash": "s" * 64,
        "subset": subset,
        "seed": seed,
        "sample": 0,
        "task_id": task,
        "is_solved": solved,
        "infra_error": infra,
    }


def results(agent: str, solved: dict[str, list[float]], seed: int = 0) -> list[dict[str, Any]]:
    return [
        rec(agent, subset, seed, f"t{i}", s)
        for subset, values in solved.items()
        for i, s in enumerate(values)
    ]


MIXED = {"I1-Inst": [1.0, 0.0, 1.0, 0.5], "I2-Inst": [0.0, 1.0, 0.0, 0.0, 1.0]}


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    out = tmp_path_factory.mktemp("run")
    cfg = BenchConfig(
        out=out,
        agents=("oracle", "random"),
        subsets=("I1-Inst",),
        seeds=(0,),
        limit=3,
        num_envs=2,
        progress=False,
    )
    return out, run_bench(cfg).records


def test_identical_result_sets() -> None:
    recs = results("x", MIXED)
    table = compare(recs, recs, n_boot=500)
    assert list(table.index) == ["I1-Inst", "I2-Inst", "Average"]
    assert list(table["A"]) == pytest.approx([62.5, 40.0, 51.25])
    assert list(table["A"]) == list(table["B"])
    for col in ("B - A", "ci low", "ci high"):
        assert list(table[col]) == [0.0, 0.0, 0.0]
    assert list(table["paired"]) == [True, True, True]
    assert list(table["n A"]) == [4, 5, 9]
    assert list(table["n B"]) == [4, 5, 9]
    assert list(table["tasks A"]) == [4, 5, 9]
    assert table.attrs == {
        "A": "x",
        "B": "x",
        "level": 0.95,
        "n_boot": 500,
        "metric": "pass rate in %",
    }
    md = compare_markdown(table)
    assert "| I1-Inst | 62.5 | 62.5 | +0.0 | [+0.0, +0.0] | 4/4 | 4/4 | yes |" in md
    assert "**" not in md


def test_oracle_vs_random(real_run: tuple[Path, list[dict[str, Any]]]) -> None:
    _, recs = real_run
    oracle = [r for r in recs if r.agent == "oracle"]
    rnd = [r for r in recs if r.agent == "random"]
    assert len(oracle) == len(rnd) == 3
    assert all(r.is_solved == 1.0 for r in oracle)
    assert all(r.is_solved == 0.0 for r in rnd)

    table = compare(oracle, rnd, n_boot=200)
    avg = table.loc["Average"]
    assert (avg["A"], avg["B"], avg["B - A"]) == (100.0, 0.0, -100.0)
    assert avg["ci high"] < 0
    assert bool(avg["paired"]) is True
    assert "| Average | 100.0 | 0.0 | **-100.0** |" in compare_markdown(table)

    up = compare(recs, recs, agent_a="random", agent_b="oracle", n_boot=200)
    assert up.loc["I1-Inst", "B - A"] == 100.0
    assert up.loc["I1-Inst", "ci low"] > 0
    assert up.attrs["A"] == "random"
    assert up.attrs["B"] == "oracle"
    assert "| I1-Inst | 0.0 | 100.0 | **+100.0** |" in compare_markdown(up)


def test_unpaired_when_episodes_differ() -> None:
    a = results("a", {"I1-Inst": [1.0, 0.0, 1.0, 0.0]}, seed=0)  # 50
    b = results("b", {"I1-Inst": [1.0, 1.0, 1.0, 0.0, 0.5, 1.0]}, seed=1)  # 75
    table = compare(a, b, n_boot=2000, seed=3)
    for subset in ("I1-Inst", "Average"):
        row = table.loc[subset]
        assert (row["A"], row["B"], row["B - A"]) == (50.0, 75.0, 25.0)
        assert bool(row["paired"]) is False
        assert row["ci low"] <= row["B - A"] <= row["ci high"]
        assert row["ci low"] < row["ci high"]
        assert row["ci low"] >= -100.0
        assert row["ci high"] <= 100.0
        assert (row["n A"], row["n B"]) == (4, 6)
    assert "| no |" in compare_markdown(table)


def test_infra_errors_are_left_out() -> None:
    a = [*results("a", {"I1-Inst": [1.0, 0.0]}), rec("a", "I1-Inst", 0, "t9", 0.0, "timeout")]
    b = results("b", {"I1-Inst": [1.0, 0.0]})
    row = compare(a, b, n_boot=100).loc["I1-Inst"]
    assert (row["A"], row["n A"], bool(row["paired"])) == (50.0, 2, True)


def test_average_is_the_mean_of_subset_means() -> None:
    a = results("a", {"I1-Inst": [1.0, 1.0, 1.0, 1.0], "I2-Inst": [0.0, 0.0]})
    b = results("b", {"I1-Inst": [1.0, 1.0, 1.0, 1.0], "I2-Inst": [1.0, 1.0]})
    avg = compare(a, b, n_boot=100).loc["Average"]
    # not the pooled 66.7 -> 100 over 6 episodes: the mean of 100/0 and 100/100
    assert (avg["A"], avg["B"], avg["B - A"]) == (50.0, 100.0, 50.0)
    assert (avg["ci low"], avg["ci high"]) == (50.0, 50.0)


def test_more_seeds_of_a_deterministic_agent_add_no_certainty() -> None:
    # Both agents deterministic: seeds 1 and 2 repeat seed 0 exactly. Resampling episodes
    # would narrow the interval by about sqrt(3); resampling tasks leaves it as it was.
    rng = random.Random(3)
    va = {"I1-Inst": [float(rng.random() < 0.4) for _ in range(40)]}
    vb = {"I1-Inst": [float(rng.random() < 0.6) for _ in range(40)]}
    one = compare(results("a", va), results("b", vb), n_boot=2000)
    a3 = [r for s in range(3) for r in results("a", va, seed=s)]
    b3 = [r for s in range(3) for r in results("b", vb, seed=s)]
    three = compare(a3, b3, n_boot=2000)
    cols = ["A", "B", "B - A", "ci low", "ci high"]
    assert three[cols].equals(one[cols])
    assert list(three["n A"]) == [120, 120]
    assert list(three["tasks A"]) == [40, 40]
    assert one.loc["I1-Inst", "ci high"] - one.loc["I1-Inst", "ci low"] > 20


def test_one_task_has_nothing_to_resample() -> None:
    a = results("a", {"I1-Inst": [1.0], "I2-Inst": [0.0, 1.0]})
    b = results("b", {"I1-Inst": [0.0], "I2-Inst": [1.0, 1.0]})
    table = compare(a, b, n_boot=100)
    for subset in ("I1-Inst", "Average"):
        assert math.isnan(table.loc[subset, "ci low"])
        assert math.isnan(table.loc[subset, "ci high"])
    assert table.loc["I2-Inst", "ci low"] <= table.loc["I2-Inst", "ci high"]
    md = compare_markdown(table)
    assert "| I1-Inst | 100.0 | 0.0 | -100.0 | n/a | 1/1 | 1/1 | yes |" in md


def test_only_shared_subsets_are_compared() -> None:
    a = results("a", {"I1-Inst": [1.0], "I2-Inst": [0.0]})
    b = results("b", {"I2-Inst": [1.0], "I3-Inst": [1.0]})
    assert list(compare(a, b, n_boot=100).index) == ["I2-Inst", "Average"]
    with pytest.raises(ConfigError, match="share no subset"):
        compare(results("a", {"I1-Inst": [1.0]}), b, n_boot=100)


def test_deterministic() -> None:
    a = results("a", MIXED)
    b = results("b", {"I1-Inst": [1.0, 1.0, 0.0, 0.5], "I2-Inst": [1.0, 1.0, 0.0, 1.0, 0.0]})
    first = compare(a, b, n_boot=1000, seed=5)
    second = compare(a, b, n_boot=1000, seed=5)
    assert first.equals(second)
    assert compare_markdown(first) == compare_markdown(second)


def test_ambiguous_side_needs_an_agent() -> None:
    both = [*results("x", MIXED), *results("y", MIXED)]
    with pytest.raises(ConfigError) as info:
        compare(both, results("z", MIXED), n_boot=100)
    assert info.value.field == "agent_a"
    assert "invalid agent_a=None" in str(info.value)
    assert "valid choices: x, y" in str(info.value)
    with pytest.raises(ConfigError, match=r"invalid agent_b=None.*valid choices: x, y"):
        compare(results("z", MIXED), both, n_boot=100)
    table = compare(both, both, agent_a="x", agent_b="y", n_boot=100)
    assert table.attrs["A"] == "x"
    assert table.attrs["B"] == "y"


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"agent_a": "nobody"}, "invalid agent_a='nobody': not in this result set"),
        ({"agent_b": "nobody"}, "invalid agent_b='nobody': not in this result set"),
        ({"n_boot": 99}, "invalid n_boot=99"),
        ({"n_boot": 1000.0}, "invalid n_boot=1000.0"),
        ({"level": 1.0}, "invalid level=1.0"),
        ({"level": 0.4}, "invalid level=0.4"),
        ({"metric": "accuracy"}, "invalid metric='accuracy': unknown metric (valid choices: "),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], needle: str) -> None:
    recs = results("x", MIXED)
    with pytest.raises(ConfigError) as info:
        compare(recs, recs, **kwargs)
    assert needle in str(info.value)


def test_cli_compare(real_run: tuple[Path, list[dict[str, Any]]], tmp_path: Path, capsys) -> None:
    run, _ = real_run
    out = tmp_path / "cmp"
    argv = ["compare", str(run), str(run), "--agent-a", "oracle", "--agent-b", "random"]
    assert main([*argv, "--n-boot", "200", "--out", str(out)]) == 0
    md = (out / "compare.md").read_text(encoding="utf-8")
    assert md.startswith(f"# {run} vs {run}\n")
    assert "| I1-Inst | 100.0 | 0.0 | **-100.0** | [-100.0, -100.0] | 3/3 | 3/3 | yes |" in md
    assert "200 resamples" in md
    assert "bootstrap over tasks" in md
    csv = (out / "compare.csv").read_text(encoding="utf-8").splitlines()
    assert csv[0] == "subset,A,B,B - A,ci low,ci high,n A,n B,tasks A,tasks B,paired"
    assert csv[1] == "I1-Inst,100.0,0.0,-100.0,-100.0,-100.0,3,3,3,3,True"
    assert len(csv) == 3
    assert "**-100.0**" in capsys.readouterr().out


def test_cli_compare_ambiguous(
    real_run: tuple[Path, list[dict[str, Any]]], tmp_path: Path, capsys
) -> None:
    run, _ = real_run
    assert main(["compare", str(run), str(run), "--out", str(tmp_path / "cmp")]) == 2
    err = capsys.readouterr().err
    assert "agent_a" in err
    assert "valid choices: oracle, random" in err
    assert not (tmp_path / "cmp").exists()


def test_other_metrics(real_run: tuple[Path, list[dict[str, Any]]], capsys) -> None:
    """SuccCalling, recall (in %) and return compare like the pass rate: the same bootstrap
    over tasks, on the record field each names, with the table saying which it is."""
    run, records = real_run
    oracle = [r for r in as_json(records) if r["agent"] == "oracle"]
    rand = [r for r in as_json(records) if r["agent"] == "random"]

    def mean(rs: list[Any], field: str, scale: float) -> float:
        return sum(r[field] for r in rs) / len(rs) * scale

    for metric, field, scale in [
        ("succ_calling", "succ_calling_rate", 100),
        ("recall", "recall", 100),
        ("return", "return", 1),
    ]:
        table = compare(rand, oracle, metric=metric, n_boot=200)
        assert table.loc["I1-Inst", "B"] == pytest.approx(mean(oracle, field, scale), abs=1e-3)
        assert table.loc["I1-Inst", "A"] == pytest.approx(mean(rand, field, scale), abs=1e-3)
        assert table.loc["I1-Inst", "ci low"] <= table.loc["I1-Inst", "B - A"]
        assert table.loc["I1-Inst", "B - A"] <= table.loc["I1-Inst", "ci high"]
    argv = ["compare", str(run), str(run), "--agent-a", "random", "--agent-b", "oracle"]
    assert main([*argv, "--n-boot", "200", "--metric", "return"]) == 0
    out = capsys.readouterr().out
    assert "; return; 95 % percentile bootstrap" in out
    returns = mean(rand, "return", 1), mean(oracle, "return", 1)
    assert f"| I1-Inst | {returns[0]:.3f} | {returns[1]:.3f} |" in out
