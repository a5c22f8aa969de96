"""verifiers (prime-rl's environments) over any text StepTool env (extra ``verifiers``).

verifiers 0.4 builds an environment from a **taskset** (the rows to play and the rewards),
a **harness** (the program the model acts in, whose every model call goes through a
per-rollout interception endpoint that records the trace) and an **env** (the control flow
of an episode). This module is all three, for ``vf-eval`` and prime-rl alike:

- :class:`StepToolTaskset`: the episodes ``steptool bench`` plans, in its order: env id ×
  subsets × seeds × tasks × samples, each with bench's env seed
  (:func:`~steptool_env.bench.runner.episode_seed`), so an eval's per-task scores are
  bench's for the same settings (``env_id``, ``subsets``, ``seeds``, ``samples``,
  ``max_steps``, ``parser``, ``prompt_style``, ``backend``, ``limit``: bench's fields and
  defaults). Each task's data names its episode (``task_id``, ``episode_seed``) and the
  env (``env_id``, ``env_kwargs``);
- :class:`StepToolTask`: the rubric, from StepTool's reward components. Rewards
  ``steptool_return`` (the episode's return, the sum of the env's step rewards; weight 1),
  ``is_solved`` (IsSolved: 1, 0.5 or 0), ``succ_calling_rate`` (mean SuccCalling over the
  calls) and ``recall`` (share of the task's relevant APIs called), the last three with
  weight 0; metrics ``n_steps``, ``gave_up`` and ``truncated``. Weights are verifiers' own
  settings (``--env.taskset.task.rewards.is_solved.weight 1``); ``reward="outcome"`` in
  :func:`load_environment` scores with IsSolved instead of the return;
- :class:`StepToolHarness`: plays the episode in process, with the ``openai`` agent pointed at
  the rollout's interception endpoint, on an env built by ``gym.make`` and stepped by the
  rollout loop (:func:`~steptool_env.rollout.loop.run_episodes`), exactly as ``steptool
  bench`` plays a served model (with the env's own prompts). The agent's settings are the
  harness's (``mode``: ``tools``, native function calls, or ``text``, the env's action
  format; ``max_tokens``, ``temperature``, ``seed``, ...). The model's output is data: the
  env parses it; nothing evaluates it. What the env answered (an error observation for an
  unparseable or invalid action included) is the next message the model reads. An episode
  cut short by an infrastructure failure fails the rollout (an error on the trace: the
  failed model call's, else a ``HarnessError``), never a score;
- :class:`StepToolEnv`: one agent per episode (verifiers' single-agent control flow), run in
  the local subprocess runtime (the harness executes no model-written code).

The episode's summary is kept in ``trace.info["steptool"]`` (return, IsSolved, step
rewards, statuses, the trajectory digest of ``steptool bench``), so the same seed and the
same model outputs give the same trajectory as the in-process env, checkable trace by trace.

Two limits. In ``tools`` mode the env re-renders each call (its own call ids, its argument
JSON) in the conversation the model reads next, so verifiers stores each turn as a new
branch of the trace (``text`` mode stays one branch). The agent's per-request ``seed``
derives from the episode seed and the step, as in bench, so the rollouts of one task
(``-r n``, a training group) sample alike on a server that honours seeds: set the harness's
``seed`` to None (``--env.agent.harness.seed None``) for groups.

    vf-eval steptool-verifiers -m my-model \\
        --client.base-url http://127.0.0.1:8000/v1 --env.taskset.subsets '["I1-Inst"]' \\
        --env.taskset.seeds '[0]' -n 10 --no-push

    from steptool_env.integrations.verifiers_env import load_environment
    env = load_environment("StepTool/ToolBench-v0", subsets=["I1-Inst"], seeds=[0], limit=10)
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import gymnasium as gym

import steptool_env  # noqa: F401 - registers the StepTool/* ids
from steptool_env.agents.openai_agent import OpenAIAgent, OpenAIAgentConfig
from steptool_env.bench.config import AgentSpec, BenchConfig
from steptool_env.bench.runner import episode_seed
from steptool_env.envs.registration import TEXT_ENV_IDS, load_env_suite
from steptool_env.errors import ConfigError, require
from steptool_env.integrations.episode import json_safe
from steptool_env.rollout import EpisodeSpec, Trajectory, run_episodes

EXTRA = "verifiers"

require("verifiers", EXTRA)

import verifiers.v1 as vf  # noqa: E402
from pydantic import Field  # noqa: E402

TASKSET_ID = "steptool_verifiers"
"""The id verifiers loads these classes by (``vf-eval steptool-verifiers``,
``--env.taskset.id``): the top-level package that re-exports them (verifiers imports a plugin
by a top-level name)."""
INFO_KEY = "steptool"
"""Where each trace keeps its episode's summary (``trace.info[INFO_KEY]``)."""
REWARDS = ("steptool", "outcome")
"""What a rollout is scored with by default: the episode's return, or IsSolved."""
_AGENTS = (AgentSpec("oracle", "oracle"),)
"""A placeholder: bench validates the episode settings, and needs an agent for that."""
_BENCH = BenchConfig(out=Path("."), agents=_AGENTS)
_KEY_VAR = "STEPTOOL_VERIFIERS_SECRET_"
"""Prefix of the variable that hands a rollout's endpoint secret to its agent."""


