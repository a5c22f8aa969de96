"""The self-contained HTML leaderboard: one file, no network (inline CSS and script, plots
as data URIs). Clicking a column header sorts the rows by it (again: reverse order)."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from steptool_env.bench.leaderboard import describe_run, errors_text, fmt, metric_columns

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1d2330}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.9rem}
th,td{padding:.35rem .6rem;border-bottom:1px solid #dde1e8;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
th{cursor:pointer;user-select:none;background:#f3f5f9;position:sticky;top:0}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
tbody tr:hover{background:#f7f9ff}.std{color:#6b7385;font-size:.8em}
.meta{color:#4a5163;font-size:.9rem}code{background:#f3f5f9;padding:0 .2em}
figure{display:inline-block;margin:1rem 1rem 0 0}img{max-width:100%;border:1px solid #dde1e8}
"""

_SCRIPT = """
document.querySelectorAll("table.leaderboard").forEach(function (table) {
  var heads = table.querySelectorAll("thead th");
  heads.forEach(function (th, col) {
    th.addEventListener("click", function () {
      var asc = th.getAttribute("aria-sort") === "descending";
      heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.value, y = b.cells[col].dataset.value;
        var nx = parseFloat(x), ny = parseFloat(y), c;
        if (!isNaN(nx) && !isNaN(ny)) { c = nx - ny; }
        else { c = String(x).localeCompare(String(y)); }
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def _cell(value: Any, text: str, extra: str = "") -> str:
    num = "" if value != value else str(value)  # NaN sorts as text
    return f'<td data-value="{html.escape(num)}">{text}{extra}</td>'


def _table(table, timing) -> str:
    subsets, statuses = metric_columns(table)
    has_k = "pass^k" in table
    heads = ["Agent", *subsets, "Average"] + (["pass^k"] if has_k else [])
    heads += ["SuccCalling", "Recall", "Steps", "Tokens/ep", "Sec/ep", "Episodes", "Infra"]
    out = ['<table class="leaderboard"><thead><tr>']
    out += [f'<th scope="col">{html.escape(h)}</th>' for h in heads]
    out.append("</tr></thead><tbody>")
    for (env_id, agent), row in table.iterrows():
        out.append("<tr>")
        out.append(_cell(agent, f"<code>{html.escape(str(agent))}</code>"))
        for col in [*subsets, "Average"]:
            std = row[f"{col} std"]
            out.append(_cell(row[col], fmt(row[col]), f' <span class="std">± {fmt(std)}</span>'))
        if has_k:
            out.append(_cell(row["pass^k"], fmt(row["pass^k"])))
        sec = float(timing.loc[(env_id, agent), "seconds/episode"])
        out += [
            _cell(row["SuccCalling"], fmt(row["SuccCalling"])),
            _cell(row["Recall"], fmt(row["Recall"])),
            _cell(row["Steps"], fmt(row["Steps"], 2)),
            _cell(row["Tokens"], fmt(row["Tokens"], 0) if row["Tokens"] else "–"),
            _cell(sec, f"{sec:.4f}"),
            _cell(int(row["episodes"]), str(int(row["episodes"]))),
            _cell(int(row["infra"]), str(int(row["infra"]))),
        ]
        out.append("</tr>")
    out.append("</tbody></table>")
    if statuses:
        counts = ", ".join(
            f"{html.escape(str(agent))}: " + errors_text(r, statuses, sep=" ", none="none")
            for (_, agent), r in table.iterrows()
        )
        out.append(f'<p class="meta">Errors by status code: {counts}</p>')
    return "".join(out)


def _image(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(alt)}</figcaption></figure>"
    )


def render_html(
    table,
    timing,
    records: Sequence[dict[str, Any]],
    plots: dict[str, Path],
    command: str | None = None,
) -> str:
    meta = "".join(f"<li>{_inline_code(line)}</li>" for line in describe_run(records, command))
    sections = []
    for env_id in dict.fromkeys(table.index.get_level_values("env_id")):
        sections.append(f"<h2>{html.escape(env_id)}</h2>{_table(table.loc[[env_id]], timing)}")
    figures = "".join(
        _image(p, {"subsets": "Pass rate per subset", "budget": "Pass rate by step budget"}[k])
        for k, p in plots.items()
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        "<title>steptool-env leaderboard</title>"
        f"<style>{_STYLE}</style></head><body>"
        f'<h1>Leaderboard</h1><ul class="meta">{meta}</ul>'
        '<p class="meta">Pass rate in %, mean ± std over seeds. Click a column to sort.</p>'
        f"{''.join(sections)}<h2>Plots</h2>{figures}"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )


def _inline_code(line: str) -> str:
    parts = line.split("`")
    return "".join(
        f"<code>{html.escape(p)}</code>" if i % 2 else html.escape(p) for i, p in enumerate(parts)
    )


def write_html(
    table, timing, records, plots: dict[str, Path], out: Path, command: str | None = None
) -> Path:
    """Write ``leaderboard.html`` (plots embedded from the PNG files in ``plots``)."""
    path = out / "leaderboard.html"
    path.write_text(render_html(table, timing, records, plots, command), encoding="utf-8")
    return path
