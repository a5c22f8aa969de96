"""What one env step produced, stage by stage, as typed immutable records.

``ToolUseEnv.step`` is a short pipeline (see its docstring)::

    parse → act (resolve → validate → execute, or Finish) → progress → score → render

Acting yields an :class:`Effect` (the status, the response body and where it came from);
the whole step is a :class:`StepResult`, from which ``info`` is built in one place
(:meth:`StepResult.info`). Both are NamedTuples: immutable, typed and cheap to build on the
hot path (a frozen dataclass costs several times more per instance).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from steptool_env.envs.parsing import ParseResult
from steptool_env.rewards.components import StepOutcome
from steptool_env.tools.status import API_FAILURES, Status


class Effect(NamedTuple):
    """What acting on one action did, before any scoring."""

    status: Status
    body: Mapping[str, Any]
    """``{"error": str, "response": ...}``: what the observation renders."""
    error: str = ""
    """Error kind ("" when none): a parse failure kind, ``unknown_function``,
    ``invalid_arguments``, ``invalid_finish`` or ``api_error``."""
    function: str = ""
    """The function as ``info`` shows it: the offered name, or the model's text escaped and
    cut to 128 characters when nothing by that name is offered ("" when nothing parsed)."""
    arguments: Mapping[str, Any] | None = None
    """The validated arguments of a call that reached the backend (None otherwise)."""
    fault: str = ""
    """The injected fault of this step ("" when none)."""
    source: str = ""
    """Where the API's answer came from ("" when no API answered)."""
    final: bool = False
    """True when the action was a valid ``Finish`` (answer or give-up)."""
    is_solved: float = 0.0
    """IsSolved of a final answer (0.0 otherwise)."""


class Turn(NamedTuple):
    """One step as the transcript keeps it (``ToolUseEnv.messages`` is built from these)."""

    shown: str
    """The action text, cut to ``max_action_chars``."""
    parsed: ParseResult
    function: str
    observation: str
    call_id: str


class StepResult(NamedTuple):
    """One whole step: the effect, the gold-DAG progress, the reward and the observation."""

    step: int
    effect: Effect
    gold_nodes: tuple[int, ...]
    """Gold DAG nodes newly satisfied by this step."""
    outcome: StepOutcome
    """The reward components (what every reward shaper reads)."""
    reward: float
    observation: str
    """The rendered response text (before the observation-mode and length clipping)."""

    @property
    def truncated(self) -> bool:
        return self.outcome.truncated

    def info(self, reward_mode: str, task_id: str) -> dict[str, Any]:
        """The step's ``info`` dict (keys documented in ``envs/tool_use_env.py``)."""
        effect, outcome = self.effect, self.outcome
        return {
            "step": self.step,
            "status": int(effect.status),
            "error": effect.error,
            "function": effect.function,
            "succ_calling": outcome.succ_calling,
            "contribution": outcome.contribution,
            "gold_nodes": self.gold_nodes,
            "is_solved": effect.is_solved,
            "new_call": outcome.new_call,
            "distinct_calls": outcome.distinct_calls,
            "gold_total": outcome.gold_total,
            "final": effect.final,
            "api_failure": effect.status in API_FAILURES,
            "fault": effect.fault,
            "source": effect.source,
            "reward_mode": reward_mode,
            "task_id": task_id,
        }


def outcome_from_info(info: Mapping[str, Any], truncated: bool) -> StepOutcome:
    """The reward components of a step from its ``info`` (for wrappers that re-shape)."""
    return StepOutcome(
        Status(info["status"]),
        info["succ_calling"],
        info["contribution"],
        info["final"],
        info["is_solved"],
        truncated,
        info["new_call"],
        info["distinct_calls"],
        info["gold_total"],
    )
