"""The self-contained HTML leaderboard: one file, no network (inline CSS and script, plots
as data URIs). Clicking a column header sorts the rows by it (again: reverse order). Every
column header has its one-line definition as a tooltip, and the page lists them all; each
agent has a colour swatch in the colour its plots use."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from steptool_env.bench.leaderboard import (
    GLOSSARY,
    describe_run,
    display,
    env_lines,
    errors_text,
    fmt,
    glossary,
    metric_columns,
    tasks_text,
)
from steptool_env.bench.plots import TITLES, agent_colours
from steptool_env.bench.record import Records
from steptool_env.bench.stats import LEVEL, N_BOOT

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1d2330}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.9rem}
th,td{padding:.35rem .6rem;border-bottom:1px solid #dde1e8;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
th{cursor:pointer;user-select:none;background:#f3f5f9;position:sticky;top:0}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
tbody tr:hover{background:#f7f9ff}.ci{color:#6b7385;font-size:.8em}
.swatch{display:inline-block;width:.8em;height:.8em;margin-right:.4em;border-radius:2px}
.scroll{overflow-x:auto}dl.glossary{font-size:.9rem}dl.glossary dt{font-weight:600}
dl.glossary dd{margin:0 0 .4rem 1.2rem;color:#4a5163}
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


def _cell(value: Any, text: str, extra: str = "", title: str = "") -> str:
    num = "" if value != value else str(value)  # NaN sorts as text
    tip = f' title="{html.escape(title)}"' if title else ""
    return f'<td data-value="{html.escape(num)}"{tip}>{text}{extra}</td>'


def _table(table, timing, colours: dict[str, str]) -> str:
    subsets, statuses = metric_columns(table)
    heads, rows = display(table, timing)
    out = ['<div class="scroll"><table class="leaderboard"><thead><tr>']
    for h in heads:
        if h in subsets:
            n = table[f"{h} tasks"]
            count = f"{int(n.iloc[0])} tasks" if n.nunique() == 1 else "tasks differ by agent"
            tip = f"{h} ({count}): {GLOSSARY['subset']}"
        else:
            tip = f"{h}: {GLOSSARY[h]}"
        out.append(f'<th scope="col" title="{html.escape(tip)}">{html.escape(h)}</th>')
    out.append("</tr></thead><tbody>")
    for key, cells in rows:
        agent = cells[0].text
        swatch = f'<span class="swatch" style="background:{colours[agent]}"></span>'
        out.append("<tr>")
        out.append(_cell(agent, f"{swatch}<code>{html.escape(agent)}</code>"))
        for h, c in zip(heads[1:], cells[1:]):
            if not c.interval:
                out.append(_cell(c.value, html.escape(c.text)))
                continue
            std = table.loc[key, f"{h} std"]
            tip = f"std over seeds {fmt(std)}" if std == std else "one seed: no std over seeds"
            out.append(
                _cell(c.value, c.text, f' <span class="ci">{html.escape(c.interval)}</span>', tip)
            )
        out.append("</tr>")
    out.append("</tbody></table></div>")
    out.append(f'<p class="meta">Tasks per subset: {html.escape(tasks_text(table))}</p>')
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
    records: Records,
    plots: dict[str, Path],
    command: str | None = None,
    *,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    seed: int = 0,
) -> str:
    lines = describe_run(records, command, n_boot=n_boot, level=level, seed=seed)
    meta = "".join(f"<li>{_inline_code(line)}</li>" for line in lines)
    colours = agent_colours(table.index.get_level_values("agent"))
    envs = env_lines(records)
    sections = []
    for env_id in dict.fromkeys(table.index.get_level_values("env_id")):
        sections.append(
            f"<h2>{html.escape(env_id)}</h2>"
            f'<p class="meta">{_inline_code(envs[env_id])}</p>'
            + _table(table.loc[[env_id]], timing, colours)
        )
    terms = "".join(
        f"<dt>{html.escape(h)}</dt><dd>{html.escape(text)}</dd>"
        for h, text in glossary(table, timing)
    )
    figures = "".join(_image(p, TITLES[k]) for k, p in plots.items())
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        "<title>steptool-env leaderboard</title>"
        f"<style>{_STYLE}</style></head><body>"
        f'<h1>Leaderboard</h1><ul class="meta">{meta}</ul>'
        '<p class="meta">Click a column to sort; hover a header for its definition.</p>'
        f"{''.join(sections)}"
        f'<h2>Columns</h2><dl class="glossary">{terms}</dl>'
        f"<h2>Plots</h2>{figures}"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )


def _inline_code(line: str) -> str:
    parts = line.split("`")
    return "".join(
        f"<code>{html.escape(p)}</code>" if i % 2 else html.escape(p) for i, p in enumerate(parts)
    )


def write_html(
    table,
    timing,
    records,
    plots: dict[str, Path],
    out: Path,
    command: str | None = None,
    **boot: Any,
) -> Path:
    """Write ``leaderboard.html`` (plots embedded from the PNG files in ``plots``);
    ``boot``: the bootstrap settings the table was made with (``n_boot``, ``level``,
    ``seed``), stated on the page."""
    path = out / "leaderboard.html"
    page = render_html(table, timing, records, plots, command, **boot)
    path.write_text(page, encoding="utf-8")
    return path
