"""verifiers 0.4 (``vf-eval``) on StepTool episodes (steptool_env.integrations.verifiers_env).

``vf-eval steptool-verifiers`` runs against a scripted model on loopback (an OpenAI-compatible
server replaying the oracle's action plans, with bad actions in some episodes), in ``tools``
and ``text`` mode; ``steptool bench`` runs the ``openai`` agent against the same scripted
model. Every episode must give the same per-task scores as bench (IsSolved, return, steps,
SuccCalling rate, recall, trajectory digest), the same step rewards, statuses and
observations as the in-process env with the same seed and actions, and the oracle agent's
scores where the script is the oracle's plan.

verifiers cannot be installed beside the dev extra (it pins ``mcp==2.0.0``), so the checks
that need it live in ``verifiers_checks.py``: called here where ``verifiers`` imports, else
run with the interpreter ``STEPTOOL_VERIFIERS_PYTHON`` names (CI's second virtual
environment), else skipped with the reason (a failure under STEPTOOL_REQUIRE_INTEGRATIONS).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from steptool_env.bench.config import BenchConfig
from steptool_env.bench.runner import episode_seed, run_bench
from steptool_env.errors import MissingDependencyError
from steptool_env.world.suite import Suite
from tests.agents.fake_openai import FakeModel, tool_call
from tests.conftest import REPO
from tests.integrations.conftest import Action, as_text, oracle_plan, reference_episode
from tests.integrations.verifiers_checks import FAIL, scripted_model

ENV_ID = "StepTool/ToolBench-v0"
BAD_TASK = 2
"""The task (by place in its subset) whose script starts with bad actions."""
BAD: dict[str, list[Action]] = {
    "tools": [("text", "I am not sure what to do.", None), ("call", "no_such_function", {})],
    "text": [("text", "I am not sure what to do.", None)],
}
RUNS: list[dict[str, Any]] = [
    {
        "name": "tools",
        "mode": "tools",
        "taskset": {"subsets": ["I1-Inst"], "seeds": [0, 1], "limit": 3},
    },
    {
        "name": "text",
        "mode": "text",
        "rollouts": 2,
        "taskset": {"subsets": ["I2-Inst"], "seeds": [0], "limit": 3},
    },
]
FAILING = {
    "name": "failing",
    "mode": "text",
    "harness": {"max_retries": 0},
    "taskset": {"subsets": ["I3-Inst"], "seeds": [0], "limit": 1},
}
"""A run whose model answers HTTP 500 at the second turn: an infrastructure failure."""


def message_of(action: Action, mode: str, turn: int) -> dict[str, Any]:
    """What the scripted model answers for ``action``: a tool call in ``tools`` mode (text
    actions as plain content), the action's text in the ``react`` format otherwise."""
    kind, a, b = action
    if mode == "tools" and kind == "call":
        return {"role": "assistant", "content": None, "tool_calls": [tool_call(a, b, f"c{turn}")]}
    return {"role": "assistant", "content": as_text("react", action)}


@pytest.fixture(scope="module")
def plans(suite: Suite) -> dict[str, dict[str, list[Action]]]:
    """Run name -> task id -> the actions its script plays."""
    out: dict[str, dict[str, list[Action]]] = {}
    for run in RUNS:
        (subset,) = run["taskset"]["subsets"]
        tasks = suite.split(subset)[: run["taskset"]["limit"]]
        out[run["name"]] = {
            t.task_id: (BAD[run["mode"]] if i == BAD_TASK else []) + oracle_plan(suite, t)
            for i, t in enumerate(tasks)
        }
    return out


def replies(suite: Suite, run: dict[str, Any], plans: dict[str, list[Action]]) -> dict:
    return {
        suite.task(task_id).query: [message_of(a, run["mode"], k) for k, a in enumerate(plan)]
        for task_id, plan in plans.items()
    }