# --------------------------------------------------------------------------- taskset
class StepToolData(vf.TaskData):
    """One episode: which env, which task, which env seed."""

    env_id: str
    env_kwargs: dict[str, Any]
    """What ``gym.make(env_id, ...)`` gets (split, parser, max_steps, prompt_style, backend)."""
    task_id: str
    subset: str
    bench_seed: int
    """The bench seed (``seeds``) the episode seed derives from."""
    sample: int
    episode_seed: int
    """The env seed: ``env.reset(seed=episode_seed, options={"task_id": task_id})``."""


def _signal(field: str, doc: str, weight: float | None = None, name: str = "") -> Any:
    """A task method reading ``field`` of the episode's summary: a verifiers reward with
    ``weight``, or a metric (no weight); verifiers names it ``name`` (default ``field``)."""

    async def signal(self: Any, trace: vf.Trace) -> float:
        return float(summary(trace)[field])

    signal.__name__ = signal.__qualname__ = name or field
    signal.__doc__ = doc
    return vf.metric(signal) if weight is None else vf.reward(signal, weight=weight)


class StepToolTask(vf.Task[StepToolData]):
    """The rubric: StepTool's reward components, read from the episode's summary."""

    @property
    def key(self) -> str:
        d = self.data
        return f"{d.env_id}/{d.subset}/{d.task_id}/{d.bench_seed}/{d.sample}"

    steptool_return = _signal(
        "return",
        "The episode's return: the sum of the env's step rewards (its ``reward_mode``).",
        weight=1.0,
        name="steptool_return",
    )
    is_solved = _signal("is_solved", "IsSolved: 1, 0.5 or 0 (0 on give-up, or no Finish).", 0.0)
    succ_calling_rate = _signal(
        "succ_calling_rate", "Mean SuccCalling over the episode's calls (0 without calls).", 0.0
    )
    recall = _signal("recall", "Share of the task's relevant APIs called successfully.", 0.0)
    n_steps = _signal("n_steps", "Steps of the episode.")
    gave_up = _signal("gave_up", "1 when the episode ended in a give-up.")
    truncated = _signal("truncated", "1 when the step budget ran out.")


class StepToolTasksetConfig(vf.TasksetConfig):
    """Which episodes: ``steptool bench``'s fields, with its defaults."""

    env_id: str = "StepTool/ToolBench-v0"
    subsets: list[str] = Field(default_factory=lambda: list(_BENCH.subsets))
    """Subsets (or any split); ``["test"]`` is the six test subsets."""
    seeds: list[int] = Field(default_factory=lambda: list(_BENCH.seeds))
    samples: int = _BENCH.samples
    """Episodes per task and seed, each with its own env seed."""
    max_steps: int = _BENCH.max_steps
    parser: str = _BENCH.parser
    prompt_style: str = _BENCH.prompt_style
    backend: str = _BENCH.backend
    limit: int | None = _BENCH.limit
    """Only the first N tasks of each subset."""


class StepToolTaskset(vf.Taskset[StepToolTask, StepToolTasksetConfig]):
    """The episodes ``steptool bench`` plans for one env id, in bench's order."""

    def __init__(self, config: StepToolTasksetConfig) -> None:
        super().__init__(config)
        self.bench = bench_config(config)
        """The same settings as ``steptool bench`` reads them (validated there)."""

    def load(self) -> list[StepToolTask]:
        cfg, bench = self.config, self.bench
        suite = load_env_suite(cfg.env_id)
        subsets = [s for s in bench.subsets if s in suite.splits]
        if not subsets:
            raise ConfigError(
                "subsets", cfg.subsets, f"{cfg.env_id} has none of them", choices=suite.splits
            )
        env_kwargs = {
            "split": subsets[0],
            "parser": bench.parser,
            "max_steps": bench.max_steps,
            "backend": bench.backend,
            "prompt_style": bench.prompt_style,
        }
        tasks = []
        for subset in subsets:
            rows = suite.split(subset)
            for seed in bench.seeds:
                for t in rows[: bench.limit] if bench.limit else rows:
                    for k in range(bench.samples):
                        data = StepToolData(
                            id=t.task_id,
                            prompt=t.query,
                            env_id=cfg.env_id,
                            env_kwargs=env_kwargs,
                            task_id=t.task_id,
                            subset=subset,
                            bench_seed=seed,
                            sample=k,
                            episode_seed=episode_seed(seed, t.task_id, k),
                        )
                        tasks.append(StepToolTask(data, cfg.task))
        return tasks


