"""The :class:`Agent` protocol and the per-turn view an agent gets of one environment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from steptool_env.envs.tool_use_env import ToolUseEnv
from steptool_env.world.tasks import Task


class TurnView:
    """What an agent may look at for one environment on one turn.

    Everything is read lazily from the environment, so building a view costs nothing.
    ``task`` is privileged (it holds the gold solution): only the oracle uses it.
    """

    __slots__ = ("env", "episode_seed", "index", "last_info", "observation", "step")

    def __init__(
        self,
        index: int,
        env: ToolUseEnv,
        observation: str,
        step: int,
        episode_seed: int,
        last_info: Mapping[str, Any],
    ) -> None:
        self.index = index
        self.env = env
        self.observation = observation
        self.step = step
        """Number of actions already taken in this episode (0 on the first turn)."""
        self.episode_seed = episode_seed
        self.last_info = last_info

    @property
    def messages(self) -> tuple[dict[str, Any], ...]:
        """The conversation so far, OpenAI chat format."""
        return self.env.messages

    @property
    def tools(self) -> list[dict[str, Any]]:
        """OpenAI function schemas offered for this task (Finish last)."""
        return self.env.tool_schemas

    @property
    def query(self) -> str:
        return self.env.messages[1]["content"]

    @property
    def parser(self) -> str:
        return self.env.parser_name

    @property
    def task(self) -> Task:
        """Privileged: the task with its gold solution (for the oracle only)."""
        assert self.env.task is not None
        return self.env.task


@dataclass(frozen=True, slots=True)
class Reply:
    """An action with what it cost, or the infrastructure failure that prevented it.

    Agents may return plain strings; language-model agents return replies so that the
    rollout loop can count tokens, and so that one failed request (a provider timeout)
    ends only its own episode, recorded as an infrastructure error rather than a failure.
    """

    text: str = ""
    """The action text handed to ``env.step``."""
    tokens_in: int = 0
    """Prompt tokens of the request that produced the action (0 when not a language model)."""
    tokens_out: int = 0
    """Generated tokens of the action."""
    infra_error: str = ""
    """Non-empty when no action could be produced: the episode ends as an infra error."""
    sample: Any = None
    """What a trainer needs to learn from this action (a language-model agent's context and
    action token ids and log-probs); None for agents that do not learn. The rollout loop
    stores it on the step's :class:`~steptool_env.rollout.records.StepRecord`."""


@runtime_checkable
class Agent(Protocol):
    """Maps a batch of turn views to one action each (a string or a :class:`Reply`)."""

    name: str

    def config(self) -> dict[str, Any]:
        """JSON-serialisable settings that identify this agent (for provenance)."""

    def act(self, views: Sequence[TurnView]) -> Sequence[str | Reply]:
        """One action per view, in order."""
