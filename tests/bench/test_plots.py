"""The leaderboard plots read right: one colour per agent on every plot, values written on
the bars (a rate near 0 still reads), the heat map holds the table's numbers, and the
budget curve carries its interval band."""

from __future__ import annotations

from typing import Any

import pytest
from matplotlib.colors import to_hex
from matplotlib.container import BarContainer

from steptool_env.bench import budget_curve, leaderboard_table
from steptool_env.bench.leaderboard import budget_bands
from steptool_env.bench.plots import (
    agent_colours,
    budget_figure,
    heatmap_figure,
    subsets_figure,
    write_plots,
)
from tests.bench.test_leaderboard import ENV, rec

SUBSETS = ("I1-Inst", "I2-Inst")


def run_records() -> list[dict[str, Any]]:
    """Three agents over 10 tasks of two subsets: "zeta" solves all, "alpha" one in ten
    of I1-Inst and nothing else (a rate near 0), "mid" every other task."""
    solved = {
        "alpha": lambda s, i: float(s == "I1-Inst" and i == 0),
        "zeta": lambda s, i: 1.0,
        "mid": lambda s, i: float(i % 2 == 0),
    }
    return [
        rec(agent, subset, seed, f"t{i}", f(subset, i), steps=1 + i % 4, max_steps=5)
        for agent, f in solved.items()
        for subset in SUBSETS
        for seed in (0, 1)
        for i in range(10)
    ]


@pytest.fixture(scope="module")
def parts() -> tuple[Any, Any, Any]:
    recs = run_records()
    return leaderboard_table(recs, n_boot=500), budget_curve(recs), budget_bands(recs, n_boot=500)


def test_agent_colours_depend_on_names_only() -> None:
    first = agent_colours(["zeta", "alpha", "mid"])
    assert first == agent_colours(["mid", "zeta", "alpha", "mid"])
    assert len(set(first.values())) == 3
    many = agent_colours([f"a{i:02d}" for i in range(15)])
    assert len(set(many.values())) == 15


def test_one_colour_per_agent_on_every_plot(parts) -> None:
    table, curve, bands = parts
    colours = agent_colours(["alpha", "mid", "zeta"])
    bars = subsets_figure(table, colours).axes[0]
    bar_colour = {
        c.get_label(): to_hex(c.patches[0].get_facecolor())
        for c in bars.containers
        if isinstance(c, BarContainer)
    }
    lines = budget_figure(curve, bands, colours).axes[0]
    line_colour = {ln.get_label(): to_hex(ln.get_color()) for ln in lines.get_lines()}
    heat = heatmap_figure(table, colours).axes[0]
    tick_colour = {t.get_text(): to_hex(t.get_color()) for t in heat.get_yticklabels()}
    assert bar_colour == line_colour == tick_colour == colours
    # the table ranks zeta first, yet alpha keeps its colour: by name, not by rank
    assert list(table.index.get_level_values("agent")) == ["zeta", "mid", "alpha"]


def test_bars_carry_their_values(parts) -> None:
    table, _, _ = parts
    ax = subsets_figure(table).axes[0]
    labels = [t.get_text() for t in ax.texts]
    # alpha: I1-Inst 10.0, I2-Inst 0.0, Average 5.0; every bar has its label
    assert len(labels) == 3 * 3
    assert {"10.0", "0.0", "5.0", "100.0", "50.0"} <= set(labels)
    zero = next(t for t in ax.texts if t.get_text() == "0.0")
    assert zero.get_position()[1] > 0  # written above the (invisible) bar
    bar_sets = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bar_sets) == 3
    assert all(c.errorbar is not None for c in bar_sets)


def test_heatmap_holds_the_table(parts) -> None:
    table, _, _ = parts
    ax = heatmap_figure(table).axes[0]
    image = ax.get_images()[0].get_array()
    cols = [*SUBSETS, "Average"]
    assert image.shape == (3, 3)
    for i, (_, row) in enumerate(table.iterrows()):
        assert list(image[i]) == pytest.approx([row[c] for c in cols])
    assert [t.get_text() for t in ax.get_xticklabels()] == cols
    assert sorted(t.get_text() for t in ax.texts) == sorted(
        f"{row[c]:.1f}" for _, row in table.iterrows() for c in cols
    )


def test_budget_bands_enclose_the_curve(parts) -> None:
    _, curve, (lo, hi) = parts
    assert list(lo.columns) == list(curve.columns) == list(hi.columns)
    assert (lo.to_numpy() <= curve.to_numpy() + 1e-9).all()
    assert (curve.to_numpy() <= hi.to_numpy() + 1e-9).all()
    mid = (ENV, "mid")
    assert (hi[mid] - lo[mid]).iloc[-1] > 10  # 20 tasks of which half solved: a real band
    ax = budget_figure(curve, (lo, hi)).axes[0]
    assert len(ax.collections) == 3  # one band per agent


def test_write_plots(parts, tmp_path) -> None:
    table, curve, bands = parts
    paths = write_plots(table, curve, bands, tmp_path)
    assert list(paths) == ["subsets", "heatmap", "budget"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in paths.values())