def run_checks(request: dict[str, Any]) -> dict[str, Any]:
    """The verifiers side: in this interpreter, or in STEPTOOL_VERIFIERS_PYTHON's."""
    if importlib.util.find_spec("verifiers") is not None:
        from tests.integrations import verifiers_checks

        return verifiers_checks.run(request)
    python = os.environ.get("STEPTOOL_VERIFIERS_PYTHON")
    if not python:
        why = (
            "the verifiers extra is not installed here, and STEPTOOL_VERIFIERS_PYTHON names "
            "no interpreter that has it (verifiers 0.4 cannot share an environment with the "
            "dev extra)"
        )
        if os.environ.get("STEPTOOL_REQUIRE_INTEGRATIONS"):
            pytest.fail(f"STEPTOOL_REQUIRE_INTEGRATIONS is set, but {why}")
        pytest.skip(why)
    done = subprocess.run(
        [python, "-m", "tests.integrations.verifiers_checks"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{python} failed:\n{done.stderr[-6000:]}"
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def results(
    suite: Suite,
    plans: dict[str, dict[str, list[Action]]],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    runs = [{**run, "replies": replies(suite, run, plans[run["name"]])} for run in RUNS]
    (task,) = suite.split("I3-Inst")[:1]
    first = message_of(oracle_plan(suite, task)[0], "text", 0)
    runs.append({**FAILING, "replies": {task.query: [first, FAIL]}})
    return run_checks({"out": str(tmp_path_factory.mktemp("vf-eval")), "runs": runs})


def bench_records(
    run: dict[str, Any], agent: dict[str, Any], out: Path
) -> dict[tuple[str, int, int], dict[str, Any]]:
    """``steptool bench`` with ``agent`` on the run's episodes, by (task, seed, sample)."""
    ts = run["taskset"]
    cfg = BenchConfig(
        out=out,
        agents=(agent,),
        env_ids=(ENV_ID,),
        subsets=tuple(ts["subsets"]),
        seeds=tuple(ts["seeds"]),
        limit=ts["limit"],
        progress=False,
    )
    records = [r.to_json() for r in run_bench(cfg).records]
    return {(r["task_id"], r["seed"], r["sample"]): r for r in records}


@pytest.fixture(scope="module")
def bench(
    suite: Suite,
    plans: dict[str, dict[str, list[Action]]],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, dict[str, dict]]:
    """Per run: bench's records of the openai agent on the same scripted model, and of the
    oracle agent."""
    out: dict[str, dict[str, dict]] = {}
    for run in RUNS:
        folder = tmp_path_factory.mktemp(f"bench-{run['name']}")
        with FakeModel(scripted_model(replies(suite, run, plans[run["name"]]))) as fake:
            agent = {
                "name": "scripted",
                "kind": "openai",
                "model": "scripted",
                "base_url": fake.url,
                "mode": run["mode"],
            }
            served = bench_records(run, agent, folder / "served")
        oracle = bench_records(run, {"name": "oracle", "kind": "oracle"}, folder / "oracle")
        out[run["name"]] = {"served": served, "oracle": oracle}
    return out


@pytest.mark.slow
def test_load_environment_builds(results: dict[str, Any]) -> None:
    b = results["build"]
    assert results["verifiers"].startswith("0.4.")
    assert b["is_vf_env"] and b["env_class"] == "StepToolEnv"
    assert b["taskset_id"] == "steptool_verifiers"
    assert (b["harness"], b["harness_mode"], b["runtime"]) == (
        "StepToolHarnessConfig",
        "tools",
        "subprocess",
    )
    # bench's plan: seeds x tasks, each with bench's env seed
    assert [(t["task_id"], t["bench_seed"]) for t in b["tasks"]] == [
        ("I1-Inst-00000", 0),
        ("I1-Inst-00001", 0),
        ("I1-Inst-00000", 1),
        ("I1-Inst-00001", 1),
    ]
    for t in b["tasks"]:
        assert t["episode_seed"] == episode_seed(t["bench_seed"], t["task_id"], 0)
        assert t["env_id"] == ENV_ID and t["env_kwargs"]["split"] == "I1-Inst"
        assert t["prompt"]  # the task's query
    assert len(set(b["keys"])) == 4
    # the rubric: StepTool's reward components, the return weighted 1 (IsSolved with outcome)
    assert b["rewards"] == {
        "is_solved": 0.0,
        "recall": 0.0,
        "steptool_return": 1.0,
        "succ_calling_rate": 0.0,
    }
    assert b["outcome_rewards"]["is_solved"] == 1.0
    assert b["outcome_rewards"]["steptool_return"] == 0.0
    assert b["metrics"] == ["gave_up", "n_steps", "truncated"]
    assert b["refused"] == {
        "discrete": "env_id",
        "subset": "subsets",
        "field": "shuffle",
        "reward": "reward",
        "mode": "mode",
        "option": "agent.base_url",
    }


@pytest.mark.slow
@pytest.mark.parametrize("run", RUNS, ids=[r["name"] for r in RUNS])
def test_vf_eval_scores_are_the_bench_scores(
    results: dict[str, Any], bench: dict[str, dict[str, dict]], run: dict[str, Any]
) -> None:
    traces = results["runs"][run["name"]]
    served, oracle = bench[run["name"]]["served"], bench[run["name"]]["oracle"]
    assert len(traces) == len(served) * run.get("rollouts", 1) == 6
    for t in traces:
        assert t["ok"] and not t["errors"], t["errors"]
        ep = t["episode"]
        rec = served[(t["task_id"], t["bench_seed"], t["sample"])]
        assert t["episode_seed"] == rec["episode_seed"]
        for field in ("is_solved", "gave_up", "truncated", "n_steps", "trajectory_digest"):
            assert ep[field] == rec[field], field
        for field in ("return", "succ_calling_rate", "recall"):
            assert ep[field] == pytest.approx(rec[field], abs=1e-6), field
        # the rubric reads the same episode
        assert t["rewards"] == {
            "is_solved": ep["is_solved"],
            "recall": ep["recall"],
            "steptool_return": ep["return"],
            "succ_calling_rate": ep["succ_calling_rate"],
        }
        assert t["weights"]["steptool_return"] == 1.0
        assert t["metrics"] == {
            "gave_up": float(ep["gave_up"]),
            "n_steps": float(ep["n_steps"]),
            "truncated": float(ep["truncated"]),
        }
        # the oracle's plan scores what the oracle agent scores (bad actions aside)
        ref = oracle[(t["task_id"], t["bench_seed"], t["sample"])]
        assert ep["is_solved"] == ref["is_solved"] == 1.0
        if not t["task_id"].endswith(f"{BAD_TASK:05d}"):
            assert ep["return"] == pytest.approx(ref["return"], abs=1e-6)
            assert ep["n_steps"] == ref["n_steps"]


@pytest.mark.slow
@pytest.mark.parametrize("run", RUNS, ids=[r["name"] for r in RUNS])
def test_same_trajectories_as_the_in_process_env(
    results: dict[str, Any], plans: dict[str, dict[str, list[Action]]], run: dict[str, Any]
) -> None:
    """Same seed and same model outputs: the env's steps, and what verifiers recorded."""
    traces = results["runs"][run["name"]]
    for t in traces:
        plan = plans[run["name"]][t["task_id"]]
        first, steps, taken = reference_episode(
            ENV_ID, t["env_kwargs"], t["episode_seed"], lambda *_, p=plan: p, t["task_id"]
        )
        ep = t["episode"]
        assert ep["step_rewards"] == [s.reward for s in steps]
        assert ep["statuses"] == [s.info["status"] for s in steps]
        assert ep["return"] == pytest.approx(sum(s.reward for s in steps))
        # the model read the env's observations (all but the last, after Finish) ...
        sent = [m["content"] or "" for m, s in zip(t["messages"], t["sampled"]) if not s]
        assert sent[1] == first.info["query"]
        for s in steps[:-1]:
            assert any(s.observation in text for text in sent), s.observation[:200]
        # ... and verifiers recorded the model's own replies, in order
        said = [m for m, s in zip(t["messages"], t["sampled"]) if s]
        assert len(said) == len(taken) == ep["n_steps"]
        for m, action in zip(said, taken):
            want = message_of(action, run["mode"], 0)
            if want.get("tool_calls"):
                assert [tuple(c) for c in m["calls"]] == [(action[1], action[2])]
            else:
                assert m["content"] == want["content"] and not m["calls"]
    # determinism: repeated rollouts of an episode are the same episode
    by_episode: dict[tuple, set[str]] = {}
    for t in traces:
        key = (t["task_id"], t["episode_seed"])
        by_episode.setdefault(key, set()).add(t["episode"]["trajectory_digest"])
    assert all(len(d) == 1 for d in by_episode.values())
    assert len(by_episode) * run.get("rollouts", 1) == len(traces)
    # one model request per step, nothing else
    assert traces[0]["requests"] == sum(t["episode"]["n_steps"] for t in traces)


@pytest.mark.slow
@pytest.mark.parametrize("run", RUNS, ids=[r["name"] for r in RUNS])
def test_a_bad_action_is_an_observation_not_a_crash(
    results: dict[str, Any], run: dict[str, Any]
) -> None:
    bad = [t for t in results["runs"][run["name"]] if t["task_id"].endswith(f"{BAD_TASK:05d}")]
    assert bad
    n = len(BAD[run["mode"]])
    for t in bad:
        ep = t["episode"]
        assert t["ok"] and not t["errors"]
        assert all(status != 0 for status in ep["statuses"][:n])  # not a successful call
        assert ep["succ_calling_rate"] < 1.0 and ep["is_solved"] == 1.0  # the episode went on
        said = [k for k, s in enumerate(t["sampled"]) if s]
        answer = t["messages"][said[0] + 1]  # what the env answered the first bad action
        assert answer["role"] in ("user", "tool")
        assert '"error": "Could not parse the action' in answer["content"]


@pytest.mark.slow
def test_an_infrastructure_failure_fails_the_rollout_not_a_score(results: dict[str, Any]) -> None:
    (t,) = results["runs"]["failing"]
    # verifiers records the model call's failure (the cause of the harness's exit)
    assert not t["ok"] and t["errors"]
    assert t["errors"][-1].startswith("ProviderError: upstream 500"), t["errors"]
    assert all(v is None for v in t["rewards"].values())  # nothing was scored
    ep = t["episode"]  # the summary says what happened before the failure
    assert ep["n_steps"] == 1 and ep["infra_error"].startswith("ProviderError")


def test_a_missing_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "verifiers", None)  # import verifiers now fails
    for name in ("steptool_env.integrations.verifiers_env", "steptool_verifiers"):
        monkeypatch.delitem(sys.modules, name, raising=False)
        with pytest.raises(MissingDependencyError, match=r"steptool-env\[verifiers\]"):
            importlib.import_module(name)
