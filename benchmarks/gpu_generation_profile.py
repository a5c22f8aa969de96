"""Where batched generation spends its time: the forward passes, the log-softmax and the
sampling, timed apart (CUDA synchronised), for 64 prompts of 1,000 tokens and 48 new tokens.

    python benchmarks/gpu_generation_profile.py [cuda|cpu] [qwen2.5-1.5b|tiny] TOKENIZER_DIR

The model is a random-weight one of the given shape (see ``benchmarks/gpu_check.py``); the
call is made twice, the first one paying the device's warm-up.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str]) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    from benchmarks.gpu_check import build_model
    from steptool_env.agents import lm_agent

    device = argv[0] if argv else "cuda"
    shape = argv[1] if len(argv) > 1 else "tiny"
    tokenizer = argv[2] if len(argv) > 2 else ".gpu/tokenizer"
    t0 = time.perf_counter()
    build_model(shape, Path(tokenizer), Path("/tmp/gpu-profile-model"), device)
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    model = AutoModelForCausalLM.from_pretrained("/tmp/gpu-profile-model", dtype=dtype)
    model = model.to(device).eval()
    print("load", round(time.perf_counter() - t0, 1), flush=True)
    spent: dict[str, float] = {}

    def timed(name: str, fn):
        def wrapper(*args, **kwargs):
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            t = time.perf_counter()
            out = fn(*args, **kwargs)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - t
            return out

        return wrapper

    lm_agent._last_logits = timed("forward", lm_agent._last_logits)
    lm_agent.sampling_log_softmax = timed("log_softmax", lm_agent.sampling_log_softmax)
    lm_agent._choose = timed("choose", lm_agent._choose)
    prompts = [list(range(100, 1100))] * 64
    generators = [torch.Generator().manual_seed(i) for i in range(64)]
    for call in range(2):
        spent.clear()
        t = time.perf_counter()
        lm_agent.generate(
            model, prompts, pad_id=0, stop_ids=[-1], max_new_tokens=48, temperature=1.0,
            generators=generators,
        )  # fmt: skip
        total = time.perf_counter() - t
        parts = {k: round(v, 3) for k, v in spent.items()}
        print(call, "total", round(total, 3), parts, "tok/s", round(64 * 48 / total), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
