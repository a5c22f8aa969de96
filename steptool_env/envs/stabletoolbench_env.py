"""``StableToolBenchEnv``: the real StableToolBench queries as a Gymnasium environment.

Same episode, spaces, parsers, reward modes and info keys as
:class:`~steptool_env.envs.tool_use_env.ToolUseEnv`; what differs is where tasks and answers
come from:

- **Tasks**: the queries of StableToolBench's files (``queries=``: a folder or files; by
  default ``$STEPTOOL_STABLETOOLBENCH_DIR``, else the folder ``steptool data fetch
  stabletoolbench`` fills). Each file is one split named by its test subset (``I1-Inst``,
  ``I1-Cat``, ``I1-Tool``, ``I2-Inst``, ``I2-Cat``, ``I3-Inst``); a task id is
  ``{subset}/{query_id}``. The prompt offers the query's ``api_list`` as function schemas.
- **Responses**, in order: the StableToolBench response cache (``cache=``), the deterministic
  mock (``mock=True``), else status 11 (unavailable). ``info["source"]`` says which.
- **Arguments** follow the rules of real APIs (``validate_arguments(wire=True)``): numbers
  may come as numeric strings, documented defaults are always accepted.
- **Rewards**: SuccCalling as usual; Contribution 1 for the first successful call of each
  relevant API; IsSolved by the rule ``is_solved_rule`` names (see
  :mod:`~steptool_env.stabletoolbench.judge`): ``grounded`` (default; the final answer must
  quote salient values of the relevant APIs' responses: all relevant APIs called and quoted
  -> 1, some -> 0.5) or ``lenient`` (the earlier rule: an answer and the relevant APIs
  called, nothing checked of the answer), or by ``judge=`` (e.g. a
  :class:`~steptool_env.stabletoolbench.judge.ChatJudge`), which replaces either rule. The
  grounded rule reads the raw response of each successful call (before it is cut to
  ``max_observation_chars``); :attr:`StableToolBenchEnv.call_responses` shows them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from steptool_env.envs.step_result import Effect, ToolCall
from steptool_env.envs.tool_use_env import ToolUseEnv
from steptool_env.errors import ConfigError
from steptool_env.sandbox import ToolResult
from steptool_env.stabletoolbench.judge import (
    DEFAULT_IS_SOLVED_RULE,
    IS_SOLVED_RULES,
    Call,
    Judge,
    grounded_is_solved,
    lenient_is_solved,
)
from steptool_env.stabletoolbench.suite import StbSuite
from steptool_env.tools.status import Status
from steptool_env.world.suite import Task

DATA_ENV_VAR = "STEPTOOL_STABLETOOLBENCH_DIR"


def default_queries() -> Path:
    """``$STEPTOOL_STABLETOOLBENCH_DIR``, else the folder ``steptool data fetch`` fills."""
    given = os.environ.get(DATA_ENV_VAR)
    if given:
        return Path(given)
    from steptool_env.stabletoolbench.fetch import stabletoolbench_dir

    return stabletoolbench_dir()


def default_suite(
    cache: str | Path | None = None, mock: bool = True, mock_seed: int = 0
) -> StbSuite:
    """The suite of :func:`default_queries`, or a :class:`ConfigError` saying how to get it."""
    queries = default_queries()
    if not queries.exists():
        raise ConfigError(
            "queries",
            str(queries),
            "no StableToolBench query files there: run `steptool data fetch "
            f"stabletoolbench`, set {DATA_ENV_VAR}, or pass queries=",
        )
    return StbSuite(queries, cache=cache, mock=mock, mock_seed=mock_seed)


class StableToolBenchEnv(ToolUseEnv):
    """StableToolBench's solvable queries with StepTool's step-grained rewards.

    Args:
        queries: query files or a folder of them (default: :func:`default_queries`).
        split: the test subset to draw tasks from (default: the first one found).
        cache: a StableToolBench ``tool_response_cache`` folder, replayed first.
        mock: answer calls the cache lacks with the deterministic mock (else status 11).
        mock_seed: seed of the mock's values.
        is_solved_rule: ``grounded`` (default) or ``lenient``: the rule that scores IsSolved
            (see :mod:`~steptool_env.stabletoolbench.judge`).
        judge: ``judge(query, answer, called) -> IsSolved`` in place of the rule.
        **kwargs: every other argument of :class:`ToolUseEnv` (``reward_mode``, ``parser``,
            ``max_steps``, ``backend`` (``inprocess`` or ``http``), ``faults``...).
    """

    _wire = True
    default_is_solved_rule = DEFAULT_IS_SOLVED_RULE

    @classmethod
    def default_suite(cls, **registered: Any) -> StbSuite:
        return default_suite()

    def __init__(
        self,
        queries: str | Path | Sequence[str | Path] | None = None,
        split: str | None = None,
        cache: str | Path | None = None,
        mock: bool = True,
        mock_seed: int = 0,
        is_solved_rule: str = DEFAULT_IS_SOLVED_RULE,
        judge: Judge | None = None,
        **kwargs: Any,
    ) -> None:
        if "suite" in kwargs:
            raise ConfigError("suite", kwargs["suite"], "give queries= instead")
        if is_solved_rule not in IS_SOLVED_RULES:
            raise ConfigError("is_solved_rule", is_solved_rule, choices=IS_SOLVED_RULES)
        if judge is not None and not callable(judge):
            raise ConfigError("judge", judge, "must be callable (query, answer, called)")
        suite = (
            default_suite(cache, mock, mock_seed)
            if queries is None
            else StbSuite(queries, cache=cache, mock=mock, mock_seed=mock_seed)
        )
        super().__init__(split=split or next(iter(suite.splits)), suite=suite, **kwargs)
        self.judge = judge
        self.is_solved_rule = is_solved_rule
        self._responses: list[tuple[str, dict[str, Any], Any]] = []

    @property
    def call_responses(self) -> tuple[tuple[str, dict[str, Any], Any], ...]:
        """``(function, arguments, raw response)`` of each successful call of this episode,
        in order (what the grounded rule reads; privileged: the oracle answers from it)."""
        return tuple(self._responses)

    def reset(
        self, *, seed: int | None = None, options: Mapping[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        self._responses = []
        return super().reset(seed=seed, options=options)

    def _execute(self, call: ToolCall, result: ToolResult | None = None) -> Effect:
        effect = super()._execute(call, result)
        if effect.status is Status.OK:  # keep a success's raw response for the grounded rule
            parsed = call.parsed
            self._responses.append(
                (parsed.function, dict(parsed.arguments), effect.body.get("response"))
            )
        return effect

    def _judge(self, task: Task, answer: str) -> float:
        satisfied = sorted(self._tracker.satisfied)
        if self.judge is not None:
            called = [self.function_of(*task.relevant_apis[i]) for i in satisfied]
            return float(self.judge(task.query, answer, called))
        if self.is_solved_rule == "lenient":
            return lenient_is_solved(answer, len(satisfied), len(task.gold))
        relevant: list[list[Call]] = []
        for i, (tool, api) in enumerate(task.relevant_apis):
            function = self.function_of(tool, api)
            calls: list[Call] = [c for c in self._responses if c[0] == function]
            relevant.append(calls if i in self._tracker.satisfied else [])
        return grounded_is_solved(answer, task.query, relevant)
