from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from steptool_env.bench import BenchConfig, EpisodeStore, episode_key, run_bench, write_leaderboard
from steptool_env.bench.store import EPISODES_FILE, KEY_FIELDS
from steptool_env.errors import ConfigError


def rec(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "agent": "a",
        "agent_config_hash": "h",
        "env_id": "StepTool/ToolBench-v0",
        "suite_hash": "s",
        "scoring": "v2:steptool:checker",
        "subset": "I1-Inst",
        "seed": 0,
        "sample": 0,
        "task_id": f"t{i}",
        "is_solved": 1.0,
        **extra,
    }


def line(record: dict[str, Any]) -> bytes:
    return (json.dumps(record) + "\n").encode()


def tiny(out: Path, **kwargs: Any) -> BenchConfig:
    settings: dict[str, Any] = {
        "agents": ("oracle", "random"),
        "subsets": ("I1-Inst",),
        "seeds": (0,),
        "limit": 3,
        "num_envs": 2,
        "progress": False,
    }
    return BenchConfig(out=out, **{**settings, **kwargs})


def file_records(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (folder / EPISODES_FILE).read_bytes().splitlines()]


# ---------------------------------------------------------------------- the store alone
def test_append_load_round_trip(tmp_path: Path) -> None:
    records = [rec(0), rec(1, note="é ✓", statuses={"0": 2, "3": 1}, nested=[1, {"x": None}])]
    with EpisodeStore(tmp_path / "run") as store:
        for r in records:
            store.append(r)
    data = (tmp_path / "run" / EPISODES_FILE).read_bytes()
    assert data.isascii()
    assert data.endswith(b"\n")
    assert [json.loads(x) for x in data.split(b"\n")[:-1]] == records  # one line per record
    assert EpisodeStore(tmp_path / "run").load() == records


def test_load_of_a_missing_file_is_empty(tmp_path: Path) -> None:
    store = EpisodeStore(tmp_path / "nothing")
    assert store.load() == []
    assert store.repaired_bytes == 0
    assert not (tmp_path / "nothing").exists()


def test_append_needs_open(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="open"):
        EpisodeStore(tmp_path).append(rec(0))


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param(b'{"agent": "a", "task_', id="unparseable"),
        pytest.param(json.dumps(rec(9), sort_keys=True).encode(), id="parseable-no-newline"),
    ],
)
def test_torn_last_line(tmp_path: Path, tail: bytes) -> None:
    complete = line(rec(0)) + line(rec(1))
    path = tmp_path / EPISODES_FILE
    path.write_bytes(complete + tail)

    reader = EpisodeStore(tmp_path)
    assert reader.load() == [rec(0), rec(1)]
    assert path.read_bytes() == complete + tail  # a plain load never writes

    with EpisodeStore(tmp_path) as store:
        assert store.load(repair=True) == [rec(0), rec(1)]
        assert store.repaired_bytes == len(tail)
        assert path.read_bytes() == complete  # cut back to the last complete record
        store.append(rec(2))
    after = path.read_bytes()
    assert after.startswith(complete)
    assert json.loads(after[len(complete) :]) == rec(2)
    assert after.endswith(b"\n")

    clean = EpisodeStore(tmp_path)
    assert clean.load(repair=True) == [rec(0), rec(1), rec(2)]
    assert clean.repaired_bytes == 0


def test_torn_only_line(tmp_path: Path) -> None:
    path = tmp_path / EPISODES_FILE
    path.write_bytes(b'{"agent"')
    store = EpisodeStore(tmp_path)
    assert store.load(repair=True) == []
    assert store.repaired_bytes == 8
    assert path.read_bytes() == b""


@pytest.mark.parametrize(
    ("middle", "reason"),
    [
        (b"{not json\n", "corrupt record"),
        (b"[1, 2]\n", "not an object"),
        (b'{"agent": "a", "task_\n', "corrupt record"),  # a torn line followed by more data
    ],
)
def test_corrupt_middle_line_is_reported(tmp_path: Path, middle: bytes, reason: str) -> None:
    path = tmp_path / EPISODES_FILE
    data = line(rec(0)) + middle + line(rec(1))
    path.write_bytes(data)
    for repair in (False, True):
        with pytest.raises(ConfigError) as info:
            EpisodeStore(tmp_path).load(repair=repair)
        assert f"{path}:2" in str(info.value)
        assert reason in str(info.value)
        assert info.value.field == "episodes"
    assert path.read_bytes() == data  # never repaired silently


def test_bad_line_before_a_final_newline_is_not_a_torn_line(tmp_path: Path) -> None:
    path = tmp_path / EPISODES_FILE
    path.write_bytes(line(rec(0)) + b'{"agent"\n')
    with pytest.raises(ConfigError, match=r"episodes\.jsonl:2"):
        EpisodeStore(tmp_path).load(repair=True)


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    (tmp_path / EPISODES_FILE).write_bytes(b"\n" + line(rec(0)) + b"  \n" + line(rec(1)))
    assert EpisodeStore(tmp_path).load() == [rec(0), rec(1)]


def test_second_open_is_locked_out(tmp_path: Path) -> None:
    first = EpisodeStore(tmp_path)
    first.open()
    try:
        with pytest.raises(ConfigError, match="another steptool bench") as info:
            EpisodeStore(tmp_path).open()
        assert info.value.field == "out"
        assert str(tmp_path) in str(info.value)
        first.append(rec(0))  # the holder is unaffected
    finally:
        first.close()
    with EpisodeStore(tmp_path) as again:  # released on close
        again.append(rec(1))
    assert EpisodeStore(tmp_path).load() == [rec(0), rec(1)]


