"""The bench modules import each other without cycles (counting imports inside functions
too): the tables, the page, the plots and the report writer each depend only downwards."""

from __future__ import annotations

import ast
from pathlib import Path

import steptool_env.bench as bench

PACKAGE = Path(bench.__file__).parent


def _edges() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        if path.name == "__init__.py":
            continue
        mine = graph.setdefault(path.stem, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                parts = node.module.split(".")
                if parts[:2] == ["steptool_env", "bench"] and len(parts) == 3:
                    mine.add(parts[2])
    return graph


def test_no_import_cycles_between_bench_modules() -> None:
    graph = _edges()
    assert {"leaderboard", "html", "plots", "report"} <= set(graph)
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for dep in sorted(graph.get(name, ())):
            assert state.get(dep) != 1, " -> ".join([*path, name, dep])
            if dep not in state:
                visit(dep, [*path, name])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
