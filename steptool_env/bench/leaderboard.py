"""Leaderboards from episode records (pandas): Markdown and CSV.

Pass rate = mean IsSolved. For each agent and subset it is computed per seed, then reported
as mean ± std (population std, ddof=0) over seeds; "Average" is the mean over subsets,
computed per seed first. SuccCalling rate, Recall of relevant APIs and average steps are
means over all episodes. Episodes with an infrastructure error are left out of every rate
and counted in the "infra" column.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from steptool_env.errors import require


def _frame(records: Sequence[dict[str, Any]]):
    pd = require("pandas", "bench")
    df = pd.DataFrame.from_records(list(records))
    if df.empty:
        raise ValueError("no episode records to rank")
    return df


def leaderboard_table(records: Sequence[dict[str, Any]]):
    """One row per agent: pass rate (%) mean and std per subset and on average, plus the
    other metrics. Columns ``<subset>``/``<subset> std`` hold numbers."""
    pd = require("pandas", "bench")
    df = _frame(records)
    infra = df[df["infra_error"] != ""].groupby("agent").size()
    ok = df[df["infra_error"] == ""]
    subsets = list(dict.fromkeys(df["subset"]))
    agents = list(dict.fromkeys(df["agent"]))
    per_seed = (ok.groupby(["agent", "seed", "subset"])["is_solved"].mean() * 100).unstack()
    rows = []
    for agent in agents:
        row: dict[str, Any] = {"agent": agent}
        mine_seeds = per_seed.loc[agent] if agent in per_seed.index else pd.DataFrame()
        for subset in subsets:
            vals = mine_seeds[subset].dropna() if subset in mine_seeds else pd.Series(dtype=float)
            row[subset] = float(vals.mean()) if len(vals) else float("nan")
            row[f"{subset} std"] = float(vals.std(ddof=0)) if len(vals) else float("nan")
        avgs = (
            mine_seeds.reindex(columns=subsets).mean(axis=1)
            if len(mine_seeds)
            else pd.Series(dtype=float)
        )
        row["Average"] = float(avgs.mean()) if len(avgs) else float("nan")
        row["Average std"] = float(avgs.std(ddof=0)) if len(avgs) else float("nan")
        mine = ok[ok["agent"] == agent]
        row["SuccCalling"] = float(mine["succ_calling_rate"].mean() * 100)
        row["Recall"] = float(mine["recall"].mean() * 100)
        row["Steps"] = float(mine["n_steps"].mean())
        row["episodes"] = len(mine)
        row["seeds"] = int(mine["seed"].nunique())
        row["infra"] = int(infra.get(agent, 0))
        rows.append(row)
    table = pd.DataFrame(rows).set_index("agent")
    return table.sort_values("Average", ascending=False, kind="stable")


def to_markdown(table) -> str:
    subsets = [
        c
        for c in table.columns
        if not c.endswith(" std")
        and c not in ("Average", "SuccCalling", "Recall", "Steps", "episodes", "seeds", "infra")
    ]
    header = [
        "Agent",
        *subsets,
        "Average",
        "SuccCalling",
        "Recall",
        "Steps",
        "Episodes",
        "Infra errors",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for agent, row in table.iterrows():
        cells = [f"`{agent}`"]
        for col in [*subsets, "Average"]:
            cells.append(f"{row[col]:.1f} ± {row[col + ' std']:.1f}")
        cells += [
            f"{row['SuccCalling']:.1f}",
            f"{row['Recall']:.1f}",
            f"{row['Steps']:.2f}",
            str(int(row["episodes"])),
            str(int(row["infra"])),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _short(commit: str) -> str:
    return commit[:12] + ("-dirty" if commit.endswith("-dirty") else "")


def write_leaderboard(
    records: Sequence[dict[str, Any]], out: Path, command: str | None = None
) -> Path:
    """Write ``leaderboard.md`` and ``leaderboard.csv`` into ``out``; return the .md path."""
    table = leaderboard_table(records)
    out.mkdir(parents=True, exist_ok=True)
    table.round(4).to_csv(out / "leaderboard.csv")
    first = records[0]
    seeds = sorted({r["seed"] for r in records})
    meta = [
        f"- env: `{first['env_id']}` · suite hash `{first['suite_hash'][:16]}` · parser "
        f"`{first['parser']}` · max steps {first['max_steps']}",
        f"- seeds: {', '.join(map(str, seeds))} (pass rate in %, mean ± std over seeds)",
        f"- steptool-env {first['package_version']} · commit `{_short(first['git_commit'])}`",
    ]
    if command:
        meta.append(f"- command: `{command}`")
    md = "# Leaderboard\n\n" + "\n".join(meta) + "\n\n" + to_markdown(table)
    path = out / "leaderboard.md"
    path.write_text(md, encoding="utf-8")
    return path
