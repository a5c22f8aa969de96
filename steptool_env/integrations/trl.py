"""TRL's ``GRPOTrainer`` on any text StepTool env (extra ``trl``: ``trl>=1.16,<2``).

**Route.** TRL 1.16 has three multi-turn hooks on ``GRPOTrainer``: ``tools`` (functions),
``environment_factory`` (an env class whose public methods become tools) and ``rollout_func``
(a function that generates and returns the token ids itself, with an ``env_mask`` that keeps
environment tokens out of the loss). The first two give the tool schemas to the model's chat
template and read its calls back with TRL's response parser, so they need a template that
renders and parses tool calls (SmolLM2's and the from-scratch models' do not), and they
expose one fixed set of typed methods per env class, while a StepTool episode offers the
functions of its own task and parses the model's text itself (ReAct, JSON or Hermes). This
module uses ``rollout_func``, which has none of these limits: every episode is played by
the rollout loop (:func:`~steptool_env.rollout.loop.run_episodes`) on envs built with
``gym.make``, with the trainer's own model, so the env reads exactly what the model wrote and
the trainer trains on exactly the tokens that were sampled (never re-tokenised).

**One episode, one completion.** The prompt is the env's opening conversation (system
prompt, query) rendered with the chat template, as the ``hf`` agent renders it. The
completion is every turn that follows, in order: the model's action tokens as sampled
(``env_mask`` 1), then the tokens of the env's answer (the tool's response or the parse
error, framed by the chat template: the end of the assistant turn, the ``tool`` or ``user``
message, the next assistant header; ``env_mask`` 0), and so on until the episode ends. Each
turn is generated from the prompt and the completion so far, token for token, so the loss
sees the very contexts the model acted in. The completion stops growing at
``GRPOConfig.max_completion_length``: an episode whose next env answer would not fit ends
there, as a truncation. Sampling follows ``GRPOConfig.temperature`` and ``top_p``; each
completion draws from a random stream of its own, a function of ``seed``, the trainer's step,
the call and the completion's place in the batch, so the completions of one group differ.
TRL's other sampling settings (``top_k``, ``min_p``, ``repetition_penalty``,
``generation_kwargs``) are not applied, and ``use_vllm`` is refused: generation runs on the
trainer's model in process.

**Rewards.** ``reward="steptool"`` (default) scores an episode with its return, the sum of the
env's step rewards (the env's ``reward_mode``, StepTool's step-grained rewards unless set
otherwise); ``reward="outcome"`` with IsSolved (1, 0.5 or 0; 0 for an episode that did not
finish). GRPO in TRL 1.16 has one advantage per completion, so step rewards count through
their sum: it has no per-step (per-token) advantage. An episode cut short by an
infrastructure failure is scored ``None`` (TRL leaves it out of its group's baseline).

**Episodes.** The dataset's ``prompt`` names an episode (:func:`episode_prompt`: a task id and
an env seed, as JSON); :meth:`StepToolRollout.dataset` makes one. ``GRPOTrainer`` repeats each
prompt ``num_generations`` times, so a group plays one task with one env seed: the same seed
and the same actions give the same trajectory as the in-process env (``env.reset(seed=seed,
options={"task_id": task_id})``, then ``env.step`` with each action).

    from trl import GRPOConfig, GRPOTrainer
    from steptool_env.integrations.trl import StepToolRollout

    rollout = StepToolRollout("StepTool/ToolBench-v0", reward="steptool", split="I1-Inst")
    trainer = GRPOTrainer(model=model, processing_class=tokenizer, args=GRPOConfig(...),
                          reward_funcs=rollout.reward_funcs, rollout_func=rollout,
                          train_dataset=rollout.dataset(64))
    trainer.train()
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

import steptool_env  # noqa: F401 - registers the StepTool/* ids
from steptool_env.agents.base import Reply, TurnView
from steptool_env.agents.lm_agent import (
    LMSample,
    Prompter,
    generate,
    sampling_generator,
    stop_token_ids,
)
from steptool_env.envs.registration import TEXT_ENV_IDS
from steptool_env.errors import ConfigError, check_int, require
from steptool_env.rollout.loop import run_episodes
from steptool_env.rollout.records import EpisodeSpec, Trajectory

EXTRA = "trl"

require("trl", EXTRA)

REWARDS = ("steptool", "outcome")
"""What a completion is scored with: the episode's return, or IsSolved."""
RETURN_FIELD = "steptool_return"
SOLVED_FIELD = "steptool_is_solved"
_CUT = "steptool-trl: no room left in max_completion_length"
"""How the rollout ends an episode whose next env answer would not fit (a truncation)."""
_MARK = "Qz7StepToolMark"


