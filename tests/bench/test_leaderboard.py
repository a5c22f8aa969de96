from __future__ import annotations

import math
import random
import re
from pathlib import Path
from typing import Any

import pytest

from steptool_env.bench import budget_curve, leaderboard_table, timing_table, write_leaderboard
from steptool_env.bench.leaderboard import (
    display,
    env_lines,
    glossary,
    pass_hat_k,
    to_markdown,
)
from steptool_env.errors import ConfigError

ENV = "StepTool/ToolBench-v0"
PNG = b"\x89PNG\r\n\x1a\n"


def rec(
    agent: str,
    subset: str,
    seed: int,
    task: str,
    solved: float,
    *,
    sample: int = 0,
    infra: str = "",
    succ: float = 1.0,
    recall: float = 1.0,
    steps: int = 2,
    tokens: tuple[int, int] = (0, 0),
    statuses: dict[str, int] | None = None,
    max_steps: int = 12,
    wall_s: float = 0.25,
    ret: float = 0.5,
    gave_up: bool = False,
    truncated: bool = False,
) -> dict[str, Any]:
    """A record with every field the leaderboard and the comparison read."""
    return {
        "agent": agent,
        "agent_config_hash": f"hash-{agent}",
        "env_id": ENV,
        "suite_hash": "0123456789abcdef" * 4,
        "subset": subset,
        "seed": seed,
        "sample": sample,
        "task_id": task,
        "is_solved": solved,
        "infra_error": infra,
        "succ_calling_rate": succ,
        "recall": recall,
        "n_steps": steps,
        "tokens_in": tokens[0],
        "tokens_out": tokens[1],
        "statuses": {"0": steps - 1, "3": 1} if statuses is None else statuses,
        "max_steps": max_steps,
        "wall_s": wall_s,
        "parser": "react",
        "package_version": "0.1.0",
        "git_commit": "0" * 40,
        "backend": "inprocess",
        "scoring": "v2:steptool:checker",
        "return": ret,
        "gave_up": gave_up,
        "truncated": truncated,
    }


# Pass rates of agent "mid" (seed -> subset -> [t0, t1]):
#   seed 0: I1-Inst 1, 0 -> 50     I2-Inst 1, 1   -> 100   average 75
#   seed 1: I1-Inst 1, 1 -> 100    I2-Inst 0, 0.5 -> 25    average 62.5
# I1-Inst 75 ± 25, I2-Inst 62.5 ± 37.5, Average 68.75 ± 6.25 (population std).
MID = {
    (0, "I1-Inst"): (1.0, 0.0),
    (0, "I2-Inst"): (1.0, 1.0),
    (1, "I1-Inst"): (1.0, 1.0),
    (1, "I2-Inst"): (0.0, 0.5),
}


def mid_records() -> list[dict[str, Any]]:
    out = []
    for (seed, subset), solved in MID.items():
        out.append(
            rec(
                "mid",
                subset,
                seed,
                "t0",
                solved[0],
                succ=0.25,
                recall=1.0,
                steps=2,
                tokens=(100, 10),
                statuses={"0": 1, "3": 1},
            )
        )
        out.append(
            rec(
                "mid",
                subset,
                seed,
                "t1",
                solved[1],
                succ=0.75,
                recall=0.5,
                steps=4,
                tokens=(200, 20),
                statuses={"0": 1, "2": 1, "5": 1, "3": 1} if seed == 0 else {"2": 3, "3": 1},
            )
        )
    # An infrastructure error: left out of every rate, counted in "infra".
    out.append(
        rec(
            "mid",
            "I1-Inst",
            0,
            "t2",
            0.0,
            infra="sandbox died",
            succ=0.0,
            recall=0.0,
            steps=12,
            tokens=(5000, 5000),
            statuses={"2": 9, "5": 9},
        )
    )
    return out


def constant_records(agent: str, solved: float) -> list[dict[str, Any]]:
    return [
        rec(agent, subset, seed, task, solved) for (seed, subset) in MID for task in ("t0", "t1")
    ]


def records() -> list[dict[str, Any]]:
    return [*constant_records("zero", 0.0), *mid_records(), *constant_records("best", 1.0)]


