from __future__ import annotations

from pathlib import Path

import pytest

from steptool_env.agents import make_agent
from steptool_env.bench import AgentSpec, BenchConfig, load_benchmark_file, run_bench
from steptool_env.errors import ConfigError
from steptool_env.world.suite import TEST_SUBSETS

VALID = """
[bench]
env_ids = ["StepTool/ToolBench-v0"]
subsets = "test"
seeds = [0, 1]
samples = 2
num_envs = 4
max_steps = 8
parser = "json"
limit = 5
out = "runs/from-file"

[[agents]]
name = "orc"
kind = "oracle"

[[agents]]
kind = "random"
seed = 7

[[agents]]
name = "qwen-local"
kind = "openai"
base_url = "http://127.0.0.1:8000/v1"
model = "Qwen/Qwen2.5-7B-Instruct"
"""

QWEN = {"base_url": "http://127.0.0.1:8000/v1", "model": "Qwen/Qwen2.5-7B-Instruct"}


def write(tmp_path: Path, text: str, name: str = "bench.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_file_loads(tmp_path: Path) -> None:
    cfg = load_benchmark_file(write(tmp_path, VALID))
    assert cfg.agents == (
        AgentSpec("orc", "oracle", {}),
        AgentSpec("random", "random", {"seed": 7}),  # name defaults to the kind
        AgentSpec("qwen-local", "openai", QWEN),
    )
    assert all(isinstance(a, AgentSpec) for a in cfg.agents)
    assert cfg.subsets == TEST_SUBSETS
    assert len(cfg.subsets) == 6
    assert cfg.env_ids == ("StepTool/ToolBench-v0",)
    assert cfg.seeds == (0, 1)
    assert (cfg.samples, cfg.num_envs, cfg.max_steps, cfg.limit) == (2, 4, 8, 5)
    assert cfg.parser == "json"
    assert cfg.backend == "inprocess"  # not in the file: the default
    assert cfg.out == Path("runs/from-file")
    assert cfg.retry_infra is False
    described = cfg.describe()
    assert described["agents"][2] == {"name": "qwen-local", "kind": "openai", **QWEN}
    assert described["subsets"] == list(TEST_SUBSETS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"all"', TEST_SUBSETS),
        ('"test"', TEST_SUBSETS),
        ('"I2-Cat"', ("I2-Cat",)),
        ('["I3-Inst", "val"]', ("I3-Inst", "val")),
    ],
)
def test_subsets_forms(tmp_path: Path, value: str, expected: tuple[str, ...]) -> None:
    cfg = load_benchmark_file(write(tmp_path, f'[bench]\nout = "o"\nsubsets = {value}\n'))
    assert cfg.subsets == expected


def test_file_without_agents_uses_the_builtins(tmp_path: Path) -> None:
    cfg = load_benchmark_file(write(tmp_path, '[bench]\nout = "o"\n'))
    assert [(a.name, a.kind) for a in cfg.agents] == [
        ("random", "random"),
        ("heuristic", "heuristic"),
        ("oracle", "oracle"),
    ]


def test_overrides_win_over_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    cfg = load_benchmark_file(
        path,
        out=tmp_path / "flag-out",
        seeds=(5,),
        samples=1,
        agents=("oracle",),
        subsets=("I1-Inst",),
        parser=None,  # None: not given, the file's value stays
        limit=None,
        progress=False,
    )
    assert cfg.out == tmp_path / "flag-out"
    assert cfg.seeds == (5,)
    assert cfg.samples == 1
    assert cfg.agents == (AgentSpec("oracle", "oracle"),)
    assert cfg.subsets == ("I1-Inst",)
    assert cfg.parser == "json"
    assert cfg.limit == 5
    assert cfg.progress is False


def test_override_supplies_a_missing_out(tmp_path: Path) -> None:
    path = write(tmp_path, "[bench]\nseeds = [3]\n")
    assert load_benchmark_file(path, out=tmp_path / "o").out == tmp_path / "o"


def test_bad_override_is_not_blamed_on_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    with pytest.raises(ConfigError) as info:
        load_benchmark_file(path, samples=0)
    assert info.value.field == "samples"
    assert str(path) not in str(info.value)
    assert "invalid samples=0" in str(info.value)


