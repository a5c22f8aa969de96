"""The paper's ablation with stable-baselines3: step-grained vs outcome-only rewards.

SB3 PPO with its default ``MlpPolicy`` (no project code in the policy) trains on
``StepTool/ToolBenchDiscrete-v0`` (train split) under each arm, with the same seeds and the
same budget, and is evaluated greedily on the six held-out test subsets every
``--eval-every`` steps; a uniformly random policy is evaluated on the same tasks. Arms:

- ``steptool``: the env's defaults (the bounded StepTool reward, α = 1; sorted candidates);
- ``paper``: the paper's ``(α·SuccCalling + Contribution)/(1+α)``, α = 1 (farmable online);
- ``contribution``: the paper's formula with α = 0 (only Contribution between steps);
- ``outcome``: only IsSolved, at the last step;
- ``steptool-shuffled``: the defaults with the candidates in random order (the view of
  earlier versions), to show what the canonical order does for a plain MLP;
- ``scorer-shuffled`` (not run by default): random order with the project's shared
  per-candidate scorer (``candidate_policy_kwargs``) instead of the plain MLP.

    python benchmarks/sb3_ablation.py --out runs/sb3-ablation          # ~50 min on 2 cores
    python benchmarks/sb3_ablation.py --steps 20000 --seeds 0 --out /tmp/quick

Writes ``curves.jsonl`` (one row per evaluation), ``results.md`` (final pass rates, mean ±
std over seeds) and ``curves.png`` (mean pass rate over the test subsets against steps).
A rerun with the same ``--out`` keeps the (arm, seed) runs ``curves.jsonl`` already holds
in full and runs only the others (``--fresh`` starts over).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import steptool_env  # noqa: F401 -- registers the ids
from steptool_env.world.suite import TEST_SUBSETS

ARMS: dict[str, dict[str, Any]] = {
    "steptool": {"env": {}},
    "paper": {"env": {"reward_mode": "paper", "alpha": 1.0}},
    "contribution": {"env": {"reward_mode": "paper", "alpha": 0.0}},
    "outcome": {"env": {"reward_mode": "outcome"}},
    "steptool-shuffled": {"env": {"candidate_order": "shuffled"}},
    "scorer-shuffled": {"env": {"candidate_order": "shuffled"}, "scorer": True},
}
"""Arm name → env keyword arguments (and whether the policy uses the candidate scorer)."""
DEFAULT_ARMS = ("steptool", "paper", "contribution", "outcome", "steptool-shuffled")
ENV_ID = "StepTool/ToolBenchDiscrete-v0"


def evaluate(
    policy: Any, episodes: int, seed: int = 10_000, env_kwargs: dict[str, Any] | None = None
) -> dict[str, float]:
    """Greedy pass rate on the first ``episodes`` tasks of every test subset
    (``policy(obs) -> action``; fixed reset seeds, so every arm sees the same tasks)."""
    out = {}
    for subset in TEST_SUBSETS:
        env = gym.make(ENV_ID, split=subset, **(env_kwargs or {}))
        tasks = env.unwrapped.tasks[:episodes]
        solved = []
        for k, task in enumerate(tasks):
            obs, _ = env.reset(seed=seed + k, options={"task_id": task.task_id})
            done = False
            while not done:
                obs, _, terminated, truncated, info = env.step(policy(obs))
                done = terminated or truncated
            solved.append(info["is_solved"])
        env.close()
        out[subset] = float(np.mean(solved))
    out["average"] = float(np.mean([out[s] for s in TEST_SUBSETS]))
    return out


def train_arm(arm: str, seed: int, args: argparse.Namespace, log: Any) -> dict[str, float]:
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env

    from steptool_env.wrappers.sb3 import candidate_policy_kwargs

    torch.set_num_threads(1)
    venv = make_vec_env(ENV_ID, n_envs=args.envs, seed=seed, env_kwargs=ARMS[arm]["env"])
    model = PPO(
        "MlpPolicy",
        venv,
        seed=seed,
        n_steps=256,
        batch_size=256,
        ent_coef=0.01,
        learning_rate=3e-4,
        policy_kwargs=candidate_policy_kwargs() if ARMS[arm].get("scorer") else None,
        device="cpu",
    )

    def greedy(obs: np.ndarray) -> int:
        return int(model.predict(obs, deterministic=True)[0])

    env_kwargs = ARMS[arm]["env"]

    # Weights are snapshotted during training and evaluated afterwards, so the timed
    # training loop holds training only.
    snapshots: list[tuple[int, dict[str, Any]]] = []

    def snapshot(steps: int) -> None:
        state = {k: v.detach().clone() for k, v in model.policy.state_dict().items()}
        snapshots.append((steps, state))

    class Snapshot(BaseCallback):
        def _on_step(self) -> bool:
            if self.num_timesteps % args.eval_every < args.envs:
                snapshot(self.num_timesteps)
            return True

    snapshot(0)
    t0 = time.perf_counter()
    model.learn(args.steps, callback=Snapshot())
    print(f"  {arm} seed {seed}: {time.perf_counter() - t0:.0f} s", flush=True)
    if snapshots[-1][0] != model.num_timesteps:
        snapshot(model.num_timesteps)
    last: dict[str, float] = {}
    for steps, state in snapshots:
        model.policy.load_state_dict(state)
        last = evaluate(greedy, args.eval_episodes, env_kwargs=env_kwargs)
        log.write(json.dumps({"arm": arm, "seed": seed, "steps": steps, **last}) + "\n")
        log.flush()
        print(f"  {arm:12s} seed {seed} {steps:>7d} steps  pass {last['average']:.3f}", flush=True)
    venv.close()
    return last


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("runs/sb3-ablation"))
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--arms", default=",".join(DEFAULT_ARMS))
    p.add_argument("--envs", type=int, default=8)
    p.add_argument("--eval-every", type=int, default=20_000)
    p.add_argument("--eval-episodes", type=int, default=30)
    p.add_argument("--fresh", action="store_true", help="ignore what --out already holds")
    args = p.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    arms = [a for a in args.arms.split(",") if a]
    unknown = set(arms) - set(ARMS)
    if unknown:
        p.error(f"unknown arms {sorted(unknown)} (valid: {', '.join(ARMS)})")
    args.out.mkdir(parents=True, exist_ok=True)
    curves = args.out / "curves.jsonl"
    kept = [] if args.fresh or not curves.exists() else _complete_runs(curves, args.steps)
    random_rows = [r for r in kept if r["arm"] == "random"]
    if random_rows:
        random_pass = {k: v for k, v in random_rows[0].items() if k not in ("arm", "seed")}
        random_pass.pop("steps", None)
    else:
        rng = np.random.default_rng(0)
        random_pass = evaluate(lambda obs: int(rng.integers(16)), args.eval_episodes)
        kept.insert(0, {"arm": "random", "seed": 0, "steps": 0, **random_pass})
    finals: dict[str, list[dict[str, float]]] = {a: [] for a in arms}
    with open(curves, "w", encoding="utf-8") as log:
        for row in kept:
            log.write(json.dumps(row) + "\n")
        log.flush()
        for seed in seeds:
            for arm in arms:
                done = [r for r in kept if r["arm"] == arm and r["seed"] == seed]
                if done:
                    print(f"  {arm} seed {seed}: kept from {curves}", flush=True)
                    finals[arm].append(max(done, key=lambda r: r["steps"]))
                else:
                    finals[arm].append(train_arm(arm, seed, args, log))
    write_results(args, finals, random_pass)
    plot(args.out)
    print((args.out / "results.md").read_text(encoding="utf-8"))
    return 0


def _complete_runs(curves: Path, steps: int) -> list[dict[str, Any]]:
    """The rows of ``curves`` that belong to finished runs (the random row, and every
    (arm, seed) whose evaluations reach ``steps``): what a rerun keeps."""
    rows = [json.loads(line) for line in curves.read_text(encoding="utf-8").splitlines() if line]
    finished = {(r["arm"], r["seed"]) for r in rows if r["arm"] != "random" and r["steps"] >= steps}
    return [r for r in rows if r["arm"] == "random" or (r["arm"], r["seed"]) in finished]


def write_results(
    args: argparse.Namespace, finals: dict[str, list[dict[str, float]]], random_pass: dict
) -> None:
    cols = [*TEST_SUBSETS, "average"]
    lines = [
        f"SB3 PPO (MlpPolicy) on {ENV_ID}, {args.steps} environment steps per run "
        f"({args.envs} envs), seeds "
        f"{args.seeds}; greedy pass rate (%) on the first {args.eval_episodes} tasks of "
        "each test subset, mean ± std over seeds.",
        "",
        "| arm | " + " | ".join(cols) + " |",
        "|---|" + "---|" * len(cols),
        "| random policy | " + " | ".join(f"{100 * random_pass[c]:.1f}" for c in cols) + " |",
    ]
    for arm, runs in finals.items():
        cells = []
        for c in cols:
            v = np.array([r[c] for r in runs]) * 100
            cells.append(f"{v.mean():.1f} ± {v.std():.1f}")
        lines.append(f"| {arm} | " + " | ".join(cells) + " |")
    (args.out / "results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def plot(out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in (out / "curves.jsonl").read_text().splitlines()]
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for arm in ARMS:
        mine = [r for r in rows if r["arm"] == arm]
        if not mine:
            continue
        steps = sorted({r["steps"] for r in mine})
        vals = np.array(
            [[r["average"] for r in mine if r["steps"] == s] for s in steps], dtype=object
        )
        mean = np.array([np.mean(v) for v in vals]) * 100
        std = np.array([np.std(v) for v in vals]) * 100
        ax.plot(steps, mean, label=arm)
        ax.fill_between(steps, mean - std, mean + std, alpha=0.2)
    rand = [r for r in rows if r["arm"] == "random"]
    if rand:
        ax.axhline(100 * rand[0]["average"], color="grey", linestyle="--", label="random policy")
    ax.set_xlabel("environment steps")
    ax.set_ylabel("pass rate on the test subsets (%)")
    ax.set_title("SB3 PPO on StepTool/ToolBenchDiscrete-v0")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "curves.png", dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
