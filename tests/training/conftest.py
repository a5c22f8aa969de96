from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A from-scratch tiny model and tokenizer trained on the suite's text (random init)."""
    from steptool_env.training.scratch import build_scratch_model

    return build_scratch_model(tmp_path_factory.mktemp("tiny"), "tiny", corpus_episodes=40)


@pytest.fixture(scope="session")
def trajectory_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Recorded episodes with mixed outcomes: oracle (solved) and heuristic/random (mostly
    not), so offline PPO sees non-zero advantages."""
    from steptool_env.agents import make_agent
    from steptool_env.envs.tool_use_env import ToolUseEnv
    from steptool_env.rollout.loop import collect
    from steptool_env.rollout.records import EpisodeSpec
    from steptool_env.training.replay import write_trajectories

    path = tmp_path_factory.mktemp("traj") / "episodes.jsonl"
    env = ToolUseEnv(max_steps=4)
    tasks = env.tasks[:4]
    for k, kind in enumerate(("oracle", "random")):
        specs = [EpisodeSpec(t.task_id, 10 * k + i) for i, t in enumerate(tasks)]
        write_trajectories(path, collect([env], make_agent(kind, seed=1), specs))
    env.close()
    return path