def bench_config(cfg: StepToolTasksetConfig) -> BenchConfig:
    """The ``steptool bench`` settings ``cfg`` stands for (bench validates them)."""
    if cfg.env_id not in TEXT_ENV_IDS:
        raise ConfigError("env_id", cfg.env_id, "verifiers needs a text env", TEXT_ENV_IDS)
    subsets: Any = cfg.subsets[0] if list(cfg.subsets) in (["test"], ["all"]) else cfg.subsets
    return BenchConfig(
        out=Path("."),
        agents=_AGENTS,
        env_ids=(cfg.env_id,),
        subsets=subsets,
        seeds=tuple(cfg.seeds),
        samples=cfg.samples,
        max_steps=cfg.max_steps,
        parser=cfg.parser,
        prompt_style=cfg.prompt_style,
        backend=cfg.backend,
        limit=cfg.limit,
    )


# --------------------------------------------------------------------------- harness
def _agent_default(name: str) -> Any:
    return OpenAIAgentConfig.__dataclass_fields__[name].default


class StepToolHarnessConfig(vf.HarnessConfig):
    """The ``openai`` agent that plays each episode (its settings and defaults; ``model``,
    ``base_url`` and the key come from the rollout). The eval's sampling settings, where
    set (``--sampling.temperature``), replace the agent's in each request."""

    mode: str = _agent_default("mode")
    """``tools`` (native function calling) or ``text`` (the env's action format)."""
    max_tokens: int = _agent_default("max_tokens")
    temperature: float = _agent_default("temperature")
    seed: int | None = _agent_default("seed")
    """Base of each request's ``seed`` (derived from the episode seed and the step, as in
    bench); None sends none (rollouts of one task then sample independently)."""
    timeout_s: float = _agent_default("timeout_s")
    max_retries: int = _agent_default("max_retries")


AGENT_FIELDS = ("mode", "max_tokens", "temperature", "seed", "timeout_s", "max_retries")
"""The ``openai`` agent's settings a :class:`StepToolHarnessConfig` carries."""


class StepToolHarness(vf.Harness[StepToolHarnessConfig]):
    """Plays one StepTool episode in process (see the module doc)."""

    APPENDS_SYSTEM_PROMPT = True
    EXECUTES_CODE = False
    NEEDS_CONTAINER = False

    def __init__(self, config: StepToolHarnessConfig) -> None:
        super().__init__(config)
        agent_options("model", "http://127.0.0.1/v1", config)  # validated before any rollout

    async def launch(
        self,
        ctx: vf.ModelContext,
        trace: vf.Trace,
        runtime: vf.Runtime,
        endpoint: str,
        secret: str,
        mcp_urls: dict[str, str],
        data: vf.TaskData,
    ) -> vf.ProgramResult:
        if not isinstance(data, StepToolData):
            data = StepToolData.model_validate(data.model_dump())
        agent = _agent(agent_options(ctx.model, endpoint, self.config), secret)
        env = gym.make(data.env_id, **data.env_kwargs)
        spec = EpisodeSpec(data.task_id, data.episode_seed, data.sample)
        try:
            traj = await asyncio.to_thread(_play, env, agent, spec)
        finally:
            agent.close()
            env.close()
        trace.info[INFO_KEY] = episode_summary(traj)
        if traj.infra_error:
            detail = "\n".join(x for x in (traj.infra_error, traj.infra_traceback) if x)
            return vf.ProgramResult(exit_code=1, stdout="", stderr=detail)
        return vf.ProgramResult(exit_code=0, stdout="", stderr="")


def agent_options(model: str, base_url: str, config: StepToolHarnessConfig) -> dict[str, Any]:
    """The ``openai`` agent's settings for one rollout (validated)."""
    options = {name: getattr(config, name) for name in AGENT_FIELDS}
    options.update(model=model, base_url=base_url)
    OpenAIAgentConfig(**options)
    return options


def _agent(options: Mapping[str, Any], secret: str) -> OpenAIAgent:
    """The agent, holding the rollout's endpoint secret (the agent reads its key from a
    variable, which lives only while the agent is made)."""
    var = _KEY_VAR + uuid.uuid4().hex
    os.environ[var] = secret
    try:
        return OpenAIAgent(**options, api_key_env=var)
    finally:
        del os.environ[var]


