"""Every training recipe shipped in agents/ is a valid configuration, and the GPU-scale
recipes ask for what their comments promise."""

from __future__ import annotations

from pathlib import Path

import pytest

from steptool_env.training.config import load_train_config
from tests.conftest import REPO

RECIPES = sorted((REPO / "agents").glob("*.toml"))


def test_recipes_are_found() -> None:
    names = {p.name for p in RECIPES}
    assert {"sft-smollm2.toml", "ppo-smollm2.toml", "ppo-qwen-gpu.toml"} <= names


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_recipe_loads(path: Path) -> None:
    cfg = load_train_config(path)
    assert cfg.algo in ("sft", "ppo", "grpo")
    assert cfg.algo in path.name  # the file says what it trains


@pytest.mark.parametrize("name", ["sft-qwen-gpu", "ppo-qwen-gpu", "grpo-qwen-gpu"])
def test_gpu_recipes(name: str) -> None:
    cfg = load_train_config(REPO / "agents" / f"{name}.toml")
    assert (cfg.device, cfg.dtype, cfg.gradient_checkpointing) == ("cuda", "bfloat16", True)
    assert cfg.micro_batch_tokens > 0
    if cfg.algo != "sft":
        assert cfg.model == "runs/sft-qwen-gpu/final" and cfg.lora_r > 0
        assert cfg.episodes_per_update % cfg.group_size == 0
