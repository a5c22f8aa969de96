"""The Hugging Face LM agent on a tiny from-scratch model (random init)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from steptool_env.agents import make_agent
from steptool_env.agents.lm_agent import LMAgent, LMAgentConfig, Prompter
from steptool_env.agents.model_source import OFFLINE_VARS, resolve_model
from steptool_env.cli import main
from steptool_env.envs.tool_use_env import ToolUseEnv
from steptool_env.errors import ConfigError
from steptool_env.rollout.loop import collect
from steptool_env.rollout.records import EpisodeSpec


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from steptool_env.training.scratch import build_scratch_model

    return build_scratch_model(tmp_path_factory.mktemp("tiny-agent"), "tiny", corpus_episodes=30)


def _run(agent, n_envs: int, n_episodes: int = 3, max_steps: int = 2):
    envs = [ToolUseEnv(max_steps=max_steps) for _ in range(n_envs)]
    specs = [EpisodeSpec(t.task_id, 7 + i) for i, t in enumerate(envs[0].tasks[:n_episodes])]
    try:
        return collect(envs, agent, specs)
    finally:
        for e in envs:
            e.close()


def test_malformed_and_cut_generations_are_bad_input_not_crashes(tiny: Path) -> None:
    agent = make_agent("hf", model=str(tiny), max_new_tokens=5, temperature=1.0, device="cpu")
    trajs = _run(agent, n_envs=2)
    for t in trajs:
        assert not t.infra_error
        assert t.truncated and t.n_steps == 2
        for s in t.steps:
            assert s.status == 2  # random text: the env's bad-input path
            assert s.reward == 0.0
            assert len(s.sample.action_ids) == len(s.sample.logprobs) <= 5
            assert np.all(s.sample.logprobs <= 0)
        assert t.tokens_out == sum(len(s.sample.action_ids) for s in t.steps)
        assert t.tokens_in == sum(len(s.sample.context_ids) for s in t.steps)


@pytest.mark.slow
def test_sampling_is_seeded_per_episode_not_per_batch(tiny: Path) -> None:
    agent = make_agent("hf", model=str(tiny), max_new_tokens=12, temperature=1.0, seed=3)
    one = [t.digest() for t in _run(agent, n_envs=1)]
    again = [t.digest() for t in _run(agent, n_envs=1)]
    batched = [t.digest() for t in _run(agent, n_envs=3)]
    assert one == again
    assert one == batched
    other = make_agent("hf", model=str(tiny), max_new_tokens=12, temperature=1.0, seed=4)
    assert [t.digest() for t in _run(other, n_envs=1)] != one


@pytest.mark.slow
def test_greedy_is_deterministic_and_records_logprobs(tiny: Path) -> None:
    agent = make_agent("hf", model=str(tiny), max_new_tokens=8)
    a, b = _run(agent, n_envs=2), _run(agent, n_envs=1)
    assert [t.digest() for t in a] == [t.digest() for t in b]
    s = a[0].steps[0].sample
    assert s.context_ids.dtype == np.int64 and len(s.context_ids) > 100
    assert not s.stopped or s.action_ids[-1] in agent.stop_ids


def test_long_contexts_keep_head_and_tail(tiny: Path) -> None:
    agent = make_agent("hf", model=str(tiny), max_context_tokens=64, max_new_tokens=2)
    env = ToolUseEnv()
    env.reset(seed=0)
    from steptool_env.agents.base import TurnView

    view = TurnView(0, env, "", 0, 0, {})
    full = agent.tokenizer(agent.prompter.text(view), add_special_tokens=False)["input_ids"]
    ids = agent.prompter.ids(view)
    assert len(full) > 64 and len(ids) == 64
    assert ids[:32] == full[:32] and ids[32:] == full[-32:]
    env.close()


def test_native_tools_when_the_template_supports_them(tiny: Path) -> None:
    agent = make_agent("hf", model=str(tiny))
    tok = agent.tokenizer
    tok.chat_template = (
        "{% if tools %}TOOLS:{% for t in tools %}{{ t['function']['name'] }};{% endfor %}"
        "{% endif %}"
        "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>{% endif %}"
    )
    env = ToolUseEnv(parser="hermes")
    env.reset(seed=0)
    from steptool_env.agents.base import TurnView

    view = TurnView(0, env, "", 0, 0, {})
    text = Prompter(tok, 4096, None).text(view)
    assert text.startswith("TOOLS:") and "Finish;" in text
    assert "Available functions" not in text  # the schemas travel as tools, not prose
    react = ToolUseEnv(parser="react")
    react.reset(seed=0)
    text = Prompter(tok, 4096, None).text(TurnView(0, react, "", 0, 0, {}))
    assert not text.startswith("TOOLS:") and "Available functions" in text
    env.close()
    react.close()


def test_bad_options_are_config_errors(tiny: Path) -> None:
    with pytest.raises(ConfigError, match=r"hf\.beam_size"):
        make_agent("hf", model=str(tiny), beam_size=4)
    with pytest.raises(ConfigError, match=r"hf\.model"):
        make_agent("hf")
    with pytest.raises(ConfigError, match="temperature"):
        LMAgentConfig(model="x", temperature=-1)
    with pytest.raises(ConfigError, match="top_p"):
        LMAgentConfig(model="x", top_p=0)
    with pytest.raises(ConfigError, match=f"no such folder: {tiny / 'missing'}"):
        make_agent("hf", model=str(tiny / "missing"))
    assert isinstance(make_agent("hf", model=str(tiny)), LMAgent)


# ----------------------------------------------------------------------------------------
# Where an hf: spec's model comes from (never from the network in these tests)
# ----------------------------------------------------------------------------------------


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder with ``org/name/`` (a folder shaped like a hub id) and a file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "org" / "name").mkdir(parents=True)
    (tmp_path / "weights.txt").write_text("not a model")
    return tmp_path


@pytest.mark.parametrize(
    ("spec", "kind", "location"),
    [
        ("org/name", "folder", "org/name"),  # an existing folder wins over the hub id
        ("./org/name", "folder", "org/name"),
        ("org/name/", "folder", "org/name"),
        ("org/other", "hub", None),
        ("gpt2", "hub", None),
        ("HuggingFaceTB/SmolLM2-135M-Instruct", "hub", None),
    ],
)
def test_specs_resolve_to_a_folder_or_a_hub_id(
    workdir: Path, spec: str, kind: str, location: str | None
) -> None:
    source = resolve_model(spec)
    assert source.kind == kind
    assert source.location == (str(workdir / location) if location else spec)


@pytest.mark.parametrize(
    ("spec", "missing", "reason"),
    [
        ("./org/other", "org/other", "no such folder"),
        ("../elsewhere/model", "../elsewhere/model", "no such folder"),
        ("runs/ppo/final", "runs/ppo/final", "no such folder"),  # more than one "/"
        ("~/models/small", "home/models/small", "no such folder"),
        ("/no/such/model", "/no/such/model", "no such folder"),
        ("org\\name", "org\\name", "no such folder"),
        ("./weights.txt", "weights.txt", "is a file, not a model folder"),
    ],
)
def test_path_like_specs_are_only_looked_for_locally(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, spec: str, missing: str, reason: str
) -> None:
    import transformers

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("a path-like spec reached from_pretrained")

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", never)
    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", never)
    with pytest.raises(ConfigError) as info:
        make_agent("hf", model=spec, device="cpu")
    message = str(info.value)
    assert reason in message
    assert f": {os.path.abspath(workdir / missing)} " in message  # the folder looked for
    assert "only looked for locally" in message


def test_malformed_spec_is_a_config_error(workdir: Path) -> None:
    for spec in ("my model", "hf:org/name", ""):
        with pytest.raises(ConfigError, match="model"):
            resolve_model(spec)


def test_hub_id_with_the_hub_offline_says_so(workdir: Path) -> None:
    # HF_HUB_OFFLINE=1 (tests/conftest.py): only the local hub cache is searched
    with pytest.raises(ConfigError) as info:
        make_agent("hf", model="some/typo", device="cpu")
    message = str(info.value)
    assert f"no local folder {workdir / 'some' / 'typo'} exists" in message
    assert "Hub was not asked (HF_HUB_OFFLINE is set)" in message


def test_hub_id_that_fails_to_load_names_the_missing_folder_and_the_hub(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import transformers

    for var in OFFLINE_VARS:
        monkeypatch.delenv(var, raising=False)
    asked: list[tuple[str, dict]] = []

    def unreachable(name: str, **kwargs: object) -> None:  # stands in for the hub
        asked.append((name, kwargs))
        raise OSError("We couldn't connect to 'https://huggingface.co' to load the files.")

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", unreachable)
    with pytest.raises(ConfigError) as info:
        make_agent("hf", model="some/typo", device="cpu")
    message = str(info.value)
    assert f"no local folder {workdir / 'some' / 'typo'} exists" in message
    assert "loading it from the Hugging Face Hub failed" in message
    assert "couldn't connect to 'https://huggingface.co'" in message
    assert asked == [("some/typo", {"local_files_only": False})]


def test_a_folder_that_is_no_model_says_which_folder(workdir: Path) -> None:
    with pytest.raises(ConfigError, match=f"the folder {workdir / 'org' / 'name'} cannot be"):
        make_agent("hf", model="org/name", device="cpu")


def test_bench_with_a_missing_model_folder_exits_2(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bench", "--agents", "hf:./models/typo", "--subsets", "I1-Inst", "--limit", "1",
            "--out", str(workdir / "bench"), "--no-progress"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("steptool: error: invalid model='./models/typo': no such folder")
    assert str(workdir / "models" / "typo") in err


# --- generation: logits of the last position only; log-probs of the sampling distribution


def _reference_logprobs(logits: np.ndarray, temperature: float, top_p: float) -> np.ndarray:
    """The sampling distribution's log-probs, computed independently in float64 numpy."""
    z = logits.astype(np.float64) / temperature
    p = np.exp(z - z.max())
    p /= p.sum()
    order = np.argsort(-p, kind="stable")
    before = np.cumsum(p[order]) - p[order]
    keep = np.zeros_like(p, dtype=bool)
    keep[order[before < top_p]] = True
    q = np.where(keep, p, 0.0)
    q /= q.sum()
    with np.errstate(divide="ignore"):
        return np.log(q)


