"""``ToolUseEnv``: one tool-using episode as a Gymnasium environment.

**Episode.** ``reset`` picks a task of the env's split with its seeded generator, or the task
named by ``options={"task_id": ...}`` (any task of the suite; ``info["split"]`` tells
which). Each ``step(action)`` takes the model's
text, parses one call, executes it on the backend and returns the tool's response. The
episode terminates when the agent calls ``Finish`` and is truncated after ``max_steps``.

**Spaces.** Observations and actions are :class:`gymnasium.spaces.Text` over printable
ASCII (``string.printable``); everything the env emits is escaped to printable ASCII, so it
always lies in the space. With ``observation_mode="last"`` (default) the observation is the
newest text only — the prompt (system + user) after ``reset``, the tool response after a
step — and agents keep the history themselves or read ``env.unwrapped.messages``; with
``"full"`` it is the whole transcript so far. Actions may be any ``str``; one longer than
``max_action_chars`` (outside the action space) is refused unparsed, as a bad input (status
2, error ``too_long``), and shown cut to that length in the transcript.

**Info keys** (every step has all of them):

=================  =====================================================================
``step``           1-based index of this step
``status``         ToolBench status code (int): 0 ok, 1 no such function, 2 bad input,
                   3 final answer, 4 give up, 5-12 API-side failures
``error``          error kind ("" when none): a parse failure kind, ``unknown_function``,
                   ``invalid_arguments``, ``invalid_finish``, ``api_error``
``function``       the called function name ("" when the action did not parse)
``succ_calling``   SuccCalling s_t (0 or 1; 0 on the final step)
``contribution``   Contribution c_t (0.0 or 1.0; 0 on the final step)
``gold_nodes``     gold DAG nodes newly satisfied by this step (tuple of int)
``is_solved``      IsSolved (1, 0.5 or 0) on the final step, else 0.0
``new_call``       True when the call succeeded with a function and arguments that no earlier
                   successful call of the episode had
``distinct_calls`` distinct successful calls of the episode so far (this one included)
``gold_total``     nodes in the task's gold DAG (relevant APIs on StableToolBench)
``final``          True on the step that called Finish
``api_failure``    True when the status is an API-side failure (5-12): not the agent's fault
``fault``          the injected fault of this step ("" when none): ``timeout``,
                   ``rate_limit``, ``server_error`` or ``slow`` (see ``faults=``)
``source``         where the API's answer came from: ``world`` (the suite's simulated
                   APIs), ``cache``, ``mock`` or ``error`` (StableToolBench), ``fault``
                   (an injected failure); "" when no API answered (none ran, or timeout)
``reward_mode``    the reward mode in use
``task_id``        the task of this episode
=================  =====================================================================
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, SupportsFloat

import gymnasium as gym
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode

from steptool_env.envs.parsing import ParsedCall, ParseFailure, ParseResult, get_parser
from steptool_env.envs.prompts import PRINTABLE, PROMPT_STYLES, dumps, system_prompt, to_ascii
from steptool_env.envs.step_result import (
    Effect,
    FinalAnswer,
    PendingStep,
    StepResult,
    ToolCall,
    Turn,
)
from steptool_env.errors import ConfigError, RenderModeError, TaskError, check_int
from steptool_env.rewards import GoldTracker, StepOutcome, gold_index, make_shaper
from steptool_env.sandbox import Backend, FaultConfig, FaultInjector, ToolResult, make_backend
from steptool_env.sandbox.backend import DEFAULT_CALL_TIMEOUT_S
from steptool_env.tools.catalogue import FINISH, FINISH_SCHEMA
from steptool_env.tools.spec import ApiSpec
from steptool_env.tools.status import Status
from steptool_env.tools.validation import InvalidArguments, validate_arguments
from steptool_env.world.checker import check_answer
from steptool_env.world.suite import Task, TaskSuite, load_suite

MAX_OBSERVATION_LENGTH = 65_536
MAX_TRANSCRIPT_LENGTH = 1_048_576
OBSERVATION_MODES = ("last", "full")
_RESET_OPTIONS = ("task_id",)
_TRUNCATED = "...[truncated]"


class ToolUseEnv(gym.Env[str, str]):
    """A tool-use episode with StepTool's step-grained rewards.

    Args:
        split: ``train``, ``val`` or a test subset (``I1-Inst`` ... ``I3-Inst``).
        reward_mode: ``steptool`` (default: step rewards bounded so that solving is the
            optimum), ``paper`` (the paper's formula; farmable online) or ``outcome``; see
            :mod:`steptool_env.rewards.shapers`.
        alpha: weight of SuccCalling against Contribution in ``steptool`` and ``paper``
            modes (>= 0).
        parser: action format: ``react`` (default), ``json`` or ``hermes``.
        max_steps: steps before truncation (12 as in the paper).
        max_observation_chars: tool responses are cut to this many characters.
        max_action_chars: longest action parsed; longer ones are refused as bad input
            (status 2, ``too_long``) and cut to this length in the transcript.
        observation_mode: ``last`` (newest text) or ``full`` (whole transcript).
        prompt_style: how the system prompt lists the functions: ``full`` (OpenAI JSON
            schemas, default) or ``compact`` (one signature line each, about a third of the
            tokens; see ``envs/prompts.py``).
        backend: ``inprocess`` (default), ``http`` (a local server process), ``docker`` (a
            sandbox container) or a :class:`~steptool_env.sandbox.Backend` instance.
        backend_options: settings of a named backend, e.g. ``{"call_timeout_s": 5}``; for
            ``docker`` also the fields of :class:`~steptool_env.sandbox.container.DockerOptions`.
        faults: injected API failures: a :class:`~steptool_env.sandbox.FaultConfig` or a
            mapping of its fields (``{"timeout": 0.05, "rate_limit": 0.05, "seed": 1}``).
        suite: name of the suite content folder (``toolbench``), or any
            :class:`~steptool_env.world.suite.TaskSuite`.
    """

    metadata = {"render_modes": ["ansi"], "autoreset_mode": AutoresetMode.NEXT_STEP}
    """``autoreset_mode``: the mode Gymnasium's vector envs use by default and the one our
    tests cover (``gym.make_vec``, Sync and Async): the step after an episode ends resets
    that sub-env and ignores its action."""
    _wire = False
    """Validate arguments with the rules of real APIs (see ``validate_arguments``)."""
    default_is_solved_rule: str | None = None
    """The IsSolved rule used unless ``is_solved_rule=`` says otherwise, for envs that offer
    a choice (None: the suite's answer checker, no choice)."""

    @classmethod
    def default_suite(cls, **registered: Any) -> TaskSuite:
        """The suite ``cls(**registered)`` loads (what ``load_env_suite`` returns)."""
        return load_suite(str(registered.get("suite", "toolbench")))

    def __init__(
        self,
        split: str = "train",
        reward_mode: str = "steptool",
        alpha: float = 1.0,
        parser: str = "react",
        max_steps: int = 12,
        max_observation_chars: int = 2048,
        max_action_chars: int = 8192,
        observation_mode: str = "last",
        prompt_style: str = "full",
        backend: str | Backend = "inprocess",
        backend_options: Mapping[str, Any] | None = None,
        faults: FaultConfig | Mapping[str, Any] | None = None,
        suite: str | TaskSuite = "toolbench",
        render_mode: str | None = None,
    ) -> None:
        self.suite: TaskSuite = load_suite(suite) if isinstance(suite, str) else suite
        self.tasks: tuple[Task, ...] = self.suite.split(split)
        self.split = split
        self.reward_mode = reward_mode
        self.shaper = make_shaper(reward_mode, alpha)
        self.alpha = self.shaper.alpha
        self.parser_name = parser
        self._parse = get_parser(parser)
        self.max_steps = check_int("max_steps", max_steps)
        self.max_observation_chars = check_int(
            "max_observation_chars", max_observation_chars, minimum=64
        )
        self.max_action_chars = check_int("max_action_chars", max_action_chars, minimum=64)
        if observation_mode not in OBSERVATION_MODES:
            raise ConfigError("observation_mode", observation_mode, choices=OBSERVATION_MODES)
        self.observation_mode = observation_mode
        if prompt_style not in PROMPT_STYLES:
            raise ConfigError("prompt_style", prompt_style, choices=PROMPT_STYLES)
        self.prompt_style = prompt_style
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise RenderModeError(render_mode, choices=self.metadata["render_modes"])
        self.render_mode = render_mode
        fault_config = FaultConfig.coerce(faults)
        self.faults = fault_config if fault_config is not None and fault_config.active else None
        self.backend = make_backend(backend, self.suite, backend_options)
        self._injector = (
            FaultInjector(
                self.faults, getattr(self.backend, "call_timeout_s", DEFAULT_CALL_TIMEOUT_S)
            )
            if self.faults is not None
            else None
        )
        self._episode_key: tuple[int | None, int] = (None, -1)

        limit = MAX_OBSERVATION_LENGTH if observation_mode == "last" else MAX_TRANSCRIPT_LENGTH
        self._obs_limit = limit
        self.observation_space = spaces.Text(limit, min_length=1, charset=PRINTABLE)
        self.action_space = spaces.Text(max_action_chars, min_length=0, charset=PRINTABLE)

        self._prompt_cache: dict[str, tuple[str, dict[str, ApiSpec]]] = {}
        self._gold_cache: dict[str, Any] = {}
        self.task: Task | None = None
        self._messages: list[dict[str, Any]] = []
        self._transcript: list[str] = []
        self._turns: list[Turn] = []
        self._t = 0
        self._done = True
        self._tracker = GoldTracker({})
        self._calls: set[tuple[str, object]] = set()
        self._offered: dict[str, ApiSpec] = {}

    # ------------------------------------------------------------------ public views
    @property
    def messages(self) -> tuple[dict[str, Any], ...]:
        """The conversation so far as OpenAI-format chat messages (built on demand).

        Each parsed action is an assistant message with ``tool_calls`` followed by a ``tool``
        message with the response; an action that did not parse is an assistant message
        followed by a ``user`` message with the error observation.
        """
        return tuple(self._messages) + tuple(
            m for turn in self._turns for m in _turn_messages(turn)
        )

    @property
    def offered_apis(self) -> Mapping[str, ApiSpec]:
        """Function name -> API of every function offered for the current task."""
        return self._offered

    @property
    def gold_satisfied(self) -> frozenset[int]:
        """Indices of the current task's gold calls that earlier steps satisfied."""
        return frozenset(self._tracker.satisfied)

    @property
    def tool_schemas(self) -> list[dict[str, Any]]:
        """OpenAI function schemas offered for the current task (Finish last)."""
        if self.task is None:
            raise TaskError("call reset() first")
        offered = self._prompt(self.task)[1]
        return [api.openai_schema() for api in offered.values()] + [FINISH_SCHEMA]

    def set_split(self, split: str) -> None:
        """Switch to another split of the same suite (takes effect at the next reset)."""
        self.tasks = self.suite.split(split)
        self.split = split

    # ------------------------------------------------------------------ gym API
    # Lazy seeding. ``reset(seed=s)`` in Gymnasium builds ``np_random`` from ``s`` at once
    # (a PCG64 seeded through SeedSequence: ~40 µs, more than a whole step), but the env
    # draws from it only to pick a task when no ``task_id`` is given. So the seed is kept and
    # the generator built from it on first use: the same generator, the same draws, and
    # Gymnasium's own attributes (``_np_random``, ``np_random``, ``np_random_seed``) behave
    # as if it had been built at reset (``check_env`` runs over every registered id).
    _rng: Any = None
    _rng_seed: int | None = None

    @property
    def _np_random(self) -> Any:
        if self._rng is None and self._rng_seed is not None:
            self._rng, _ = seeding.np_random(self._rng_seed)
            self._rng_seed = None
        return self._rng

    @_np_random.setter
    def _np_random(self, value: Any) -> None:
        self._rng, self._rng_seed = value, None

    def reset(
        self, *, seed: int | None = None, options: Mapping[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
                seeding.np_random(seed)  # Gymnasium's own error for a bad seed
            self._rng, self._rng_seed, self._np_random_seed = None, seed, seed
        super().reset()
        task = self._choose_task(options)
        self.task = task
        prompt, self._offered = self._prompt(task)
        self.backend.reset()
        seed_key, count = self._episode_key
        self._episode_key = (seed, 0) if seed is not None else (seed_key, count + 1)
        if self._injector is not None:
            self._injector.start_episode(*self._episode_key, task.task_id)
        idx = self._gold_cache.get(task.task_id)
        if idx is None:
            idx = self._gold_cache[task.task_id] = gold_index(task, self.function_of)
        self._tracker = GoldTracker(idx)
        self._calls = set()
        query = to_ascii(task.query)
        self._messages = [
            {"role": "system", "content": prompt},
            {"role": "user", "content": query},
        ]
        first = f"{prompt}\n\nUser: {query}"
        self._transcript = [first]
        self._turns = []
        self._t = 0
        self._done = False
        info = {
            "task_id": task.task_id,
            "split": task.split,
            "group": task.group,
            "query": query,
            "api_list": task.api_list,
            "reward_mode": self.reward_mode,
        }
        return self._clip_obs(first), info

    def step(self, action: str) -> tuple[str, SupportsFloat, bool, bool, dict[str, Any]]:
        """One step, as a pipeline of overridable stages (each returns a typed record):
        :meth:`_parse_action` → :meth:`_act` (:meth:`_resolve` → :meth:`_validate` → a
        ``ToolCall``, or :meth:`_finish` → a ``FinalAnswer``) → :meth:`_execute` the call or
        :meth:`_judge_answer` → :meth:`_progress` → the shaper → :meth:`_render`; ``info`` is
        built from the :class:`~steptool_env.envs.step_result.StepResult`.

        It is :meth:`_begin_step` (everything decided without the backend) then
        :meth:`_end_step`; :func:`~steptool_env.envs.batch_step.step_together` runs the backend
        work of many envs' steps together in between."""
        return self._end_step(self._begin_step(action))

    def _begin_step(self, action: object) -> PendingStep:
        """The step up to its backend work: parsed, and acted on without the backend."""
        if self._done or self.task is None:
            raise TaskError("the episode is over: call reset() before step()")
        self._t += 1
        parsed = self._parse_action(action)
        return PendingStep(action, parsed, self._act(parsed, self.task))

    def _end_step(
        self, pending: PendingStep, result: ToolResult | None = None
    ) -> tuple[str, SupportsFloat, bool, bool, dict[str, Any]]:
        """The rest of the step: its backend work (for a call, unless ``result``, the call's
        result obtained together with other envs', is given), progress, reward, observation."""
        task = self.task
        assert task is not None
        action, parsed, acted = pending
        if isinstance(acted, ToolCall):
            effect = self._execute(acted, result)
        elif isinstance(acted, FinalAnswer):
            effect = self._judge_answer(acted, task)
        else:
            effect = acted
        nodes, new_call = self._progress(effect)
        truncated = not effect.final and self._t >= self.max_steps
        outcome = StepOutcome(
            effect.status,
            1 if effect.status is Status.OK else 0,
            float(len(nodes)),
            effect.final,
            effect.is_solved,
            truncated,
            new_call,
            len(self._calls),
            len(task.gold),
        )
        reward = self.shaper(outcome)
        stepped = StepResult(
            self._t, effect, nodes, outcome, reward, self._render(effect.body, effect.status)
        )
        self._record(action if isinstance(action, str) else "", parsed, stepped)
        self._done = effect.final or truncated
        obs = (
            stepped.observation
            if self.observation_mode == "last"
            else "\n\n".join(self._transcript)
        )
        info = stepped.info(self.reward_mode, task.task_id)
        return self._clip_obs(obs), reward, effect.final, truncated, info

    def render(self) -> str | None:
        if self.render_mode == "ansi":
            return "\n\n".join(self._transcript)
        return None

    def close(self) -> None:
        self.backend.close()
        super().close()

    # ------------------------------------------------------------------ internals
    def function_of(self, tool: str, api: str) -> str:
        """The function name under which API ``(tool, api)`` is offered (current task)."""
        return self.suite.function_of(self.task, tool, api)

    def _parse_action(self, action: object) -> ParseResult:
        """The parsed call, or why there is none. An action longer than ``max_action_chars``
        (outside the action space) is refused before any parsing, in constant time."""
        if not isinstance(action, str):
            return ParseFailure(
                "not_text", f"the action must be a string, got {type(action).__name__}"
            )
        if len(action) > self.max_action_chars:
            return ParseFailure(
                "too_long",
                f"the action has {len(action):,} characters; at most "
                f"{self.max_action_chars:,} are allowed",
            )
        return self._parse(action)

    def _act(self, parsed: ParseResult, task: Task) -> Effect | ToolCall | FinalAnswer:
        """Resolve and validate a parsed call (drawing its injected fault, if any), or check a
        ``Finish``; what needs the backend is left to :meth:`_end_step`."""
        if isinstance(parsed, ParseFailure):
            body = {"error": f"Could not parse the action: {parsed.message}.", "response": ""}
            return Effect(Status.BAD_INPUT, body, parsed.kind)
        if parsed.function == FINISH:
            return self._finish(parsed.arguments)
        api = self._resolve(parsed.function)
        if isinstance(api, Effect):
            return api
        args = self._validate(api, parsed)
        if isinstance(args, Effect):
            return args
        fault = self._injector.draw() if self._injector is not None else None
        return ToolCall(api, parsed, args, fault)

    def _resolve(self, function: str) -> ApiSpec | Effect:
        """The offered API named ``function``, or status 1."""
        api = self._offered.get(function)
        if api is not None:
            return api
        body = {
            "error": f"No such function: {function}. Call one of the functions listed in "
            "the system prompt.",
            "response": "",
        }
        return Effect(Status.NO_SUCH_FUNCTION, body, "unknown_function", to_ascii(function[:128]))

    def _validate(self, api: ApiSpec, parsed: ParsedCall) -> dict[str, Any] | Effect:
        """The call's arguments checked against the API's schema, or status 2."""
        try:
            return validate_arguments(api, parsed.arguments, wire=self._wire)
        except InvalidArguments as exc:
            body = {"error": f"Invalid arguments for {parsed.function}: {exc}", "response": ""}
            return Effect(Status.BAD_INPUT, body, "invalid_arguments", parsed.function)

    def _execute(self, call: ToolCall, result: ToolResult | None = None) -> Effect:
        """Run the call on the backend, unless ``result`` (its result, run together with other
        envs' calls) is given; an injected failure answers in its place."""
        fault, api, args = call.fault, call.api, call.arguments
        if result is None:
            if fault is None:
                result = self.backend.call(api.tool_name, api.api_name, args)
            elif fault.delay_s:
                result = self.backend.call(api.tool_name, api.api_name, args, delay_s=fault.delay_s)
            else:
                result = ToolResult(fault.status, None, fault.message, source="fault")
        kind = fault.kind if fault is not None else ""
        function = call.parsed.function
        if result.ok:
            body = {"error": "", "response": result.response}
            return Effect(result.status, body, "", function, args, kind, result.source)
        body = {"error": result.error, "response": ""}
        return Effect(result.status, body, "api_error", function, args, kind, result.source)

    def _progress(self, effect: Effect) -> tuple[tuple[int, ...], bool]:
        """The gold nodes a successful call newly satisfies, and whether it is a new call."""
        if effect.status is not Status.OK or effect.arguments is None:
            return (), False
        nodes = self._tracker.observe(effect.function, effect.arguments)
        key = (effect.function, _call_key(effect.arguments))
        new_call = key not in self._calls
        self._calls.add(key)
        return nodes, new_call

    def _choose_task(self, options: Mapping[str, Any] | None) -> Task:
        if options:
            unknown = set(options) - set(_RESET_OPTIONS)
            if unknown:
                raise ConfigError(
                    "options", sorted(unknown), "unknown reset option", choices=_RESET_OPTIONS
                )
            if "task_id" in options:
                # Any task of the suite may be chosen by id; info["split"] tells which split.
                return self.suite.task(str(options["task_id"]))
        return self.tasks[int(self.np_random.integers(len(self.tasks)))]

    def _offered_apis(self, task: Task) -> dict[str, ApiSpec]:
        """Function name -> API of every function offered for ``task`` (prompt order)."""
        return self.suite.offered(task)

    def _prompt(self, task: Task) -> tuple[str, dict[str, ApiSpec]]:
        cached = self._prompt_cache.get(task.task_id)
        if cached is None:
            offered = self._offered_apis(task)
            schemas = [a.openai_schema() for a in offered.values()] + [FINISH_SCHEMA]
            cached = self._prompt_cache[task.task_id] = (
                system_prompt(self.parser_name, schemas, self.prompt_style),
                offered,
            )
        return cached

    def _finish(self, args: Mapping[str, Any]) -> Effect | FinalAnswer:
        """A give-up or a malformed ``Finish`` as its effect; an answer, to be judged."""
        rtype = args.get("return_type")
        if rtype == "give_up_and_restart":
            body = {"error": "", "response": "You gave up."}
            return Effect(Status.GIVE_UP, body, "", FINISH, final=True)
        if rtype != "give_answer":
            body = {
                "error": 'Finish needs return_type "give_answer" or "give_up_and_restart".',
                "response": "",
            }
            return Effect(Status.BAD_INPUT, body, "invalid_finish", FINISH)
        answer = args.get("final_answer", "")
        if not isinstance(answer, str):
            body = {"error": "Finish needs final_answer as a string.", "response": ""}
            return Effect(Status.BAD_INPUT, body, "invalid_finish", FINISH)
        return FinalAnswer(answer)

    def _judge_answer(self, answer: FinalAnswer, task: Task) -> Effect:
        """The effect of a final answer, with its IsSolved from :meth:`_judge`."""
        body = {"error": "", "response": "Final answer received."}
        solved = self._judge(task, answer.text)
        return Effect(Status.FINAL_ANSWER, body, "", FINISH, final=True, is_solved=solved)

    def _judge(self, task: Task, answer: str) -> float:
        """IsSolved of a final answer: the deterministic checker on the task's facts."""
        return check_answer(task.facts, answer, self.backend.records()).is_solved

    def _render(self, body: Mapping[str, Any], status: Status) -> str:
        text = (
            dumps(body)
            if status is Status.OK
            else to_ascii(json.dumps(body, ensure_ascii=True, separators=(", ", ": ")))
        )
        if len(text) > self.max_observation_chars:
            text = text[: self.max_observation_chars - len(_TRUNCATED)] + _TRUNCATED
        return text

    def _record(self, text: str, parsed: ParseResult, result: StepResult) -> None:
        shown = text if len(text) <= self.max_action_chars else text[: self.max_action_chars]
        function = "" if isinstance(parsed, ParseFailure) else parsed.function
        turn = Turn(shown, parsed, function, result.observation, f"call_{result.step}")
        self._turns.append(turn)
        if self.observation_mode == "full" or self.render_mode == "ansi":
            self._transcript.append(
                f"Assistant: {to_ascii(shown)}\n\nObservation: {result.observation}"
            )

    def _clip_obs(self, text: str) -> str:
        limit = self._obs_limit
        if len(text) > limit:
            return text[: limit - len(_TRUNCATED)] + _TRUNCATED
        return text


_PLAIN = (str, int, bool, type(None))


def _call_key(arguments: Mapping[str, Any]) -> object:
    """A hashable key that two calls' arguments share exactly when their sorted JSON texts
    are equal (what "the same call" means). Flat arguments of plain values, the common case,
    get a tuple of ``(name, type, value)`` (a float by its ``repr``, as JSON writes it),
    several times cheaper than the JSON text, which the rest get."""
    items = []
    for name, value in arguments.items():
        kind = type(value)
        if kind in _PLAIN:
            items.append((name, kind, value))
        elif kind is float:
            items.append((name, kind, repr(value)))
        else:
            return json.dumps(arguments, sort_keys=True, default=str)
    items.sort(key=_name)  # by name only: types do not order
    return tuple(items)


def _name(item: tuple[str, type, object]) -> str:
    return item[0]


def _turn_messages(turn: Turn) -> list[dict[str, Any]]:
    shown, parsed, function, obs, call_id = turn
    if isinstance(parsed, ParseFailure):
        return [
            {"role": "assistant", "content": shown},
            {"role": "user", "content": f"Observation: {obs}"},
        ]
    arguments = json.dumps(parsed.arguments, ensure_ascii=False, default=str)
    return [
        {
            "role": "assistant",
            "content": shown,
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": function, "arguments": arguments},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "name": function, "content": obs},
    ]