def steptool_reward(completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
    """TRL reward function: each episode's return (the sum of its env step rewards)."""
    return list(kwargs[RETURN_FIELD])


def outcome_reward(completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
    """TRL reward function: each episode's IsSolved (1, 0.5 or 0)."""
    return list(kwargs[SOLVED_FIELD])


def reward_funcs(reward: str = "steptool") -> list[Any]:
    """The ``reward_funcs`` of ``GRPOTrainer`` for ``reward`` (one of :data:`REWARDS`)."""
    if reward not in REWARDS:
        raise ConfigError("reward", reward, choices=REWARDS)
    return [steptool_reward if reward == "steptool" else outcome_reward]


def episode_prompt(task_id: str, seed: int) -> str:
    """The dataset ``prompt`` naming one episode (JSON: task id and env seed)."""
    return json.dumps({"task_id": task_id, "seed": seed}, sort_keys=True)


def parse_episode_prompt(prompt: Any) -> EpisodeSpec:
    """The episode a dataset ``prompt`` names (see :func:`episode_prompt`)."""
    try:
        data = json.loads(prompt) if isinstance(prompt, str) else None
        if not isinstance(data, dict) or set(data) != {"task_id", "seed"}:
            raise ValueError
        return EpisodeSpec(str(data["task_id"]), check_int("seed", data["seed"], 0))
    except (TypeError, ValueError, ConfigError):
        raise ConfigError(
            "prompt",
            prompt,
            'a StepTool episode is named by JSON {"task_id": ..., "seed": ...} '
            "(episode_prompt(), or StepToolRollout.dataset())",
        ) from None


@dataclass
class EpisodeTokens:
    """The token record of one episode: what :class:`StepToolRollout` hands to TRL."""

    prompt_ids: list[int] = field(default_factory=list)
    completion_ids: list[int] = field(default_factory=list)
    env_mask: list[int] = field(default_factory=list)
    """1 on the model's own tokens, 0 on the env's answers (kept out of the loss)."""
    logprobs: list[float] = field(default_factory=list)
    """Sampling log-probabilities of the model's tokens; 0.0 on the env's tokens."""
    stop: str = ""
    """The text of the stop token that ended the last action ("" when it was cut)."""
    prefix: Any = None
    """Keys and values of the context and action of the last turn (reused next turn)."""

    def add(self, ids: Sequence[int], mine: bool, logprobs: Sequence[float] = ()) -> None:
        self.completion_ids.extend(int(t) for t in ids)
        self.env_mask.extend([int(mine)] * len(ids))
        self.logprobs.extend([float(x) for x in logprobs] if mine else [0.0] * len(ids))

    @property
    def context(self) -> list[int]:
        return self.prompt_ids + self.completion_ids


class _Recorder:
    """The trainer's model as an agent that keeps one token record per env slot.

    The first turn renders the env's conversation like the ``hf`` agent; each later turn
    appends the env's answer as tokens (:meth:`bridge`) to the tokens already generated, so
    the context is always the record itself."""

    name = "trl-grpo"

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        budget: int,
        max_new_tokens: int,
        temperature: float,
        top_p: float,
        stream: int,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.prompter = Prompter(tokenizer, 1 << 30, native_tools=False)
        self.stop_ids = stop_token_ids(tokenizer, model)
        self._stops = frozenset(self.stop_ids)
        pad = tokenizer.pad_token_id
        self.pad_id = int(pad) if pad is not None else self.stop_ids[0]
        self.budget = budget
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.stream = stream
        self.records: dict[int, EpisodeTokens] = {}
        self.cut: set[int] = set()
        self._close = _turn_close(tokenizer)

    def config(self) -> dict[str, Any]:
        return {"agent": self.name, "temperature": self.temperature, "top_p": self.top_p}

    def render(self, messages: Sequence[dict[str, Any]], generation_prompt: bool) -> str:
        return self.tokenizer.apply_chat_template(
            list(messages), add_generation_prompt=generation_prompt, tokenize=False
        )

    def bridge(self, view: TurnView, stop: str) -> list[int]:
        """Tokens of the env's answer to the last action: the rest of the assistant turn
        (what the template writes after its content, less the stop token the model wrote),
        the env's messages and the next assistant header."""
        messages = [dict(m) for m in view.messages]
        last = max(i for i, m in enumerate(messages) if m["role"] == "assistant")
        before = self.render(messages[: last + 1], False)
        full = self.render(messages, True)
        if not full.startswith(before):
            raise ConfigError(
                "tokenizer",
                getattr(self.tokenizer, "name_or_path", "?"),
                "its chat template does not render a conversation as the start of the "
                "conversation continued, which the TRL rollout needs",
            )
        rest = self._close
        if stop and rest.startswith(stop):
            rest = rest[len(stop) :]
        text = rest + full[len(before) :]
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def act(self, views: Sequence[TurnView]) -> list[Reply]:
        replies: dict[int, Reply] = {}
        live: list[tuple[TurnView, EpisodeTokens]] = []
        for v in views:
            if v.step == 0:
                rec = self.records[v.index] = EpisodeTokens(prompt_ids=self.prompter.ids(v))
            else:
                rec = self.records[v.index]
                ids = self.bridge(v, rec.stop)
                if len(rec.completion_ids) + len(ids) >= self.budget:
                    self.cut.add(v.index)
                    replies[v.index] = Reply(infra_error=_CUT)
                    continue
                rec.add(ids, mine=False)
            live.append((v, rec))
        if live:
            room = [self.budget - len(rec.completion_ids) for _, rec in live]
            samples, after = generate(
                self.model,
                [rec.context for _, rec in live],
                pad_id=self.pad_id,
                stop_ids=self.stop_ids,
                max_new_tokens=min(self.max_new_tokens, max(room)),
                temperature=self.temperature,
                top_p=self.top_p,
                generators=[sampling_generator(self.stream, v.index, v.step) for v, _ in live],
                prefixes=[rec.prefix for _, rec in live],
                keep=[True] * len(live),
            )
            for (v, rec), s, pre, n in zip(live, samples, after, room):
                s = _cut_sample(s, min(n, self.max_new_tokens))
                rec.add(s.action_ids.tolist(), mine=True, logprobs=s.logprobs.tolist())
                last = int(s.action_ids[-1]) if len(s.action_ids) else None
                rec.stop = self.tokenizer.decode([last]) if s.stopped and last is not None else ""
                rec.prefix = pre
                replies[v.index] = Reply(
                    text=self.decode(s.action_ids),
                    tokens_in=len(s.context_ids),
                    tokens_out=len(s.action_ids),
                    sample=s,
                )
        return [replies[v.index] for v in views]

    def decode(self, ids: Iterable[int]) -> str:
        keep = [int(t) for t in ids if int(t) not in self._stops]
        return self.tokenizer.decode(keep, skip_special_tokens=True)


def _cut_sample(sample: LMSample, n: int) -> LMSample:
    """``sample`` with at most ``n`` action tokens (a longer one no longer ends stopped)."""
    if len(sample.action_ids) <= n:
        return sample
    return LMSample(sample.context_ids, sample.action_ids[:n], sample.logprobs[:n], False)


def _turn_close(tokenizer: Any) -> str:
    """What the chat template writes after an assistant message's content."""
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": "u"}, {"role": "assistant", "content": _MARK}],
        add_generation_prompt=False,
        tokenize=False,
    )
    return text[text.rindex(_MARK) + len(_MARK) :]


def _stream_seed(*parts: object) -> int:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


class StepToolRollout:
    """A ``rollout_func`` for ``GRPOTrainer`` that plays StepTool episodes (module docs).

    Args:
        env_id: a text StepTool env id (``StepTool/ToolBench-v0``, ``StepTool/StableToolBench-v0``).
        reward: ``"steptool"`` (the episode's return) or ``"outcome"`` (IsSolved); picks
            :attr:`reward_funcs`.
        max_new_tokens: tokens per action at most (default: ``max_completion_length``).
        seed: base of the sampling streams.
        **env_kwargs: passed to ``gym.make`` (``split``, ``max_steps``, ``parser``, ...).
    """

    def __init__(
        self,
        env_id: str = "StepTool/ToolBench-v0",
        *,
        reward: str = "steptool",
        max_new_tokens: int | None = None,
        seed: int = 0,
        **env_kwargs: Any,
    ) -> None:
        if env_id not in TEXT_ENV_IDS:
            raise ConfigError("env_id", env_id, "the TRL rollout needs a text env", TEXT_ENV_IDS)
        self.env_id = env_id
        self.reward = reward
        self.reward_funcs = reward_funcs(reward)
        """What to pass to ``GRPOTrainer(reward_funcs=...)``."""
        self.max_new_tokens = (
            None if max_new_tokens is None else check_int("max_new_tokens", max_new_tokens)
        )
        self.seed = seed
        self.env_kwargs = dict(env_kwargs)
        self._envs: list[Any] = []
        self._calls = 0
        self.last_trajectories: list[Trajectory] = []
        """The episodes of the latest call, in the order of its prompts."""

    def _env_pool(self, n: int) -> list[Any]:
        while len(self._envs) < n:
            self._envs.append(gym.make(self.env_id, **self.env_kwargs))
        return self._envs[:n]

    def dataset(self, episodes: int, seed: int = 0) -> Any:
        """A ``datasets.Dataset`` of ``episodes`` episodes: env seeds ``seed``, ``seed + 1``,
        ..., each with the task the env draws for that seed (columns ``prompt``, ``task_id``,
        ``seed``)."""
        datasets = require("datasets", EXTRA)
        check_int("episodes", episodes)
        env = self._env_pool(1)[0]
        rows = []
        for s in range(seed, seed + episodes):
            _, info = env.reset(seed=s)
            task_id = info["task_id"]
            rows.append({"prompt": episode_prompt(task_id, s), "task_id": task_id, "seed": s})
        return datasets.Dataset.from_list(rows)

    def __call__(self, prompts: Sequence[Any], trainer: Any) -> dict[str, list[Any]]:
        """Play one episode per prompt with ``trainer``'s model; TRL's rollout output."""
        specs = [  # ``sample`` is the place in the batch: one env each, so env slot k
            EpisodeSpec(spec.task_id, spec.seed, k)
            for k, spec in enumerate(parse_episode_prompt(p) for p in prompts)
        ]
        args = trainer.args
        if getattr(args, "use_vllm", False):
            raise ConfigError(
                "use_vllm", True, "StepToolRollout generates with the trainer's own model"
            )
        budget = check_int("max_completion_length", args.max_completion_length)
        model = trainer.accelerator.unwrap_model(trainer.model)
        self._calls += 1
        agent = _Recorder(
            model,
            trainer.processing_class,
            budget=budget,
            max_new_tokens=self.max_new_tokens or budget,
            temperature=float(args.temperature),
            top_p=float(args.top_p),
            stream=_stream_seed(
                self.seed, trainer.state.global_step, self._calls, trainer.accelerator.process_index
            ),
        )
        was_training = model.training
        model.eval()
        try:
            trajs = {
                t.spec.sample: t for t in run_episodes(self._env_pool(len(specs)), agent, specs)
            }
        finally:
            model.train(was_training)
        out: dict[str, list[Any]] = {
            k: []
            for k in (
                "prompt_ids",
                "completion_ids",
                "logprobs",
                "env_mask",
                RETURN_FIELD,
                SOLVED_FIELD,
                "steptool_task_id",
                "steptool_steps",
            )
        }
        failed = [t for t in trajs.values() if t.infra_error and t.spec.sample not in agent.cut]
        if failed and len(failed) == len(specs):
            raise RuntimeError(
                f"no episode of the batch could be played; the first failure: "
                f"{failed[0].infra_error}\n{failed[0].infra_traceback}"
            )
        self.last_trajectories = []
        for k, spec in enumerate(specs):
            traj = trajs[k]
            if k in agent.cut and traj.infra_error == _CUT:
                traj.infra_error, traj.truncated = "", True
            self.last_trajectories.append(traj)
            rec = agent.records.get(k)
            if rec is None or not rec.completion_ids:  # the reset failed: nothing generated
                rec = EpisodeTokens(prompt_ids=[agent.pad_id], completion_ids=[agent.pad_id])
                rec.env_mask, rec.logprobs = [0], [0.0]
            scored = not traj.infra_error
            out["prompt_ids"].append(rec.prompt_ids)
            out["completion_ids"].append(rec.completion_ids)
            out["logprobs"].append(rec.logprobs)
            out["env_mask"].append(rec.env_mask)
            out[RETURN_FIELD].append(traj.episode_return if scored else None)
            out[SOLVED_FIELD].append(traj.is_solved if scored else None)
            out["steptool_task_id"].append(spec.task_id)
            out["steptool_steps"].append(traj.n_steps)
        return out

    def close(self) -> None:
        """Close the envs this rollout built."""
        for env in self._envs:
            env.close()
        self._envs = []


__all__ = [
    "REWARDS",
    "EpisodeTokens",
    "StepToolRollout",
    "episode_prompt",
    "outcome_reward",
    "parse_episode_prompt",
    "reward_funcs",
    "steptool_reward",
]
