"""ToolBench / StableToolBench query and tool files: loading, function naming, and tasks.

A query file is a JSON list of ``{"query", "query_id", "api_list", "relevant APIs"}``; each
``api_list`` entry is ``{category_name, tool_name, api_name, api_description,
required_parameters, optional_parameters, method, template_response?}`` and ``relevant APIs``
lists the ``[tool_name, api_name]`` pairs that solve the query.

**Function names** follow ToolBench: ``{api}_for_{tool}``, both standardised (lower case,
non-alphanumerics to ``_``, a leading digit gets ``get_``, reserved words such as ``id`` get
``is_``), keeping the last 64 characters. Two different APIs of one query can end with the
same 64 characters; the later one (in ``api_list`` order) then gets the suffix ``_2``
(``_3``...) in place of its last characters, and the collision is reported in
:attr:`StbQuery.collisions`. An API name that standardises to nothing becomes ``api_{i}``
(its position in the list). The same API listed twice in one ``api_list`` is kept once.

**Parameters** are read as found in the wild: the types STRING, NUMBER, BOOLEAN, ENUM (often
without values), ARRAY, OBJECT, ``DATE (YYYY-MM-DD)``, ``TIME (24-hour HH:MM)`` and lower-case
spellings all map to JSON-schema types (anything unknown is a string, as in ToolBench); a
parameter declared twice keeps its first declaration; one declared both required and optional
is required; empty descriptions stay empty. Each such repair is listed in
:attr:`StbQuery.repairs`.

A **tool file** (ToolBench's ``toolenv/tools/{category}/{tool}.json``: ``{tool_name,
tool_description, api_list: [{name, description, method, required_parameters,
optional_parameters}]}``) loads with :func:`load_tool_file` under the same rules.

Malformed files raise :class:`~steptool_env.errors.CatalogueError` naming the file, the query
id and the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from steptool_env.errors import CatalogueError
from steptool_env.tools.naming import MAX_FUNCTION_NAME, standardize, standardize_api_name
from steptool_env.tools.spec import ApiSpec, ParamSpec, ParamType
from steptool_env.world.tasks import GoldCall, Task

QUERY_FILES: dict[str, str] = {
    "G1_instruction": "I1-Inst",
    "G1_category": "I1-Cat",
    "G1_tool": "I1-Tool",
    "G2_instruction": "I2-Inst",
    "G2_category": "I2-Cat",
    "G3_instruction": "I3-Inst",
}
"""StableToolBench's six solvable-query files (by stem) and the test subsets they hold."""

SUBSET_GROUPS: dict[str, str] = {subset: f"G{subset[1]}" for subset in QUERY_FILES.values()}
"""Test subset -> ToolBench group (G1 one tool, G2 one category, G3 across categories)."""

FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
"""What OpenAI accepts as a function name."""


@dataclass(frozen=True)
class Collision:
    """Two APIs of one query whose function names agreed in their last 64 characters."""

    query_id: str
    name: str
    """The shared 64-character name (kept by the first API)."""
    api: tuple[str, str]
    """``(tool_name, api_name)`` of the later API, which was renamed."""
    renamed: str


