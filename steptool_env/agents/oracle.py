"""The oracle: follows the task's gold DAG, then finishes with the reference answer.

It reads the privileged ``view.task`` and exists to check the suite (every task must be
solvable: the oracle's pass rate is 1.0) and to produce demonstrations for SFT. On an
API-side failure (status 5-12) it retries the same call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from steptool_env.agents.base import TurnView
from steptool_env.envs.prompts import finish_arguments, format_action
from steptool_env.tools.catalogue import FINISH


class OracleAgent:
    name = "oracle"

    def __init__(self) -> None:
        self._cursor: dict[int, int] = {}

    def config(self) -> dict[str, Any]:
        return {"agent": self.name}

    def act(self, views: Sequence[TurnView]) -> list[str]:
        return [self._act(v) for v in views]

    def _act(self, view: TurnView) -> str:
        if view.step == 0:
            self._cursor[view.index] = 0
        elif not view.last_info.get("api_failure", False):
            self._cursor[view.index] += 1
        i = self._cursor[view.index]
        task = view.task
        if i < len(task.gold):
            g = task.gold[i]
            fn = view.env.function_of(g.tool, g.api)
            return format_action(view.parser, fn, g.arguments, f"Step {i + 1} of the plan.")
        return format_action(
            view.parser,
            FINISH,
            finish_arguments(task.reference_answer),
            "I have everything I need.",
        )
