"""Leaderboards from episode records (pandas): the table, Markdown, CSV.

Definitions (one row per env id and agent; :data:`GLOSSARY` has one line per column):

- **Pass rate** = mean IsSolved (1, 0.5 or 0) in %. For each subset it is computed per seed
  (over tasks and samples) and averaged over seeds; "Average" is the mean over subsets,
  computed per seed first. Next to each, a 95 % interval from a task-clustered bootstrap
  (:mod:`steptool_env.bench.stats`: tasks are resampled, all seeds and samples of a task
  together), and in the CSV the std over seeds (population, ddof=0; NaN with one seed).
- **pass^k** (k = samples per task, shown when k > 1): the chance that k samples of a task
  all solve it (IsSolved = 1), estimated per task and seed as C(c, k) / C(n, k) from its n
  samples with c successes, averaged over tasks and seeds.
- **Full solve**, **Give up**, **Truncated**: shares of episodes (%) with IsSolved = 1, that
  ended with a give-up, that the step budget cut off. **Return**: mean episode return
  under the records' ``scoring``. **Bad calls**: share of non-final steps (all episodes
  pooled) with status 1 (no such function) or 2 (bad input).
- **SuccCalling** = share of non-final steps with s_t = 1; **Recall** = share of a task's
  relevant APIs called successfully; **Steps** = actions per episode; **Tokens** = prompt +
  generated tokens per episode (0 for agents that are not language models); all means over
  episodes.
- **Tasks**: distinct tasks ranked, in all and per subset (``<subset> tasks``).
- **Errors by status**: how many steps ended with each non-zero, non-final status code.
- Episodes with an infrastructure error are left out of every rate and counted in
  ``infra``.

Everything in ``leaderboard.csv`` is a deterministic function of the records (records are
sorted by their identity before aggregation; the bootstrap is seeded), so the same
benchmark gives byte-identical numbers; wall time is a measurement and lives in
``timing.csv``, the Markdown and HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import comb
from typing import Any

from steptool_env.bench.record import Records, as_json
from steptool_env.bench.stats import LEVEL, N_BOOT, subset_intervals
from steptool_env.bench.store import KEY_FIELDS
from steptool_env.errors import ConfigError, require
from steptool_env.world.suite import SPLITS

RATES = ("Full solve", "Return", "Give up", "Truncated", "Bad calls")
METRICS = (*RATES, "SuccCalling", "Recall", "Steps", "Tokens", "tasks")
COUNTS = ("episodes", "seeds", "samples", "infra")
INDEX = ["env_id", "agent"]
BAD_CALLS = ("1", "2")
"""Status codes of a bad call: no such function, bad input."""
FINAL = ("3", "4")
"""Status codes of a final step: the answer, a give-up."""

GLOSSARY = {
    "Agent": "the agent's name in the run (its label in the benchmark file)",
    "subset": "pass rate on this subset in % (IsSolved 1, 0.5 or 0, averaged over its tasks, "
    "seeds and samples) and its 95 % task-bootstrap interval",
    "Average": "mean of the subset pass rates (each subset weighs the same) and its 95 % "
    "task-bootstrap interval",
    "pass^k": "share of tasks (per seed) whose k samples all solve it fully (IsSolved = 1), %; "
    "k = samples per task",
    "Full solve": "share of episodes fully solved (IsSolved = 1), %; the pass rate counts a "
    "half solve as 0.5",
    "Return": "mean episode return (sum of the env's rewards) under the scoring named above",
    "Give up": "share of episodes the agent ended by giving up, %",
    "Truncated": "share of episodes cut off by the step budget (max steps), %",
    "Bad calls": "share of non-final steps (all episodes pooled) that called a function that "
    "does not exist (status 1) or with bad input (status 2), %",
    "SuccCalling": "share of non-final steps whose call succeeded (s_t = 1), mean over episodes, %",
    "Recall": "share of a task's relevant APIs called successfully, mean over episodes, %",
    "Steps": "actions per episode, mean",
    "Tokens/ep": "prompt + generated tokens per episode, mean (– for agents that are not "
    "language models)",
    "Sec/ep": "wall-clock seconds per episode, mean (a measurement: in timing.csv, not "
    "leaderboard.csv)",
    "Tasks": "distinct tasks ranked (per subset: the subset header's tooltip and leaderboard.csv)",
    "Episodes": "episodes ranked: tasks × seeds × samples, less infrastructure errors",
    "Infra errors": "episodes lost to an infrastructure error (sandbox, server, network): left "
    "out of every rate, never counted as failures",
    "Errors by status": "steps per non-zero, non-final status code (code×count): 1 no such "
    "function, 2 bad input, 5–12 API failures",
}
"""One line per leaderboard column (the Markdown and HTML pages show them)."""


def frame(records: Records):
    """The records as a DataFrame sorted by episode identity (aggregation order fixed)."""
    pd = require("pandas", "bench")
    if not records:
        raise ConfigError("records", 0, "no episode records to rank")
    df = pd.DataFrame.from_records(as_json(records))
    defaults = {
        "tokens_in": 0,
        "tokens_out": 0,
        "scoring": "",
        "return": float("nan"),
        "gave_up": False,
        "truncated": False,
    }
    for col, default in defaults.items():
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


def _mean(series) -> float:
    return float(series.mean()) if len(series) else float("nan")


def _bad_call_rate(statuses) -> float:
    bad = steps = 0
    for counts in statuses:
        for code, n in counts.items():
            if str(code) not in FINAL:
                steps += n
                bad += n if str(code) in BAD_CALLS else 0
    return bad / steps * 100 if steps else float("nan")


def _pass_rates(row: dict[str, Any], ok, subsets: list[str]) -> None:
    """Per subset and on average: the mean over seeds and the std over seeds (NaN with
    fewer than two seeds)."""
    per_seed = (ok.groupby(["seed", "subset"])["is_solved"].mean() * 100).unstack()
    per_seed = per_seed.reindex(columns=subsets)
    series = {s: per_seed[s].dropna() for s in subsets}
    series["Average"] = per_seed.mean(axis=1, skipna=False).dropna()
    for col, vals in series.items():
        row[col] = _mean(vals)
        row[f"{col} std"] = float(vals.std(ddof=0)) if len(vals) > 1 else float("nan")


def leaderboard_table(
    records: Records,
    *,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    seed: int = 0,
):
    """One row per (env id, agent): pass rate per subset and on average with its ``level``
    task-clustered bootstrap interval (``n_boot`` resamples, seeded by ``seed``) and std
    over seeds, and the other metrics (see the module doc). Sorted by Average, best first."""
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
        own = subsets_of(df[df["env_id"] == env_id])  # the average is over the env's own
        _pass_rates(row, ok, own)
        cis = subset_intervals(
            ok, "is_solved", env_id=env_id, subsets=own, n_boot=n_boot, level=level, seed=seed
        )
        for col, (lo, hi) in cis.items():
            row[f"{col} ci low"], row[f"{col} ci high"] = lo, hi
        k = int(mine_all["sample"].max()) + 1
        if k > 1:
            groups = ok.groupby(["subset", "seed", "task_id"])["is_solved"]
            vals = [pass_hat_k(list(g == 1.0)) for _, g in groups if len(g) == k]
            row["pass^k"] = float(pd.Series(vals).mean() * 100) if vals else float("nan")
        row["Full solve"] = _mean(ok["is_solved"] == 1.0) * 100
        row["Return"] = _mean(ok["return"].astype(float))
        row["Give up"] = _mean(ok["gave_up"].astype(bool)) * 100
        row["Truncated"] = _mean(ok["truncated"].astype(bool)) * 100
        row["Bad calls"] = _bad_call_rate(ok["statuses"])
        row["SuccCalling"] = _mean(ok["succ_calling_rate"]) * 100
        row["Recall"] = _mean(ok["recall"]) * 100
        row["Steps"] = _mean(ok["n_steps"])
        row["Tokens"] = _mean(ok["tokens_in"] + ok["tokens_out"])
        row["tasks"] = len(ok.groupby(["subset", "task_id"]))
        for subset in own:
            row[f"{subset} tasks"] = int(ok.loc[ok["subset"] == subset, "task_id"].nunique())
        row["episodes"] = len(ok)
        row["seeds"] = int(mine_all["seed"].nunique())
        row["samples"] = k
        row["infra"] = len(mine_all) - len(ok)
        for code in statuses:
            row[f"status {code}"] = int(sum(s.get(str(code), 0) for s in ok["statuses"]))
        rows.append(row)
    table = pd.DataFrame(rows).set_index(INDEX)
    order = [c for s in [*subsets, "Average"] for c in (s, f"{s} ci low", f"{s} ci high")]
    order += [f"{s} std" for s in [*subsets, "Average"]]
    order += ["pass^k"] if "pass^k" in table else []
    order += [*METRICS, *(f"{s} tasks" for s in subsets), *COUNTS]
    order += [f"status {code}" for code in statuses]
    table = table.reindex(columns=order)
    return table.sort_values("Average", ascending=False, kind="stable")


def timing_table(records: Records):
    """Seconds, tokens in and out per episode, per (env id, agent) (measurements), over the
    episodes without an infrastructure error, like every leaderboard column."""
    df = frame(records)
    ok = df[df["infra_error"] == ""]
    g = (ok if len(ok) else df).groupby(INDEX, sort=False)
    out = g[["wall_s", "tokens_in", "tokens_out"]].mean()
    out.columns = ["seconds/episode", "tokens in/episode", "tokens out/episode"]
    return out


def _within_budget(ok, top: int):
    """Per episode, IsSolved if solved within b actions, else 0: columns 1..top."""
    pd = require("pandas", "bench")
    solved = {b: ok["is_solved"] * (ok["n_steps"] <= b) for b in range(1, top + 1)}
    return pd.DataFrame(solved, index=ok.index)


def budget_curve(records: Records, max_steps: int | None = None):
    """Pass rate (%) against step budget b = 1..max_steps, per (env id, agent).

    An episode counts as solved within budget b when it was solved in at most b actions.
    This equals a rerun with ``max_steps=b`` because agents never see the budget, and the
    env only truncates.
    """
    pd = require("pandas", "bench")
    df = frame(records)
    ok = df[df["infra_error"] == ""]
    top = int(max_steps or df["max_steps"].max())
    data = {
        key: [float(v) * 100 for v in _within_budget(mine, top).mean()]
        for key, mine in ok.groupby(INDEX, sort=False)
    }
    return pd.DataFrame(data, index=pd.RangeIndex(1, top + 1, name="budget"))


def budget_bands(
    records: Records,
    max_steps: int | None = None,
    *,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    seed: int = 0,
):
    """The ``level`` task-clustered bootstrap interval of each point of
    :func:`budget_curve`: two frames shaped like it (low, high)."""
    from steptool_env.bench.stats import pooled_intervals

    pd = require("pandas", "bench")
    df = frame(records)
    ok = df[df["infra_error"] == ""]
    top = int(max_steps or df["max_steps"].max())
    subsets = subsets_of(df)
    low, high = {}, {}
    for (env_id, agent), mine in ok.groupby(INDEX, sort=False):
        within = _within_budget(mine, top)
        cols = [f"b{b}" for b in within.columns]
        within.columns = cols
        within[["env_id", "subset", "task_id"]] = mine[["env_id", "subset", "task_id"]]
        lo, hi = pooled_intervals(
            within, cols, env_id=env_id, subsets=subsets, n_boot=n_boot, level=level, seed=seed
        )
        low[(env_id, agent)], high[(env_id, agent)] = list(lo), list(hi)
    index = pd.RangeIndex(1, top + 1, name="budget")
    return pd.DataFrame(low, index=index), pd.DataFrame(high, index=index)


def metric_columns(table) -> tuple[list[str], list[str]]:
    """(subset columns, status columns) of a leaderboard table (or of some of its rows:
    subsets that none of them ran are left out)."""
    cols = set(table.columns)
    subsets = [
        c
        for c in table.columns
        if c != "Average" and f"{c} ci low" in cols and table[f"{c} tasks"].notna().any()
    ]
    statuses = [c for c in table.columns if c.startswith("status ")]
    return subsets, statuses


def fmt(v: float, digits: int = 1) -> str:
    """A number for display ("–" for NaN)."""
    return "–" if v != v else f"{v:.{digits}f}"


def interval_text(row, col: str) -> str:
    """``[low, high]`` of a pass-rate column, ``[n/a]`` when there was nothing to resample."""
    lo, hi = row[f"{col} ci low"], row[f"{col} ci high"]
    return "[n/a]" if lo != lo or hi != hi else f"[{fmt(lo)}, {fmt(hi)}]"


def errors_text(row, statuses: list[str], sep: str = ", ", none: str = "–") -> str:
    """``code×count`` for each status column of a leaderboard row with a non-zero count."""
    parts = [f"{c.split()[1]}×{int(row[c])}" for c in statuses if row[c]]
    return sep.join(parts) or none


@dataclass(frozen=True)
class Cell:
    """One displayed cell: its sort value, its text, and for pass rates the interval."""

    value: Any
    text: str
    interval: str = ""


def display(table, timing=None) -> tuple[list[str], list[tuple[tuple[str, str], list[Cell]]]]:
    """The headers and cells that the Markdown and HTML tables show (one row per agent, in
    the table's order); the headers are :data:`GLOSSARY` keys, or subset names."""
    subsets, _ = metric_columns(table)
    heads = ["Agent", *subsets, "Average", *(["pass^k"] if "pass^k" in table else [])]
    heads += ["Full solve", "Return", "Give up", "Truncated", "Bad calls"]
    heads += ["SuccCalling", "Recall", "Steps", "Tokens/ep"]
    heads += ["Sec/ep"] if timing is not None else []
    heads += ["Tasks", "Episodes", "Infra errors"]
    digits = {"Return": 3, "Steps": 2}
    source = {"Tokens/ep": "Tokens", "Tasks": "tasks", "Episodes": "episodes"}
    source["Infra errors"] = "infra"
    rows = []
    for key, row in table.iterrows():
        cells = [Cell(key[1], str(key[1]))]
        for h in heads[1:]:
            if h in subsets or h == "Average":
                cells.append(Cell(row[h], fmt(row[h]), interval_text(row, h)))
            elif h == "Sec/ep":
                sec = float(timing.loc[key, "seconds/episode"])
                cells.append(Cell(sec, f"{sec:.4f}"))
            elif h in ("Tasks", "Episodes", "Infra errors"):
                n = int(row[source[h]])
                cells.append(Cell(n, str(n)))
            else:
                v = float(row[source.get(h, h)])
                text = "–" if h == "Tokens/ep" and not v else fmt(v, digits.get(h, 1))
                cells.append(Cell(v, text))
        rows.append((key, cells))
    return heads, rows


def glossary(table, timing=None) -> list[tuple[str, str]]:
    """(column, definition) for each column the pages show, in their order (the subsets
    share one line)."""
    subsets, _ = metric_columns(table)
    heads, _ = display(table, timing)
    heads.insert(len(heads) - 2, "Errors by status")
    out = [("Agent", GLOSSARY["Agent"])]
    if subsets:
        out.append((", ".join(subsets), GLOSSARY["subset"]))
    return out + [(h, GLOSSARY[h]) for h in heads[len(subsets) + 1 :]]


SUMMARY: tuple[str, ...] = ("Full solve", "Return", "Give up", "Truncated", "Bad calls")
SUMMARY += ("SuccCalling", "Recall", "Steps")
"""The columns after the pass rates in a summary table (:func:`to_markdown` with
``summary=True``: the README's)."""


def to_markdown(table, timing=None, *, summary: bool = False) -> str:
    """The leaderboard as a Markdown table; ``summary``: the pass rates (and pass^k) and
    the :data:`SUMMARY` columns only."""
    _, statuses = metric_columns(table)
    heads, rows = display(table, timing)
    errors = "Errors by status"
    header = [*heads[:-2], errors, *heads[-2:]]
    for _, cells in rows:
        cells.insert(len(heads) - 2, Cell(None, errors))
    keep = list(range(len(header)))
    if summary:
        first = header.index("Full solve")
        keep = [i for i, h in enumerate(header) if i < first or h in SUMMARY]
    lines = ["| " + " | ".join(header[i] for i in keep) + " |", "|" + "---|" * len(keep)]
    for key, cells in rows:
        texts = [f"`{cells[0].text}`"]
        texts += [f"{c.text} {c.interval}" if c.interval else c.text for c in cells[1:]]
        texts[len(heads) - 2] = errors_text(table.loc[key], statuses)
        lines.append("| " + " | ".join(texts[i] for i in keep) + " |")
    return "\n".join(lines) + "\n"


def tasks_text(table) -> str:
    """Tasks per subset (``I1-Inst 163 · ...``), per agent where the agents differ."""
    subsets, _ = metric_columns(table)
    counts = table[[f"{s} tasks" for s in subsets]]
    if len(counts.drop_duplicates()) <= 1:
        first = counts.iloc[0]
        return " · ".join(f"{s} {int(first[f'{s} tasks'])}" for s in subsets)
    return "; ".join(
        f"{agent}: " + " · ".join(f"{s} {int(r[f'{s} tasks'])}" for s in subsets)
        for (_, agent), r in counts.iterrows()
    )


def _short(commit: str) -> str:
    return commit[:12] + ("-dirty" if commit.endswith("-dirty") else "")


def method_text(n_boot: int = N_BOOT, level: float = LEVEL, seed: int = 0) -> str:
    """How the intervals were made (shown on every leaderboard)."""
    return (
        f"pass rate in %, [{level * 100:g} % interval] from a percentile bootstrap over tasks "
        f"({n_boot:,} resamples, seed {seed}): each resample draws every subset's tasks with "
        "replacement and keeps all seeds and samples of a drawn task together, so repeated "
        "seeds add no false certainty; n/a where a subset has fewer than two tasks; an "
        "interval shrinks to a point when every task scored the same"
    )


def env_lines(records: Records) -> dict[str, str]:
    """Per env id: its suite hash, the scoring of its records and (StableToolBench) the
    IsSolved rule."""
    seen: dict[str, dict[str, set[str]]] = {}
    for r in as_json(records):
        info = seen.setdefault(r["env_id"], {"suite": set(), "scoring": set(), "rule": set()})
        info["suite"].add(str(r["suite_hash"])[:16])
        info["scoring"].add(str(r.get("scoring") or "unrecorded"))
        if r.get("is_solved_rule"):
            info["rule"].add(str(r["is_solved_rule"]))
    out = {}
    for env_id, info in seen.items():
        parts = [
            "suite hash " + ", ".join(f"`{h}`" for h in sorted(info["suite"])),
            "scoring " + ", ".join(f"`{s}`" for s in sorted(info["scoring"])),
        ]
        if info["rule"]:
            parts.append("IsSolved rule " + ", ".join(f"`{s}`" for s in sorted(info["rule"])))
        out[env_id] = " · ".join(parts)
    return out


def describe_run(
    records: Records,
    command: str | None = None,
    *,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    seed: int = 0,
) -> list[str]:
    """Provenance lines shown above every leaderboard (the per-env-id suite hash, scoring
    and IsSolved rule are in :func:`env_lines`)."""
    records = as_json(records)
    first = records[0]
    seeds = sorted({r["seed"] for r in records})
    samples = max(r["sample"] for r in records) + 1
    commits = sorted({_short(r["git_commit"]) for r in records})
    versions = sorted({r["package_version"] for r in records})
    lines = [
        f"parser `{first['parser']}` · max steps {first['max_steps']} · backend "
        f"`{first.get('backend', 'inprocess')}`",
        f"seeds {', '.join(map(str, seeds))}"
        + (f" · {samples} samples per task" if samples > 1 else ""),
        method_text(n_boot, level, seed),
        f"steptool-env {', '.join(versions)} · commit {', '.join(f'`{c}`' for c in commits)}",
    ]
    if command:
        lines.append(f"command: `{command}`")
    return lines
