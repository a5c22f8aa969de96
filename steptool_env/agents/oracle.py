"""The oracle: follows the task's gold DAG, then finishes with the reference answer.

It reads the privileged ``view.task`` and exists to check the suite (every task must be
solvable: the oracle's pass rate is 1.0) and to produce demonstrations for SFT. On an
API-side failure (status 5-12) it retries the same call.

StableToolBench queries have no reference answer: there the oracle answers from the raw
responses of its relevant calls (the env's privileged ``call_responses``), quoting the first
salient values of each (:func:`~steptool_env.stabletoolbench.judge.salient_values`), which is
what the grounded IsSolved rule asks for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from steptool_env.agents.base import TurnView
from steptool_env.envs.prompts import finish_arguments, format_action
from steptool_env.stabletoolbench.judge import salient_values
from steptool_env.tools.catalogue import FINISH
from steptool_env.world.tasks import Task

QUOTED_VALUES = 3
"""Salient values the oracle quotes from each relevant response (StableToolBench)."""
_MAX_TEXTS = 100_000


class OracleAgent:
    name = "oracle"

    def __init__(self) -> None:
        self._cursor: dict[int, int] = {}
        self._texts: dict[tuple[str, str, str, int], str] = {}
        """Texts already written, by (parser, task id, function name, position): a gold
        call's text is a function of those, and so is the final answer's (position -1)
        except on StableToolBench, where it quotes the episode's responses. Formatting a
        text (JSON of the arguments) costs more than the env's step. At most
        ``_MAX_TEXTS`` are kept."""

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
            key = (view.parser, task.task_id, fn, i)
            text = self._texts.get(key)
            if text is None:
                text = format_action(view.parser, fn, g.arguments, f"Step {i + 1} of the plan.")
                self._remember(key, text)
            return text
        if task.task_type == "stabletoolbench":  # the answer quotes this episode's responses
            return _finish_text(view.parser, _grounded_answer(view, task))
        key = (view.parser, task.task_id, FINISH, -1)
        text = self._texts.get(key)
        if text is None:
            text = _finish_text(view.parser, task.reference_answer)
            self._remember(key, text)
        return text

    def _remember(self, key: tuple[str, str, str, int], text: str) -> None:
        if len(self._texts) >= _MAX_TEXTS:
            self._texts.clear()
        self._texts[key] = text


def _finish_text(parser: str, answer: str) -> str:
    return format_action(parser, FINISH, finish_arguments(answer), "I have everything I need.")


def _grounded_answer(view: TurnView, task: Task) -> str:
    """A StableToolBench answer: the salient values of the episode's relevant responses."""
    relevant = {view.env.function_of(tool, api) for tool, api in task.relevant_apis}
    parts = []
    for function, arguments, response in getattr(view.env, "call_responses", ()):
        if function in relevant:
            values = salient_values(response, task.query, arguments, function)[:QUOTED_VALUES]
            parts.append(f"{function}: " + (", ".join(map(_text, values)) or "done"))
    return "Here is what I found. " + "; ".join(parts) + "."


def _text(value: str | float) -> str:
    if isinstance(value, str):
        return value
    return str(int(value)) if value.is_integer() else f"{value:.6f}".rstrip("0")