AGENTS2 = '[[agents]]\nname = "a"\nkind = "oracle"\n[[agents]]\nname = "b"\nkind = "gpt"\n'


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        pytest.param(
            '[bench]\nout = "o"\nseeds = [0, 0]\n',
            ["bench.seeds", "duplicate seed"],
            id="seeds-duplicate",
        ),
        pytest.param(
            '[bench]\nout = "o"\nseeds = [0, -1]\n',
            ["bench.seeds", "=-1", "integers >= 0"],
            id="seeds-negative",
        ),
        pytest.param(
            '[bench]\nout = "o"\nseeds = ["a"]\n', ["bench.seeds", "='a'"], id="seeds-str"
        ),
        pytest.param(
            '[bench]\nout = "o"\nseeds = [1.5]\n', ["bench.seeds", "=1.5"], id="seeds-float"
        ),
        pytest.param(
            '[bench]\nout = "o"\nseeds = [true]\n', ["bench.seeds", "=True"], id="seeds-bool"
        ),
        pytest.param(
            '[bench]\nout = "o"\nseeds = []\n', ["bench.seeds", "at least one"], id="seeds-empty"
        ),
        pytest.param(
            '[bench]\nout = "o"\nsamples = 0\n',
            ["bench.samples", "=0", "integer >= 1"],
            id="samples-0",
        ),
        pytest.param(
            '[bench]\nout = "o"\nnum_envs = 0\n', ["bench.num_envs", "=0"], id="num-envs-0"
        ),
        pytest.param(
            '[bench]\nout = "o"\nmax_steps = "many"\n',
            ["bench.max_steps", "='many'"],
            id="max-steps-str",
        ),
        pytest.param('[bench]\nout = "o"\nlimit = 0\n', ["bench.limit", "=0"], id="limit-0"),
        pytest.param(
            '[bench]\nout = "o"\nparser = "xml"\n',
            ["bench.parser", "'xml'", "valid choices: react, json, hermes"],
            id="parser",
        ),
        pytest.param(
            '[bench]\nout = "o"\nbackend = "cloud"\n',
            ["bench.backend", "'cloud'", "valid choices: inprocess, http, docker"],
            id="backend",
        ),
        pytest.param(
            '[bench]\nout = "o"\nenv_ids = ["StepTool/Nope-v0"]\n',
            ["bench.env_ids", "'StepTool/Nope-v0'", "StepTool/ToolBench-v0"],
            id="env-ids",
        ),
        pytest.param(
            '[bench]\nout = "o"\nsubsets = ["I1-Inst", "I4-Inst"]\n',
            ["bench.subsets", "'I4-Inst'", "I3-Inst"],
            id="subsets",
        ),
        pytest.param(
            '[bench]\nout = "o"\nretry_infra = "yes"\n',
            ["bench.retry_infra", "'yes'"],
            id="retry-infra",
        ),
        pytest.param("[bench]\nseeds = [0]\n", ["bench.out", "missing"], id="out-missing"),
        pytest.param(
            f'[bench]\nout = "o"\n{AGENTS2}',
            ["agents[1].kind", "'gpt'", "valid choices: random, heuristic, oracle, openai"],
            id="agent-kind",
        ),
        pytest.param(
            '[bench]\nout = "o"\n[[agents]]\nname = "a"\n',
            ["agents[0].kind", "missing"],
            id="agent-no-kind",
        ),
        pytest.param(
            '[bench]\nout = "o"\n[[agents]]\nname = ""\nkind = "oracle"\n',
            ["agents[0].name", "non-empty"],
            id="agent-empty-name",
        ),
        pytest.param(
            '[bench]\nout = "o"\n[[agents]]\nname = "x"\nkind = "oracle"\n'
            '[[agents]]\nname = "x"\nkind = "random"\n',
            ["agents", "'x'", "duplicate agent name"],
            id="agent-duplicate-name",
        ),
        pytest.param(
            'agents = "oracle"\n[bench]\nout = "o"\n',
            ["agents", "[[agents]] tables"],
            id="agents-not-tables",
        ),
        pytest.param(
            '[bench]\nout = "o"\n[extra]\na = 1\n',
            ["invalid extra=", "unknown table", "valid choices: bench, agents"],
            id="unknown-table",
        ),
        pytest.param(
            '[bench\nout = "o"\n', ["invalid file=", "not a readable TOML file"], id="syntax"
        ),
    ],
)
def test_bad_file_names_the_field_and_the_file(
    tmp_path: Path, text: str, needles: list[str]
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_benchmark_file(path)
    message = str(info.value)
    assert message.startswith("invalid ")
    for needle in needles:
        assert needle in message
    assert str(path) in message


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('[bench]\nout = "o"\nsedes = [0, 1]\n', "bench.sedes"),
        ('[bench]\nout = "o"\nprogress = false\n', "bench.progress"),
        ('[bench]\nout = "o"\nagents = ["oracle"]\n', "bench.agents"),
    ],
)
def test_unknown_bench_key_is_rejected(tmp_path: Path, text: str, field: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_benchmark_file(write(tmp_path, text))
    assert info.value.field == field
    assert str(info.value).startswith(f"invalid {field}=")
    assert "unknown field" in str(info.value)
    assert "seeds" in info.value.choices


def test_bench_must_be_a_table(tmp_path: Path) -> None:
    path = write(tmp_path, "bench = 3\n")
    with pytest.raises(ConfigError, match=r"invalid bench=3: must be a table") as info:
        load_benchmark_file(path)
    assert str(path) in str(info.value)


def test_unknown_key_names_the_file_and_only_accepted_choices(tmp_path: Path) -> None:
    path = write(tmp_path, '[bench]\nout = "o"\nsedes = [0]\n')
    with pytest.raises(ConfigError) as info:
        load_benchmark_file(path)
    assert str(path) in str(info.value)
    assert "progress" not in info.value.choices and "agents" not in info.value.choices


def test_bad_agents_override_is_not_blamed_on_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    with pytest.raises(ConfigError) as info:
        load_benchmark_file(path, agents=("gpt",))
    assert info.value.field == "agents[0]"
    assert str(path) not in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_benchmark_file(path)
    assert info.value.field == "file"
    assert str(path) in str(info.value)
    assert "no such benchmark file" in str(info.value)


def test_builtin_names_become_agent_specs(tmp_path: Path) -> None:
    cfg = BenchConfig(out=str(tmp_path), agents=("oracle", AgentSpec("rnd", "random", {"seed": 1})))
    assert cfg.agents == (AgentSpec("oracle", "oracle"), AgentSpec("rnd", "random", {"seed": 1}))
    assert cfg.out == tmp_path
    assert [a.kind for a in BenchConfig(out=tmp_path).agents] == ["random", "heuristic", "oracle"]
    assert BenchConfig(out=tmp_path, seeds=4).seeds == (4,)
    assert BenchConfig(out=tmp_path, subsets="I1-Cat").subsets == ("I1-Cat",)


@pytest.mark.parametrize(
    ("agents", "needles"),
    [
        (("oracle", "oracle"), ["invalid agents='oracle'", "duplicate agent name"]),
        (
            (AgentSpec("x", "oracle"), AgentSpec("x", "random")),
            ["invalid agents='x'", "duplicate agent name"],
        ),
        (("gpt",), ["invalid agents[0]='gpt'", "valid choices: random, heuristic, oracle)"]),
        ((), ["invalid agents=()", "non-empty"]),
        ("oracle", ["invalid agents='oracle'", "non-empty list"]),
        ((42,), ["invalid agents[0]=42", "a name or a table"]),
    ],
)
def test_bad_agents(tmp_path: Path, agents: object, needles: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        BenchConfig(out=tmp_path, agents=agents)
    for needle in needles:
        assert needle in str(info.value)


def test_openai_is_not_a_bare_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        BenchConfig(out=tmp_path, agents=("oracle", "openai"))
    message = str(info.value)
    assert "invalid agents[1]='openai'" in message
    assert "served models are described in a benchmark file" in message
    assert info.value.choices == ("random", "heuristic", "oracle")


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"name": "", "kind": "oracle"}, "invalid agents.name=''"),
        ({"name": "x", "kind": "gpt"}, "invalid agents[x].kind='gpt'"),
    ],
)
def test_agent_spec_validates(kwargs: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        AgentSpec(**kwargs)
    assert needle in str(info.value)


def test_unknown_openai_option_fails_when_planned(tmp_path: Path) -> None:
    text = (
        '[bench]\nsubsets = ["I1-Inst"]\nlimit = 1\n'
        '[[agents]]\nname = "served"\nkind = "openai"\nmodel = "m"\nbogus = 1\n'
    )
    cfg = load_benchmark_file(write(tmp_path, text), out=tmp_path / "out", progress=False)
    assert cfg.agents == (AgentSpec("served", "openai", {"model": "m", "bogus": 1}),)
    with pytest.raises(ConfigError) as info:
        make_agent("openai", model="m", bogus=1)
    assert info.value.field == "bogus"
    assert "invalid bogus=1: unknown option" in str(info.value)
    assert "base_url" in info.value.choices
    with pytest.raises(ConfigError, match=r"invalid bogus=1: unknown option"):
        run_bench(cfg)
    assert not (tmp_path / "out").exists()  # planning fails before anything is written


@pytest.mark.parametrize(
    ("kind", "options", "needle"),
    [
        ("oracle", {"temperature": 0.0}, "invalid oracle.temperature=0.0: unknown option"),
        ("heuristic", {"max_cals": 2}, "invalid heuristic.max_cals=2: unknown option"),
        ("openai", {}, "invalid model=None: missing"),
    ],
)
def test_bad_agent_options_fail_in_make_agent(
    kind: str, options: dict[str, object], needle: str
) -> None:
    with pytest.raises(ConfigError) as info:
        make_agent(kind, **options)
    assert needle in str(info.value)