@pytest.mark.parametrize(("temperature", "top_p"), [(0.7, 1.0), (1.3, 0.8), (1.0, 0.5)])
def test_rollout_logprobs_are_those_of_the_sampling_distribution(
    tiny: Path, temperature: float, top_p: float
) -> None:
    import torch

    agent = make_agent(
        "hf", model=str(tiny), max_new_tokens=6, temperature=temperature, top_p=top_p
    )
    sample = _run(agent, n_envs=1, n_episodes=1, max_steps=1)[0].steps[0].sample
    ids = np.concatenate([sample.context_ids, sample.action_ids])
    with torch.no_grad():
        logits = agent.model(input_ids=torch.tensor(ids[None])).logits[0].float().numpy()
    n = len(sample.action_ids)
    for k in range(n):
        row = logits[len(sample.context_ids) - 1 + k]
        want = _reference_logprobs(row, temperature, top_p)[sample.action_ids[k]]
        assert np.isfinite(want)  # a sampled token lies in the nucleus
        assert sample.logprobs[k] == pytest.approx(want, abs=2e-4)
    plain = torch.log_softmax(torch.tensor(logits[len(sample.context_ids) - 1]), -1)
    assert abs(float(plain[sample.action_ids[0]]) - sample.logprobs[0]) > 1e-3  # not T = 1


