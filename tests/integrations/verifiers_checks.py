"""The verifiers side of ``test_verifiers.py``, run where ``verifiers`` is installed.

verifiers 0.4 cannot share an environment with the dev extra (it pins ``mcp==2.0.0`` and
``openai<3``; OpenEnv needs ``mcp>=2.3``), so CI installs it in a second virtual environment
and the test runs this module there (``python -m tests.integrations.verifiers_checks``, a
request as JSON on stdin, the results as JSON on stdout); where ``verifiers`` imports in the
test's own interpreter, the test calls :func:`run` directly.

The request names eval runs: each starts a scripted model on loopback (an OpenAI-compatible
chat-completions server that answers each episode's turns from a list of replies, keyed by
the episode's query) and runs ``vf-eval`` on ``steptool-verifiers`` against it, then reads
back the ``traces.jsonl`` that ``vf-eval`` wrote. Nothing here imports ``verifiers`` before
:func:`run` is called, so the test can use :func:`scripted_model` without it.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

Replies = Mapping[str, list[dict[str, Any]]]
"""Query text -> the assistant messages the model sends, turn by turn (``FAIL``: an HTTP 500
answer instead)."""
FAIL: dict[str, Any] = {"fail": 500}


def chat_completion(message: dict[str, Any], model: str) -> dict[str, Any]:
    """A complete chat-completions answer carrying ``message``."""
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }


def scripted_model(replies: Replies) -> Callable[[dict[str, Any], int], Any]:
    """The script of a ``FakeModel``: the k-th turn of an episode (k assistant messages so
    far) gets the k-th reply listed for its query (the first user message)."""

    def script(body: dict[str, Any], n: int) -> Any:
        messages = body["messages"]
        query = next(m["content"] for m in messages if m["role"] == "user")
        turn = sum(1 for m in messages if m["role"] == "assistant")
        reply = replies[query][turn]
        if reply == FAIL:
            return (500, {}, '{"error": "the scripted server fails here"}')
        return chat_completion(dict(reply), body.get("model", "scripted"))

    return script


def build() -> dict[str, Any]:
    """What ``load_environment`` builds, and what it refuses."""
    import verifiers.v1 as vf

    from steptool_env.errors import ConfigError
    from steptool_env.integrations import verifiers_env

    env = verifiers_env.load_environment(split="I1-Inst", seeds=[0, 1], limit=2)
    tasks = list(env.taskset)
    first = tasks[0]
    outcome = verifiers_env.load_environment(split="I1-Inst", seeds=[0], reward="outcome")
    task = next(iter(outcome.taskset))
    refused = {}
    for name, call in {
        "discrete": lambda: verifiers_env.load_environment("StepTool/ToolBenchDiscrete-v0"),
        "subset": lambda: verifiers_env.load_environment(split="nope"),
        "field": lambda: verifiers_env.load_environment(shuffle=True),
        "reward": lambda: verifiers_env.load_environment(reward="best"),
        "mode": lambda: verifiers_env.load_environment(mode="speech"),
        "option": lambda: verifiers_env.load_environment(agent={"base_url": "http://x"}),
    }.items():
        try:
            call()
            refused[name] = None
        except ConfigError as exc:
            refused[name] = exc.field
    return {
        "is_vf_env": isinstance(env, vf.Env),
        "env_class": type(env).__name__,
        "taskset_id": env.config.taskset.id,
        "harness": type(env.config.agent.harness).__name__,
        "harness_mode": env.config.agent.harness.mode,
        "runtime": env.config.agent.runtime.type,
        "tasks": [t.data.model_dump(mode="json", exclude_none=True) for t in tasks],
        "keys": [t.key for t in tasks],
        "rewards": {f.__name__: f._vf_weight for f in first.hooks("reward")},
        "metrics": sorted(f.__name__ for f in first.hooks("metric")),
        "outcome_rewards": {f.__name__: f._vf_weight for f in task.hooks("reward")},
        "refused": refused,
    }


def evaluate(spec: Mapping[str, Any], out: Path) -> list[dict[str, Any]]:
    """One ``vf-eval`` run against the scripted model; what each trace recorded."""
    from verifiers.v1.cli.eval.main import main as vf_eval

    from tests.agents.fake_openai import FakeModel

    taskset = spec["taskset"]
    argv = [
        "steptool-verifiers",
        "-m",
        "scripted",
        "--env.agent.harness.mode",
        spec["mode"],
        "-r",
        str(spec.get("rollouts", 1)),
        "--no-push",
        "--no-rich",
        "-o",
        str(out),
        "--run.name",
        spec["name"],
    ]
    for key, value in taskset.items():
        argv += [f"--env.taskset.{key.replace('_', '-')}", json.dumps(value)]
    for key, value in spec.get("harness", {}).items():
        argv += [f"--env.agent.harness.{key.replace('_', '-')}", str(value)]
    with FakeModel(scripted_model(spec["replies"])) as fake:
        argv += ["--client.base-url", fake.url, "--client.api-key-var", "STEPTOOL_NO_KEY"]
        with contextlib.redirect_stdout(sys.stderr):  # vf-eval prints every trace
            vf_eval(argv)
        requests = len(fake.requests)
    episodes = [
        json.loads(line)
        for line in (out / spec["name"] / "traces.jsonl").read_text().splitlines()
        if line.strip()
    ]
    results = []
    for episode in episodes:
        for trace in episode["traces"]:
            data = trace["task"]["data"]
            results.append(
                {
                    "task_id": data["task_id"],
                    "bench_seed": data["bench_seed"],
                    "sample": data["sample"],
                    "episode_seed": data["episode_seed"],
                    "env_kwargs": data["env_kwargs"],
                    "ok": trace["ok"],
                    "errors": [e["type"] + ": " + e["message"] for e in trace.get("errors", [])],
                    "rewards": {k: v and v["score"] for k, v in trace["rewards"].items()},
                    "weights": {k: v and v["weight"] for k, v in trace["rewards"].items()},
                    "metrics": trace["metrics"],
                    "episode": trace["info"].get("steptool"),
                    "messages": [_message(n["message"]) for n in trace["nodes"]],
                    "sampled": [n.get("sampled", False) for n in trace["nodes"]],
                    "requests": requests,
                }
            )
    return results


def _message(message: Mapping[str, Any]) -> dict[str, Any]:
    calls = message.get("tool_calls") or []
    return {
        "role": message["role"],
        "content": message.get("content"),
        "calls": [(c["name"], json.loads(c["arguments"])) for c in calls],
    }


def run(request: Mapping[str, Any]) -> dict[str, Any]:
    """Every check the request asks for (``build``, and each of ``runs`` under ``out``)."""
    import verifiers

    out = Path(request["out"])
    return {
        "verifiers": verifiers.__version__,
        "build": build(),
        "runs": {spec["name"]: evaluate(spec, out) for spec in request["runs"]},
    }


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
