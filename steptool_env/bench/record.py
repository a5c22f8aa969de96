"""The typed episode record: one line of ``episodes.jsonl``, its fields and their meaning.

A record is what the benchmark keeps of one episode: who played it and how it was scored
(:class:`Provenance`, shared by every episode of one agent on one env id) and what happened
(the fields :class:`EpisodeRecord` adds). The runner builds records from trajectories with
:meth:`EpisodeRecord.from_trajectory`; :func:`~steptool_env.bench.runner.load_records` reads
them back with :meth:`EpisodeRecord.from_json`, which checks every field's type and names the
file, line and field of a bad one instead of failing later inside a leaderboard.

The JSON form is flat (one object per line, provenance first, the return last under the
key ``return``) and stable: files written by earlier versions load, a field they lack
(``scoring``, ``is_solved_rule``) reads as None, and fields this version does not know are
kept in :attr:`EpisodeRecord.extra` and written back unchanged.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from steptool_env.errors import ConfigError
from steptool_env.rollout.records import Trajectory
from steptool_env.tools.status import API_FAILURES

__all__ = ["EpisodeRecord", "Provenance", "Records", "as_json"]


@dataclass(frozen=True, kw_only=True)
class Provenance:
    """Who played and how it was scored: shared by every episode of one agent on one env."""

    agent: str
    """The agent's label on the leaderboard (``oracle``, ``hf:<model>``...)."""
    agent_kind: str
    """The agent's kind (``oracle``, ``heuristic``, ``random``, ``hf``, ``openai``...)."""
    agent_config: dict[str, Any]
    """The agent's full configuration (secrets left out), as :meth:`Agent.config` gives it."""
    agent_config_hash: str
    """Hash of ``agent_config``: two configurations of one label never share records."""
    env_id: str
    """The Gymnasium id (``StepTool/ToolBench-v0``...)."""
    env_version: int
    """The ``-vN`` of ``env_id``."""
    suite_hash: str
    """Hash of the task suite the episode's task came from."""
    scoring: str | None = None
    """``v<version>:<reward mode>:<IsSolved rule>`` (None in records older than scoring v2)."""
    backend: str
    """Where the tools ran: ``inprocess``, ``http`` or ``docker``."""
    parser: str
    """The action format the env parsed (``react``, ``json``, ``hermes``)."""
    prompt_template: str
    """Identity of the prompt the agent saw (parser, native tools, prompt style)."""
    max_steps: int
    """The episode's step budget."""
    is_solved_rule: str | None = None
    """StableToolBench's IsSolved rule (``grounded``/``lenient``); None for the generated suite."""
    package_version: str
    """steptool-env's version."""
    gymnasium_version: str
    python_version: str
    git_commit: str
    """The commit of the checkout that ran the episode (``unknown`` outside git)."""

    def to_json(self) -> dict[str, Any]:
        """The JSON fields, in file order (``is_solved_rule`` only where there is one)."""
        return _to_json(self, Provenance)


