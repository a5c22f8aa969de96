"""Train a model on a StepTool env with TRL's GRPOTrainer (multi-turn, through rollout_func).

pip install "steptool-env[trl]"
python examples/trl_grpo.py                                   # tiny random model, ~1 min on a CPU
python examples/trl_grpo.py --model smollm2-135m-instruct --steps 1 --batch 2
python examples/trl_grpo.py --model hf:./runs/sft/final --reward outcome --steps 50

Every completion is one whole episode: the model's actions (trained) and the env's answers
(masked out of the loss), scored with the episode's return (--reward steptool, the env's
step rewards summed) or IsSolved (--reward outcome). A random model earns no reward, so its
steps report reward 0 and do not move the weights (GRPO needs a spread within a group);
start from a model that sometimes calls the tools right (SmolLM2, or a `steptool train sft`
checkpoint) to see learning.
"""

from __future__ import annotations

import argparse
import os

from steptool_env.integrations.trl import REWARDS, StepToolRollout


def load(spec: str):
    """``tiny``: a random tiny Llama with the suite's own tokenizer; else a model spec (a
    folder, a model known by name, a hub id; ``hf:`` optional)."""
    if spec == "tiny":
        from steptool_env.training.scratch import init_model, suite_corpus, train_tokenizer

        tokenizer = train_tokenizer(suite_corpus("train", 40), 1024)
        return init_model("tiny", tokenizer, seed=0), tokenizer
    from steptool_env.agents.lm_agent import load_model

    return load_model(spec.removeprefix("hf:"), dtype="float32")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="tiny")
    p.add_argument("--env-id", default="StepTool/ToolBench-v0")
    p.add_argument("--split", default="train")
    p.add_argument("--reward", default="steptool", choices=REWARDS)
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--batch", type=int, default=4, help="completions per step")
    p.add_argument("--num-generations", type=int, default=2, help="completions per episode")
    p.add_argument("--max-steps", type=int, default=4, help="env steps per episode")
    p.add_argument("--max-new-tokens", type=int, default=48, help="tokens per action")
    p.add_argument("--max-completion-length", type=int, default=256, help="tokens per episode")
    p.add_argument("--out", default="runs/trl-grpo")
    args = p.parse_args()
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # rollout_func is experimental
    import torch
    from trl import GRPOConfig, GRPOTrainer

    model, tokenizer = load(args.model)
    tokenizer.padding_side = "left"
    rollout = StepToolRollout(
        args.env_id,
        reward=args.reward,
        max_new_tokens=args.max_new_tokens,
        split=args.split,
        max_steps=args.max_steps,
        prompt_style="compact",
    )
    config = GRPOConfig(
        output_dir=args.out,
        use_cpu=not torch.cuda.is_available(),
        bf16=False,
        per_device_train_batch_size=args.batch,
        num_generations=args.num_generations,
        max_completion_length=args.max_completion_length,
        max_steps=args.steps,
        learning_rate=1e-5,
        logging_steps=1,
        report_to="none",
        save_strategy="no",
        seed=0,
    )
    trainer = GRPOTrainer(
        model=model,
        processing_class=tokenizer,
        args=config,
        reward_funcs=rollout.reward_funcs,
        rollout_func=rollout,
        train_dataset=rollout.dataset(args.steps * args.batch // args.num_generations),
    )
    trainer.train()
    for traj in rollout.last_trajectories:
        print(
            f"{traj.spec.task_id} seed {traj.spec.seed}: {traj.n_steps} steps, "
            f"return {traj.episode_return:.3f}, solved {traj.is_solved}"
        )
    rollout.close()
    trainer.save_model(args.out)
    print(f"saved to {args.out}")


if __name__ == "__main__":
    main()
