"""What one env step produced, stage by stage, as typed immutable records.

``ToolUseEnv.step`` is a short pipeline (see its docstring)::

    parse → act (resolve → validate → ToolCall, or Finish → FinalAnswer)
          → execute the ToolCall / judge the FinalAnswer → progress → score → render

Acting decides without the backend: an :class:`Effect` at once (the status, the response
body), or a :class:`ToolCall` to run or a :class:`FinalAnswer` to judge, which become one. The
step up to there is a :class:`PendingStep`, so that a batch of envs can run the backend work
of all their pending steps together before finishing each. The whole step is a
:class:`StepResult`, from which ``info`` is built in one place (:meth:`StepResult.info`). All
are NamedTuples: immutable, typed and cheap to build on the hot path (a frozen dataclass
costs several times more per instance).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from steptool_env.envs.parsing import ParsedCall, ParseResult
from steptool_env.rewards.components import StepOutcome
from steptool_env.sandbox.faults import Fault
from steptool_env.tools.spec import ApiSpec
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


class ToolCall(NamedTuple):
    """A resolved and validated call, for the backend to run (or its injected fault)."""

    api: ApiSpec
    parsed: ParsedCall
    arguments: dict[str, Any]
    """The validated arguments: what the backend receives."""
    fault: Fault | None = None
    """The fault injected into this call: a failure answers in its place (the backend never
    sees the call), a slow response delays it."""

    @property
    def runs(self) -> bool:
        """Whether the backend runs the call (no fault, or only a slow response)."""
        return self.fault is None or self.fault.delay_s > 0


class FinalAnswer(NamedTuple):
    """A well-formed ``Finish`` with an answer, to be judged."""

    text: str


class PendingStep(NamedTuple):
    """A step decided up to its backend work (see ``ToolUseEnv._begin_step``)."""

    action: object
    """The action as given."""
    parsed: ParseResult
    acted: Effect | ToolCall | FinalAnswer
    """What acting decided: an effect already, or the call to run or the answer to judge."""


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
