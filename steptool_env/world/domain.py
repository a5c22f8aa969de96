"""A domain bundles one slice of the world: its seeded data, its API implementations and
its task types. Domains live in :mod:`steptool_env.world.domains`, one module each, and are
discovered automatically (every module there defines a module-level ``DOMAIN``).

A domain module reads top to bottom::

    DOMAIN = Domain("weather", requires=("geography",))

    @DOMAIN.builder
    def build(rng: StableRng, world: Mapping[str, Any]) -> WeatherData: ...

    @DOMAIN.api("open_weather", "current_weather")
    def current_weather(state: WorldState, args: Mapping[str, Any]) -> dict: ...

    @DOMAIN.task("weather.current", group="G1", tools=("open_weather", "geodb_cities"))
    def current_task(rng: StableRng, world: World) -> TaskDraft | None: ...

API implementations are pure functions of (world state, checked arguments) → a
JSON-serialisable response; they raise :class:`~steptool_env.world.helpers.ApiInputError`
for bad input. Model output is data: nothing here evaluates it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from steptool_env.errors import CatalogueError
from steptool_env.seeding import StableRng, derive_seed
from steptool_env.world.state import World, WorldState
from steptool_env.world.tasks import TaskDraft

ApiFn = Callable[[WorldState, Mapping[str, Any]], Any]
BuildFn = Callable[[StableRng, Mapping[str, Any]], Any]
TaskFn = Callable[[StableRng, World], "TaskDraft | None"]


@dataclass(frozen=True)
class TaskType:
    """A family of tasks: one generator, several paraphrase templates (in the suite content)."""

    type_id: str
    group: str
    tools: tuple[str, ...]
    generate: TaskFn
    domain: str


@dataclass
class Domain:
    name: str
    requires: tuple[str, ...] = ()
    build_fn: BuildFn | None = None
    apis: dict[tuple[str, str], ApiFn] = field(default_factory=dict)
    task_types: dict[str, TaskType] = field(default_factory=dict)

    def builder(self, fn: BuildFn) -> BuildFn:
        self.build_fn = fn
        return fn

    def api(self, tool: str, api: str) -> Callable[[ApiFn], ApiFn]:
        def deco(fn: ApiFn) -> ApiFn:
            if (tool, api) in self.apis:
                raise CatalogueError(f"API {(tool, api)} implemented twice in {self.name}")
            self.apis[(tool, api)] = fn
            return fn

        return deco

    def task(
        self, type_id: str, *, group: str, tools: tuple[str, ...]
    ) -> Callable[[TaskFn], TaskFn]:
        if group not in ("G1", "G2", "G3"):
            raise CatalogueError(f"task type {type_id!r}: group must be G1, G2 or G3")

        def deco(fn: TaskFn) -> TaskFn:
            if type_id in self.task_types:
                raise CatalogueError(f"task type {type_id!r} defined twice")
            self.task_types[type_id] = TaskType(type_id, group, tuple(tools), fn, self.name)
            return fn

        return deco


@cache
def all_domains() -> tuple[Domain, ...]:
    """Every domain module of :mod:`steptool_env.world.domains`, in dependency order."""
    from steptool_env.world import domains as pkg

    found: dict[str, Domain] = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        dom = getattr(module, "DOMAIN", None)
        if not isinstance(dom, Domain):
            raise CatalogueError(f"domain module {module.__name__} defines no DOMAIN")
        if dom.name in found:
            raise CatalogueError(f"domain {dom.name!r} defined twice")
        found[dom.name] = dom
    ordered: list[Domain] = []
    state: dict[str, int] = {}

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise CatalogueError(f"domain dependency cycle: {' -> '.join((*chain, name))}")
        if name not in found:
            raise CatalogueError(f"domain {chain[-1]!r} requires unknown domain {name!r}")
        state[name] = 1
        for dep in found[name].requires:
            visit(dep, (*chain, name))
        state[name] = 2
        ordered.append(found[name])

    for name in sorted(found):
        visit(name, ())
    return tuple(ordered)


def api_table() -> dict[tuple[str, str], ApiFn]:
    """``(tool_name, api_name)`` → implementation, over every domain."""
    table: dict[tuple[str, str], ApiFn] = {}
    for dom in all_domains():
        for key, fn in dom.apis.items():
            if key in table:
                raise CatalogueError(f"API {key} implemented by two domains")
            table[key] = fn
    return table


def task_types() -> dict[str, TaskType]:
    out: dict[str, TaskType] = {}
    for dom in all_domains():
        for tid, tt in dom.task_types.items():
            if tid in out:
                raise CatalogueError(f"task type {tid!r} defined by two domains")
            out[tid] = tt
    return out


def build_world(seed: int) -> World:
    """Build every domain's data from the suite seed (each domain has its own sub-stream, so
    adding a domain does not change the others)."""
    data: dict[str, Any] = {}
    for dom in all_domains():
        if dom.build_fn is None:
            data[dom.name] = None
            continue
        rng = StableRng(derive_seed(seed, "world", dom.name))
        data[dom.name] = dom.build_fn(rng, data)
    return World(seed=seed, domains=data)
