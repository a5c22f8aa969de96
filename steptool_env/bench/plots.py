"""Leaderboard plots (matplotlib, no pyplot state): pass rate per subset with 95 %
intervals and value labels, a subset × agent heat map, and pass rate against step budget
with its interval band.

Every plot of a run draws an agent in the same colour (:func:`agent_colours`: by name, not
by rank, so a colour never moves to another agent between plots); when a run has several
env ids, bars and lines of the same agent differ by hatch and line style.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from steptool_env.bench.leaderboard import metric_columns
from steptool_env.errors import require

PLOTS = ("subsets", "heatmap", "budget")
FILES = {
    "subsets": "pass_rate_by_subset.png",
    "heatmap": "pass_rate_heatmap.png",
    "budget": "pass_rate_by_budget.png",
}
TITLES = {
    "subsets": "Pass rate per subset (95 % task-bootstrap intervals)",
    "heatmap": "Pass rate per subset and agent",
    "budget": "Pass rate by step budget (95 % task-bootstrap band)",
}
_HATCHES = ("", "//", "..", "xx", "\\\\", "oo")
_STYLES = ("-", "--", ":", "-.")


def _figure(width: float, height: float) -> Any:
    require("matplotlib", "bench")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def agent_colours(agents: Iterable[str]) -> dict[str, str]:
    """One colour per agent name: the names in sorted order take matplotlib's ``tab10``
    colours in turn (``tab20`` beyond ten agents, repeating beyond twenty)."""
    require("matplotlib", "bench")
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    names = sorted(set(map(str, agents)))
    cmap = colormaps["tab10" if len(names) <= 10 else "tab20"]
    palette = [cmap(i) for i in range(cmap.N)]
    return {name: to_hex(palette[i % len(palette)]) for i, name in enumerate(names)}


def _label(env_id: str, agent: str, many_envs: bool) -> str:
    """A legend label shown verbatim: ``$`` would start math text, and matplotlib hides
    labels that start with ``_``."""
    label = f"{agent} ({env_id})" if many_envs else str(agent)
    label = label.replace("$", r"\$")
    return " " + label if label.startswith("_") else label


def _envs(keys: Iterable[tuple[str, str]]) -> dict[str, int]:
    return {env: i for i, env in enumerate(dict.fromkeys(env for env, _ in keys))}


def _legend(ax: Any) -> None:
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))


def subsets_figure(table, colours: dict[str, str] | None = None) -> Any:
    """Grouped bars: pass rate per subset and on average, with 95 % intervals as error
    bars and each value written above its bar (so a rate near 0 still reads)."""

    subsets, _ = metric_columns(table)
    cols = [*subsets, "Average"]
    envs = _envs(table.index)
    colours = colours or agent_colours(table.index.get_level_values("agent"))
    n = len(table)
    fig = _figure(max(6.0, 0.35 * n * len(cols) + 2.5), 4.2)
    ax = fig.add_subplot()
    width = 0.8 / max(n, 1)
    for i, ((env_id, agent), row) in enumerate(table.iterrows()):
        xs = [j + (i - (n - 1) / 2) * width for j in range(len(cols))]
        ys = [row[c] for c in cols]
        lo = [row[f"{c} ci low"] for c in cols]
        hi = [row[f"{c} ci high"] for c in cols]
        err = [
            [y - v if v == v else 0.0 for y, v in zip(ys, lo)],
            [v - y if v == v else 0.0 for y, v in zip(ys, hi)],
        ]
        ax.bar(
            xs,
            ys,
            width,
            yerr=err,
            capsize=2,
            color=colours[str(agent)],
            hatch=_HATCHES[envs[env_id] % len(_HATCHES)],
            edgecolor="white",
            label=_label(env_id, agent, len(envs) > 1),
        )
        for x, y, top in zip(xs, ys, hi):
            if y == y:
                above = max(y, top if top == top else y) + 1.5
                ax.text(x, above, f"{y:.1f}", ha="center", va="bottom", rotation=90, fontsize=7)
    ax.set_xticks(range(len(cols)), cols)
    ax.set_ylabel("pass rate (%)")
    ax.set_ylim(0, 122)
    ax.set_yticks(range(0, 101, 20))
    ax.set_title(TITLES["subsets"])
    ax.grid(axis="y", alpha=0.3)
    _legend(ax)
    return fig


def heatmap_figure(table, colours: dict[str, str] | None = None) -> Any:
    """Subsets (and the average) × agents, each cell coloured by its pass rate and
    written out; agent names in their colours."""

    np = require("numpy", "bench")
    subsets, _ = metric_columns(table)
    cols = [*subsets, "Average"]
    envs = _envs(table.index)
    colours = colours or agent_colours(table.index.get_level_values("agent"))
    values = np.array([[row[c] for c in cols] for _, row in table.iterrows()], dtype=float)
    fig = _figure(max(5.0, 0.9 * len(cols) + 3.0), max(2.2, 0.45 * len(table) + 1.4))
    ax = fig.add_subplot()
    image = ax.imshow(np.ma.masked_invalid(values), cmap="viridis", vmin=0, vmax=100, aspect="auto")
    for (i, j), v in np.ndenumerate(values):
        text, colour = ("–", "black") if v != v else (f"{v:.1f}", "white" if v < 60 else "black")
        ax.text(j, i, text, ha="center", va="center", fontsize=8, color=colour)
    labels = [_label(env, agent, len(envs) > 1) for env, agent in table.index]
    ax.set_xticks(range(len(cols)), cols)
    ax.set_yticks(range(len(labels)), labels)
    for tick, (_, agent) in zip(ax.get_yticklabels(), table.index):
        tick.set_color(colours[str(agent)])
        tick.set_fontweight("bold")
    ax.set_title(TITLES["heatmap"] + " (%)")
    fig.colorbar(image, ax=ax, label="pass rate (%)")
    return fig


def budget_figure(curve, bands=None, colours: dict[str, str] | None = None) -> Any:
    """Pass rate against the step budget, one line per agent, with its interval band."""
    envs = _envs(curve.columns)
    colours = colours or agent_colours(agent for _, agent in curve.columns)
    fig = _figure(6.5, 3.8)
    ax = fig.add_subplot()
    for key in curve.columns:
        env_id, agent = key
        colour = colours[str(agent)]
        ax.plot(
            curve.index,
            curve[key],
            marker="o",
            ms=3,
            color=colour,
            linestyle=_STYLES[envs[env_id] % len(_STYLES)],
            label=_label(env_id, agent, len(envs) > 1),
        )
        if bands is not None:
            lo, hi = bands
            ax.fill_between(curve.index, lo[key], hi[key], color=colour, alpha=0.2, lw=0)
    ax.set_xlabel("step budget (max actions)")
    ax.set_ylabel("pass rate (%)")
    ax.set_ylim(0, 105)
    ax.set_xticks(list(curve.index))
    ax.set_title(TITLES["budget"])
    ax.grid(alpha=0.3)
    _legend(ax)
    return fig


def write_plots(table, curve, bands, out: Path) -> dict[str, Path]:
    """The plots of :data:`FILES` in ``out`` (one agent colour map for all of them)."""
    agents = [*table.index.get_level_values("agent"), *(a for _, a in curve.columns)]
    colours = agent_colours(agents)
    ranked = [k for k in table.index if k in curve.columns]  # legends in the table's order
    curve = curve[ranked]
    bands = None if bands is None else (bands[0][ranked], bands[1][ranked])
    figures = {
        "subsets": subsets_figure(table, colours),
        "heatmap": heatmap_figure(table, colours),
        "budget": budget_figure(curve, bands, colours),
    }
    paths = {}
    for name, fig in figures.items():
        paths[name] = Path(out) / FILES[name]
        fig.savefig(paths[name], metadata={"Software": None})
    return paths
