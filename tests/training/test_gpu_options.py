"""Training options for real models on a GPU, each checked on CPU with a tiny model: LoRA
(the reference is the model with its adapters off; runs resume exactly; the final folder is
a merged model any agent loads) and gradient checkpointing (same gradients, recomputed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from steptool_env.agents.lm_agent import load_model  # noqa: E402
from steptool_env.training import TrainConfig, train  # noqa: E402
from steptool_env.training.batch import forward, pack_all  # noqa: E402
from steptool_env.training.metrics import read_metrics  # noqa: E402
from steptool_env.training.policy import Reference, checkpoint_dir, load_policy  # noqa: E402
from tests.training.test_training import _cfg as training_cfg  # noqa: E402
from tests.training.test_training import _demo_items, _strip  # noqa: E402


def _cfg(tiny_model: Path, out: Path, **kw) -> TrainConfig:
    """A short LoRA PPO run (the training tests' settings, smaller)."""
    base = dict(
        algo="ppo", updates=3, num_envs=2, episodes_per_update=2, max_new_tokens=10,
        max_steps=2, device="cpu", lora_r=4, checkpoint_every=1,
    )  # fmt: skip
    return training_cfg(tiny_model, out, **{**base, **kw})


def test_lora_reference_is_the_model_with_adapters_off(tiny_model: Path, tmp_path: Path) -> None:
    cfg = _cfg(tiny_model, tmp_path / "r")
    policy = load_policy(cfg, str(tiny_model), with_value=True)
    reference = Reference.of(policy, str(tiny_model), cfg, resumed=False)
    assert reference.model is policy.model  # no second copy
    items, _ = _demo_items(tiny_model, 1)
    seqs = pack_all(items)
    with torch.no_grad():
        for p in policy.model.parameters():  # move the adapters away from zero
            if p.requires_grad:
                p.add_(0.05)
        moved = forward(policy.model, None, seqs, policy.pad_id).logprobs
        with reference.active() as ref:
            ref_lp = forward(ref, None, seqs, policy.pad_id).logprobs
    base, _ = load_model(str(tiny_model), device="cpu")
    with torch.no_grad():
        plain = forward(base, None, seqs, policy.pad_id).logprobs
    torch.testing.assert_close(ref_lp, plain, rtol=0, atol=1e-5)
    assert float((moved - plain).abs().max()) > 1e-3
    with torch.no_grad():  # and the adapters are back on afterwards
        again = forward(policy.model, None, seqs, policy.pad_id).logprobs
    torch.testing.assert_close(again, moved)


@pytest.mark.slow
def test_lora_runs_resume_exactly_and_end_merged(tiny_model: Path, tmp_path: Path) -> None:
    cfg = _cfg(tiny_model, tmp_path / "run")
    full = _strip(train(cfg).metrics)
    assert (checkpoint_dir(cfg.out, 1) / "adapter_config.json").exists()
    for u in (2, 3):
        shutil.rmtree(checkpoint_dir(cfg.out, u))
    shutil.rmtree(cfg.out / "final")
    resumed = train(cfg, resume=True)
    assert _strip(read_metrics(cfg.out)) == full
    merged, _ = load_model(str(resumed.final), device="cpu")  # an ordinary model folder
    assert not any("lora" in name for name, _ in merged.named_parameters())


@pytest.mark.slow
def test_gradient_checkpointing_gives_the_same_gradients(tiny_model: Path, tmp_path: Path) -> None:
    items, _ = _demo_items(tiny_model, 1)
    seqs = pack_all(items)
    grads = []
    for checkpointing in (False, True):
        cfg = _cfg(tiny_model, tmp_path / "g", lora_r=0, gradient_checkpointing=checkpointing)
        policy = load_policy(cfg, str(tiny_model), with_value=False)
        runs = []  # the first layer's MLP runs again in the backward pass when on (a pre-hook:
        # the recomputation stops as soon as it has what the backward needs)
        mlp = policy.model.model.layers[0].mlp
        mlp.register_forward_pre_hook(lambda *_, runs=runs: runs.append(1))
        with policy.learning():
            assert policy.model.training == checkpointing
            out = forward(policy.model, None, seqs, policy.pad_id)
            (-out.logprobs.sum()).backward()
        assert not policy.model.training
        assert len(runs) == (2 if checkpointing else 1)
        grads.append(np.concatenate([p.grad.flatten().numpy() for p in policy.model.parameters()]))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-4, atol=1e-6)