def test_pass_rates_mean_and_population_std_over_seeds() -> None:
    table = leaderboard_table(records())
    row = table.loc[(ENV, "mid")]
    assert row["I1-Inst"] == pytest.approx(75.0)
    assert row["I1-Inst std"] == pytest.approx(25.0)
    assert row["I2-Inst"] == pytest.approx(62.5)
    assert row["I2-Inst std"] == pytest.approx(37.5)
    assert row["Average"] == pytest.approx(68.75)
    assert row["Average std"] == pytest.approx(6.25)  # per seed first: std of (75, 62.5)
    assert list(table.columns[:9]) == [
        "I1-Inst",
        "I1-Inst ci low",
        "I1-Inst ci high",
        "I2-Inst",
        "I2-Inst ci low",
        "I2-Inst ci high",
        "Average",
        "Average ci low",
        "Average ci high",
    ]
    assert list(table.columns[9:12]) == ["I1-Inst std", "I2-Inst std", "Average std"]
    assert "pass^k" not in table


def test_intervals_resample_tasks() -> None:
    # I1-Inst of "mid": t0 solved in both seeds (task mean 1), t1 in one of two (0.5).
    # Resampling the 2 tasks gives 100 (t0 twice, 1/4), 75 (1/2) or 50 (t1 twice, 1/4),
    # so the 95 % interval is [50, 100] whatever the draws.
    row = leaderboard_table(records()).loc[(ENV, "mid")]
    assert (row["I1-Inst ci low"], row["I1-Inst ci high"]) == (50.0, 100.0)
    # I2-Inst: t0 (1 + 0) / 2 = 0.5, t1 (1 + 0.5) / 2 = 0.75 -> [50, 75]
    assert (row["I2-Inst ci low"], row["I2-Inst ci high"]) == (50.0, 75.0)
    assert row["Average ci low"] <= row["Average"] <= row["Average ci high"]
    best = leaderboard_table(records()).loc[(ENV, "best")]
    assert (best["Average ci low"], best["Average ci high"]) == (100.0, 100.0)


def test_other_metrics_leave_out_infra_errors() -> None:
    row = leaderboard_table(records()).loc[(ENV, "mid")]
    assert row["episodes"] == 8
    assert row["infra"] == 1
    assert row["seeds"] == 2
    assert row["samples"] == 1
    assert row["SuccCalling"] == pytest.approx(50.0)  # (4 × 0.25 + 4 × 0.75) / 8
    assert row["Recall"] == pytest.approx(75.0)
    assert row["Steps"] == pytest.approx(3.0)
    assert row["Tokens"] == pytest.approx(165.0)  # mean of 110 and 220
    # non-zero, non-final codes of the 8 valid episodes only (the infra one has 2×9, 5×9)
    assert row["status 2"] == 1 + 1 + 3 + 3
    assert row["status 5"] == 2
    assert "status 0" not in row.index
    assert "status 3" not in row.index


def test_rows_sorted_by_average() -> None:
    table = leaderboard_table(records())
    assert list(table.index) == [(ENV, "best"), (ENV, "mid"), (ENV, "zero")]
    assert list(table["Average"]) == pytest.approx([100.0, 68.75, 0.0])
    assert table.loc[(ENV, "zero"), "status 2"] == 0


def test_pass_hat_k() -> None:
    assert pass_hat_k([True, True]) == 1.0
    assert pass_hat_k([True, False]) == 0.0
    assert pass_hat_k([False, False, False]) == 0.0
    assert math.isnan(pass_hat_k([]))


def test_pass_k_with_two_samples() -> None:
    # seed 0: t0 (1, 1) -> 1, t1 (1, 0) -> 0, t2 (0.5, 0.5) -> 0, t3 (1, 1) -> 1
    # seed 1: every sample solved -> 1 for each task. pass^2 = 6 / 8 = 75.
    solved = {"t0": (1.0, 1.0), "t1": (1.0, 0.0), "t2": (0.5, 0.5), "t3": (1.0, 1.0)}
    recs = [
        rec("k", "I1-Inst", seed, task, s if seed == 0 else 1.0, sample=k)
        for seed in (0, 1)
        for task, pair in solved.items()
        for k, s in enumerate(pair)
    ]
    table = leaderboard_table(recs)
    row = table.loc[(ENV, "k")]
    assert row["samples"] == 2
    assert row["pass^k"] == pytest.approx(75.0)
    assert row["I1-Inst"] == pytest.approx(87.5)  # seed 0: 6/8 = 75, seed 1: 100
    assert row["I1-Inst std"] == pytest.approx(12.5)
    assert row["episodes"] == 16
    cols = list(table.columns)
    assert cols[cols.index("Average std") + 1] == "pass^k"
    assert "pass^k" in to_markdown(table)


