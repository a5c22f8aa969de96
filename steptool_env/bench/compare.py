"""Compare two result sets: pass rates side by side with bootstrap confidence intervals.

For each subset (and the average over subsets) the difference B − A in pass rate gets a
percentile bootstrap interval. When both sides ran the same episodes (same env id, subset,
seed, sample and task), the bootstrap is *paired*: one resample of episodes is applied to
both sides, which removes the task-difficulty variance both share. Otherwise each side is
resampled on its own. Resampling is stratified by subset; the average is the mean of the
subset means, as on the leaderboard. The generator is seeded, so the output is exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from steptool_env.bench.leaderboard import frame, subsets_of
from steptool_env.errors import ConfigError, require

UNIT = ["env_id", "subset", "seed", "sample", "task_id"]


def _side(records: Sequence[dict[str, Any]], agent: str | None, which: str):
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


def compare(
    a: Sequence[dict[str, Any]],
    b: Sequence[dict[str, Any]],
    *,
    agent_a: str | None = None,
    agent_b: str | None = None,
    n_boot: int = 10_000,
    level: float = 0.95,
    seed: int = 0,
):
    """A table with one row per subset and ``Average``: pass rate of A and B (%), the
    difference B − A, its ``level`` bootstrap interval, the episodes compared and whether
    the bootstrap was paired."""
    np = require("numpy", "bench")
    pd = require("pandas", "bench")
    if not isinstance(n_boot, int) or n_boot < 100:
        raise ConfigError("n_boot", n_boot, "must be an integer >= 100")
    if not 0.5 <= level < 1:
        raise ConfigError("level", level, "must be in [0.5, 1)")
    name_a, da = _side(a, agent_a, "a")
    name_b, db = _side(b, agent_b, "b")
    subsets = [s for s in subsets_of(da) if s in set(db["subset"])]
    if not subsets:
        raise ConfigError("results", (name_a, name_b), "the two result sets share no subset")
    rng = np.random.default_rng(seed)
    lo_q, hi_q = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    rows, boot_a, boot_b, point_a, point_b = [], [], [], [], []
    for subset in subsets:
        sa = da[da["subset"] == subset].set_index(UNIT)["is_solved"]
        sb = db[db["subset"] == subset].set_index(UNIT)["is_solved"]
        paired = len(sa) == len(sb) and sa.index.sort_values().equals(sb.index.sort_values())
        if paired:
            sb = sb.reindex(sa.index)
            idx = rng.integers(0, len(sa), size=(n_boot, len(sa)))
            ra, rb = sa.to_numpy()[idx].mean(1), sb.to_numpy()[idx].mean(1)
        else:
            ra = sa.to_numpy()[rng.integers(0, len(sa), size=(n_boot, len(sa)))].mean(1)
            rb = sb.to_numpy()[rng.integers(0, len(sb), size=(n_boot, len(sb)))].mean(1)
        boot_a.append(ra)
        boot_b.append(rb)
        point_a.append(float(sa.mean()))
        point_b.append(float(sb.mean()))
        rows.append(
            _row(subset, point_a[-1], point_b[-1], rb - ra, lo_q, hi_q, len(sa), len(sb), paired)
        )
    diff = np.mean(boot_b, axis=0) - np.mean(boot_a, axis=0)
    all_paired = all(r["paired"] for r in rows)
    rows.append(
        _row(
            "Average",
            float(np.mean(point_a)),
            float(np.mean(point_b)),
            diff,
            lo_q,
            hi_q,
            sum(r["n A"] for r in rows),
            sum(r["n B"] for r in rows),
            all_paired,
        )
    )
    table = pd.DataFrame(rows).set_index("subset")
    table.attrs.update({"A": name_a, "B": name_b, "level": level, "n_boot": n_boot})
    return table


def _row(subset, pa, pb, diffs, lo_q, hi_q, na, nb, paired) -> dict[str, Any]:
    import numpy as np

    lo, hi = np.percentile(diffs, [lo_q, hi_q]) * 100
    return {
        "subset": subset,
        "A": round(pa * 100, 4),
        "B": round(pb * 100, 4),
        "B - A": round((pb - pa) * 100, 4),
        "ci low": round(float(lo), 4),
        "ci high": round(float(hi), 4),
        "n A": na,
        "n B": nb,
        "paired": paired,
    }


def compare_markdown(table) -> str:
    """The comparison as a Markdown table (a difference whose interval excludes 0 is bold)."""
    a, b = table.attrs["A"], table.attrs["B"]
    pct = round(table.attrs["level"] * 100)
    lines = [
        f"A = `{a}`, B = `{b}`; pass rate in %; {pct}% paired/unpaired percentile bootstrap "
        f"over episodes ({table.attrs['n_boot']} resamples, stratified by subset).",
        "",
        f"| Subset | A | B | B − A | {pct}% CI | Episodes (A/B) | Paired |",
        "|---|---|---|---|---|---|---|",
    ]
    for subset, r in table.iterrows():
        sig = r["ci low"] > 0 or r["ci high"] < 0
        d = f"{r['B - A']:+.1f}"
        lines.append(
            f"| {subset} | {r['A']:.1f} | {r['B']:.1f} | {f'**{d}**' if sig else d} | "
            f"[{r['ci low']:+.1f}, {r['ci high']:+.1f}] | {r['n A']}/{r['n B']} | "
            f"{'yes' if r['paired'] else 'no'} |"
        )
    return "\n".join(lines) + "\n"
