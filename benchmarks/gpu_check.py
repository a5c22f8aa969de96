"""The full-scale PPO recipe (agents/ppo-qwen-gpu.toml) on a GPU, for its mechanics and cost.

    python benchmarks/gpu_check.py --tokenizer DIR --out DIR [--shape qwen2.5-1.5b] [--set K=V]

The lent GPU machines reach no model hub, and the real pretrained model we carry
(SmolLM2-135M, a 98 MB GGUF file) does not fit what travels to them; so this builds a model
of Qwen2.5-1.5B-Instruct's shape (28 layers, hidden 1536, GQA 12/2 heads, MLP 8960; the
vocabulary is the tokenizer's) with random weights, and runs the recipe on it unchanged
(LoRA r 64, bf16, activation checkpointing, 64 envs, 256 new tokens a step, 4096-token
contexts), except for the number of updates. A random model writes no valid call, so every
episode runs to its step budget with full-length replies: the rollouts are the recipe's
worst case in tokens, and the numbers say nothing about learning. It reports, per update,
the rollout and update times and tokens/s (from the run's metrics.jsonl), and the peak GPU
memory, into ``--out``/gpu_check.json.

``--tokenizer``: a folder with tokenizer.json, tokenizer_config.json and
chat_template.jinja, e.g. those of the converted SmolLM2 (under ``~/.cache/steptool-env/
models/``; for the lent machine's older transformers, ``tokenizer_class`` was set to
``PreTrainedTokenizerFast`` in the copy that travelled). ``--shape tiny --device cpu`` runs
the same path in a minute on a CPU. Results of 2026-12-04: benchmarks/results/gpu-check/.
"""

from __future__ import annotations

import argparse
import json
import platform
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHAPES = {
    # Qwen2.5-1.5B-Instruct's config.json, less its vocabulary (the tokenizer's is used)
    "qwen2.5-1.5b": dict(
        hidden_size=1536,
        intermediate_size=8960,
        num_hidden_layers=28,
        num_attention_heads=12,
        num_key_value_heads=2,
        max_position_embeddings=32768,
        rope_theta=1_000_000.0,
        rms_norm_eps=1e-6,
        tie_word_embeddings=True,
    ),
    "tiny": dict(
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=8192,
        tie_word_embeddings=True,
    ),
}


def build_model(shape: str, tokenizer_dir: Path, out: Path, device: str) -> int:
    """A random-weight Qwen2 model of ``shape`` with the tokenizer, saved to ``out``."""
    import torch
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **SHAPES[shape],
    )
    torch.manual_seed(0)
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    with torch.device(device):
        model = Qwen2ForCausalLM(config).to(dtype)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return sum(p.numel() for p in model.parameters())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tokenizer", required=True, type=Path, help="a tokenizer folder")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--shape", default="qwen2.5-1.5b", choices=SHAPES)
    p.add_argument("--device", default="cuda")
    p.add_argument("--config", default=str(ROOT / "agents" / "ppo-qwen-gpu.toml"))
    p.add_argument("--updates", type=int, default=2)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = p.parse_args(argv)

    import torch
    import transformers

    from steptool_env.cli import main as steptool

    args.out.mkdir(parents=True, exist_ok=True)
    model_dir, run_dir = args.out / "model", args.out / "run"
    t0 = time.perf_counter()
    params = build_model(args.shape, args.tokenizer, model_dir, args.device)
    build_s = time.perf_counter() - t0
    cuda = args.device.startswith("cuda")
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    overrides = [
        f"model={model_dir}",
        f"out={run_dir}",
        f"updates={args.updates}",
        f"device={args.device}",
        "eval_episodes=0",
        "checkpoint_every=0",
        *args.set,
    ]
    argv_train = ["train", "ppo", "--config", args.config]
    for item in overrides:
        argv_train += ["--set", item]
    started = time.perf_counter()

    def report(rc: int | None) -> None:
        """Write what was measured so far (also when ``timeout`` stops the run)."""
        metrics_file = run_dir / "metrics.jsonl"
        rows = [json.loads(line) for line in metrics_file.open()] if metrics_file.exists() else []
        keep = (
            "update", "rollout_s", "update_s", "tokens_generated", "tokens_per_s",
            "action_tokens", "train_tokens_per_s", "sequences", "steps_per_episode",
            "truncated_share", "skipped_steps", "kl", "entropy", "mean_return", "pass_rate",
        )  # fmt: skip
        summary = {
            "rc": rc,
            "shape": args.shape,
            "parameters": params,
            "device": torch.cuda.get_device_name() if cuda else platform.processor() or "cpu",
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "python": platform.python_version(),
            "config": str(Path(args.config).relative_to(ROOT)),
            "overrides": overrides,
            "build_model_s": round(build_s, 1),
            "train_s": round(time.perf_counter() - started, 1),
            "peak_gpu_memory_gib": (
                round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None
            ),
            "updates": [{k: row[k] for k in keep if k in row} for row in rows],
        }
        (args.out / "gpu_check.json").write_text(json.dumps(summary, indent=1) + "\n")
        print(json.dumps(summary, indent=1), flush=True)

    def stopped(signum: int, frame: object) -> None:
        report(None)
        raise SystemExit(124)

    signal.signal(signal.SIGTERM, stopped)
    rc = steptool(argv_train)
    report(rc)
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