def test_run_bench_refuses_a_locked_folder(tmp_path: Path) -> None:
    with EpisodeStore(tmp_path), pytest.raises(ConfigError, match="another steptool bench"):
        run_bench(tiny(tmp_path))
    assert EpisodeStore(tmp_path).load() == []


def test_rewrite_replaces_atomically_then_appends_to_the_new_file(tmp_path: Path) -> None:
    path = tmp_path / EPISODES_FILE
    with EpisodeStore(tmp_path) as store:
        for i in range(3):
            store.append(rec(i))
        before = path.read_bytes()
        with path.open("rb") as old:  # a reader of the old file keeps the old content
            store.rewrite([rec(1), rec(5)])
            assert old.read() == before
        assert path.read_bytes() == line(rec(1)) + line(rec(5))
        store.append(rec(6))
    assert EpisodeStore(tmp_path).load() == [rec(1), rec(5), rec(6)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", EPISODES_FILE]


def test_rewrite_of_a_closed_store(tmp_path: Path) -> None:
    store = EpisodeStore(tmp_path)
    store.rewrite([rec(3)])
    assert store.load() == [rec(3)]
    store.rewrite([])
    assert (tmp_path / EPISODES_FILE).read_bytes() == b""


def test_episode_key_uses_exactly_the_key_fields() -> None:
    assert KEY_FIELDS == (
        "agent",
        "agent_config_hash",
        "env_id",
        "suite_hash",
        "scoring",
        "subset",
        "seed",
        "sample",
        "task_id",
    )
    r = rec(4, is_solved=0.0, wall_s=1.5)
    want = ("a", "h", "StepTool/ToolBench-v0", "s", "v2:steptool:checker", "I1-Inst", 0, 0, "t4")
    assert episode_key(r) == want
    # a record written before scoring was part of the key never matches a new one
    older = {k: v for k, v in r.items() if k != "scoring"}
    assert episode_key(older) == (*want[:4], None, *want[5:])
    assert episode_key({**r, "is_solved": 1.0, "wall_s": 9.0, "extra": 1}) == episode_key(r)
    for name in KEY_FIELDS:
        assert episode_key({**r, name: "other"}) != episode_key(r)
    without = dict(r)
    del without["sample"]
    with pytest.raises(KeyError):
        episode_key(without)


# ---------------------------------------------------------------------- with the runner
@pytest.mark.slow
def test_resume_after_a_killed_run_matches_an_uninterrupted_one(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    first = run_bench(tiny(a))
    assert (first.ran, first.resumed, first.repaired_bytes) == (6, 0, 0)
    path = a / EPISODES_FILE
    lines = path.read_bytes().splitlines(keepends=True)
    assert len(lines) == 6
    torn = lines[1][: len(lines[1]) // 2]
    kept = [x for i, x in enumerate(lines) if i not in (1, 4)]
    path.write_bytes(b"".join(kept) + torn)  # two records lost, one cut short

    second = run_bench(tiny(a))
    assert second.ran == 2
    assert second.resumed == 4
    assert second.repaired_bytes == len(torn) > 0
    assert second.outside_plan == 0
    keys = [episode_key(r) for r in file_records(a)]
    assert len(keys) == 6
    assert set(keys) == {episode_key(r) for r in first.records}  # every key exactly once

    fresh = run_bench(tiny(b))
    assert [episode_key(r) for r in second.records] == [episode_key(r) for r in fresh.records]
    digests = {episode_key(r): r.trajectory_digest for r in fresh.records}
    assert {episode_key(r): r.trajectory_digest for r in second.records} == digests
    write_leaderboard(second.records, a)
    write_leaderboard(fresh.records, b)
    assert (a / "leaderboard.csv").read_bytes() == (b / "leaderboard.csv").read_bytes()


def test_complete_run_resumes_to_nothing_and_counts_outside_plan(tmp_path: Path) -> None:
    first = run_bench(tiny(tmp_path))
    again = run_bench(tiny(tmp_path))
    assert (again.ran, again.resumed, again.outside_plan) == (0, 6, 0)
    assert again.records == first.records
    smaller = run_bench(tiny(tmp_path, limit=2))
    assert (smaller.ran, smaller.resumed, smaller.outside_plan) == (0, 4, 2)
    assert len(smaller.records) == 4
    assert len(file_records(tmp_path)) == 6  # kept, not ranked


def test_retry_infra_runs_the_failed_episode_again(tmp_path: Path) -> None:
    run_bench(tiny(tmp_path))
    path = tmp_path / EPISODES_FILE
    records = file_records(tmp_path)
    assert all(r["infra_error"] == "" for r in records)
    broken = episode_key(records[2])
    records[2]["infra_error"] = "X"
    path.write_bytes(b"".join(line(r) for r in records))

    kept = run_bench(tiny(tmp_path))  # without retry_infra the record stays
    assert (kept.ran, kept.retried) == (0, 0)
    assert [r.infra_error for r in kept.records if episode_key(r) == broken] == ["X"]

    retried = run_bench(tiny(tmp_path, retry_infra=True))
    assert retried.retried == 1
    assert retried.ran == 1
    assert retried.resumed == 5
    after = file_records(tmp_path)
    assert len(after) == 6
    matching = [r for r in after if episode_key(r) == broken]
    assert len(matching) == 1
    assert matching[0]["infra_error"] == ""
    assert all(r.infra_error == "" for r in retried.records)