@dataclass(frozen=True)
class StbQuery:
    """One query with its offered APIs as :class:`ApiSpec` (unique function names)."""

    query_id: str
    subset: str
    query: str
    apis: tuple[ApiSpec, ...]
    relevant: tuple[tuple[str, str], ...]
    """``(tool_name, api_name)`` of every relevant API, as in the file."""
    source: str
    collisions: tuple[Collision, ...] = ()
    repairs: tuple[str, ...] = ()
    table_names: tuple[tuple[str, str], ...] = ()
    """``(function_name, name)`` of each API that the suite's API table knows by another
    name than its ``api_name``: :class:`~steptool_env.stabletoolbench.suite.StbSuite` sets
    it when the loaded queries define one API in different ways."""

    @property
    def task_id(self) -> str:
        return f"{self.subset}/{self.query_id}"

    @property
    def by_function(self) -> dict[str, ApiSpec]:
        """Function name -> the API as the env offers and calls it: its
        :attr:`~steptool_env.tools.spec.ApiSpec.key` is its key in the suite's API table
        (the file's names, unless :attr:`table_names` gives another). Its schema is the
        one of :attr:`apis`; use :attr:`apis` for the file's own names."""
        names = dict(self.table_names)
        return {
            a.function_name: _called_as(a, names[a.function_name])
            if a.function_name in names
            else a
            for a in self.apis
        }

    def function_of(self, tool: str, api: str) -> str:
        for a in self.apis:
            if a.key == (tool, api):
                return a.function_name
        raise CatalogueError(f"query {self.query_id}: no API {api!r} of tool {tool!r}")

    def to_task(self) -> Task:
        """The query as a :class:`Task`: each relevant API is one gold node that any
        successful call of it satisfies (no argument matching: the data has no gold
        arguments; the node's arguments are the documented defaults of its required
        parameters, which is what the oracle sends); facts are empty because IsSolved is
        judged by rule or judge. The data has no reference answers either: the oracle's
        answer is a placeholder that names the relevant APIs."""
        apis = {a.key: a for a in self.apis}
        gold = tuple(
            GoldCall(tool, api, {p.name: p.default for p in apis[(tool, api)].required}, match=())
            for tool, api in self.relevant
        )
        return Task(
            task_id=self.task_id,
            split=self.subset,
            group=SUBSET_GROUPS.get(self.subset, ""),
            task_type="stabletoolbench",
            template_id="",
            query=self.query,
            api_list=tuple(a.function_name for a in self.apis),
            relevant_apis=self.relevant,
            gold=gold,
            facts=(),
            reference_answer="Answer from " + ", ".join(f"{a} ({t})" for t, a in self.relevant),
        )


def subset_of(path: Path) -> str:
    """The subset a query file holds: from its stem (``G1_tool.json`` -> ``I1-Tool``), or the
    stem itself for files of other names."""
    return QUERY_FILES.get(path.stem, path.stem)


def find_query_files(folder: str | Path) -> list[Path]:
    """The known query files in ``folder`` (or its ``test_instruction`` subfolder), in the
    usual subset order; other ``*.json`` files when none has a known name."""
    root = Path(folder)
    if (root / "test_instruction").is_dir():
        root = root / "test_instruction"
    if not root.is_dir():
        raise CatalogueError(f"{root}: not a folder of query files")
    known = [root / f"{stem}.json" for stem in QUERY_FILES if (root / f"{stem}.json").is_file()]
    files = known or sorted(root.glob("*.json"))
    if not files:
        raise CatalogueError(f"{root}: no query files (*.json) found")
    return files


def load_query_files(paths: Iterable[str | Path]) -> list[StbQuery]:
    """Every query of every file (query ids must be unique within a subset)."""
    out: list[StbQuery] = []
    seen: set[str] = set()
    for path in paths:
        for q in load_query_file(path):
            if q.task_id in seen:
                raise CatalogueError(f"{q.source}: query {q.query_id}: duplicate query_id")
            seen.add(q.task_id)
            out.append(q)
    return out


def load_query_file(path: str | Path, subset: str | None = None) -> list[StbQuery]:
    """Parse one query file; ``subset`` defaults to :func:`subset_of` the path."""
    path = Path(path)
    raw = _read_json(path, "query file")
    if not isinstance(raw, list):
        raise CatalogueError(f"{path}: a query file must hold a JSON list of queries")
    name = subset or subset_of(path)
    return [_query(entry, k, path, name) for k, entry in enumerate(raw)]


def _read_json(path: Path, kind: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot read {kind} ({exc.strerror or exc})") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path}: not valid JSON ({exc})") from exc


