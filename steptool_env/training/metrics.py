"""Per-update metrics (one JSON object per line in ``out/metrics.jsonl``) and learning-curve
plots of one or several runs (``steptool train plot RUN [RUN ...]``)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from steptool_env.errors import ConfigError, require

TIMING_KEYS = ("rollout_s", "update_s", "tokens_per_s", "train_tokens_per_s", "eval_s")
"""Keys that measure the machine rather than the run (they differ between identical runs)."""

PLOT_KEYS = (
    "pass_rate",
    "mean_return",
    "succ_calling",
    "eval_pass_rate",
    "kl",
    "entropy",
    "value_loss",
    "loss",
)


class MetricsLog:
    """Appends one line per update; on resume drops lines after the checkpoint's update."""

    def __init__(self, path: Path, resume_from: int | None = None) -> None:
        self.path = path
        if resume_from is None:
            path.write_text("")
        else:
            kept = [r for r in read_metrics(path) if r.get("update", 0) <= resume_from]
            path.write_text("".join(json.dumps(r) + "\n" for r in kept))

    def write(self, row: Mapping[str, Any]) -> None:
        clean = {k: _json_number(v) for k, v in row.items()}
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(clean) + "\n")


def _json_number(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item"):
        return _json_number(v.item())
    return v


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a metrics file (a run folder is accepted too)."""
    path = Path(path)
    if path.is_dir():
        path = path / "metrics.jsonl"
    if not path.exists():
        raise ConfigError("metrics", str(path), "no such metrics file")
    rows = []
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError:
                raise ConfigError("metrics", f"{path}:{no}", "not a JSON line") from None
    return rows


def plot_metrics(
    runs: Sequence[str | Path], out: str | Path, labels: Sequence[str] | None = None
) -> Path:
    """Learning curves (one panel per metric present, one line per run) as a PNG."""
    require("matplotlib", "bench")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    data = [read_metrics(r) for r in runs]
    names = list(labels) if labels else [Path(r).name or str(r) for r in runs]
    keys = [k for k in PLOT_KEYS if any(any(row.get(k) is not None for row in d) for d in data)]
    if not keys:
        raise ConfigError("runs", [str(r) for r in runs], "no plottable metrics found")
    cols = min(3, len(keys))
    rows_n = math.ceil(len(keys) / cols)
    fig, axes = plt.subplots(rows_n, cols, figsize=(4.2 * cols, 3.0 * rows_n), squeeze=False)
    for ax, key in zip(axes.flat, keys):
        for d, name in zip(data, names):
            pts = [(r["update"], r[key]) for r in d if r.get(key) is not None]
            if pts:
                xs, ys = zip(*pts)
                ax.plot(xs, ys, marker="o" if len(pts) < 30 else None, ms=3, label=name)
        ax.set_title(key)
        ax.set_xlabel("update")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # updates are whole numbers
        linthresh = _symlog_threshold([r.get(key) for d in data for r in d])
        if linthresh is not None:
            # e.g. one update's KL 1,000x the others': a linear axis would flatten the rest
            ax.set_yscale("symlog", linthresh=linthresh)
            ax.set_title(f"{key} (symlog)")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(keys) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def _symlog_threshold(values: Sequence[Any], decades: float = 2.0) -> float | None:
    """The linear range of a symlog axis for ``values`` (their smallest non-zero magnitude)
    when their magnitudes span more than ``decades`` powers of ten, else None (a linear
    axis shows them well)."""
    mags = [abs(v) for v in values if isinstance(v, int | float) and v != 0 and math.isfinite(v)]
    if len(mags) > 1 and math.log10(max(mags) / min(mags)) > decades:
        return min(mags)
    return None
