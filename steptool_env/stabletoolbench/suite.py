"""A StableToolBench suite: the queries of some files, as tasks, and the APIs that answer them.

:class:`StbSuite` plays the part that :class:`~steptool_env.world.suite.Suite` plays for the
generated suite: splits of tasks (one per test subset: I1-Inst, I1-Cat, ...), the API table the
backends execute, and a fresh per-episode state. Its :attr:`~StbSuite.name` is a spec string
(``stabletoolbench:{json}``) from which the sandbox server rebuilds the same suite, so the
``http`` backend answers exactly as ``inprocess`` does.

**One API, several definitions.** Queries often list the same ``(tool_name, api_name)`` with
different definitions (another category, response template or parameters). Each query is
answered from its own definition, whatever else is loaded and in whichever order: an API
that every loaded query defines alike keeps the table key ``(tool_name, api_name)``; one
defined in several ways gets one table entry per definition, keyed ``(tool_name,
"{api_name}#{digest}")`` where ``digest`` is the first 12 hex digits of
:func:`definition_digest`. The queries' :attr:`~StbQuery.by_function` carry these names (the
env calls the backend with them); the model's prompt, the cache path and the mock's values
use the file's own names.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from steptool_env.errors import ConfigError, TaskError
from steptool_env.stabletoolbench.queries import (
    QUERY_FILES,
    StbQuery,
    find_query_files,
    load_query_files,
)
from steptool_env.stabletoolbench.responses import Responder
from steptool_env.tools.spec import ApiSpec
from steptool_env.world.helpers import ApiInputError, Sourced
from steptool_env.world.state import WorldState
from steptool_env.world.tasks import Task

PREFIX = "stabletoolbench:"
"""Suite names that start with this are StableToolBench suites (the rest is their spec)."""

SUBSET_ORDER = tuple(QUERY_FILES.values())


class StbSuite:
    """Queries of StableToolBench files with their response sources.

    Args:
        queries: query files, or a folder holding them (``test_instruction`` inside it is
            found too).
        cache: a StableToolBench ``tool_response_cache`` folder (optional).
        mock: answer cache misses with the deterministic mock (else: status 11).
        mock_seed: seed of the mock's values.
    """

    def __init__(
        self,
        queries: str | Path | Sequence[str | Path],
        cache: str | Path | None = None,
        mock: bool = True,
        mock_seed: int = 0,
    ) -> None:
        if isinstance(queries, str | Path):
            path = Path(queries)
            files = find_query_files(path) if path.is_dir() else [path]
        else:
            files = [Path(p) for p in queries]
            if not files:
                raise ConfigError("queries", [], "name at least one query file")
        self.files = tuple(p.resolve() for p in files)
        self.cache = str(Path(cache).resolve()) if cache is not None else None
        self.mock = bool(mock)
        self.mock_seed = int(mock_seed)
        self.responder = Responder(self.cache, mock=self.mock, seed=self.mock_seed)
        self.implementations, self.queries = self._api_table(load_query_files(self.files))
        self._by_id = {q.task_id: q for q in self.queries}
        self._tasks = {q.task_id: q.to_task() for q in self.queries}
        subsets = sorted(
            {q.subset for q in self.queries},
            key=lambda s: (SUBSET_ORDER.index(s) if s in SUBSET_ORDER else len(SUBSET_ORDER), s),
        )
        self.splits: dict[str, tuple[Task, ...]] = {
            s: tuple(self._tasks[q.task_id] for q in self.queries if q.subset == s) for s in subsets
        }
        h = hashlib.sha256()
        for path in sorted(self.files):
            h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        h.update(json.dumps([self.mock, self.mock_seed, self.cache is not None]).encode())
        self.hash = h.hexdigest()

    # ------------------------------------------------------------------ identity
    @property
    def name(self) -> str:
        spec = {
            "queries": [str(p) for p in self.files],
            "cache": self.cache,
            "mock": self.mock,
            "mock_seed": self.mock_seed,
        }
        return PREFIX + json.dumps(spec, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_name(cls, name: str) -> StbSuite:
        """Rebuild a suite from its :attr:`name` (what the sandbox server does)."""
        if not name.startswith(PREFIX):
            raise ConfigError("suite", name, f"a StableToolBench suite name starts {PREFIX!r}")
        try:
            spec = json.loads(name[len(PREFIX) :])
            return cls(spec["queries"], spec["cache"], spec["mock"], spec["mock_seed"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ConfigError("suite", name, f"not a StableToolBench suite spec ({exc})") from exc

    # ------------------------------------------------------------------ tasks
    def split(self, name: str) -> tuple[Task, ...]:
        try:
            return self.splits[name]
        except KeyError:
            raise ConfigError("split", name, choices=self.splits) from None

    def task(self, task_id: str) -> Task:
        try:
            return self._tasks[task_id]
        except KeyError:
            raise TaskError(f"no StableToolBench query with id {task_id!r}") from None

    def query(self, task_id: str) -> StbQuery:
        return self._by_id[task_id]

    # ------------------------------------------------------------------ APIs
    sandboxable = False
    """The Docker image does not carry the query files (yet)."""

    def new_state(self) -> WorldState:
        return WorldState(None)  # the responses need no world

    def offered(self, task: Task) -> dict[str, ApiSpec]:
        return self.query(task.task_id).by_function

    def function_of(self, task: Task | None, tool: str, api: str) -> str:
        """Function names depend on the query: ``task`` is needed."""
        if task is None:
            raise TaskError("call reset() first: function names depend on the query")
        return self.query(task.task_id).function_of(tool, api)

    def _api_table(
        self, queries: Sequence[StbQuery]
    ) -> tuple[dict[tuple[str, str], Any], tuple[StbQuery, ...]]:
        """The API table (one entry per definition, see the module docstring), and the
        queries with the table's names of their APIs."""
        digests = [[definition_digest(api) for api in q.apis] for q in queries]
        variants: dict[tuple[str, str], dict[str, ApiSpec]] = {}
        for q, ds in zip(queries, digests):
            for api, d in zip(q.apis, ds):
                variants.setdefault(api.key, {}).setdefault(d, api)
        table: dict[tuple[str, str], Any] = {}
        for (tool, name), defs in variants.items():
            for d, api in sorted(defs.items()):
                table[(tool, name if len(defs) == 1 else f"{name}#{d[:12]}")] = self._api_fn(api)
        out = []
        for q, ds in zip(queries, digests):
            names = tuple(
                (api.function_name, f"{api.api_name}#{d[:12]}")
                for api, d in zip(q.apis, ds)
                if len(variants[api.key]) > 1
            )
            out.append(replace(q, table_names=names) if names else q)
        return table, tuple(out)

    def _api_fn(self, api: ApiSpec) -> Any:
        responder = self.responder

        def call(state: WorldState, arguments: Mapping[str, Any]) -> Sourced:
            r = responder.respond(api, arguments)
            if r.error:
                raise ApiInputError(r.error, r.status, r.source)
            return Sourced(r.response, r.source)

        return call


def definition_digest(api: ApiSpec) -> str:
    """SHA-256 (hex) of all a query file says of one API: category, tool, its ``api_list``
    entry (name, description, method, parameters) and response template. Two entries with
    the same digest are the same API, whatever their function names."""
    entry = {
        "category": api.category,
        "tool_name": api.tool_name,
        "api": api.to_toolbench(),
        "template_response": api.template_response,
    }
    text = json.dumps(entry, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