def _query(raw: Any, index: int, path: Path, subset: str) -> StbQuery:
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{path}: entry {index}: a query must be a JSON object")
    qid = raw.get("query_id")
    if isinstance(qid, bool) or not isinstance(qid, int | str) or str(qid).strip() == "":
        raise CatalogueError(f"{path}: entry {index}: field 'query_id' must be an integer or text")
    qid = str(qid).strip()
    where = f"{path}: query {qid}"
    query = raw.get("query")
    if not isinstance(query, str) or not query.strip():
        raise CatalogueError(f"{where}: field 'query' must be non-empty text")
    entries = raw.get("api_list")
    if not isinstance(entries, list) or not entries:
        raise CatalogueError(f"{where}: field 'api_list' must be a non-empty list")
    repairs: list[str] = []
    specs: list[ApiSpec] = []
    keys: set[tuple[str, str]] = set()
    for i, entry in enumerate(entries):
        spec = _api(entry, i, where, repairs)
        if spec.key in keys:
            repairs.append(f"api_list[{i}]: {spec.key} listed twice, kept once")
            continue
        keys.add(spec.key)
        specs.append(spec)
    apis, collisions = _unique_names(specs, qid)
    relevant = _relevant(raw.get("relevant APIs"), where, keys)
    return StbQuery(
        query_id=qid,
        subset=subset,
        query=query,
        apis=apis,
        relevant=relevant,
        source=str(path),
        collisions=collisions,
        repairs=tuple(repairs),
    )


