"""One StepTool env driven one episode at a time, by tool calls or by action text.

What the MCP and OpenEnv adapters share. :class:`EpisodeSession` builds the env with
``gym.make(env_id, **env_kwargs)`` and only ever calls its ``reset`` and ``step``: a tool call
``(name, arguments)`` becomes the action text the env's own parser reads
(:func:`~steptool_env.envs.prompts.format_action`), exactly what a model in that format writes,
so a trajectory through an adapter is the trajectory of the in-process env with the same seed
and the same calls. Results are JSON-safe (:func:`json_safe`): tuples become lists, NumPy
values plain numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

import steptool_env  # noqa: F401 - registers the StepTool/* ids
from steptool_env.envs.prompts import format_action
from steptool_env.envs.registration import ENV_IDS, TEXT_ENV_IDS
from steptool_env.errors import ConfigError, TaskError


def json_safe(value: Any) -> Any:
    """``value`` as plain JSON types: tuples and sets become lists, NumPy values numbers or
    lists, non-finite floats strings, mapping keys strings, anything else its ``str``."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return [json_safe(v) for v in sorted(value, key=repr)]
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return str(value)


@dataclass(frozen=True)
class EpisodeStep:
    """What ``reset`` or one ``step`` returned, JSON-safe."""

    observation: str | list[float]
    """The observation text (text envs) or vector (``StepTool/ToolBenchDiscrete-v0``)."""
    reward: float = 0.0
    terminated: bool = False
    truncated: bool = False
    info: dict[str, Any] = field(default_factory=dict)
    """The env's info dict (see ``ToolUseEnv``), JSON-safe."""

    @property
    def done(self) -> bool:
        return self.terminated or self.truncated

    def to_dict(self) -> dict[str, Any]:
        return {
            "observation": self.observation,
            "reward": self.reward,
            "terminated": self.terminated,
            "truncated": self.truncated,
            "done": self.done,
            "info": self.info,
        }


class EpisodeSession:
    """One env of ``env_id`` (any StepTool id) and its current episode.

    ``reset`` starts an episode (``seed`` and ``task_id`` as in ``env.reset``); ``call`` makes a
    tool call, ``act`` sends action text as is (text envs) or a candidate index (the discrete
    env). A step after the episode ended raises :class:`~steptool_env.errors.TaskError`.
    """

    def __init__(self, env_id: str = "StepTool/ToolBench-v0", **env_kwargs: Any) -> None:
        if env_id not in ENV_IDS:
            raise ConfigError("env_id", env_id, choices=ENV_IDS)
        self.env_id = env_id
        self.env_kwargs = dict(env_kwargs)
        self.env = gym.make(env_id, **env_kwargs)
        self.text = env_id in TEXT_ENV_IDS
        """True when actions are text (tool calls are possible), False for the discrete env."""
        self.episodes = 0
        """Episodes started so far."""
        self.steps = 0
        """Steps taken in the current episode."""
        self.episode_return = 0.0
        self.seed: int | None = None
        """The seed of the last ``reset`` that was given one."""
        self.last: EpisodeStep | None = None

    # ------------------------------------------------------------------ views
    @property
    def text_env(self) -> Any:
        """The unwrapped text env (``ToolUseEnv``; the discrete env is a wrapper of one)."""
        return self.env.unwrapped

    @property
    def task_id(self) -> str | None:
        task = self.text_env.task
        return task.task_id if task is not None else None

    @property
    def done(self) -> bool:
        return self.last is None or self.last.done

    @property
    def parser(self) -> str:
        """The env's action format (``react``, ``json`` or ``hermes``)."""
        return str(self.text_env.parser_name)

    def tool_schemas(self) -> list[dict[str, Any]]:
        """OpenAI function schemas offered in the current episode (Finish last)."""
        if self.last is None:
            raise TaskError("no episode yet: call reset() first")
        return list(self.text_env.tool_schemas)

    def prompt(self) -> list[dict[str, Any]]:
        """The episode's opening messages (system prompt, user query), OpenAI chat format."""
        if self.last is None:
            raise TaskError("no episode yet: call reset() first")
        return [dict(m) for m in self.text_env.messages[:2]]

    def state(self) -> dict[str, Any]:
        """Where the episode stands (JSON-safe)."""
        return {
            "env_id": self.env_id,
            "episode": self.episodes,
            "task_id": self.task_id,
            "seed": self.seed,
            "step": self.steps,
            "episode_return": self.episode_return,
            "done": self.done,
            "terminated": bool(self.last and self.last.terminated),
            "truncated": bool(self.last and self.last.truncated),
        }

    # ------------------------------------------------------------------ episode
    def reset(self, seed: int | None = None, task_id: str | None = None) -> EpisodeStep:
        options = {"task_id": task_id} if task_id is not None else None
        obs, info = self.env.reset(seed=seed, options=options)
        if seed is not None:
            self.seed = seed
        self.episodes += 1
        self.steps = 0
        self.episode_return = 0.0
        self.last = EpisodeStep(_observation(obs), info=json_safe(info))
        return self.last

    def call(self, name: str, arguments: Mapping[str, Any] | None = None) -> EpisodeStep:
        """Call function ``name`` (Finish included) with ``arguments``: the action is the text
        a model in the env's format would write for that call."""
        if not self.text:
            raise ConfigError(
                "env_id", self.env_id, "tool calls need a text env", choices=TEXT_ENV_IDS
            )
        if not isinstance(arguments, Mapping | None):
            raise ConfigError("arguments", arguments, "must be a JSON object")
        return self.act(format_action(self.parser, name, dict(arguments or {})))

    def act(self, action: str | int) -> EpisodeStep:
        """One ``env.step(action)``: action text, or a candidate index for the discrete env."""
        if self.last is None:
            raise TaskError("no episode yet: call reset() first")
        if self.last.done:
            raise TaskError("the episode is over: reset to start a new one")
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.steps += 1
        self.episode_return += float(reward)
        self.last = EpisodeStep(
            _observation(obs), float(reward), bool(terminated), bool(truncated), json_safe(info)
        )
        return self.last

    def close(self) -> None:
        self.env.close()


def _observation(obs: Any) -> str | list[float]:
    return obs if isinstance(obs, str) else [float(x) for x in np.asarray(obs).ravel()]
