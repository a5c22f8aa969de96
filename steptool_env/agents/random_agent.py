"""The random agent: a uniformly random offered function with random, type-correct
arguments (or Finish with a random answer). A floor for every leaderboard."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from steptool_env.agents.base import TurnView
from steptool_env.envs.prompts import finish_arguments, format_action
from steptool_env.seeding import StableRng, derive_seed
from steptool_env.tools.catalogue import FINISH


def random_value(rng: StableRng, schema: dict[str, Any], words: Sequence[str]) -> Any:
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema.get("type", "string")
    if kind == "integer":
        return rng.randint(0, 20)
    if kind == "number":
        return round(rng.uniform(0, 1000), 1)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "array":
        return [rng.choice(words)] if words else []
    if kind == "object":
        return {}
    if "date" in schema.get("description", ""):
        return f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return rng.choice(words) if words else "x"


class RandomAgent:
    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def config(self) -> dict[str, Any]:
        return {"agent": self.name, "seed": self.seed}

    def act(self, views: Sequence[TurnView]) -> list[str]:
        return [self._act(v) for v in views]

    def _act(self, view: TurnView) -> str:
        rng = StableRng(derive_seed(self.seed, view.episode_seed, view.step))
        tools = view.tools
        words = [w.strip("?.,!:;'\"()") for w in view.query.split()]
        words = [w for w in words if w]
        schema = rng.choice(tools)
        if schema["name"] == FINISH:
            answer = " ".join(rng.choice(words) for _ in range(3)) if words else ""
            return format_action(view.parser, FINISH, finish_arguments(answer))
        props = schema["parameters"]["properties"]
        args = {
            k: random_value(rng, props[k], words) for k in schema["parameters"].get("required", [])
        }
        return format_action(view.parser, schema["name"], args)