def test_generation_computes_logits_of_the_last_position_only(tiny: Path) -> None:
    agent = make_agent("hf", model=str(tiny), max_new_tokens=3)
    shapes: list[tuple[int, ...]] = []
    head = agent.model.get_output_embeddings()
    hook = head.register_forward_hook(lambda _m, _i, out: shapes.append(tuple(out.shape)))
    try:
        _run(agent, n_envs=2, n_episodes=2, max_steps=1)
    finally:
        hook.remove()
    assert shapes and all(s[1] == 1 for s in shapes), shapes  # never (batch, prompt, vocab)


# --- keys/values kept between turns: only the new part of the conversation is prefilled


@pytest.mark.parametrize("temperature", [0.0, 1.0])
@pytest.mark.slow
def test_kv_reuse_gives_the_same_episodes_as_full_prefill(tiny: Path, temperature: float) -> None:
    kw = {"model": str(tiny), "max_new_tokens": 10, "temperature": temperature, "seed": 5}
    reuse = make_agent("hf", **kw)
    fresh = make_agent("hf", kv_reuse=False, **kw)
    a = _run(reuse, n_envs=3, n_episodes=5, max_steps=4)
    b = _run(fresh, n_envs=3, n_episodes=5, max_steps=4)
    assert [t.digest() for t in a] == [t.digest() for t in b]
    for ta, tb in zip(a, b):
        for sa, sb in zip(ta.steps, tb.steps):
            np.testing.assert_allclose(sa.sample.logprobs, sb.sample.logprobs, atol=1e-4)
    assert reuse._prefixes and not fresh._prefixes


