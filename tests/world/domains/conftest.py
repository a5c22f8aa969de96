"""Fixtures of the domain tests; each test module defines its own ``world`` fixture."""

from __future__ import annotations

import pytest

from steptool_env.tools.catalogue import Catalogue
from steptool_env.world.state import World, WorldState
from tests.world.domains.support import load_catalogue


@pytest.fixture
def state(world: World) -> WorldState:
    """A fresh episode state of the module's world."""
    return WorldState(world)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()
