"""The generated suite: sizes, split disjointness, catalogue shape, regeneration."""

from __future__ import annotations

import pytest

from steptool_env.resources import suite_dir
from steptool_env.tools.naming import MAX_FUNCTION_NAME
from steptool_env.world.suite import TEST_SUBSETS, Suite, generate_suite
from tests.conftest import run_python

MINIMUM = {
    "train": 5000,
    "I1-Inst": 100,
    "I1-Tool": 100,
    "I1-Cat": 100,
    "I2-Inst": 100,
    "I2-Cat": 100,
    "I3-Inst": 60,
}


def test_split_sizes(suite: Suite) -> None:
    for name, n in MINIMUM.items():
        assert len(suite.split(name)) >= n, name
    assert {t.group for t in suite.split("train")} == {"G1", "G2", "G3"}
    for name in TEST_SUBSETS:
        assert {t.group for t in suite.split(name)} == {"G" + name[1]}


def test_catalogue_size_and_shape(suite: Suite) -> None:
    cat = suite.catalogue
    assert len(cat.categories) >= 12 and len(cat.tools) >= 40 and len(cat) >= 150
    for tools in cat.to_toolbench().values():
        for tool in tools:
            assert set(tool) >= {
                "tool_name",
                "tool_description",
                "title",
                "standardized_name",
                "api_list",
            }
            for api in tool["api_list"]:
                assert set(api) >= {
                    "name",
                    "description",
                    "method",
                    "required_parameters",
                    "optional_parameters",
                }
                for p in api["required_parameters"] + api["optional_parameters"]:
                    assert set(p) >= {"name", "type", "description", "default"}
    names = [a.function_name for a in cat]
    assert len(set(names)) == len(names)
    assert all(len(n) <= MAX_FUNCTION_NAME for n in names)


def _tools_and_categories(suite: Suite, tasks) -> tuple[set[str], set[str]]:
    cat = suite.catalogue
    tools = {f for t in tasks for f in t.api_list}
    tool_names = {cat.by_function[f].tool_name for f in tools}
    return tool_names, {cat.by_tool[t].category for t in tool_names}


def test_splits_are_disjoint_in_the_sense_of_their_names(suite: Suite) -> None:
    cfg = suite.config
    train = suite.split("train")
    train_tools, train_cats = _tools_and_categories(suite, train)
    train_templates = {t.template_id for t in train}
    # Every instance (task type + slots) lives in exactly one split; no query repeats.
    all_tasks = [t for tasks in suite.splits.values() for t in tasks]
    assert len({t.signature for t in all_tasks}) == len(all_tasks)
    assert len({t.query for t in all_tasks}) == len(all_tasks)
    # Held-out tools and categories never appear in train, not even as distractors.
    assert not train_tools & set(cfg.heldout_tools)
    assert not train_cats & set(cfg.heldout_categories)
    assert cfg.heldout_tools and cfg.heldout_categories
    for name in ("I1-Inst", "I2-Inst", "I3-Inst"):
        tasks = suite.split(name)
        assert not {t.template_id for t in tasks} & train_templates, name
        assert all(t.template_id.split("#")[1].startswith("h") for t in tasks)
        tools, cats = _tools_and_categories(suite, tasks)
        assert tools <= train_tools and cats <= train_cats, name
    for t in suite.split("I1-Tool"):
        used = {g.tool for g in t.gold}
        assert used & set(cfg.heldout_tools) and not used & train_tools
        assert {suite.catalogue.by_tool[u].category for u in used} <= train_cats
    for name in ("I1-Cat", "I2-Cat"):
        for t in suite.split(name):
            cats = {suite.catalogue.by_tool[g.tool].category for g in t.gold}
            assert cats <= set(cfg.heldout_categories) and not cats & train_cats


def test_api_lists(suite: Suite) -> None:
    for tasks in suite.splits.values():
        for t in tasks:
            relevant = {suite.catalogue.api(*k).function_name for k in t.relevant_apis}
            assert relevant <= set(t.api_list)
            assert len(t.api_list) >= max(5, len(relevant) + 2)
            assert len(set(t.api_list)) == len(t.api_list)
            assert t.query.isascii()


@pytest.mark.slow
def test_suite_regenerates_bit_identically(suite: Suite) -> None:
    again = generate_suite(suite_dir("toolbench"))
    assert again.hash == suite.hash
    code = "from steptool_env.world.suite import load_suite; print(load_suite().hash)"
    stdout = run_python(code, hash_seed="4242")
    assert stdout == suite.hash
