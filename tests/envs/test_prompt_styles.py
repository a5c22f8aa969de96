"""prompt_style="compact": one signature line per function, about half the characters of the
JSON schemas, the same information an agent needs (names, types, enums, defaults, required
or optional), on every env id and through the bench and trainer configs."""

from __future__ import annotations

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

from steptool_env.agents import make_agent
from steptool_env.bench import BenchConfig
from steptool_env.envs.prompts import compact_signature, system_prompt
from steptool_env.errors import ConfigError
from steptool_env.rollout import EpisodeSpec, collect

SCHEMA = {
    "name": "search_for_shop",
    "description": "Find products.",
    "parameters": {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "Words."},
            "sort": {"type": "string", "enum": ["price", "rating"], "default": "price"},
            "page": {"type": "integer", "default": 1},
            "when": {"type": "string", "description": "Day (date, YYYY-MM-DD)"},
        },
        "required": ["query", "when"],
    },
}


def test_compact_signature() -> None:
    assert compact_signature(SCHEMA) == (
        'search_for_shop(query: string, sort?: "price"|"rating" = "price", '
        "page?: integer = 1, when: date YYYY-MM-DD): Find products."
    )


def test_unknown_style_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="prompt_style"):
        system_prompt("react", [SCHEMA], "tiny")
    with pytest.raises(ConfigError, match="prompt_style"):
        gym.make("StepTool/ToolBench-v0", prompt_style="tiny")
    with pytest.raises(ConfigError, match="prompt_style"):
        BenchConfig(out="x", prompt_style="tiny")


def test_compact_prompts_are_shorter_and_keep_every_function() -> None:
    full = gym.make("StepTool/ToolBench-v0", split="I1-Inst")
    compact = gym.make("StepTool/ToolBench-v0", split="I1-Inst", prompt_style="compact")
    check_env(compact.unwrapped, skip_render_check=True)
    for seed in range(10):
        a, _ = full.reset(seed=seed)
        b, _ = compact.reset(seed=seed)
        assert len(b) < 0.6 * len(a)
        for fn in full.unwrapped.offered_apis:
            assert f"\n{fn}(" in b
        assert "Finish(return_type: " in b


def test_the_oracle_solves_every_task_with_compact_prompts() -> None:
    envs = [gym.make("StepTool/ToolBench-v0", split="I2-Inst", prompt_style="compact")]
    specs = [EpisodeSpec(t.task_id, k) for k, t in enumerate(envs[0].unwrapped.tasks[:20])]
    trajs = collect(envs, make_agent("oracle"), specs)
    assert all(t.is_solved == 1.0 for t in trajs)