@dataclass(frozen=True, kw_only=True)
class EpisodeRecord(Provenance):
    """One benchmarked episode: its provenance and what happened."""

    subset: str
    """The suite split the task came from (``I1-Inst``...)."""
    seed: int
    """The benchmark seed (``--seeds``)."""
    sample: int
    """Which of ``--samples`` attempts at the task this is (0 for one sample)."""
    episode_seed: int
    """The env's reset seed, derived from (seed, task id, sample)."""
    task_id: str
    group: str
    """The task's ToolBench group (G1, G2, G3)."""
    is_solved: float
    """IsSolved: 1 solved, 0.5 half solved, 0 not."""
    gave_up: bool
    """The agent ended the episode by giving up."""
    terminated: bool
    truncated: bool
    """The step budget ran out before the agent finished."""
    n_steps: int
    succ_calling_rate: float
    """Share of tool calls that succeeded."""
    recall: float
    """Share of the task's gold calls the episode made."""
    statuses: dict[str, int]
    """Steps per status code (``"0"`` success, ``"1"`` no such function, ``"2"`` bad input,
    ``"3"`` final answer, ``"4"`` give up, ``"5"``–``"12"`` API-side failures)."""
    api_failures: int
    """Steps whose tool call failed on the API's side."""
    tokens_in: int
    """Prompt tokens the agent read over the episode (0 for scripted agents)."""
    tokens_out: int
    """Tokens the agent generated over the episode."""
    infra_error: str
    """Empty, or the infrastructure failure that ended the episode (never scored as 0)."""
    infra_traceback: str
    trajectory_digest: str
    """Hash of everything agent and env exchanged (same seed, same digest)."""
    started_at: str
    """UTC ISO 8601 with milliseconds."""
    ended_at: str
    wall_s: float
    return_: float
    """The episode's return under ``scoring`` (JSON key ``return``)."""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    """Fields of the JSON line this version does not know (kept, written back unchanged)."""

    @classmethod
    def from_trajectory(
        cls,
        traj: Trajectory,
        provenance: Provenance,
        *,
        subset: str,
        seed: int,
        started_at: str,
        ended_at: str,
    ) -> EpisodeRecord:
        """The record of a finished episode of the benchmark."""
        steps = traj.steps
        return cls(
            **{f.name: getattr(provenance, f.name) for f in dataclasses.fields(Provenance)},
            subset=subset,
            seed=seed,
            sample=traj.spec.sample,
            episode_seed=traj.spec.seed,
            task_id=traj.spec.task_id,
            group=traj.group,
            is_solved=traj.is_solved,
            gave_up=traj.gave_up,
            terminated=traj.terminated,
            truncated=traj.truncated,
            n_steps=len(steps),
            succ_calling_rate=round(traj.succ_calling_rate, 6),
            recall=round(traj.recall, 6),
            statuses=traj.statuses(),
            api_failures=sum(1 for s in steps if s.status in API_FAILURES),
            tokens_in=traj.tokens_in,
            tokens_out=traj.tokens_out,
            infra_error=traj.infra_error,
            infra_traceback=traj.infra_traceback,
            trajectory_digest=traj.digest(),
            started_at=started_at,
            ended_at=ended_at,
            wall_s=round(traj.wall_s, 6),
            return_=round(traj.episode_return, 6),
        )

    @property
    def provenance(self) -> Provenance:
        return Provenance(**{f.name: getattr(self, f.name) for f in dataclasses.fields(Provenance)})

    @property
    def key(self) -> tuple[Any, ...]:
        """The episode's identity (:func:`~steptool_env.bench.store.episode_key`)."""
        from steptool_env.bench.store import KEY_FIELDS

        return tuple(getattr(self, name) for name in KEY_FIELDS)

    def to_json(self) -> dict[str, Any]:
        """The JSON line's fields: provenance first, then the episode's, ``return`` last,
        then any unknown fields the record was read with."""
        return {**_to_json(self, EpisodeRecord), **self.extra}

    def episode_json(self) -> dict[str, Any]:
        """The fields after the provenance (what the store writes after the shared prefix)."""
        out = {("return" if n == "return_" else n): getattr(self, n) for n in _episode_fields()}
        return {**out, **self.extra}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], where: str = "record") -> EpisodeRecord:
        """A record from its JSON fields; a missing field or a value of the wrong type
        raises :class:`ConfigError` naming ``where`` (e.g. ``file:line``) and the field."""
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        known = _field_types()
        for name, value in data.items():
            attr = "return_" if name == "return" else name
            if attr not in known or attr == "extra":
                extra[name] = value
                continue
            if not _is_instance(value, known[attr]):
                raise ConfigError(
                    "episodes",
                    where,
                    f"field {name!r} is {type(value).__name__} {value!r:.60}, "
                    f"expected {_type_name(known[attr])}",
                )
            values[attr] = float(value) if known[attr] is float else value
        missing = [
            "return" if f.name == "return_" else f.name
            for f in dataclasses.fields(cls)
            if f.name not in values
            and f.name != "extra"
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        ]
        if missing:
            raise ConfigError("episodes", where, f"record lacks field(s) {', '.join(missing)}")
        return cls(**values, extra=extra)


Records = Sequence["EpisodeRecord | Mapping[str, Any]"]
"""What the leaderboard functions take: typed records, or their JSON objects (as read from
a file by other tools)."""


def as_json(records: Records) -> list[Mapping[str, Any]]:
    """``records`` as JSON objects (typed records converted; objects passed as they are)."""
    return [r.to_json() if isinstance(r, EpisodeRecord) else r for r in records]


def _to_json(obj: Any, cls: type) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name == "extra":
            continue
        value = getattr(obj, f.name)
        if f.name == "is_solved_rule" and value is None:
            continue
        out["return" if f.name == "return_" else f.name] = value
    return out


@functools.cache
def _episode_fields() -> tuple[str, ...]:
    shared = {f.name for f in dataclasses.fields(Provenance)}
    return tuple(
        f.name for f in dataclasses.fields(EpisodeRecord) if f.name not in shared | {"extra"}
    )


@functools.cache
def _field_types() -> dict[str, Any]:
    return typing.get_type_hints(EpisodeRecord)


def _is_instance(value: Any, tp: Any) -> bool:
    if isinstance(tp, types.UnionType):
        return any(_is_instance(value, t) for t in typing.get_args(tp))
    if tp is type(None):
        return value is None
    if tp is Any:
        return True
    origin = typing.get_origin(tp)
    if origin is dict:
        key_t, val_t = typing.get_args(tp)
        return isinstance(value, dict) and all(
            _is_instance(k, key_t) and _is_instance(v, val_t) for k, v in value.items()
        )
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, tp)


def _type_name(tp: Any) -> str:
    if isinstance(tp, types.UnionType):
        return " or ".join(_type_name(t) for t in typing.get_args(tp))
    if tp is type(None):
        return "null"
    origin = typing.get_origin(tp)
    if origin is dict:
        return "object"
    return {str: "string", int: "integer", float: "number", bool: "boolean"}.get(tp, str(tp))
