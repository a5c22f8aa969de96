"""A numeric view of a StepTool env for classic RL libraries: ``Discrete`` calls, ``Box`` state.

Every step offers ``max_candidates`` **candidate actions** — complete action texts — and the
agent picks one by index. The candidates are built from what the task offers and what the
episode has shown so far:

- the **oracle's next call** (the next gold call not yet satisfied, or ``Finish`` with the
  reference answer once all are), so a perfect policy always exists;
- the task's other gold calls (their argument values may not be known yet), every other
  offered function with arguments filled from its defaults, enums and the values seen so far,
  and the oracle's call with one argument changed to a value never seen;
- ``Finish`` with the reference answer, ``Finish`` with another task's answer, a give-up;
- invalid actions: an unknown function and an unparseable text, so mistakes stay possible
  (and padding, when fewer candidates exist, is more unparseable text).

**Order** (``candidate_order``). By default (``"sorted"``) the candidates are shuffled by a
generator seeded at ``reset(seed=...)`` and then stably sorted by their features alone
(:func:`canonical_key`): kinds in a fixed order (calls, answers, give-ups, invalid actions),
calls not yet made before repeats, calls whose values all come from the query or the
observations before calls with values found nowhere, and so on. The order is a function of
the observation (ties keep the random order), so it tells a policy nothing the features do
not, but a slot means the same thing from one step to the next, and a plain MLP on the
flattened vector can learn it (see the README's SB3 ablation). ``"shuffled"`` keeps the
random order only (earlier versions; a plain MLP did not learn it). ``info["candidates"]``
holds the texts and ``info["oracle_action"]`` the oracle's index (for tests and imitation;
not part of the observation).

The **observation** is a ``float32`` vector: a global block (step fraction, one-hot status of
the last step, its SuccCalling and Contribution, the share of steps that succeeded) followed by
:data:`CANDIDATE_FEATURES` per candidate, all in ``[0, 1]`` and computed only from the
public history (query, observations, earlier calls): the kind of action, whether this call or
its function already succeeded, the share of its argument values found in the query, in the
observations, or nowhere, the overlap of its description with the query, and for a final
answer the share of its content words found in the observations.

Rewards, termination and the ``info`` keys are the wrapped env's (StepTool's step-grained
rewards by default; ``reward_mode="outcome"`` for outcome-only).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, NamedTuple, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from steptool_env.envs.prompts import finish_arguments, format_action
from steptool_env.envs.tool_use_env import ToolUseEnv
from steptool_env.errors import ConfigError, check_int
from steptool_env.tools.catalogue import FINISH
from steptool_env.tools.spec import ApiSpec, ParamType
from steptool_env.tools.status import Status
from steptool_env.world.checker import normalize_text

CANDIDATE_FEATURES = (
    "is_call",
    "is_answer",
    "is_give_up",
    "is_invalid",
    "call_succeeded_before",
    "function_succeeded_before",
    "args_in_query",
    "args_in_observations",
    "args_unseen",
    "description_overlap",
    "answer_support",
)
"""The features of one candidate, in order."""

GLOBAL_FEATURES = 4 + len(Status)
"""Step fraction, one-hot last status, last SuccCalling, last Contribution, success share."""

_WORD = re.compile(r"[a-z0-9][a-z0-9.:\-]*")
_STOP = frozenset(
    {
        "the", "a", "an", "of", "in", "on", "for", "to", "and", "or", "with", "by", "is",
        "are", "what", "which", "who", "when", "how", "many", "much", "from", "at", "as",
        "its", "it", "be", "this", "that", "their", "there",
    }
)  # fmt: skip


class Candidate(NamedTuple):
    """One action the agent may pick."""

    kind: str
    """``call``, ``answer``, ``give_up`` or ``invalid``."""
    text: str
    function: str = ""
    arguments: Mapping[str, Any] | None = None


class DiscreteToolEnv(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Pick one of ``max_candidates`` candidate actions; observe a fixed-size vector.

    Args:
        env: a StepTool text env (``StepTool/ToolBench-v0``).
        max_candidates: size of the ``Discrete`` action space (>= 8).
        candidate_order: ``sorted`` (default: by :func:`canonical_key`) or ``shuffled``.
    """

    def __init__(
        self, env: gym.Env, max_candidates: int = 16, candidate_order: str = "sorted"
    ) -> None:
        gym.utils.RecordConstructorArgs.__init__(
            self, max_candidates=max_candidates, candidate_order=candidate_order
        )
        gym.Wrapper.__init__(self, env)
        self.max_candidates = check_int("max_candidates", max_candidates, minimum=8)
        if candidate_order not in CANDIDATE_ORDERS:
            raise ConfigError("candidate_order", candidate_order, choices=CANDIDATE_ORDERS)
        self.candidate_order = candidate_order
        base = env.unwrapped
        if not isinstance(base, ToolUseEnv):
            raise TypeError(f"DiscreteToolEnv wraps a StepTool env, got {type(base)}")
        self.base = base
        size = self._size = GLOBAL_FEATURES + self.max_candidates * len(CANDIDATE_FEATURES)
        self.observation_space = spaces.Box(0.0, 1.0, shape=(size,), dtype=np.float32)
        self.action_space = spaces.Discrete(self.max_candidates)
        self._rng = np.random.default_rng()
        self._candidates: list[Candidate] = []
        self._oracle = 0
        self._query = ""
        self._seen_obs = " "
        self._ok_calls: set[str] = set()
        self._ok_functions: set[str] = set()
        self._last: tuple[int, float, float] = (-1, 0.0, 0.0)
        self._steps = 0
        self._ok_steps = 0

    # ------------------------------------------------------------------ gym API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        _, info = self.env.reset(seed=seed, options=options)
        if seed is not None:
            self._rng = np.random.default_rng([seed, 0x57E9])
        self._query = normalize_text(info["query"])
        self._seen_obs = " "
        self._ok_calls, self._ok_functions = set(), set()
        self._last, self._steps, self._ok_steps = (-1, 0.0, 0.0), 0, 0
        return self._observe(info)

    def step(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        if not self.action_space.contains(action):
            raise ValueError(f"action must be an int in [0, {self.max_candidates}), got {action!r}")
        cand = self._candidates[int(action)]
        obs_text, reward, terminated, truncated, info = self.env.step(cand.text)
        self._steps += 1
        if info["status"] == Status.OK and cand.kind == "call":
            self._ok_steps += 1
            self._ok_calls.add(_call_key(cand.function, cand.arguments or {}))
            self._ok_functions.add(cand.function)
            self._seen_obs += normalize_text(obs_text)
        self._last = (int(info["status"]), float(info["succ_calling"]), float(info["contribution"]))
        obs, extra = self._observe(info)
        return obs, reward, terminated, truncated, {**info, **extra}

    # ------------------------------------------------------------------ candidates
    def _observe(self, info: Mapping[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        oracle, others = self._build()
        ranked = [oracle, *others]
        order = [int(k) for k in self._rng.permutation(self.max_candidates)]
        rows = [self._features(c) for c in ranked]
        if self.candidate_order == "sorted":
            order.sort(key=lambda k: canonical_key(rows[k]))
        self._candidates = [ranked[k] for k in order]
        self._oracle = order.index(0)
        vec = np.zeros(self._size, dtype=np.float32)
        status, succ, contribution = self._last
        vec[0] = min(self._steps / self.base.max_steps, 1.0)
        if status >= 0:
            vec[1 + status] = 1.0
        vec[1 + len(Status)] = succ
        vec[2 + len(Status)] = contribution
        vec[3 + len(Status)] = self._ok_steps / self._steps if self._steps else 0.0
        width = len(CANDIDATE_FEATURES)
        for i, k in enumerate(order):
            start = GLOBAL_FEATURES + i * width
            vec[start : start + width] = rows[k]
        extra = {"candidates": [c.text for c in self._candidates], "oracle_action": self._oracle}
        return vec, {**info, **extra}

    def _build(self) -> tuple[Candidate, list[Candidate]]:
        base = self.base
        task = base.task
        assert task is not None
        parser = base.parser_name
        offered = base.offered_apis

        def call(function: str, arguments: Mapping[str, Any]) -> Candidate:
            text = format_action(parser, function, arguments)
            return Candidate("call", text, function, arguments)

        def answer(text: str | None) -> Candidate:
            kind = "give_up" if text is None else "answer"
            return Candidate(kind, format_action(parser, FINISH, finish_arguments(text)), FINISH)

        satisfied = base.gold_satisfied
        pending = [i for i in range(len(task.gold)) if i not in satisfied]
        if pending:
            g = task.gold[pending[0]]
            oracle = call(base.function_of(g.tool, g.api), g.arguments)
        else:  # the reference answer is offered only once every gold call has been made
            oracle = answer(task.reference_answer)
        others = [answer(self._wrong_answer(task.reference_answer)), answer(None)]
        gold_functions = {base.function_of(g.tool, g.api) for g in task.gold}
        for i, g in enumerate(task.gold):  # calls whose inputs earlier calls have produced
            if i in satisfied or all(d in satisfied for d in g.depends_on):
                others.append(call(base.function_of(g.tool, g.api), g.arguments))
        if oracle.kind == "call" and oracle.arguments:
            others.append(call(oracle.function, self._perturbed(oracle.arguments)))
        for fn, api in offered.items():
            if fn not in gold_functions:
                others.append(call(fn, self._filled(api)))
        others.append(Candidate("invalid", format_action(parser, "no_such_function_for_you", {})))
        k = 0
        while len(others) < self.max_candidates - 1:
            others.append(Candidate("invalid", f"I am not sure what to do ({k})."))
            k += 1
        unique: list[Candidate] = []
        seen = {oracle.text}
        for c in others:
            if c.text not in seen:
                seen.add(c.text)
                unique.append(c)
        while len(unique) < self.max_candidates - 1:
            unique.append(Candidate("invalid", f"I am not sure what to do ({k})."))
            k += 1
        return oracle, unique[: self.max_candidates - 1]

    def _wrong_answer(self, right: str) -> str:
        """Another task's answer (never one equal to this task's own)."""
        tasks = self.base.tasks
        for _ in range(8):
            other = tasks[int(self._rng.integers(len(tasks)))].reference_answer
            if other != right:
                return other
        return "I could not find the answer."

    def _perturbed(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(arguments)
        key = sorted(out)[int(self._rng.integers(len(out)))]
        value = out[key]
        if isinstance(value, bool):
            out[key] = not value
        elif isinstance(value, int | float):
            out[key] = value + 1 + int(self._rng.integers(9))
        else:
            out[key] = f"{value}{int(self._rng.integers(2, 10))}"
        return out

    def _filled(self, api: ApiSpec) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for p in api.required:
            if p.enum:
                out[p.name] = p.enum[int(self._rng.integers(len(p.enum)))]
            elif p.default not in (None, ""):
                out[p.name] = p.default
            elif p.type in (ParamType.NUMBER, ParamType.INTEGER):
                out[p.name] = 1
            elif p.type is ParamType.BOOLEAN:
                out[p.name] = True
            elif p.type is ParamType.DATE:
                out[p.name] = "2025-01-01"
            else:  # a value nothing in the episode suggests
                out[p.name] = f"{p.name}-{int(self._rng.integers(100, 1000))}"
        return out

    def _features(self, cand: Candidate) -> np.ndarray:
        f = np.zeros(len(CANDIDATE_FEATURES), dtype=np.float32)
        if cand.kind == "invalid":
            f[3] = 1.0
            return f
        if cand.kind == "give_up":
            f[2] = 1.0
            return f
        if cand.kind == "answer":
            f[1] = 1.0
            words = _content_words(cand.text.partition('"final_answer": ')[2], self._query)
            if words:
                f[10] = sum(f" {w} " in self._seen_obs for w in words) / len(words)
            return f
        f[0] = 1.0
        args = cand.arguments or {}
        f[4] = float(_call_key(cand.function, args) in self._ok_calls)
        f[5] = float(cand.function in self._ok_functions)
        values = [normalize_text(str(v)) for v in args.values() if str(v).strip()]
        if values:
            in_query = [v in self._query for v in values]
            in_obs = [v in self._seen_obs for v in values]
            f[6] = sum(in_query) / len(values)
            f[7] = sum(in_obs) / len(values)
            f[8] = sum(not (q or o) for q, o in zip(in_query, in_obs, strict=True)) / len(values)
        api = self.base.offered_apis.get(cand.function)
        if api is not None:
            desc = {w for w in _words(normalize_text(api.description)) if w not in _STOP}
            query = {w for w in _words(self._query) if w not in _STOP}
            if desc:
                f[9] = len(desc & query) / len(desc)
        return f


CANDIDATE_ORDERS = ("sorted", "shuffled")


def canonical_key(row: np.ndarray) -> tuple[float, ...]:
    """The sort key of a candidate's feature row (ascending = earlier slot): its kind
    (call, answer, give-up, invalid), then for calls: not made before, fewest values found
    nowhere, most values found in the observations, then in the query, function not used
    before, most description overlap; for answers: most support in the observations."""
    kind = int(np.argmax(row[:4]))
    return (
        float(kind),
        float(row[4]),  # call_succeeded_before
        float(row[8]),  # args_unseen
        -float(row[7]),  # args_in_observations
        -float(row[6]),  # args_in_query
        float(row[5]),  # function_succeeded_before
        -float(row[9]),  # description_overlap
        -float(row[10]),  # answer_support
    )


def _content_words(answer: str, norm_query: str) -> list[str]:
    """The facts an answer states: its words with a digit or a capital letter (names,
    numbers, ids), normalised, leaving out stop words and words of the query itself."""
    out = []
    for raw in answer.split():
        if any(ch.isdigit() or ch.isupper() for ch in raw):
            for w in _words(normalize_text(raw)):
                if w not in _STOP and f" {w} " not in norm_query:
                    out.append(w)
    return out


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _call_key(function: str, arguments: Mapping[str, Any]) -> str:
    return function + json.dumps(arguments, sort_keys=True, default=str)


def make_discrete_env(
    max_candidates: int = 16, candidate_order: str = "sorted", **kwargs: Any
) -> DiscreteToolEnv:
    """``StepTool/ToolBenchDiscrete-v0``: :class:`DiscreteToolEnv` over a
    :class:`ToolUseEnv` built with ``kwargs`` (``split``, ``reward_mode``, ``backend``...)."""
    return DiscreteToolEnv(ToolUseEnv(**kwargs), max_candidates, candidate_order)
