"""Typed records of what happened in an episode."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, SupportsFloat

from steptool_env.tools.status import Status

_FINAL_STATUSES = (Status.FINAL_ANSWER, Status.GIVE_UP)


@dataclass(frozen=True, slots=True)
class EpisodeSpec:
    """Which episode to run: a task, an env seed and a sample index (for pass^k)."""

    task_id: str
    seed: int
    sample: int = 0


@dataclass(frozen=True, slots=True)
class StepRecord:
    action: str
    observation: str
    reward: float
    status: int
    error: str
    function: str
    succ_calling: int
    contribution: float
    sample: Any = field(default=None, compare=False, repr=False)
    """The agent's training payload for this action (see ``Reply.sample``); not hashed."""

    @classmethod
    def from_step(
        cls, action: str, observation: str, reward: SupportsFloat, info: Mapping[str, Any],
        sample: Any = None,
    ) -> StepRecord:  # fmt: skip
        """The record of one ``env.step`` (the only place a record reads ``info``)."""
        return cls(
            action,
            observation,
            float(reward),
            info["status"],
            info["error"],
            info["function"],
            info["succ_calling"],
            info["contribution"],
            sample,
        )

    @property
    def is_call(self) -> bool:
        """Whether this step was a call, not the final ``Finish`` (answer or give-up)."""
        return self.status not in _FINAL_STATUSES


@dataclass
class Trajectory:
    """One finished episode."""

    spec: EpisodeSpec
    split: str
    group: str
    steps: list[StepRecord] = field(default_factory=list)
    terminated: bool = False
    truncated: bool = False
    is_solved: float = 0.0
    gave_up: bool = False
    relevant_apis: int = 0
    relevant_called: int = 0
    wall_s: float = 0.0
    infra_error: str = ""
    """Set when the episode was cut short by an infrastructure failure or an unexpected
    exception (never a score)."""
    infra_traceback: str = ""
    """The traceback of that exception, where there was one."""
    prompt: str = ""
    tokens_in: int = 0
    """Prompt tokens the agent's model read over the episode (0 for non-LM agents)."""
    tokens_out: int = 0
    """Tokens the agent's model generated over the episode."""

    @property
    def episode_return(self) -> float:
        return float(sum(s.reward for s in self.steps))

    @property
    def n_steps(self) -> int:
        return len(self.steps)

    @property
    def n_calls(self) -> int:
        """Steps that were not the final Finish."""
        return sum(1 for s in self.steps if s.is_call)

    @property
    def succ_calling_rate(self) -> float:
        calls = [s.succ_calling for s in self.steps if s.is_call]
        return sum(calls) / len(calls) if calls else 0.0

    @property
    def recall(self) -> float:
        return self.relevant_called / self.relevant_apis if self.relevant_apis else 0.0

    def statuses(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.steps:
            out[str(s.status)] = out.get(str(s.status), 0) + 1
        return out

    def digest(self) -> str:
        """A hash of everything the agent and env exchanged (determinism checks).

        Each text is length-prefixed, so no content can imitate a field boundary.
        """
        h = hashlib.sha256()
        for s in self.steps:
            parts = (s.action, s.observation, s.error, s.function)
            text = "".join(f"{len(p)}:{p}" for p in parts)
            h.update(
                f"{text}{s.reward!r}|{s.status}|{s.succ_calling}|{s.contribution!r};".encode(
                    "utf-8", "surrogatepass"
                )
            )
        return h.hexdigest()
