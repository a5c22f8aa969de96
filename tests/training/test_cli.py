"""``steptool train ...`` in-process, recipes, overrides and their errors."""

from __future__ import annotations

import itertools
import json
import shlex
from pathlib import Path

import pytest

from steptool_env.cli import main
from steptool_env.errors import ConfigError
from steptool_env.resources import agents_dir
from steptool_env.training.config import (
    TrainConfig,
    learning_rate,
    load_train_config,
    parse_override,
)


def test_shipped_recipes_load() -> None:
    recipes = sorted(agents_dir().glob("*.toml"))
    assert {p.stem for p in recipes} >= {"sft-small", "ppo-small", "grpo-small"}
    for path in recipes:
        cfg = load_train_config(path)
        assert cfg.algo in ("sft", "ppo", "grpo")


def test_overrides_parse_as_toml_values() -> None:
    assert parse_override("lr=3e-4") == ("lr", 3e-4)
    assert parse_override("reward=outcome") == ("reward", "outcome")
    assert parse_override('reward="outcome"') == ("reward", "outcome")
    assert parse_override("whiten_advantages=false") == ("whiten_advantages", False)
    with pytest.raises(ConfigError, match="unknown field"):
        parse_override("learning_rate=1")
    with pytest.raises(ConfigError, match="key=value"):
        parse_override("lr")


def test_recipe_errors_name_the_field_and_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[train]\nalgo = "ppo"\nmodel = "m"\nout = "o"\ngamma = 1.5\n')
    with pytest.raises(ConfigError, match=r"train\.gamma.*bad\.toml"):
        load_train_config(bad)
    bad.write_text('[train]\nalgo = "ppo"\nmodel = "m"\nout = "o"\nlearning_rate = 1\n')
    with pytest.raises(ConfigError, match=r"train\.learning_rate.*unknown field"):
        load_train_config(bad)
    bad.write_text('[trian]\nalgo = "ppo"\n')
    with pytest.raises(ConfigError, match="unknown table"):
        load_train_config(bad)
    bad.write_text("[train\n")
    with pytest.raises(ConfigError, match="not a readable TOML"):
        load_train_config(bad)
    with pytest.raises(ConfigError, match="no such training recipe"):
        load_train_config(tmp_path / "missing.toml")
    # a bad value given as an override is reported as the override, without the file
    good = tmp_path / "good.toml"
    good.write_text('[train]\nalgo = "ppo"\nmodel = "m"\nout = "o"\n')
    with pytest.raises(ConfigError, match=r"^invalid reward='best'") as info:
        load_train_config(good, reward="best")
    assert "good.toml" not in str(info.value)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("algo", "dpo", "valid choices: sft, ppo, grpo"),
        ("updates", 0, "integer >= 1"),
        ("lr", 0.0, "lr"),
        ("top_p", 1.5, "top_p"),
        ("reward", "dense", "steptool, paper, outcome, parity"),
        ("split", "I9-Inst", "split"),
        ("parser", "xml", "parser"),
        ("dtype", "int8", "dtype"),
        ("micro_batch_size", 3, "must divide minibatch_size"),
        ("group_size", 3, "must divide episodes_per_update"),
        ("whiten_advantages", "yes", "true or false"),
        ("lr_schedule", "linear", "constant, cosine"),
        ("warmup_updates", -1, "integer >= 0"),
        ("alpha", -1.0, "alpha"),
    ],
)
def test_config_validation(field: str, value: object, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        TrainConfig(**{"algo": "ppo", "model": "m", "out": "o", field: value})


def test_learning_rate_schedule() -> None:
    base = {"algo": "sft", "model": "m", "out": "o", "updates": 100, "lr": 1.0}
    constant = TrainConfig(**base)
    assert [learning_rate(constant, u) for u in (1, 50, 100)] == [1.0, 1.0, 1.0]
    cosine = TrainConfig(**base, lr_schedule="cosine", warmup_updates=10)
    lrs = [learning_rate(cosine, u) for u in (1, 5, 10, 55, 100)]
    assert lrs == pytest.approx([0.1, 0.5, 1.0, 0.55, 0.1])
    assert all(a >= b for a, b in itertools.pairwise(lrs[2:]))


def test_grpo_needs_groups() -> None:
    with pytest.raises(ConfigError, match="groups of >= 2"):
        TrainConfig(algo="grpo", model="m", out="o")


def test_cli_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "ppo", "--out", str(tmp_path), "--model", "m", "--set", "lr=-1"]) == 2
    assert "invalid lr=-1" in capsys.readouterr().err
    assert main(["train", "ppo", "--out", str(tmp_path)]) == 2
    assert "invalid model=None" in capsys.readouterr().err


