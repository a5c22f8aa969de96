"""Small models from scratch, for machines without downloaded weights (and for the tests).

:func:`build_scratch_model` trains a byte-level BPE tokenizer (the ``tokenizers`` library) on
the suite's own text — prompts, oracle actions and tool responses of training episodes,
collected through the rollout loop — gives it a small chat template, and builds a randomly
initialised Llama-architecture model from a preset. The result is saved as an ordinary
Hugging Face folder: everything that loads a hub model (the ``hf`` agent, ``steptool
train``) loads it the same way.

The byte-level alphabet means any text encodes (nothing maps to an unknown token), and
digits are split one per token so the model can copy ids and numbers between turns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steptool_env.errors import ConfigError, require

END = "<|end|>"
PAD = "<|pad|>"
ROLES = ("system", "user", "assistant", "tool")
SPECIAL_TOKENS = (PAD, END, *(f"<|{r}|>" for r in ROLES))

CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{ '<|' + message['role'] + '|>\\n' + (message['content'] or '') + '<|end|>\\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|assistant|>\\n' }}{%- endif -%}"
)
"""Role header, content, ``<|end|>``. Generation stops at ``<|end|>``. Rendering is
prefix-consistent (the prompt of turn t is a prefix of turn t+1's), which lets the trainer
pack an episode's steps into one sequence."""


@dataclass(frozen=True)
class Preset:
    """Shape of a from-scratch model (Llama architecture, tied embeddings, no dropout)."""

    hidden_size: int
    layers: int
    heads: int
    intermediate_size: int
    vocab_size: int
    max_positions: int = 8192


PRESETS: dict[str, Preset] = {
    "tiny": Preset(hidden_size=64, layers=2, heads=4, intermediate_size=128, vocab_size=1024),
    "small": Preset(hidden_size=128, layers=3, heads=4, intermediate_size=384, vocab_size=2048),
    "base": Preset(hidden_size=384, layers=6, heads=6, intermediate_size=1152, vocab_size=8192),
}
"""``tiny`` for tests (~0.2M parameters), ``small`` for CPU runs (~1M), ``base`` for a GPU."""


def suite_corpus(
    split: str = "train", episodes: int = 400, parser: str = "react", seed: int = 0
) -> Iterator[str]:
    """Texts of oracle episodes on ``split``: every prompt, action and tool response."""
    from steptool_env.agents import OracleAgent
    from steptool_env.envs.tool_use_env import ToolUseEnv
    from steptool_env.rollout.loop import run_episodes
    from steptool_env.rollout.records import EpisodeSpec

    env = ToolUseEnv(split=split, parser=parser)
    try:
        tasks = env.tasks[:episodes]
        specs = [EpisodeSpec(t.task_id, seed + k) for k, t in enumerate(tasks)]
        for traj in run_episodes([env], OracleAgent(), specs):
            yield traj.prompt
            for s in traj.steps:
                yield s.action
                yield s.observation
    finally:
        env.close()


def train_tokenizer(texts: Iterable[str], vocab_size: int) -> Any:
    """A byte-level BPE tokenizer with the chat template, as a ``PreTrainedTokenizerFast``."""
    tokenizers = require("tokenizers", "train")
    transformers = require("transformers", "train")
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 300:
        raise ConfigError("vocab_size", vocab_size, "must be an integer >= 300")
    from tokenizers import decoders, models, pre_tokenizers, trainers

    tok = tokenizers.Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=END,
        pad_token=PAD,
        additional_special_tokens=[f"<|{r}|>" for r in ROLES],
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def init_model(preset: str | Preset, tokenizer: Any, seed: int = 0) -> Any:
    """A randomly initialised causal LM of ``preset`` sized to ``tokenizer``."""
    torch = require("torch", "train")
    transformers = require("transformers", "train")
    p = _preset(preset)
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=p.hidden_size,
        intermediate_size=p.intermediate_size,
        num_hidden_layers=p.layers,
        num_attention_heads=p.heads,
        num_key_value_heads=p.heads,
        max_position_embeddings=p.max_positions,
        tie_word_embeddings=True,
        attention_dropout=0.0,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = transformers.AutoModelForCausalLM.from_config(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model


def build_scratch_model(
    out: str | Path,
    preset: str = "tiny",
    *,
    seed: int = 0,
    corpus_episodes: int = 400,
    parser: str = "react",
) -> Path:
    """Train a tokenizer on the suite and save a random-init model of ``preset`` to ``out``."""
    p = _preset(preset)
    tokenizer = train_tokenizer(suite_corpus("train", corpus_episodes, parser, seed), p.vocab_size)
    model = init_model(p, tokenizer, seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def _preset(preset: str | Preset) -> Preset:
    if isinstance(preset, Preset):
        return preset
    if preset not in PRESETS:
        raise ConfigError("preset", preset, choices=PRESETS)
    return PRESETS[preset]
