"""Generic checks over every domain: each task type's gold solution runs through argument
validation and the API implementations, and its reference answer scores 1.0; every API
survives random type-correct input."""

from __future__ import annotations

from functools import cache

import pytest

from steptool_env.resources import suite_dir
from steptool_env.seeding import StableRng, derive_seed
from steptool_env.tools.catalogue import Catalogue
from steptool_env.tools.validation import validate_arguments
from steptool_env.world.checker import check_answer
from steptool_env.world.domain import api_table, build_world, task_types
from steptool_env.world.helpers import ApiInputError
from steptool_env.world.state import World, WorldState
from steptool_env.world.tasks import AnswerFact

SEED = 20241010
TYPES = task_types()


@cache
def catalogue() -> Catalogue:
    return Catalogue.load_dir(suite_dir("toolbench") / "tools")


@cache
def world() -> World:
    return build_world(SEED)


def test_every_api_is_implemented_and_every_implementation_declared() -> None:
    declared = set(catalogue().by_key)
    implemented = set(api_table())
    assert declared - implemented == set()
    assert implemented - declared == set()


@pytest.mark.parametrize("type_id", sorted(TYPES))
def test_gold_solution_runs_and_reference_answer_scores_one(type_id: str) -> None:
    tt = TYPES[type_id]
    cat, table, w = catalogue(), api_table(), world()
    categories = {cat.by_tool[t].category for t in tt.tools}
    if tt.group == "G1":
        assert len(tt.tools) == 1
    elif tt.group == "G2":
        assert len(tt.tools) >= 2 and len(categories) == 1
    else:
        assert len(categories) >= 2
    made = 0
    for k in range(30):
        draft = tt.generate(StableRng(derive_seed(SEED, type_id, k)), w)
        if draft is None:
            continue
        made += 1
        assert 1 <= len(draft.gold) <= 5
        assert draft.facts
        assert {g.tool for g in draft.gold} == set(tt.tools)
        state = WorldState(w)
        for i, g in enumerate(draft.gold):
            assert all(d < i for d in g.depends_on)
            api = cat.api(g.tool, g.api)
            args = validate_arguments(api, g.arguments)
            assert set(g.match_keys) <= set(g.arguments)
            try:
                table[(g.tool, g.api)](state, args)
            except ApiInputError as exc:  # pragma: no cover - the failure message is the point
                pytest.fail(f"{type_id}: gold call {i} {g.api}({g.arguments}) failed: {exc}")
        result = check_answer(
            draft.facts,
            draft.answer
            or "; ".join(str(f.value) for f in draft.facts if isinstance(f, AnswerFact)),
            state.records,
        )
        assert result.is_solved == 1.0, (type_id, draft.answer, draft.facts, result)
        assert all(v.isascii() for v in draft.slots.values()), draft.slots
    assert made >= 20, f"{type_id}: generator returned None too often ({made}/30)"


@pytest.mark.parametrize("type_id", sorted(TYPES))
def test_task_type_has_enough_distinct_instances(type_id: str) -> None:
    tt = TYPES[type_id]
    seen = set()
    for k in range(600):
        draft = tt.generate(StableRng(derive_seed(SEED, "distinct", type_id, k)), world())
        if draft is not None:
            seen.add(draft.signature())
        if len(seen) >= 60:
            break
    assert len(seen) >= 60


def _random_value(rng: StableRng, p) -> object:
    from steptool_env.tools.spec import ParamType

    t = p.type
    if p.enum:
        return rng.choice(p.enum)
    return {
        ParamType.INTEGER: lambda: rng.randint(-5, 10_000),
        ParamType.NUMBER: lambda: rng.uniform(-1e6, 1e6),
        ParamType.BOOLEAN: lambda: rng.random() < 0.5,
        ParamType.ARRAY: lambda: [rng.choice(("", "x", "C1001"))],
        ParamType.OBJECT: lambda: {"k": "v"},
        ParamType.DATE: lambda: rng.choice(("2025-06-03", "1999-01-01", "2025-02-30")),
    }.get(t, lambda: rng.choice(("", " ", "x", "C1001", "zzz", "a" * 300, "Paris", "-1")))()


def test_every_api_survives_random_type_correct_input() -> None:
    table, w = api_table(), world()
    rng = StableRng(7)
    for api in catalogue():
        for _ in range(25):
            args = {p.name: _random_value(rng, p) for p in api.required}
            for p in api.optional:
                if rng.random() < 0.5:
                    args[p.name] = _random_value(rng, p)
            checked = validate_arguments(api, args)
            state = WorldState(w)
            try:
                out = table[api.key](state, checked)
            except ApiInputError:
                continue
            import json

            json.dumps(out)  # responses are JSON-serialisable
