"""Leaderboard plots (matplotlib, no pyplot state): pass rate per subset with error bars,
and pass rate against step budget."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from steptool_env.errors import require

PLOTS = ("subsets", "budget")


def _figure(width: float, height: float) -> Any:
    require("matplotlib", "bench")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def _label(env_id: str, agent: str, many_envs: bool) -> str:
    """A legend label shown verbatim: ``$`` would start math text, and matplotlib hides
    labels that start with ``_``."""
    label = f"{agent} ({env_id})" if many_envs else str(agent)
    label = label.replace("$", r"\$")
    return " " + label if label.startswith("_") else label


def subsets_figure(table) -> Any:
    """Grouped bars: pass rate (mean ± std over seeds) per subset and on average."""
    from steptool_env.bench.leaderboard import metric_columns

    subsets, _ = metric_columns(table)
    cols = [*subsets, "Average"]
    many = table.index.get_level_values("env_id").nunique() > 1
    fig = _figure(max(6.0, 1.1 * len(cols) + 2), 3.8)
    ax = fig.add_subplot()
    n = len(table)
    width = 0.8 / max(n, 1)
    for i, ((env_id, agent), row) in enumerate(table.iterrows()):
        xs = [j + (i - (n - 1) / 2) * width for j in range(len(cols))]
        ax.bar(
            xs,
            [row[c] for c in cols],
            width,
            yerr=[row[f"{c} std"] for c in cols],
            capsize=3,
            label=_label(env_id, agent, many),
        )
    ax.set_xticks(range(len(cols)), cols)
    ax.set_ylabel("pass rate (%)")
    ax.set_ylim(0, 105)
    ax.set_title("Pass rate per test subset (mean ± std over seeds)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def budget_figure(curve) -> Any:
    """Pass rate against the step budget, one line per agent."""
    many = len({env for env, _ in curve.columns}) > 1
    fig = _figure(6.0, 3.8)
    ax = fig.add_subplot()
    for env_id, agent in curve.columns:
        ax.plot(
            curve.index, curve[(env_id, agent)], marker="o", ms=3, label=_label(env_id, agent, many)
        )
    ax.set_xlabel("step budget (max actions)")
    ax.set_ylabel("pass rate (%)")
    ax.set_ylim(0, 105)
    ax.set_xticks(list(curve.index))
    ax.set_title("Pass rate against step budget")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def write_plots(table, curve, out: Path) -> dict[str, Path]:
    """``pass_rate_by_subset.png`` and ``pass_rate_by_budget.png`` in ``out``."""
    paths = {
        "subsets": out / "pass_rate_by_subset.png",
        "budget": out / "pass_rate_by_budget.png",
    }
    meta = {"Software": None}
    subsets_figure(table).savefig(paths["subsets"], metadata=meta)
    budget_figure(curve).savefig(paths["budget"], metadata=meta)
    return paths
