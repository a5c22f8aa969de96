"""Task-clustered bootstrap intervals for leaderboards and comparisons.

A benchmark samples tasks; seeds and samples repeat the same tasks. The episodes of one task
are correlated (a deterministic agent repeats itself exactly), so a bootstrap that resamples
episodes as if they were independent understates the uncertainty: with k identical episodes
per task its interval is √k times too narrow. Here one resample draws, within each subset,
as many tasks as the subset has, with replacement, and every episode of a drawn task (all
its seeds and samples) comes along. The statistic of a subset is the mean over the drawn
episodes (the pass rate itself when nothing is drawn twice); the average over subsets is
the mean of the subset statistics of the same resample (stratified: each subset keeps its
size and weight). Intervals are percentile intervals of the resampled statistics.

The generator of a subset is seeded from ``(seed, env id, subset, unit)``, so every interval
is an exact function of the records, and agents that ran the same tasks are resampled with
the same draws. A subset with fewer than two tasks has nothing to resample: its interval
(and the average's) is NaN, shown as "n/a".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from steptool_env.errors import ConfigError, require
from steptool_env.seeding import derive_seed

N_BOOT = 10_000
"""Resamples per interval."""
LEVEL = 0.95
"""Confidence level of the intervals."""
UNITS = {"task": ("env_id", "task_id"), "episode": ("env_id", "task_id", "seed", "sample")}
"""What one resample draws: whole tasks (the default), or single episodes (the naive
bootstrap, kept to show and test the difference)."""


def check(n_boot: int, level: float, unit: str = "task") -> None:
    if not isinstance(n_boot, int) or isinstance(n_boot, bool) or n_boot < 100:
        raise ConfigError("n_boot", n_boot, "must be an integer >= 100")
    if not 0.5 <= level < 1:
        raise ConfigError("level", level, "must be in [0.5, 1)")
    if unit not in UNITS:
        raise ConfigError("unit", unit, "unknown resampling unit", choices=sorted(UNITS))


@dataclass(frozen=True)
class Clusters:
    """The episodes of one subset grouped by resampling unit, in key order."""

    keys: list[Any]
    sums: Any
    """Per cluster, the sum of each value column over its episodes: shape (n, m)."""
    counts: Any
    """Episodes per cluster: shape (n,)."""

    def __len__(self) -> int:
        return len(self.keys)

    def mean(self) -> Any:
        """The statistic on the data as observed (every cluster drawn once): shape (m,)."""
        return self.sums.sum(0) / self.counts.sum()


def clusters(df, columns: Sequence[str], unit: str = "task") -> Clusters:
    """Group the episodes in ``df`` (one subset) by ``unit``; sums of ``columns``."""
    by = list(UNITS[unit])
    g = df.groupby(by, sort=True)
    sums = g[list(columns)].sum()
    return Clusters(list(sums.index), sums.to_numpy(dtype=float), g.size().to_numpy(dtype=float))


def generator(seed: int, *parts: Any):
    np = require("numpy", "bench")
    return np.random.default_rng(derive_seed("bootstrap", seed, *parts))


def draw_counts(n: int, n_boot: int, rng) -> Any:
    """How often each of ``n`` clusters is drawn in each of ``n_boot`` resamples of size
    ``n`` (uniform, with replacement): an integer array of shape (n_boot, n)."""
    np = require("numpy", "bench")
    idx = rng.integers(0, n, size=(n_boot, n))
    flat = (idx + n * np.arange(n_boot)[:, None]).ravel()
    return np.bincount(flat, minlength=n_boot * n).reshape(n_boot, n)


def replicates(c: Clusters, draws: Any) -> Any:
    """The statistic of each resample: mean over the drawn episodes, shape (n_boot, m)."""
    return (draws @ c.sums) / (draws @ c.counts)[:, None]


def interval(reps: Any, level: float = LEVEL) -> tuple[Any, Any]:
    """Percentile interval of resampled statistics (along the first axis)."""
    np = require("numpy", "bench")
    lo, hi = np.percentile(reps, [(1 - level) / 2 * 100, (1 + level) / 2 * 100], axis=0)
    return lo, hi


def stratified(
    df,
    columns: Sequence[str],
    *,
    env_id: str,
    subsets: Sequence[str],
    n_boot: int = N_BOOT,
    seed: int = 0,
    unit: str = "task",
) -> dict[str, tuple[Clusters, Any]]:
    """Per subset of ``df`` (one agent's episodes on ``env_id``) that has episodes: its
    clusters and their draw counts in ``n_boot`` resamples (None with fewer than two
    clusters: nothing to resample)."""
    out: dict[str, tuple[Clusters, Any]] = {}
    for subset in subsets:
        mine = df[df["subset"] == subset]
        if len(mine):
            c = clusters(mine, columns, unit)
            draws = None
            if len(c) >= 2:
                draws = draw_counts(len(c), n_boot, generator(seed, env_id, subset, unit))
            out[subset] = (c, draws)
    return out


def subset_intervals(
    df,
    column: str,
    *,
    env_id: str,
    subsets: Sequence[str],
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    seed: int = 0,
    unit: str = "task",
    scale: float = 100.0,
) -> dict[str, tuple[float, float]]:
    """``level`` intervals of the mean of ``column`` (times ``scale``) per subset and for
    ``Average``, the mean over ``subsets`` (NaN where there is nothing to resample, and
    for the average when a subset is missing or has nothing to resample)."""
    check(n_boot, level, unit)
    nan = (float("nan"), float("nan"))
    parts = stratified(
        df, [column], env_id=env_id, subsets=subsets, n_boot=n_boot, seed=seed, unit=unit
    )
    reps = {}
    out: dict[str, tuple[float, float]] = {}
    for subset in subsets:
        c, draws = parts.get(subset, (None, None))
        if c is None or draws is None:
            out[subset] = nan
            continue
        reps[subset] = replicates(c, draws)[:, 0] * scale
        lo, hi = interval(reps[subset], level)
        out[subset] = (float(lo), float(hi))
    if subsets and len(reps) == len(subsets):
        lo, hi = interval(sum(reps.values()) / len(reps), level)
        out["Average"] = (float(lo), float(hi))
    else:
        out["Average"] = nan
    return out


def pooled_intervals(
    df,
    columns: Sequence[str],
    *,
    env_id: str,
    subsets: Sequence[str],
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    seed: int = 0,
    scale: float = 100.0,
) -> tuple[Any, Any]:
    """Intervals of the mean of each of ``columns`` over all episodes of ``df`` (pooled
    over subsets, as the budget curve is), tasks resampled within each subset: two arrays
    of shape (len(columns),), NaN when there are fewer than two tasks in all."""
    np = require("numpy", "bench")
    check(n_boot, level)
    parts = stratified(df, columns, env_id=env_id, subsets=subsets, n_boot=n_boot, seed=seed)
    if sum(len(c) for c, _ in parts.values()) < 2:
        nan = np.full(len(columns), np.nan)
        return nan, nan.copy()
    num = np.zeros((n_boot, len(columns)))
    den = np.zeros((n_boot, 1))
    for c, draws in parts.values():
        if draws is None:  # a single task is drawn in every resample
            num += c.sums.sum(0)
            den += c.counts.sum()
        else:
            num += draws @ c.sums
            den += (draws @ c.counts)[:, None]
    return interval(num / den * scale, level)
