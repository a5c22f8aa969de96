"""The task-clustered bootstrap against cases whose answer is known analytically.

For a mean of n independent units with variance σ², the standard error is σ/√n and a 95 %
interval is about 2 × 1.96 × σ/√n wide. With k identical episodes per task, the units are
the n tasks, not the n·k episodes: the clustered interval must match the one-seed interval
and the normal width of n tasks, and the naive episode bootstrap must be √k too narrow.
With independent episodes, tasks carry no shared variance and both bootstraps agree.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pandas as pd
import pytest

from steptool_env.bench.stats import (
    clusters,
    draw_counts,
    generator,
    pooled_intervals,
    subset_intervals,
)
from steptool_env.errors import ConfigError

ENV = "StepTool/ToolBench-v0"
Z = 1.959964


def frame(values: dict[tuple[str, int], float], subset: str = "I1-Inst") -> pd.DataFrame:
    """Episodes from {(task, seed): is_solved}."""
    return pd.DataFrame(
        [
            {"env_id": ENV, "subset": subset, "task_id": t, "seed": s, "sample": 0, "x": v}
            for (t, s), v in values.items()
        ]
    )


def width(df: pd.DataFrame, unit: str = "task", subset: str = "I1-Inst", **kw: Any) -> float:
    lo, hi = subset_intervals(df, "x", env_id=ENV, subsets=[subset], unit=unit, **kw)[subset]
    return hi - lo


def normal_width(p: float, n: int) -> float:
    return 2 * Z * math.sqrt(p * (1 - p) / n) * 100


N, K = 400, 4


@pytest.fixture(scope="module")
def identical_seeds() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(11)
    solved = (rng.random(N) < 0.3).astype(float)
    df = frame({(f"t{i:04d}", s): solved[i] for i in range(N) for s in range(K)})
    return df, solved


def test_identical_seeds_clustered_equals_one_seed(identical_seeds) -> None:
    df, solved = identical_seeds
    many = subset_intervals(df, "x", env_id=ENV, subsets=["I1-Inst"])
    one = subset_intervals(df[df["seed"] == 0], "x", env_id=ENV, subsets=["I1-Inst"])
    assert many == one  # exact: the same tasks drawn, each task's mean unchanged
    p = solved.mean()
    assert width(df) == pytest.approx(normal_width(p, N), rel=0.08)


@pytest.mark.slow
def test_identical_seeds_episode_bootstrap_is_sqrt_k_too_narrow(identical_seeds) -> None:
    df, solved = identical_seeds
    naive = width(df, unit="episode")
    assert naive == pytest.approx(normal_width(solved.mean(), N * K), rel=0.08)
    assert width(df) / naive == pytest.approx(math.sqrt(K), rel=0.1)


def test_independent_episodes_both_agree() -> None:
    rng = np.random.default_rng(12)
    df = frame({(f"t{i:04d}", s): float(rng.random() < 0.3) for i in range(N) for s in range(K)})
    p = df["x"].mean()
    clustered, naive = width(df), width(df, unit="episode")
    assert clustered == pytest.approx(naive, rel=0.1)
    assert clustered == pytest.approx(normal_width(p, N * K), rel=0.1)


def test_task_difficulty_plus_seed_noise() -> None:
    # Each task solved with its own chance q_t (half the tasks 0.1, half 0.7), seeds
    # independent given q_t: Var(task mean) = Var(q) + E[q(1 - q)] / K, so the clustered
    # standard error is sqrt(that / N) (the law of total variance).
    rng = np.random.default_rng(13)
    q = np.where(np.arange(N) % 2 == 0, 0.1, 0.7)
    df = frame({(f"t{i:04d}", s): float(rng.random() < q[i]) for i in range(N) for s in range(K)})
    se = math.sqrt((q.var() + (q * (1 - q)).mean() / K) / N)
    assert width(df) == pytest.approx(2 * Z * se * 100, rel=0.1)


def test_average_is_stratified_over_subsets() -> None:
    # Two subsets of identical seeds with the same spread: the average of two independent
    # means has sqrt(2) less spread than one of them.
    rng = np.random.default_rng(14)
    parts = []
    for subset in ("I1-Inst", "I2-Inst"):
        solved = (rng.random(N) < 0.5).astype(float)
        parts.append(frame({(f"{subset}-{i}", 0): solved[i] for i in range(N)}, subset))
    df = pd.concat(parts)
    cis = subset_intervals(df, "x", env_id=ENV, subsets=["I1-Inst", "I2-Inst"])
    one = cis["I1-Inst"][1] - cis["I1-Inst"][0]
    avg = cis["Average"][1] - cis["Average"][0]
    assert one / avg == pytest.approx(math.sqrt(2), rel=0.1)
    point = (df.groupby("subset")["x"].mean().mean()) * 100
    assert cis["Average"][0] < point < cis["Average"][1]


def test_deterministic_and_order_free(identical_seeds) -> None:
    df, _ = identical_seeds
    first = subset_intervals(df, "x", env_id=ENV, subsets=["I1-Inst"], n_boot=500)
    shuffled = df.sample(frac=1.0, random_state=3)
    assert subset_intervals(shuffled, "x", env_id=ENV, subsets=["I1-Inst"], n_boot=500) == first
    other = subset_intervals(df, "x", env_id=ENV, subsets=["I1-Inst"], n_boot=500, seed=1)
    assert other != first


def test_one_task_has_no_interval() -> None:
    df = frame({("t0", 0): 1.0, ("t0", 1): 0.0})
    cis = subset_intervals(df, "x", env_id=ENV, subsets=["I1-Inst"])
    assert all(math.isnan(v) for v in (*cis["I1-Inst"], *cis["Average"]))
    missing = subset_intervals(df, "x", env_id=ENV, subsets=["I1-Inst", "I2-Inst"])
    assert all(math.isnan(v) for v in missing["Average"])


def test_draw_counts() -> None:
    draws = draw_counts(7, 300, generator(0, "x"))
    assert draws.shape == (300, 7)
    assert set(draws.sum(1)) == {7}
    assert draws.mean() == pytest.approx(1.0, rel=0.05)
    assert (draw_counts(7, 300, generator(0, "x")) == draws).all()


def test_clusters_group_seeds_and_samples_of_a_task() -> None:
    df = frame({("t1", 0): 1.0, ("t0", 0): 0.0, ("t1", 1): 0.5, ("t0", 1): 1.0})
    c = clusters(df, ["x"])
    assert c.keys == [(ENV, "t0"), (ENV, "t1")]
    assert list(c.sums[:, 0]) == [1.0, 1.5]
    assert list(c.counts) == [2.0, 2.0]
    assert list(c.mean()) == [0.625]
    assert len(clusters(df, ["x"], unit="episode")) == 4


def test_pooled_intervals_of_one_subset_match_the_subset_interval(identical_seeds) -> None:
    df, _ = identical_seeds
    df = df.assign(y=1.0 - df["x"])
    lo, hi = pooled_intervals(df, ["x", "y"], env_id=ENV, subsets=["I1-Inst"], n_boot=800)
    ci = subset_intervals(df, "x", env_id=ENV, subsets=["I1-Inst"], n_boot=800)["I1-Inst"]
    assert (lo[0], hi[0]) == pytest.approx(ci)
    assert (lo[1], hi[1]) == pytest.approx((100 - ci[1], 100 - ci[0]))
    single = frame({("t0", 0): 1.0})
    lo, hi = pooled_intervals(single, ["x"], env_id=ENV, subsets=["I1-Inst"], n_boot=100)
    assert math.isnan(lo[0]) and math.isnan(hi[0])


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"n_boot": 50}, "invalid n_boot=50"),
        ({"n_boot": True}, "invalid n_boot=True"),
        ({"level": 1.0}, "invalid level=1.0"),
        ({"unit": "seed"}, "invalid unit='seed'"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], needle: str) -> None:
    df = frame({(f"t{i}", 0): float(random.Random(i).random() < 0.5) for i in range(5)})
    with pytest.raises(ConfigError, match=needle):
        subset_intervals(df, "x", env_id=ENV, subsets=["I1-Inst"], **kwargs)
