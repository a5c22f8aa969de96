"""The typed episode record: exact round trip of published files, clear errors on bad
fields, older and newer records read without loss."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from steptool_env.bench import BenchConfig, EpisodeRecord, load_records, run_bench
from steptool_env.bench.store import episode_key
from steptool_env.errors import ConfigError
from tests.conftest import REPO

PUBLISHED = REPO / "benchmarks" / "results"


@pytest.mark.parametrize("folder", ["served", "lm-evidence"])  # committed record files
def test_published_lines_round_trip_byte_for_byte(folder: str) -> None:
    lines = (PUBLISHED / folder / "episodes.jsonl").read_text(encoding="utf-8").splitlines()
    records = load_records(PUBLISHED / folder)
    assert len(records) == len(lines) > 0
    for line, rec in zip(lines, records):
        assert json.dumps(rec.to_json(), ensure_ascii=True) == line
        assert rec.key == episode_key(json.loads(line))


def test_a_fresh_run_writes_what_its_records_say(tmp_path: Path) -> None:
    cfg = BenchConfig(
        agents=("oracle", "random"), subsets=("I1-Inst",), seeds=(0,), limit=3, out=tmp_path
    )
    cfg = BenchConfig(**{**cfg.__dict__, "progress": False})
    run = run_bench(cfg)
    lines = (tmp_path / "episodes.jsonl").read_text(encoding="utf-8").splitlines()
    written = {episode_key(d): d for d in map(json.loads, lines)}  # in order of completion
    assert written == {r.key: r.to_json() for r in run.records}
    oracle = [r for r in run.records if r.agent == "oracle"]
    assert [r.is_solved for r in oracle] == [1.0, 1.0, 1.0]
    assert all(r.provenance.env_id == "StepTool/ToolBench-v0" for r in run.records)
    assert all(r.scoring and r.scoring.startswith("v2:steptool:") for r in run.records)
    assert sorted(load_records(tmp_path), key=str) == sorted(run.records, key=str)


def _line() -> dict:
    path = PUBLISHED / "served" / "episodes.jsonl"
    return json.loads(path.read_text(encoding="utf-8").splitlines()[0])


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("is_solved", "yes", "expected number"),
        ("seed", True, "expected integer"),
        ("n_steps", 2.5, "expected integer"),
        ("statuses", {"0": "two"}, "expected object"),
        ("scoring", 2, "expected string or null"),
        ("return", None, "expected number"),
    ],
)
def test_a_bad_field_is_named_with_its_place(field: str, value: object, expected: str) -> None:
    data = {**_line(), field: value}
    with pytest.raises(ConfigError) as err:
        EpisodeRecord.from_json(data, "runs/x/episodes.jsonl (record 7)")
    assert "runs/x/episodes.jsonl (record 7)" in str(err.value)
    assert repr(field) in str(err.value) and expected in str(err.value)


def test_a_missing_field_is_named() -> None:
    data = _line()
    del data["trajectory_digest"], data["return"]
    with pytest.raises(ConfigError, match=r"lacks field.*trajectory_digest, return"):
        EpisodeRecord.from_json(data, "here")


def test_older_and_newer_records_load_without_loss() -> None:
    old = _line()
    del old["scoring"]  # written before scoring v2
    rec = EpisodeRecord.from_json(old)
    assert rec.scoring is None and rec.is_solved_rule is None
    assert episode_key(rec) == episode_key(old)

    newer = {**_line(), "judge_verdict": {"score": 1}}  # a field of a later version
    rec = EpisodeRecord.from_json(newer)
    assert rec.extra == {"judge_verdict": {"score": 1}}
    assert rec.to_json() == newer
    assert list(rec.to_json())[-1] == "judge_verdict"


def test_a_corrupt_file_fails_at_load_naming_the_record(tmp_path: Path) -> None:
    good = json.dumps(_line())
    bad = json.dumps({**_line(), "recall": "high"})
    (tmp_path / "episodes.jsonl").write_text(f"{good}\n{bad}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"episodes.jsonl \(record 2\).*'recall'"):
        load_records(tmp_path)
