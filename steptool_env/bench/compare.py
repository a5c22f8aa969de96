"""Compare two result sets: pass rates (or another per-episode metric, :data:`METRICS`) side
by side with bootstrap confidence intervals.

For each subset (and the average over subsets) the difference B − A in pass rate gets a
percentile bootstrap interval from a task-clustered bootstrap (:mod:`steptool_env.bench.
stats`): a resample draws tasks, and all seeds and samples of a drawn task come along, so
running more seeds of the same tasks does not make a difference look more certain than the
tasks allow. When both sides ran the same tasks (same env id, subset and task ids), the
bootstrap is *paired*: one draw of tasks is applied to both sides, which removes the
task-difficulty variance both share. Otherwise each side is resampled on its own.
Resampling is stratified by subset; the average is the mean of the subset means, as on the
leaderboard. The generator is seeded, so the output is exact. A subset where a side has
fewer than two tasks has nothing to resample: its interval (and the average's) is NaN.
"""

from __future__ import annotations

from typing import Any

from steptool_env.bench.leaderboard import frame, subsets_of
from steptool_env.bench.record import Records
from steptool_env.bench.stats import check, clusters, draw_counts, generator, interval, replicates
from steptool_env.errors import ConfigError, require

METRICS = {
    "pass_rate": ("is_solved", 100.0, "pass rate in %"),
    "succ_calling": ("succ_calling_rate", 100.0, "SuccCalling in %"),
    "recall": ("recall", 100.0, "recall in %"),
    "return": ("return", 1.0, "return"),
}
"""What ``compare`` can compare: name → (record field, scale, how the table names it)."""


def _side(records: Records, agent: str | None, which: str):
    df = frame(records)
    df = df[df["infra_error"] == ""]
    agents = list(dict.fromkeys(df["agent"]))
    if agent is None:
        if len(agents) != 1:
            raise ConfigError(
                f"agent_{which}", None, "this result set has several agents: name one", agents
            )
        agent = agents[0]
    if agent not in agents:
        raise ConfigError(f"agent_{which}", agent, "not in this result set", choices=agents)
    return agent, df[df["agent"] == agent]


def _resampled(ca, cb, n_boot: int, seed: int, subset: str):
    """(A's, B's) resampled pass rates of one subset, and whether the draws were paired;
    None for the resamples when a side has fewer than two tasks."""
    paired = ca.keys == cb.keys
    if min(len(ca), len(cb)) < 2:
        return None, None, paired
    if paired:
        draws = draw_counts(len(ca), n_boot, generator(seed, "compare", subset))
        return replicates(ca, draws)[:, 0], replicates(cb, draws)[:, 0], True
    da = draw_counts(len(ca), n_boot, generator(seed, "compare", subset, "A"))
    db = draw_counts(len(cb), n_boot, generator(seed, "compare", subset, "B"))
    return replicates(ca, da)[:, 0], replicates(cb, db)[:, 0], False


def compare(
    a: Records,
    b: Records,
    *,
    agent_a: str | None = None,
    agent_b: str | None = None,
    n_boot: int = 10_000,
    level: float = 0.95,
    seed: int = 0,
    metric: str = "pass_rate",
):
    """A table with one row per subset and ``Average``: ``metric`` of A and B (pass rate in %
    by default; see :data:`METRICS`), the difference B − A, its ``level`` task-clustered
    bootstrap interval, the episodes and tasks compared and whether the bootstrap was
    paired."""
    np = require("numpy", "bench")
    pd = require("pandas", "bench")
    check(n_boot, level)
    if metric not in METRICS:
        raise ConfigError("metric", metric, "unknown metric", choices=sorted(METRICS))
    column, scale, label = METRICS[metric]
    name_a, da = _side(a, agent_a, "a")
    name_b, db = _side(b, agent_b, "b")
    subsets = [s for s in subsets_of(da) if s in set(db["subset"])]
    if not subsets:
        raise ConfigError("results", (name_a, name_b), "the two result sets share no subset")
    rows, diffs, point_a, point_b = [], [], [], []
    for subset in subsets:
        ca = clusters(da[da["subset"] == subset], [column])
        cb = clusters(db[db["subset"] == subset], [column])
        ra, rb, paired = _resampled(ca, cb, n_boot, seed, subset)
        diffs.append(None if ra is None else rb - ra)
        point_a.append(float(ca.mean()[0]))
        point_b.append(float(cb.mean()[0]))
        counts = (int(ca.counts.sum()), int(cb.counts.sum()), len(ca), len(cb))
        rows.append(_row(subset, point_a[-1], point_b[-1], diffs[-1], level, counts, paired, scale))
    whole = None if any(d is None for d in diffs) else np.mean(diffs, axis=0)
    counts = tuple(sum(r[c] for r in rows) for c in ("n A", "n B", "tasks A", "tasks B"))
    paired = all(r["paired"] for r in rows)
    average = np.mean(point_a), np.mean(point_b), whole
    rows.append(_row("Average", *average, level, counts, paired, scale))
    table = pd.DataFrame(rows).set_index("subset")
    table.attrs.update(
        {"A": name_a, "B": name_b, "level": level, "n_boot": n_boot, "metric": label}
    )
    return table


def _row(subset, pa, pb, diffs, level, counts, paired, scale) -> dict[str, Any]:
    lo, hi = (float("nan"),) * 2 if diffs is None else interval(diffs * scale, level)
    return {
        "subset": subset,
        "A": round(float(pa) * scale, 4),
        "B": round(float(pb) * scale, 4),
        "B - A": round(float(pb - pa) * scale, 4),
        "ci low": round(float(lo), 4),
        "ci high": round(float(hi), 4),
        "n A": counts[0],
        "n B": counts[1],
        "tasks A": counts[2],
        "tasks B": counts[3],
        "paired": paired,
    }


def compare_markdown(table) -> str:
    """The comparison as a Markdown table (a difference whose interval excludes 0 is bold)."""
    a, b = table.attrs["A"], table.attrs["B"]
    label = table.attrs.get("metric", "pass rate in %")
    pct = f"{table.attrs['level'] * 100:g}"
    f = ".1f" if label.endswith("%") else ".3f"  # a share in %, or a return
    lines = [
        f"A = `{a}`, B = `{b}`; {label}; {pct} % percentile bootstrap over tasks "
        f"({table.attrs['n_boot']} resamples, stratified by subset; all seeds and samples of "
        "a task resampled together; paired, one draw of tasks for both sides, where both ran "
        "the same tasks; n/a where a side has fewer than two tasks).",
        "",
        f"| Subset | A | B | B − A | {pct} % CI | Episodes (A/B) | Tasks (A/B) | Paired |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for subset, r in table.iterrows():
        sig = r["ci low"] > 0 or r["ci high"] < 0
        d = f"{r['B - A']:+{f}}"
        ci = "n/a" if r["ci low"] != r["ci low"] else f"[{r['ci low']:+{f}}, {r['ci high']:+{f}}]"
        lines.append(
            f"| {subset} | {r['A']:{f}} | {r['B']:{f}} | {f'**{d}**' if sig else d} | "
            f"{ci} | {r['n A']}/{r['n B']} | {r['tasks A']}/{r['tasks B']} | "
            f"{'yes' if r['paired'] else 'no'} |"
        )
    return "\n".join(lines) + "\n"
