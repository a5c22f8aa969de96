"""Scaffolding shared by the domain tests: a seeded world of a few domains, the tool
catalogue, and ways to call the API implementations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from steptool_env.resources import suite_dir
from steptool_env.seeding import StableRng, derive_seed
from steptool_env.tools.catalogue import Catalogue
from steptool_env.tools.validation import validate_arguments
from steptool_env.world.domain import all_domains, api_table
from steptool_env.world.state import World, WorldState
from steptool_env.world.tasks import GoldCall

SEED = 20241010


def build_world(names: Iterable[str], seed: int = SEED) -> World:
    """A world holding only the domains ``names`` (their dependencies included by the
    caller), built the way the suite builds them."""
    wanted = set(names)
    data: dict[str, Any] = {}
    for dom in all_domains():
        if dom.name in wanted and dom.build_fn is not None:
            data[dom.name] = dom.build_fn(StableRng(derive_seed(seed, "world", dom.name)), data)
    return World(seed=seed, domains=data)


@cache
def load_catalogue() -> Catalogue:
    return Catalogue.load_dir(suite_dir("toolbench") / "tools")


def call(state: WorldState, tool: str, api: str, **args: Any) -> Any:
    """Run the implementation on the arguments exactly as given."""
    return api_table()[(tool, api)](state, args)


def checked_call(state: WorldState, tool: str, api: str, **args: Any) -> Any:
    """Validate the arguments against the tool file, then run the implementation."""
    checked = validate_arguments(load_catalogue().api(tool, api), args)
    return api_table()[(tool, api)](state, checked)


def solve(world: World, catalogue: Catalogue, gold: Iterable[GoldCall]) -> Mapping[str, Any]:
    """Run gold calls on a fresh state (arguments validated); the records they leave."""
    state = WorldState(world)
    table = api_table()
    for g in gold:
        args = validate_arguments(catalogue.api(g.tool, g.api), g.arguments)
        table[(g.tool, g.api)](state, args)
    return state.records