def test_kv_reuse_prefills_only_what_is_new(tiny: Path) -> None:
    """From the second turn on, the model reads the observation and the next prompt, not
    the whole conversation again."""
    agent = make_agent("hf", model=str(tiny), max_new_tokens=6)
    widths: list[int] = []
    original = agent.model.forward

    def spy(*args, **kwargs):
        widths.append(int(kwargs["input_ids"].shape[1]))
        return original(*args, **kwargs)

    agent.model.forward = spy
    traj = _run(agent, n_envs=1, n_episodes=1, max_steps=3)[0]
    prefills = [w for w in widths if w > 1]  # decoding steps read one token
    contexts = [len(s.sample.context_ids) for s in traj.steps]
    assert prefills[0] == contexts[0]
    assert all(w < c / 2 for w, c in zip(prefills[1:], contexts[1:])), (prefills, contexts)


def test_the_sampler_draws_from_the_distribution_row_by_row() -> None:
    """``_choose`` by inversion: frequencies match the probabilities (a chi-square bound),
    tokens of probability 0 are never drawn, a row's draw depends only on its own generator
    (not on the other rows), and temperature 0 takes the argmax."""
    import torch

    from steptool_env.agents.lm_agent import _choose

    probs = torch.tensor([0.05, 0.0, 0.25, 0.1, 0.6, 0.0])
    logp = probs.log().expand(4000, -1).contiguous()
    gens = [torch.Generator().manual_seed(k) for k in range(4000)]
    drawn = _choose(logp, 1.0, gens)
    counts = torch.bincount(drawn, minlength=6).double()
    assert counts[1] == 0 and counts[5] == 0
    expected = probs.double() * 4000
    keep = expected > 0
    chi2 = float((((counts - expected) ** 2)[keep] / expected[keep]).sum())
    assert chi2 < 16.3  # the 0.999 quantile of chi-square with 3 degrees of freedom
    # row 7 alone, with a copy of its generator, draws what it drew in the batch
    for k in (0, 7, 3999):
        alone = _choose(logp[k : k + 1], 1.0, [torch.Generator().manual_seed(k)])
        assert int(alone[0]) == int(drawn[k])
    assert _choose(logp[:3], 0.0, None).tolist() == [4, 4, 4]
