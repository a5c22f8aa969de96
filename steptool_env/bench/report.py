"""Writing a run's leaderboards: ``leaderboard.{md,csv,html}``, ``timing.csv`` and the plots.

The tables come from :mod:`~steptool_env.bench.leaderboard`, the page from
:mod:`~steptool_env.bench.html`, the figures from :mod:`~steptool_env.bench.plots`; this
module only puts them together (so none of those imports another in a cycle).
"""

from __future__ import annotations

from pathlib import Path

from steptool_env.bench.html import write_html
from steptool_env.bench.leaderboard import (
    budget_bands,
    budget_curve,
    describe_run,
    env_lines,
    glossary,
    leaderboard_table,
    tasks_text,
    timing_table,
    to_markdown,
)
from steptool_env.bench.plots import write_plots
from steptool_env.bench.record import Records, as_json
from steptool_env.bench.stats import LEVEL, N_BOOT


def write_leaderboard(
    records: Records,
    out: Path,
    command: str | None = None,
    *,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    seed: int = 0,
) -> dict[str, Path]:
    """Write ``leaderboard.{md,csv,html}``, ``timing.csv`` and the plots into ``out``.

    Returns the written paths by kind (``md``, ``csv``, ``timing``, ``html``, plot names).
    """
    out = Path(out)
    records = as_json(records)  # once, not in every table and plot
    table = leaderboard_table(records, n_boot=n_boot, level=level, seed=seed)
    timing = timing_table(records)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out / "leaderboard.csv", "timing": out / "timing.csv"}
    table.round(4).to_csv(paths["csv"], lineterminator="\n")
    timing.round(6).to_csv(paths["timing"], lineterminator="\n")
    curve = budget_curve(records)
    bands = budget_bands(records, n_boot=n_boot, level=level, seed=seed)
    plots = write_plots(table, curve, bands, out)
    paths.update(plots)
    md = ["# Leaderboard", ""]
    md += [
        f"- {line}"
        for line in describe_run(records, command, n_boot=n_boot, level=level, seed=seed)
    ]
    envs = env_lines(records)
    for env_id in dict.fromkeys(table.index.get_level_values("env_id")):
        mine = table.loc[[env_id]]
        md += ["", f"## {env_id}", "", f"{envs[env_id]} · tasks per subset: {tasks_text(mine)}"]
        md += ["", to_markdown(mine, timing).rstrip()]
    md += ["", "Columns:", ""]
    md += [f"- **{h}**: {text}" for h, text in glossary(table, timing)]
    md += ["", *(f"![{name}]({p.name})" for name, p in plots.items())]
    paths["md"] = out / "leaderboard.md"
    paths["md"].write_text("\n".join(md) + "\n", encoding="utf-8")
    paths["html"] = write_html(
        table, timing, records, plots, out, command, n_boot=n_boot, level=level, seed=seed
    )
    return paths