def test_pass_k_skips_tasks_with_an_infra_sample() -> None:
    recs = [
        rec("k", "I1-Inst", 0, "t0", 0.0, sample=0),
        rec("k", "I1-Inst", 0, "t0", 0.0, sample=1, infra="timeout"),
        rec("k", "I1-Inst", 0, "t1", 1.0, sample=0),
        rec("k", "I1-Inst", 0, "t1", 1.0, sample=1),
    ]
    row = leaderboard_table(recs).loc[(ENV, "k")]
    assert row["pass^k"] == pytest.approx(100.0)  # only t1 has its 2 samples
    assert row["I1-Inst"] == pytest.approx(200 / 3)
    assert row["infra"] == 1


def test_budget_curve() -> None:
    recs = [
        rec("a", "I1-Inst", 0, "t0", 1.0, steps=3, max_steps=5),
        rec("a", "I1-Inst", 0, "t1", 0.5, steps=1, max_steps=5),
        rec("a", "I1-Inst", 0, "t2", 0.0, steps=2, max_steps=5),
        rec("a", "I1-Inst", 0, "t3", 1.0, steps=5, max_steps=5),
        rec("a", "I1-Inst", 0, "t4", 1.0, steps=1, max_steps=5, infra="boom"),
        rec("b", "I1-Inst", 0, "t0", 1.0, steps=2, max_steps=5),
    ]
    curve = budget_curve(recs)
    assert curve.index.name == "budget"
    assert list(curve.index) == [1, 2, 3, 4, 5]
    assert list(curve[(ENV, "a")]) == pytest.approx([12.5, 12.5, 37.5, 37.5, 62.5])
    assert list(curve[(ENV, "b")]) == pytest.approx([0.0, 100.0, 100.0, 100.0, 100.0])
    short = budget_curve(recs, max_steps=3)
    assert list(short[(ENV, "a")]) == pytest.approx([12.5, 12.5, 37.5])


def test_timing_table() -> None:
    recs = [
        rec("a", "I1-Inst", 0, "t0", 1.0, wall_s=1.0, tokens=(10, 2)),
        rec("a", "I1-Inst", 0, "t1", 1.0, wall_s=3.0, tokens=(30, 4)),
    ]
    row = timing_table(recs).loc[(ENV, "a")]
    assert list(row) == pytest.approx([2.0, 20.0, 3.0])
    assert list(row.index) == ["seconds/episode", "tokens in/episode", "tokens out/episode"]


def test_missing_token_fields_count_as_zero() -> None:
    recs = [rec("a", "I1-Inst", 0, "t0", 1.0)]
    for r in recs:
        del r["tokens_in"], r["tokens_out"]
    table = leaderboard_table(recs)
    assert table.loc[(ENV, "a"), "Tokens"] == 0
    assert "| `a` | 100.0 [n/a] | 100.0 [n/a] | 100.0 | 0.500 |" in to_markdown(table)
    assert "| 100.0 | 100.0 | 2.00 | – | 1 |" in to_markdown(table)