def _text(entry: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = entry.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise CatalogueError(f"{where}: field {key!r} must be non-empty text")
    return value


def _api(
    raw: Any, index: int, where: str, repairs: list[str], tool_file: tuple[str, str] | None = None
) -> ApiSpec:
    at = f"{where}: api_list[{index}]"
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{at}: an api_list entry must be a JSON object")
    if tool_file is None:  # a query's entry names its tool and category
        category = _text(raw, "category_name", at, required=False)
        tool = _text(raw, "tool_name", at)
        api = _text(raw, "api_name", at)
        description = _text(raw, "api_description", at, required=False)
    else:  # a tool file's entry: ``name`` and ``description``; the file names the tool
        category, tool = tool_file
        api = _text(raw, "name", at)
        description = _text(raw, "description", at, required=False)
    params: dict[str, ParamSpec] = {}
    for kind, required in (("required_parameters", True), ("optional_parameters", False)):
        declared = raw.get(kind, [])
        if declared is None:
            declared = []
        if not isinstance(declared, list):
            raise CatalogueError(f"{at}: field {kind!r} must be a list")
        for j, p in enumerate(declared):
            spec = _param(p, f"{at}: {kind}[{j}]", required)
            if spec.name in params:
                repairs.append(f"{api!r} of {tool!r}: parameter {spec.name!r} declared twice")
                continue
            params[spec.name] = spec
    required_params = tuple(p for p in params.values() if p.required)
    optional_params = tuple(p for p in params.values() if not p.required)
    std_api = standardize_api_name(api) or f"api_{index}"
    name = f"{std_api}_for_{standardize(tool) or 'tool'}"[-MAX_FUNCTION_NAME:]
    return ApiSpec(
        category=category,
        tool_name=tool,
        api_name=api,
        description=description,
        method=str(raw.get("method") or "GET"),
        required=required_params,
        optional=optional_params,
        function_name=name,
        template_response=raw.get("template_response"),
        params=dict(params),
    )


def _param(raw: Any, where: str, required: bool) -> ParamSpec:
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{where}: a parameter must be a JSON object")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CatalogueError(f"{where}: field 'name' must be non-empty text")
    enum = raw.get("enum")
    values = (
        tuple(str(v) for v in enum)
        if isinstance(enum, list) and enum and all(isinstance(v, str | int | float) for v in enum)
        else None
    )
    raw_type = raw.get("type")
    return ParamSpec(
        name=name,
        type=ParamType.parse(raw_type),
        description=str(raw.get("description") or ""),
        default=raw.get("default"),
        required=required,
        enum=values,
        raw_type=str(raw_type or ""),
    )


def _unique_names(
    specs: Sequence[ApiSpec], qid: str
) -> tuple[tuple[ApiSpec, ...], tuple[Collision, ...]]:
    taken: set[str] = set()
    out: list[ApiSpec] = []
    collisions: list[Collision] = []
    for spec in specs:
        name = spec.function_name
        if name in taken:
            k = 2
            while True:
                suffix = f"_{k}"
                renamed = name[: MAX_FUNCTION_NAME - len(suffix)] + suffix
                if renamed not in taken:
                    break
                k += 1
            collisions.append(Collision(qid, name, spec.key, renamed))
            spec = _renamed(spec, renamed)
        taken.add(spec.function_name)
        out.append(spec)
    return tuple(out), tuple(collisions)


def _renamed(spec: ApiSpec, name: str) -> ApiSpec:
    return replace(spec, function_name=name, params=dict(spec.params))


def _called_as(spec: ApiSpec, table_name: str) -> ApiSpec:
    """``spec`` under the API table's name, with the schema the model sees unchanged (an
    empty description would otherwise be filled from the table's name)."""
    description = spec.description.strip() or f"{spec.api_name} of {spec.tool_name}"
    return replace(spec, api_name=table_name, description=description, params=dict(spec.params))


def _relevant(raw: Any, where: str, keys: set[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, list) or not raw:
        raise CatalogueError(f"{where}: field 'relevant APIs' must be a non-empty list")
    out: list[tuple[str, str]] = []
    for i, pair in enumerate(raw):
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not all(isinstance(x, str) for x in pair)
        ):
            raise CatalogueError(
                f"{where}: field 'relevant APIs'[{i}] must be a [tool_name, api_name] pair"
            )
        key = (pair[0], pair[1])
        if key not in keys:
            raise CatalogueError(
                f"{where}: field 'relevant APIs'[{i}] names {key}, which is not in its api_list"
            )
        if key not in out:
            out.append(key)
    return tuple(out)


@dataclass(frozen=True)
class StbTool:
    """A ToolBench tool file (``toolenv/tools/{category}/{tool}.json``) as API specs."""

    category: str
    tool_name: str
    description: str
    apis: tuple[ApiSpec, ...]
    collisions: tuple[Collision, ...] = ()
    repairs: tuple[str, ...] = ()


def load_tool_file(path: str | Path, category: str | None = None) -> StbTool:
    """Parse one tool file ``{tool_name, tool_description, api_list: [{name, description,
    method, required_parameters, optional_parameters, ...}]}``; the category defaults to the
    name of its folder. Names and repairs follow the rules of query files (collisions are
    reported with the tool name in place of a query id)."""
    path = Path(path)
    raw = _read_json(path, "tool file")
    where = str(path)
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{where}: a tool file must hold a JSON object")
    tool = _text(raw, "tool_name", where)
    entries = raw.get("api_list")
    if not isinstance(entries, list):
        raise CatalogueError(f"{where}: field 'api_list' must be a list")
    cat = category if category is not None else path.parent.name
    repairs: list[str] = []
    specs: list[ApiSpec] = []
    for i, entry in enumerate(entries):
        spec = _api(entry, i, where, repairs, tool_file=(cat, tool))
        if any(s.key == spec.key for s in specs):
            repairs.append(f"api_list[{i}]: {spec.api_name!r} listed twice, kept once")
            continue
        specs.append(spec)
    apis, collisions = _unique_names(specs, tool)
    return StbTool(
        category=cat,
        tool_name=tool,
        description=_text(raw, "tool_description", where, required=False),
        apis=apis,
        collisions=collisions,
        repairs=tuple(repairs),
    )
