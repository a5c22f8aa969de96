"""Learning from recorded episodes: trajectory files, demonstrations and replays.

**Trajectory files** are JSONL, one episode per line::

    {"task_id": "...", "seed": 3, "sample": 0, "actions": ["Thought: ...", ...],
     "is_solved": 1.0, "return": 2.5}

Only ``task_id``, ``seed`` and ``actions`` are needed: the env is deterministic, so replaying
the actions through it rebuilds every context, observation and reward exactly — the file
stays small and can never disagree with the env. ``steptool train ... --set
save_rollouts=true`` writes such a file; so does :func:`write_trajectories`.

:class:`DemoAgent` wraps an agent (the oracle, for SFT) and :class:`ReplayAgent` plays a
file's actions; both attach an :class:`~steptool_env.agents.lm_agent.LMSample` (the context as
the model would see it, the action's token ids) to every reply, so the same rollout loop
feeds SFT, online PPO and offline PPO.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from steptool_env.agents.base import Agent, Reply, TurnView
from steptool_env.agents.lm_agent import LMSample, Prompter, end_of_turn_id
from steptool_env.errors import ConfigError
from steptool_env.rollout.records import EpisodeSpec, Trajectory


def write_trajectories(path: str | Path, trajectories: Iterable[Trajectory]) -> int:
    """Append episodes to a trajectory file; returns how many were written."""
    n = 0
    with open(path, "a", encoding="utf-8") as fh:
        for t in trajectories:
            if t.infra_error:
                continue
            line = {
                "task_id": t.spec.task_id,
                "seed": t.spec.seed,
                "sample": t.spec.sample,
                "actions": [s.action for s in t.steps],
                "is_solved": t.is_solved,
                "return": t.episode_return,
            }
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
            n += 1
    return n


def read_trajectories(path: str | Path) -> list[tuple[EpisodeSpec, list[str]]]:
    """Episodes of a trajectory file; a bad line raises ConfigError naming file and line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ConfigError("offline", str(path), "no such trajectory file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("offline", str(path), f"cannot be read: {exc}") from None
    out = []
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{no}"
        try:
            d = json.loads(line)
        except ValueError as exc:
            raise ConfigError("offline", where, f"not JSON: {exc}") from None
        if not isinstance(d, dict):
            raise ConfigError("offline", where, "each line must be a JSON object")
        task, seed, actions = d.get("task_id"), d.get("seed"), d.get("actions")
        if not isinstance(task, str):
            raise ConfigError("offline", where, "task_id must be a string")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ConfigError("offline", where, "seed must be an integer >= 0")
        if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
            raise ConfigError("offline", where, "actions must be a list of strings")
        sample = d.get("sample", 0)
        if isinstance(sample, bool) or not isinstance(sample, int):
            raise ConfigError("offline", where, "sample must be an integer")
        out.append((EpisodeSpec(task, seed, sample), actions))
    if not out:
        raise ConfigError("offline", str(path), "the trajectory file has no episodes")
    return out


class _Recording:
    """Attaches the context ids and the tokenised action to each action of an agent."""

    def __init__(self, tokenizer: Any, max_context_tokens: int) -> None:
        self.tokenizer = tokenizer
        self.prompter = Prompter(tokenizer, max_context_tokens, None)
        self.end_id = end_of_turn_id(tokenizer)

    def reply(self, view: TurnView, text: str) -> Reply:
        ctx = np.asarray(self.prompter.ids(view), dtype=np.int64)
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        act = np.asarray([*ids, self.end_id], dtype=np.int64)
        sample = LMSample(ctx, act, np.zeros(0, np.float32))
        return Reply(text=text, tokens_in=len(ctx), tokens_out=len(act), sample=sample)


class DemoAgent(_Recording):
    """``inner``'s actions (e.g. the oracle's), with the samples SFT learns from."""

    def __init__(self, inner: Agent, tokenizer: Any, max_context_tokens: int) -> None:
        super().__init__(tokenizer, max_context_tokens)
        self.inner = inner
        self.name = f"demo-{inner.name}"

    def config(self) -> dict[str, Any]:
        return {"agent": self.name, "inner": self.inner.config()}

    def act(self, views: Sequence[TurnView]) -> list[Reply]:
        actions = self.inner.act(views)
        return [
            self.reply(v, a.text if isinstance(a, Reply) else a) for v, a in zip(views, actions)
        ]


class ReplayAgent(_Recording):
    """Plays the recorded actions of each episode (keyed by task id and env seed)."""

    name = "replay"

    def __init__(
        self,
        episodes: Sequence[tuple[EpisodeSpec, list[str]]],
        tokenizer: Any,
        max_context_tokens: int,
    ) -> None:
        super().__init__(tokenizer, max_context_tokens)
        self.actions = {(s.task_id, s.seed): a for s, a in episodes}

    def config(self) -> dict[str, Any]:
        return {"agent": self.name, "episodes": len(self.actions)}

    def act(self, views: Sequence[TurnView]) -> list[Reply]:
        out = []
        for v in views:
            task = v.env.task
            assert task is not None  # views are only made of envs that were reset
            actions = self.actions.get((task.task_id, v.episode_seed))
            if actions is None:
                raise ConfigError("offline", task.task_id, "episode not in the file")
            if v.step >= len(actions):
                raise ConfigError(
                    "offline",
                    task.task_id,
                    f"the recorded episode has {len(actions)} actions but the env did not "
                    "end after them (was it recorded with another max_steps or suite?)",
                )
            out.append(self.reply(v, actions[v.step]))
        return out
