"""The HTML leaderboard in a real browser: headless Chromium loads it from disk with no
network, the table and plots render, and clicking a column header sorts the rows.

Skips (saying why) without a Chromium binary, unless ``STEPTOOL_REQUIRE_BROWSER=1`` (CI
installs Debian's ``chromium`` and sets it), where a missing browser fails the test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from steptool_env.bench import BenchConfig, run_bench, write_leaderboard
from steptool_env.bench.plots import agent_colours
from tests.bench.chromium import Chromium, find_chromium

BINARY = find_chromium()
if BINARY is None and os.environ.get("STEPTOOL_REQUIRE_BROWSER") != "1":
    pytest.skip(
        "no chromium binary (apt-get install chromium); CI requires it",
        allow_module_level=True,
    )

ROWS = "Array.from(document.querySelectorAll('table.leaderboard tbody tr'))"


def _agents(page: Chromium) -> list[str]:
    return page.evaluate(f"{ROWS}.map(r => r.cells[0].textContent)")


def _column(page: Chromium, header: str) -> list[float]:
    return page.evaluate(
        f"""(() => {{
          const heads = Array.from(document.querySelectorAll('table.leaderboard thead th'));
          const i = heads.findIndex(h => h.textContent.trim() === {header!r});
          return {ROWS}.map(r => parseFloat(r.cells[i].dataset.value));
        }})()"""
    )


def _click_header(page: Chromium, header: str) -> None:
    box = page.evaluate(
        f"""(() => {{
          const h = Array.from(document.querySelectorAll('table.leaderboard thead th'))
            .find(h => h.textContent.trim() === {header!r});
          h.scrollIntoView();
          const r = h.getBoundingClientRect();
          return [r.left + r.width / 2, r.top + r.height / 2];
        }})()"""
    )
    page.click(*box)


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Chromium:
    assert BINARY is not None, "STEPTOOL_REQUIRE_BROWSER=1 but no chromium binary found"
    out = tmp_path_factory.mktemp("html")
    cfg = BenchConfig(
        out,
        agents=("random", "heuristic", "oracle"),
        subsets=("I1-Inst", "I2-Cat", "I3-Inst"),
        seeds=(0, 1),
        limit=8,
        progress=False,
    )
    run = run_bench(cfg)
    paths = write_leaderboard(run.records, out, command="steptool bench ...")
    browser = Chromium(BINARY)
    try:
        browser.open(Path(paths["html"]).resolve().as_uri())
        yield browser
    finally:
        browser.close()


@pytest.mark.slow
def test_page_loads_from_disk_without_network(page: Chromium) -> None:
    urls = page.requested_urls()
    assert urls, "the browser reported no request at all"
    assert all(u.startswith(("file:", "data:")) for u in urls), urls
    assert page.evaluate("document.title") == "steptool-env leaderboard"


@pytest.mark.slow
def test_table_and_plots_render(page: Chromium) -> None:
    assert sorted(_agents(page)) == ["heuristic", "oracle", "random"]
    assert _agents(page)[0] == "oracle"  # sorted by Average, best first
    heads = page.evaluate(
        "Array.from(document.querySelectorAll('table.leaderboard thead th'))"
        ".map(h => h.textContent.trim())"
    )
    assert heads[:5] == ["Agent", "I1-Inst", "I2-Cat", "I3-Inst", "Average"]
    images = page.evaluate(
        "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
    )
    assert len(images) == 3  # subsets, heat map, budget
    assert all(done and w > 300 and h > 200 for done, w, h in images), images
    visible = page.evaluate(
        "(() => { const r = document.querySelector('table.leaderboard').getBoundingClientRect();"
        " return r.width > 200 && r.height > 50; })()"
    )
    assert visible


def test_clicking_a_header_sorts_the_rows(page: Chromium) -> None:
    _click_header(page, "Steps")
    first = _column(page, "Steps")
    _click_header(page, "Steps")
    second = _column(page, "Steps")
    assert first == sorted(first, reverse=True)
    assert second == sorted(second)
    assert first != second  # the values differ between agents, so the order changed
    _click_header(page, "Agent")
    by_name = _agents(page)
    assert by_name == sorted(by_name, reverse=True)
    assert page.evaluate("Array.from(document.querySelectorAll('thead th[aria-sort]')).length") == 1


def test_every_header_has_its_definition(page: Chromium) -> None:
    heads = page.evaluate(
        "Array.from(document.querySelectorAll('table.leaderboard thead th'))"
        ".map(h => [h.textContent.trim(), h.title])"
    )
    assert [h for h, _ in heads][5:] == [
        "Full solve",
        "Return",
        "Give up",
        "Truncated",
        "Bad calls",
        "SuccCalling",
        "Recall",
        "Steps",
        "Tokens/ep",
        "Sec/ep",
        "Tasks",
        "Episodes",
        "Infra errors",
    ]
    assert all(title.startswith(f"{h} ") or title.startswith(f"{h}:") for h, title in heads)
    assert dict(heads)["I1-Inst"].startswith("I1-Inst (8 tasks): pass rate")
    terms = page.evaluate(
        "Array.from(document.querySelectorAll('dl.glossary dt')).map(d => d.textContent)"
    )
    assert "I1-Inst, I2-Cat, I3-Inst" in terms
    for h, _ in heads:
        assert h in terms or h in terms[1], h
    assert "Errors by status" in terms


def test_intervals_method_and_scoring_are_stated(page: Chromium) -> None:
    text = page.evaluate("document.body.innerText")
    assert "percentile bootstrap over tasks (10,000 resamples, seed 0)" in text
    assert "keeps all seeds and samples of a drawn task together" in text
    assert "scoring v2:steptool:checker" in text
    assert "Tasks per subset: I1-Inst 8 · I2-Cat 8 · I3-Inst 8" in text
    cells = page.evaluate(
        f"{ROWS}.map(r => r.cells[4].querySelector('.ci').textContent)"  # Average
    )
    assert all(c.startswith("[") and c.endswith("]") for c in cells), cells
    assert "± 0.0" not in text


def test_agent_swatches_match_the_plot_colours(page: Chromium) -> None:
    shown = page.evaluate(
        f"""{ROWS}.map(r => [r.cells[0].textContent,
            getComputedStyle(r.cells[0].querySelector('.swatch')).backgroundColor])"""
    )
    expected = agent_colours(["random", "heuristic", "oracle"])
    for agent, rgb in shown:
        r, g, b = (int(v) for v in rgb[rgb.index("(") + 1 : -1].split(","))
        assert f"#{r:02x}{g:02x}{b:02x}" == expected[agent]
