"""Leaderboards from episode records (pandas): the table, Markdown, CSV.

Definitions (one row per env id and agent):

- **Pass rate** = mean IsSolved (1, 0.5 or 0) in %. For each subset it is computed per seed
  (over tasks and samples), then reported as mean ± std over seeds (population std,
  ddof=0). "Average" is the mean over subsets, computed per seed first.
- **pass^k** (k = samples per task, shown when k > 1): the chance that k samples of a task
  all solve it (IsSolved = 1), estimated per task and seed as C(c, k) / C(n, k) from its n
  samples with c successes, averaged over tasks and seeds.
- **SuccCalling** = share of non-final steps with s_t = 1; **Recall** = share of a task's
  relevant APIs called successfully; **Steps** = actions per episode; **Tokens** = prompt +
  generated tokens per episode (0 for agents that are not language models); all means over
  episodes.
- **Errors by status**: how many steps ended with each non-zero, non-final status code.
- Episodes with an infrastructure error are left out of every rate and counted in
  ``infra``.

Everything in ``leaderboard.csv`` is a deterministic function of the records (records are
sorted by their identity before aggregation), so the same benchmark gives byte-identical
numbers; wall time is a measurement and lives in ``timing.csv``, the Markdown and HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import comb
from pathlib import Path
from typing import Any

from steptool_env.bench.store import KEY_FIELDS
from steptool_env.errors import ConfigError, require
from steptool_env.world.suite import SPLITS

METRICS = ("SuccCalling", "Recall", "Steps", "Tokens", "episodes", "seeds", "samples", "infra")
INDEX = ["env_id", "agent"]


def frame(records: Sequence[dict[str, Any]]):
    """The records as a DataFrame sorted by episode identity (aggregation order fixed)."""
    pd = require("pandas", "bench")
    if not records:
        raise ConfigError("records", 0, "no episode records to rank")
    df = pd.DataFrame.from_records(list(records))
    for col, default in (("tokens_in", 0), ("tokens_out", 0), ("scoring", "")):
        if col not in df:
            df[col] = default
    return df.sort_values(list(KEY_FIELDS), kind="stable").reset_index(drop=True)


def subsets_of(df) -> list[str]:
    """Subsets in the suite's order (train, val, I1-Inst ... I3-Inst), others after them
    in name order."""
    known = {s: i for i, s in enumerate(SPLITS)}
    return sorted(set(df["subset"]), key=lambda s: (known.get(s, len(known)), s))


def pass_hat_k(solved: Sequence[bool]) -> float:
    """C(c, k) / C(n, k) with k = n = len(solved): 1.0 iff every sample solved."""
    n, c = len(solved), sum(bool(s) for s in solved)
    return comb(c, n) / comb(n, n) if n else float("nan")


def leaderboard_table(records: Sequence[dict[str, Any]]):
    """One row per (env id, agent): pass rate mean and std per subset and on average, and
    the other metrics (see the module doc). Sorted by Average, best first."""
    pd = require("pandas", "bench")
    df = frame(records)
    subsets = subsets_of(df)
    statuses = sorted(
        {int(c) for s in df["statuses"] for c in s if int(c) not in (0, 3)},
    )
    rows = []
    for (env_id, agent), mine_all in df.groupby(INDEX, sort=False):
        ok = mine_all[mine_all["infra_error"] == ""]
        row: dict[str, Any] = {"env_id": env_id, "agent": agent}
        per_seed = (ok.groupby(["seed", "subset"])["is_solved"].mean() * 100).unstack()
        per_seed = per_seed.reindex(columns=subsets)
        for subset in subsets:
            vals = per_seed[subset].dropna()
            row[subset] = float(vals.mean()) if len(vals) else float("nan")
            row[f"{subset} std"] = float(vals.std(ddof=0)) if len(vals) else float("nan")
        avgs = per_seed.mean(axis=1, skipna=False).dropna()
        row["Average"] = float(avgs.mean()) if len(avgs) else float("nan")
        row["Average std"] = float(avgs.std(ddof=0)) if len(avgs) else float("nan")
        k = int(mine_all["sample"].max()) + 1
        if k > 1:
            groups = ok.groupby(["subset", "seed", "task_id"])["is_solved"]
            vals = [pass_hat_k(list(g == 1.0)) for _, g in groups if len(g) == k]
            row["pass^k"] = float(pd.Series(vals).mean() * 100) if vals else float("nan")
        row["SuccCalling"] = float(ok["succ_calling_rate"].mean() * 100)
        row["Recall"] = float(ok["recall"].mean() * 100)
        row["Steps"] = float(ok["n_steps"].mean())
        row["Tokens"] = float((ok["tokens_in"] + ok["tokens_out"]).mean())
        row["episodes"] = len(ok)
        row["seeds"] = int(mine_all["seed"].nunique())
        row["samples"] = k
        row["infra"] = len(mine_all) - len(ok)
        for code in statuses:
            row[f"status {code}"] = int(sum(s.get(str(code), 0) for s in ok["statuses"]))
        rows.append(row)
    table = pd.DataFrame(rows).set_index(INDEX)
    if "pass^k" in table:
        cols = [c for c in table.columns if c != "pass^k"]
        at = cols.index("Average std") + 1
        table = table[[*cols[:at], "pass^k", *cols[at:]]]
    return table.sort_values("Average", ascending=False, kind="stable")


def timing_table(records: Sequence[dict[str, Any]]):
    """Seconds, tokens in and out per episode, per (env id, agent) (measurements), over the
    episodes without an infrastructure error, like every leaderboard column."""
    df = frame(records)
    ok = df[df["infra_error"] == ""]
    g = (ok if len(ok) else df).groupby(INDEX, sort=False)
    out = g[["wall_s", "tokens_in", "tokens_out"]].mean()
    out.columns = ["seconds/episode", "tokens in/episode", "tokens out/episode"]
    return out


def budget_curve(records: Sequence[dict[str, Any]], max_steps: int | None = None):
    """Pass rate (%) against step budget b = 1..max_steps, per (env id, agent).

    An episode counts as solved within budget b when it was solved in at most b actions.
    This equals a rerun with ``max_steps=b`` because agents never see the budget, and the
    env only truncates.
    """
    df = frame(records)
    ok = df[df["infra_error"] == ""]
    top = int(max_steps or df["max_steps"].max())
    data = {}
    for (env_id, agent), mine in ok.groupby(INDEX, sort=False):
        data[(env_id, agent)] = [
            float((mine["is_solved"] * (mine["n_steps"] <= b)).mean() * 100)
            for b in range(1, top + 1)
        ]
    pd = require("pandas", "bench")
    curve = pd.DataFrame(data, index=pd.RangeIndex(1, top + 1, name="budget"))
    return curve


def metric_columns(table) -> tuple[list[str], list[str]]:
    """(subset columns, status columns) of a leaderboard table."""
    reserved = {"Average", "pass^k", *METRICS}
    subsets = [
        c
        for c in table.columns
        if not c.endswith(" std") and c not in reserved and not c.startswith("status ")
    ]
    statuses = [c for c in table.columns if c.startswith("status ")]
    return subsets, statuses


def fmt(v: float, digits: int = 1) -> str:
    """A number for display ("–" for NaN)."""
    return "–" if v != v else f"{v:.{digits}f}"


def errors_text(row, statuses: list[str], sep: str = ", ", none: str = "–") -> str:
    """``code×count`` for each status column of a leaderboard row with a non-zero count."""
    parts = [f"{c.split()[1]}×{int(row[c])}" for c in statuses if row[c]]
    return sep.join(parts) or none


def to_markdown(table, timing=None) -> str:
    subsets, statuses = metric_columns(table)
    has_k = "pass^k" in table
    header = ["Agent", *subsets, "Average"]
    header += ["pass^k"] if has_k else []
    header += ["SuccCalling", "Recall", "Steps", "Tokens/ep"]
    header += ["Sec/ep"] if timing is not None else []
    header += ["Errors by status", "Episodes", "Infra errors"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for (env_id, agent), row in table.iterrows():
        cells = [f"`{agent}`"]
        for col in [*subsets, "Average"]:
            cells.append(f"{fmt(row[col])} ± {fmt(row[col + ' std'])}")
        if has_k:
            cells.append(fmt(row["pass^k"]))
        cells += [
            fmt(row["SuccCalling"]),
            fmt(row["Recall"]),
            fmt(row["Steps"], 2),
            fmt(row["Tokens"], 0) if row["Tokens"] else "–",
        ]
        if timing is not None:
            cells.append(f"{timing.loc[(env_id, agent), 'seconds/episode']:.4f}")
        cells += [errors_text(row, statuses), str(int(row["episodes"])), str(int(row["infra"]))]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _short(commit: str) -> str:
    return commit[:12] + ("-dirty" if commit.endswith("-dirty") else "")


def describe_run(records: Sequence[dict[str, Any]], command: str | None = None) -> list[str]:
    """Provenance lines shown above every leaderboard."""
    first = records[0]
    seeds = sorted({r["seed"] for r in records})
    samples = max(r["sample"] for r in records) + 1
    commits = sorted({_short(r["git_commit"]) for r in records})
    versions = sorted({r["package_version"] for r in records})
    lines = [
        f"suite hash `{first['suite_hash'][:16]}` · parser `{first['parser']}` · max steps "
        f"{first['max_steps']} · backend `{first.get('backend', 'inprocess')}`",
        f"seeds {', '.join(map(str, seeds))}"
        + (f" · {samples} samples per task" if samples > 1 else "")
        + " · pass rate in %, mean ± std over seeds",
        f"steptool-env {', '.join(versions)} · commit {', '.join(f'`{c}`' for c in commits)}",
    ]
    if command:
        lines.append(f"command: `{command}`")
    return lines


def write_leaderboard(
    records: Sequence[dict[str, Any]], out: Path, command: str | None = None
) -> dict[str, Path]:
    """Write ``leaderboard.{md,csv,html}``, ``timing.csv`` and the plots into ``out``.

    Returns the written paths by kind (``md``, ``csv``, ``timing``, ``html``, plot names).
    """
    from steptool_env.bench.html import write_html
    from steptool_env.bench.plots import write_plots

    out = Path(out)
    table = leaderboard_table(records)
    timing = timing_table(records)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out / "leaderboard.csv", "timing": out / "timing.csv"}
    table.round(4).to_csv(paths["csv"], lineterminator="\n")
    timing.round(6).to_csv(paths["timing"], lineterminator="\n")
    curve = budget_curve(records)
    plots = write_plots(table, curve, out)
    paths.update(plots)
    md = ["# Leaderboard", ""]
    md += [f"- {line}" for line in describe_run(records, command)]
    for env_id in dict.fromkeys(table.index.get_level_values("env_id")):
        md += ["", f"## {env_id}", "", to_markdown(table.loc[[env_id]], timing).rstrip()]
    md += ["", *(f"![{name}]({p.name})" for name, p in plots.items())]
    paths["md"] = out / "leaderboard.md"
    paths["md"].write_text("\n".join(md) + "\n", encoding="utf-8")
    paths["html"] = write_html(table, timing, records, plots, out, command)
    return paths