def test_micro_batches_by_token_budget() -> None:
    from steptool_env.training.batch import PackedSequence, cut_micro_batches, group_minibatches

    lengths = [300, 20, 40, 900, 35, 50, 10, 600, 80, 5]
    seqs = [PackedSequence(np.zeros(n, np.int64), []) for n in lengths]
    micros = cut_micro_batches(seqs, size=2, max_tokens=400)
    assert [s for m in micros for s in m] == seqs  # every sequence once, in order
    for m in micros:
        assert len(m) == 1 or max(len(s.ids) for s in m) * len(m) <= 400
    assert [len(m) for m in micros] == [1, 2, 1, 3, 1, 2]
    assert [len(m) for m in cut_micro_batches(seqs, size=4)] == [4, 4, 2]
    minis = group_minibatches(micros, 4)
    assert all(sum(len(m) for m in mb) >= 4 for mb in minis[:-1])
    assert [m for mb in minis for m in mb] == micros


@pytest.mark.slow
def test_a_run_with_a_token_budget(tiny_model: Path, tmp_path: Path) -> None:
    cfg = _cfg(tiny_model, tmp_path / "tb", lora_r=0, updates=1, micro_batch_tokens=3000)
    row = train(cfg).metrics[-1]
    assert row["action_tokens"] > 0 and np.isfinite(row["loss"])


@pytest.mark.slow
def test_float16_steps_through_a_loss_scaler(tiny_model: Path, tmp_path: Path) -> None:
    """dtype="float16": autocast in float16, the loss scaled before backward, gradients
    unscaled before clipping, a non-finite gradient skipped and the scale lowered."""
    cfg = _cfg(tiny_model, tmp_path / "p16", lora_r=0, dtype="float16")
    policy = load_policy(cfg, str(tiny_model), with_value=False)
    assert policy.scaler is not None and policy.autocast_dtype is torch.float16
    optimizer = torch.optim.SGD(policy.parameters(), lr=1e-2)
    items, _ = _demo_items(tiny_model, 1)
    seqs = pack_all(items)
    before = [p.detach().clone() for p in policy.parameters()]
    with policy.autocast():
        out = forward(policy.model, None, seqs, policy.pad_id)
    assert out.logprobs.dtype in (torch.float16, torch.float32)
    loss = -out.logprobs.float().mean()
    policy.backward(loss)
    scale = policy.scaler.get_scale()
    norm, moved = policy.step(optimizer, cfg.max_grad_norm)
    assert moved and np.isfinite(norm) and norm > 0
    assert any(not torch.equal(a, b) for a, b in zip(before, policy.parameters()))
    # the reported norm is of the unscaled gradients: recompute it in float32
    optimizer.zero_grad(set_to_none=True)
    with policy.autocast():
        again = -forward(policy.model, None, seqs, policy.pad_id).logprobs.float().mean()
    again.backward()
    plain = float(torch.nn.utils.clip_grad_norm_(policy.parameters(), float("inf")))
    assert plain == pytest.approx(norm, rel=0.2)
    # an infinite gradient: no step, and the scale goes down
    optimizer.zero_grad(set_to_none=True)
    kept = [p.detach().clone() for p in policy.parameters()]
    policy.backward(float("inf") * sum(p.sum() for p in policy.parameters()))
    norm, moved = policy.step(optimizer, cfg.max_grad_norm)
    assert not moved and not np.isfinite(norm)
    assert all(torch.equal(a, b) for a, b in zip(kept, policy.parameters()))
    assert policy.scaler.get_scale() < scale


@pytest.mark.slow
def test_a_float16_run_trains_and_resumes_exactly(tiny_model: Path, tmp_path: Path) -> None:
    cfg = _cfg(tiny_model, tmp_path / "f16", lora_r=0, dtype="float16")
    full = _strip(train(cfg).metrics)
    assert all(np.isfinite(r["loss"]) for r in full)
    assert (checkpoint_dir(cfg.out, 1) / "grad_scaler.pt").exists()
    for u in (2, 3):
        shutil.rmtree(checkpoint_dir(cfg.out, u))
    shutil.rmtree(cfg.out / "final")
    train(cfg, resume=True)
    assert _strip(read_metrics(cfg.out)) == full


def test_scoring_and_learning_build_no_kv_cache(tiny_model: Path, tmp_path: Path) -> None:
    """The training forward reads whole sequences once: a KV cache (every layer's keys and
    values of every token) would be memory spent for nothing."""
    items, _ = _demo_items(tiny_model, 1)
    policy = load_policy(_cfg(tiny_model, tmp_path / "c"), str(tiny_model), with_value=False)
    assert policy.model.config.use_cache  # generation keeps using it
    caches = []
    policy.model.register_forward_hook(
        lambda _m, _a, out, caches=caches: caches.append(
            out.cache if hasattr(out, "cache") else out.past_key_values
        )
    )
    forward(policy.model, None, pack_all(items), policy.pad_id)
    assert caches == [None]
