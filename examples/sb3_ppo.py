"""Train stable-baselines3 PPO on the numeric view of the suite, then evaluate it.

pip install "steptool-env[sb3]"
python examples/sb3_ppo.py            # about two minutes on a laptop CPU
python examples/sb3_ppo.py --timesteps 2000 --episodes 5   # a smoke run, seconds
"""

import argparse

import gymnasium as gym
import numpy as np
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env

import steptool_env  # noqa: F401 -- registers StepTool/ToolBenchDiscrete-v0

# The env's defaults: the bounded StepTool reward, candidates in their canonical order, so
# SB3's plain MlpPolicy learns (see the README's ablation)
p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--timesteps", type=int, default=60_000, help="PPO's training budget")
p.add_argument("--episodes", type=int, default=50, help="evaluation episodes")
args = p.parse_args()

venv = make_vec_env("StepTool/ToolBenchDiscrete-v0", n_envs=8, seed=0)
model = PPO("MlpPolicy", venv, seed=0, n_steps=256, batch_size=256, ent_coef=0.01, device="cpu")
model.learn(args.timesteps)

env = gym.make("StepTool/ToolBenchDiscrete-v0", split="I2-Inst")
solved = []
for k, task in enumerate(env.unwrapped.tasks[: args.episodes]):
    obs, info = env.reset(seed=k, options={"task_id": task.task_id})
    done = False
    while not done:
        action, _ = model.predict(obs, deterministic=True)
        obs, reward, terminated, truncated, info = env.step(int(action))
        done = terminated or truncated
    solved.append(info["is_solved"])
print(f"pass rate on I2-Inst: {np.mean(solved):.2f}")
