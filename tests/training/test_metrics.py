"""Learning-curve plots: whole-number update ticks, and a symlog axis for a metric whose
values span more than two decades (GRPO's first update on SmolLM2 had a KL of 1,804, its
next ones 0.02 and 0.01: on a linear axis those read as 0)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from steptool_env.errors import ConfigError
from steptool_env.training.metrics import _symlog_threshold, plot_metrics


def _run(folder: Path, rows: list[dict]) -> Path:
    folder.mkdir(parents=True)
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def test_symlog_threshold() -> None:
    assert _symlog_threshold([1804.5, 0.0217, 0.0104]) == 0.0104
    assert _symlog_threshold([-1804.5, None, 0.0217]) == 0.0217  # missing values skipped
    assert _symlog_threshold([0.09, 0.019, 0.006]) is None  # 1.2 decades: linear is fine
    assert _symlog_threshold([0.0, 0.0, 5.0]) is None  # zeros have no magnitude
    assert _symlog_threshold([float("nan"), 1.0, float("inf")]) is None
    assert _symlog_threshold([]) is None


def test_axes_follow_the_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib.axes

    scales: dict[str, str] = {}
    linthresh: dict[str, float] = {}
    original = matplotlib.axes.Axes.set_title

    def record(ax, title, *a, **k):  # the title names the metric; read the scale then
        scales[str(title).split()[0]] = ax.get_yscale()
        if ax.get_yscale() == "symlog":
            linthresh[str(title).split()[0]] = ax.yaxis.get_transform().linthresh
        return original(ax, title, *a, **k)

    monkeypatch.setattr(matplotlib.axes.Axes, "set_title", record)
    spiky = [{"update": u, "kl": k, "entropy": e} for u, k, e in
             [(1, 1804.5, 0.31), (2, 0.0217, 0.43), (3, 0.0104, 0.33)]]  # fmt: skip
    png = plot_metrics([_run(tmp_path / "grpo", spiky)], tmp_path / "curves.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert scales == {"kl": "symlog", "entropy": "linear"}
    assert linthresh == {"kl": 0.0104}


def test_nothing_to_plot(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no plottable metrics"):
        plot_metrics([_run(tmp_path / "x", [{"update": 1}])], tmp_path / "c.png")