@pytest.mark.slow
def test_record_order_does_not_change_the_leaderboard(tmp_path: Path) -> None:
    recs = records()
    shuffled = list(recs)
    random.Random(7).shuffle(shuffled)
    assert shuffled != recs
    write_leaderboard(recs, tmp_path / "a")
    write_leaderboard(shuffled, tmp_path / "b")
    for name in ("leaderboard.csv", "timing.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    csv = (tmp_path / "a" / "leaderboard.csv").read_text().splitlines()
    assert csv[0].startswith(
        "env_id,agent,I1-Inst,I1-Inst ci low,I1-Inst ci high,I2-Inst,I2-Inst ci low,"
        "I2-Inst ci high,Average,Average ci low,Average ci high,I1-Inst std,I2-Inst std,"
        "Average std,Full solve,Return,Give up,Truncated,Bad calls,SuccCalling,Recall,Steps,"
        "Tokens,tasks,I1-Inst tasks,I2-Inst tasks,episodes,seeds,samples,infra,status 2,"
    )
    assert csv[2].startswith(f"{ENV},mid,75.0,50.0,100.0,62.5,50.0,75.0,68.75,")


def test_write_leaderboard_files(tmp_path: Path) -> None:
    out = tmp_path / "lb"
    paths = write_leaderboard(records(), out, command="steptool bench --seeds 0,1")
    assert set(paths) == {"md", "csv", "timing", "html", "subsets", "heatmap", "budget"}
    assert sorted(p.name for p in out.iterdir()) == [
        "leaderboard.csv",
        "leaderboard.html",
        "leaderboard.md",
        "pass_rate_by_budget.png",
        "pass_rate_by_subset.png",
        "pass_rate_heatmap.png",
        "timing.csv",
    ]
    for name in ("subsets", "heatmap", "budget"):
        assert paths[name].read_bytes().startswith(PNG)
    md = paths["md"].read_text(encoding="utf-8")
    assert f"## {ENV}" in md
    assert "| `mid` | 75.0 [50.0, 100.0] | 62.5 [50.0, 75.0] | 68.8 [" in md  # 68.75
    assert "±" not in md
    assert "command: `steptool bench --seeds 0,1`" in md
    assert "seeds 0, 1\n" in md
    assert "[95 % interval] from a percentile bootstrap over tasks (10,000 resamples" in md
    assert f"suite hash `{'0123456789abcdef'}` · scoring `v2:steptool:checker`" in md
    assert "tasks per subset: I1-Inst 2 · I2-Inst 2" in md
    assert md.index("`best`") < md.index("`mid`") < md.index("`zero`")
    assert "![subsets](pass_rate_by_subset.png)" in md
    timing = paths["timing"].read_text().splitlines()
    assert timing[0] == "env_id,agent,seconds/episode,tokens in/episode,tokens out/episode"

    page = paths["html"].read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert '<table class="leaderboard">' in page
    assert page.count("data:image/png;base64,") == 3
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page)
    assert "<link" not in page
    assert "<script src" not in page


def test_html_escapes_agent_names(tmp_path: Path) -> None:
    name = '<img src=x onerror="alert(1)">&co'
    recs = [rec(name, "I1-Inst", 0, "t0", 1.0, statuses={"2": 1, "3": 1})]
    paths = write_leaderboard(recs, tmp_path)
    page = paths["html"].read_text(encoding="utf-8")
    assert name not in page
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;co" in page