pytest.importorskip("torch")


@pytest.mark.slow
def test_init_sft_plot_and_bench_a_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "tiny"
    assert (
        main(["train", "init", "--preset", "tiny", "--out", str(model), "--corpus-episodes", "20"])
        == 0
    )
    assert (model / "tokenizer.json").exists()
    run = tmp_path / "sft"
    argv = ["train", "sft", "--model", str(model), "--out", str(run), "--no-progress"]
    for s in (
        "updates=2",
        "sft_episodes=4",
        "num_envs=2",
        "minibatch_size=2",
        "micro_batch_size=1",
    ):
        argv += ["--set", s]
    assert main(argv) == 0
    assert "trained sft" in capsys.readouterr().out
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["update"] for r in rows] == [1, 2]
    png = tmp_path / "curves.png"
    assert main(["train", "plot", str(run), "--out", str(png), "--labels", "sft"]) == 0
    assert png.stat().st_size > 1000
    assert main(["train", "plot", str(run), "--out", str(png), "--labels", "a,b"]) == 2
    # the checkpoint is an agent of the benchmark harness
    bench = tmp_path / "bench"
    code = main(
        ["bench", "--agents", f"hf:{run / 'final'}", "--subsets", "I1-Inst", "--seeds", "0",
         "--limit", "2", "--max-steps", "2", "--out", str(bench), "--no-progress"]
    )  # fmt: skip
    assert code == 0
    records = (bench / "episodes.jsonl").read_text().splitlines()
    assert len(records) == 2
    assert "hf:" in (bench / "leaderboard.md").read_text()


def test_ctrl_c_before_a_checkpoint_says_how_to_start_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import steptool_env.training as training

    def interrupted(cfg: TrainConfig, resume: bool = False) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "train", interrupted)
    argv = ["train", "ppo", "--model", "m", "--out", str(tmp_path / "run"), "--resume"]
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "interrupted before its first checkpoint" in err
    assert str(tmp_path / "run" / "checkpoints") in err
    assert err.rstrip().endswith("steptool " + shlex.join(argv[:-1]))  # without --resume


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_the_printed_command_resumes(
    tiny_model: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from steptool_env.training.run import Run

    run = tmp_path / "my run"  # a space: the printed command quotes it
    argv = ["train", "sft", "--model", str(tiny_model), "--out", str(run), "--no-progress"]
    for s in ("updates=2", "checkpoint_every=1", "sft_episodes=2", "num_envs=2",
              "minibatch_size=2", "micro_batch_size=1"):  # fmt: skip
        argv += ["--set", s]
    checkpoint = Run.checkpoint

    def checkpoint_then_ctrl_c(self: Run, update: int, extra_state: dict | None = None) -> None:
        checkpoint(self, update, extra_state)
        if update == 1:
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C in the training loop

    with monkeypatch.context() as patch:
        patch.setattr(Run, "checkpoint", checkpoint_then_ctrl_c)
        assert main(argv) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"the last checkpoint is {run / 'checkpoints' / 'update-000001'} (update 1 of 2" in err
    command = err.split("Resume with:\n  steptool ", 1)[1].strip()
    assert shlex.split(command) == [*argv, "--resume"]
    assert main(shlex.split(command)) == 0  # the printed command finishes the run
    assert "trained sft" in capsys.readouterr().out
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["update"] for r in rows] == [1, 2]


@pytest.mark.parametrize("algo", ["sft", "ppo", "grpo"])
def test_train_help_lists_every_recipe_field_with_its_doc(algo: str, capsys) -> None:
    from dataclasses import fields

    from steptool_env.cli import main
    from steptool_env.training.config import TrainConfig

    assert main(["train", algo, "--help"]) == 0
    out = capsys.readouterr().out
    for f in fields(TrainConfig):
        assert f"\n  {f.name} = " in out, f.name
    assert "  reward = 'steptool'\n      steptool (the env's default step rewards" in out, out
    assert "  model = required\n" in out
