"""Every simulated API at the edges of what argument validation lets through: numbers at
±1e15, empty and 100,000-character strings, lone surrogates and NUL bytes, long arrays. No
API may raise (that would be recorded as an infrastructure error although the input was the
model's) or answer with anything but a model status or an API-side one."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from steptool_env.sandbox import InProcessBackend
from steptool_env.tools.spec import ApiSpec, ParamType
from steptool_env.tools.status import Status
from steptool_env.tools.validation import MAX_ABS_NUMBER, InvalidArguments, validate_arguments
from steptool_env.world.suite import Suite

EDGES: dict[ParamType, tuple[Any, ...]] = {
    ParamType.NUMBER: (MAX_ABS_NUMBER, -MAX_ABS_NUMBER, 1e15, -1e15, 0, -1, 1e-300, -0.0),
    ParamType.INTEGER: (MAX_ABS_NUMBER, -MAX_ABS_NUMBER, 0, -1),
    ParamType.STRING: ("", "x" * 100_000, "\ud800\x00", " "),
    ParamType.DATE: ("0000-00-00", "9999-99-99", "2024-02-30"),
    ParamType.ENUM: ("zzz", ""),
    ParamType.ARRAY: ([], [None] * 1_000, [[[]]]),
    ParamType.OBJECT: ({}, {"a": {"b": None}}),
    ParamType.BOOLEAN: (True, False),
}


def _calls(api: ApiSpec) -> list[dict[str, Any]]:
    """Arguments with one parameter at an edge, the others at their first edge."""
    base = {p.name: EDGES[p.type][0] for p in api.required}
    out = []
    for p in (*api.required, *api.optional):
        for value in EDGES[p.type]:
            with contextlib.suppress(InvalidArguments):  # e.g. an ENUM's unlisted value
                out.append(validate_arguments(api, {**base, p.name: value}))
    return out


def test_every_api_takes_every_edge(suite: Suite) -> None:
    backend = InProcessBackend(suite)
    apis = sorted(suite.catalogue.by_function.values(), key=lambda a: a.function_name)
    n = 0
    for api in apis:
        for args in _calls(api):
            backend.reset()
            result = backend.call(api.tool_name, api.api_name, args)  # ToolError on a crash
            assert isinstance(result.status, Status), (api.function_name, result)
            n += 1
    assert len(apis) >= 100 and n > 5 * len(apis)


@pytest.mark.parametrize("value", [MAX_ABS_NUMBER + 1, 10**400, float("inf")])
def test_beyond_the_edge_is_refused_before_any_api(suite: Suite, value: Any) -> None:
    api = next(
        a
        for a in suite.catalogue.by_function.values()
        if any(p.type is ParamType.NUMBER for p in a.required)
    )
    p = next(p for p in api.required if p.type is ParamType.NUMBER)
    with pytest.raises(InvalidArguments):
        validate_arguments(api, {q.name: EDGES[q.type][0] for q in api.required} | {p.name: value})