def _play(env: Any, agent: OpenAIAgent, spec: EpisodeSpec) -> Trajectory:
    (traj,) = run_episodes([env], agent, [spec])
    return traj


def episode_summary(traj: Trajectory) -> dict[str, Any]:
    """What a trace keeps of its episode (JSON-safe): the scores ``steptool bench`` records
    and each step's reward and status."""
    return json_safe(
        {
            "task_id": traj.spec.task_id,
            "episode_seed": traj.spec.seed,
            "return": traj.episode_return,
            "is_solved": traj.is_solved,
            "gave_up": traj.gave_up,
            "terminated": traj.terminated,
            "truncated": traj.truncated,
            "n_steps": traj.n_steps,
            "succ_calling_rate": traj.succ_calling_rate,
            "recall": traj.recall,
            "step_rewards": [s.reward for s in traj.steps],
            "statuses": [s.status for s in traj.steps],
            "trajectory_digest": traj.digest(),
            "infra_error": traj.infra_error,
        }
    )


def summary(trace: vf.Trace) -> dict[str, Any]:
    """The episode summary the harness left on ``trace``."""
    found = trace.info.get(INFO_KEY)
    if not isinstance(found, dict):
        raise vf.TaskError("the trace has no StepTool episode summary (the harness did not run)")
    return found


# --------------------------------------------------------------------------- env
class StepToolEnvConfig(vf.EnvConfig):
    """One agent seat, this module's harness in the local subprocess runtime by default."""

    # Built unvalidated: validating would import the plugin package, which is this module
    # being imported (verifiers validates it whenever the config is parsed).
    agent: vf.AgentConfig = vf.AgentConfig.model_construct(
        harness=StepToolHarnessConfig(id=TASKSET_ID), runtime=vf.SubprocessConfig()
    )


class StepToolEnv(vf.Env[StepToolEnvConfig]):
    """One agent plays each episode."""

    async def run(self, task: vf.Task, agents: vf.Agents) -> None:
        await agents.agent.run(task)


def load_environment(
    env_id: str = "StepTool/ToolBench-v0",
    *,
    split: str | None = None,
    reward: str = "steptool",
    mode: str = "tools",
    agent: Mapping[str, Any] | None = None,
    **taskset: Any,
) -> StepToolEnv:
    """A verifiers env over ``env_id``'s episodes (see the module doc).

    Args:
        env_id: a text StepTool env id.
        split: shorthand for ``subsets=[split]``.
        reward: ``"steptool"`` (the return, weight 1) or ``"outcome"`` (IsSolved, weight 1).
        mode: the ``openai`` agent's mode (``tools`` or ``text``).
        agent: its other settings (``max_tokens``, ``temperature``, ``seed``, ``timeout_s``,
            ``max_retries``).
        **taskset: fields of :class:`StepToolTasksetConfig` (``subsets``, ``seeds``,
            ``samples``, ``max_steps``, ``parser``, ``prompt_style``, ``backend``, ``limit``).
    """
    if reward not in REWARDS:
        raise ConfigError("reward", reward, choices=REWARDS)
    if split is not None:
        if "subsets" in taskset:
            raise ConfigError("split", split, "give split or subsets, not both")
        taskset["subsets"] = [split]
    unknown = sorted(set(taskset) - set(StepToolTasksetConfig.model_fields) - {"id", "task"})
    if unknown:
        raise ConfigError(unknown[0], taskset[unknown[0]], "unknown taskset field")
    settings = dict(agent or {})
    for name in settings:
        if name not in AGENT_FIELDS or name == "mode":
            raise ConfigError(f"agent.{name}", settings[name], "unknown", AGENT_FIELDS[1:])
    weights = {"steptool_return": 1.0, "is_solved": 0.0}
    if reward == "outcome":
        weights = {"steptool_return": 0.0, "is_solved": 1.0}
    task = vf.TaskConfig(rewards={k: {"weight": w} for k, w in weights.items()})
    config = StepToolEnvConfig(
        taskset=StepToolTasksetConfig(id=TASKSET_ID, env_id=env_id, task=task, **taskset),
        agent=vf.AgentConfig(
            harness=StepToolHarnessConfig(id=TASKSET_ID, mode=mode, **settings),
            runtime=vf.SubprocessConfig(),
        ),
    )
    env = vf.load_environment(config)
    assert isinstance(env, StepToolEnv)
    return env


__all__ = [
    "StepToolEnv",
    "StepToolHarness",
    "StepToolTaskset",
    "load_environment",
]