@pytest.mark.slow
def test_agent_names_reach_the_plot_legends_verbatim(tmp_path: Path) -> None:
    from steptool_env.bench.plots import budget_figure, subsets_figure

    recs = [
        *constant_records("cost $x^$ y", 1.0),
        *constant_records("_private", 0.0),
    ]
    paths = write_leaderboard(recs, tmp_path)  # math-like names used to raise ValueError
    assert paths["subsets"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for fig in (subsets_figure(leaderboard_table(recs)), budget_figure(budget_curve(recs))):
        labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert sorted(labels) == [" _private", r"cost \$x^\$ y"]


@pytest.mark.parametrize("fn", [leaderboard_table, timing_table, budget_curve])
def test_no_records_is_an_error(fn: Any) -> None:
    with pytest.raises(ConfigError, match="no episode records"):
        fn([])


def test_write_leaderboard_without_records(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"invalid records=0: no episode records to rank"):
        write_leaderboard([], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def metric_records() -> list[dict[str, Any]]:
    def r(task: str, solved: float, statuses: dict[str, int], **kw: Any) -> dict[str, Any]:
        return rec(
            "m", "I1-Inst", 0, task, solved, steps=sum(statuses.values()), statuses=statuses, **kw
        )

    return [
        r("t0", 1.0, {"0": 2, "3": 1}, ret=2.0),
        r("t1", 0.5, {"1": 1, "2": 1, "0": 1, "3": 1}, ret=1.0),
        r("t2", 0.0, {"2": 2, "4": 1}, ret=0.0, gave_up=True),
        r("t3", 0.0, {"0": 1, "1": 1, "2": 2}, ret=0.25, truncated=True),
        r("t4", 1.0, {"2": 9}, ret=9.0, infra="boom"),  # left out of every rate
    ]


def test_return_full_solve_give_up_truncation_bad_calls_and_tasks() -> None:
    row = leaderboard_table(metric_records()).loc[(ENV, "m")]
    assert row["I1-Inst"] == pytest.approx(37.5)  # half solves count 0.5
    assert row["Full solve"] == pytest.approx(25.0)  # ... and 0 here
    assert row["Return"] == pytest.approx((2.0 + 1.0 + 0.0 + 0.25) / 4)
    assert row["Give up"] == pytest.approx(25.0)
    assert row["Truncated"] == pytest.approx(25.0)
    # non-final steps (status not 3 or 4): 2 + 3 + 2 + 4 = 11, of which 1 or 2: 0+2+2+3 = 7
    assert row["Bad calls"] == pytest.approx(700 / 11)
    assert (row["tasks"], row["I1-Inst tasks"], row["episodes"], row["infra"]) == (4, 4, 4, 1)


def test_records_without_the_newer_fields() -> None:
    recs = metric_records()[:2]
    for r in recs:
        del r["return"], r["gave_up"], r["truncated"], r["scoring"]
    row = leaderboard_table(recs).loc[(ENV, "m")]
    assert math.isnan(row["Return"])
    assert (row["Give up"], row["Truncated"]) == (0.0, 0.0)
    assert "scoring `unrecorded`" in env_lines(recs)[ENV]


def test_one_seed_never_shows_a_zero_spread(tmp_path: Path) -> None:
    recs = [rec("a", "I1-Inst", 0, f"t{i}", float(i % 3 == 0)) for i in range(30)]
    recs.append(rec("a", "I2-Inst", 0, "t0", 1.0))  # one task: nothing to resample
    row = leaderboard_table(recs).loc[(ENV, "a")]
    assert math.isnan(row["I1-Inst std"])  # one seed: no std over seeds, not 0
    assert 0 < row["I1-Inst ci low"] < row["I1-Inst"] < row["I1-Inst ci high"]
    paths = write_leaderboard(recs, tmp_path)
    md = paths["md"].read_text(encoding="utf-8")
    page = paths["html"].read_text(encoding="utf-8")
    assert "± 0.0" not in md and "± 0.0" not in page
    assert "| `a` | 33.3 [" in md
    assert "| 100.0 [n/a] | 66.7 [n/a] |" in md  # I2-Inst and so the average: n/a
    assert "one seed: no std over seeds" in page


def test_provenance_names_the_scoring_and_the_is_solved_rule(tmp_path: Path) -> None:
    stb = "StepTool/StableToolBench-v0"
    recs = [rec("a", "I1-Inst", 0, f"t{i}", 1.0) for i in range(2)]
    for i in range(2):
        r = rec("a", "G1-Inst", 0, f"q{i}", 0.5)
        r.update(
            env_id=stb,
            suite_hash="f" * 64,
            scoring="v2:steptool:grounded",
            is_solved_rule="grounded",
        )
        recs.append(r)
    lines = env_lines(recs)
    assert lines[ENV] == "suite hash `0123456789abcdef` · scoring `v2:steptool:checker`"
    assert lines[stb] == (
        "suite hash `ffffffffffffffff` · scoring `v2:steptool:grounded` · IsSolved rule `grounded`"
    )
    md = write_leaderboard(recs, tmp_path)["md"].read_text(encoding="utf-8")
    assert f"## {stb}\n\n{lines[stb]} · tasks per subset: G1-Inst 2" in md


def test_every_shown_column_is_defined(tmp_path: Path) -> None:
    recs = records()
    table = leaderboard_table(recs)
    terms = dict(glossary(table, timing_table(recs)))
    heads, _ = display(table, timing_table(recs))
    for h in heads:
        assert h in terms or any(h in key.split(", ") for key in terms), h
    assert "Errors by status" in terms
    md = write_leaderboard(recs, tmp_path)["md"].read_text(encoding="utf-8")
    for key, text in terms.items():
        assert f"- **{key}**: {text}" in md
