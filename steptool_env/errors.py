"""The one error root of steptool-env and its subclasses, one per boundary.

Three kinds, each caught by name:

- :class:`ModelMistake`: the model's call was wrong (bad arguments, an input an API
  rejects). Raised only inside the env, which turns it into an observation with a ToolBench
  status code; it never escapes ``env.step``. Subclasses live where they are raised
  (``tools.validation.InvalidArguments``, ``world.helpers.ApiInputError``).
- :class:`UsageError`: the person running things asked for something wrong. It stops the
  run and says what to change.

  - :class:`ConfigError`      a bad setting (names the field and valid choices);
  - :class:`CatalogueError`   a tool catalogue, query or tool file is malformed;
  - :class:`TaskError`        a task id or split cannot be resolved;
  - :class:`MissingDependencyError`  an optional extra is not installed.

- :class:`InfrastructureError`: something around the model failed. Recorded on the
  affected episode (``infra_error``), never scored.

  - :class:`ToolError`        an API implementation failed in a way that is not the agent's fault;
  - :class:`SandboxError`     a backend (process, container) failed;
  - :class:`ProviderError`    a model provider (local model, served endpoint) failed;
  - :class:`WorkerError`      a remote rollout worker (Ray) or its cluster failed.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import Any


class StepToolError(Exception):
    """Root of every exception raised on purpose by steptool-env."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickle as (class, args, attributes): the subclasses' constructors take other
        # arguments than their message, and errors cross process boundaries (Ray workers).
        return (_restore, (type(self), self.args, self.__dict__))


def _restore(cls: type[StepToolError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class ModelMistake(StepToolError):
    """The model's action was wrong: the env makes it an observation (never raised out)."""


class UsageError(StepToolError):
    """The person running things asked for something wrong: the run stops and says what."""


class InfrastructureError(StepToolError):
    """Something around the model failed: recorded on the episode, never scored."""


class ConfigError(UsageError, ValueError):
    """A user-facing setting is invalid.

    The message names the offending field, the value received and, where the set of
    valid values is finite, every valid choice.
    """

    def __init__(
        self,
        field: str,
        value: object,
        reason: str = "",
        choices: Iterable[object] | None = None,
    ) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        self.choices = tuple(choices) if choices is not None else None
        msg = f"invalid {field}={value!r}"
        if reason:
            msg += f": {reason}"
        if self.choices is not None:
            msg += f" (valid choices: {', '.join(map(str, self.choices))})"
        super().__init__(msg)


class RenderModeError(ConfigError, TypeError):
    """An env was asked for a render mode it does not have. Also a ``TypeError``, the error
    that libraries probing for a render mode expect (stable-baselines3's ``make_vec_env``
    asks for ``rgb_array`` and falls back to the env's default on ``TypeError``).

    ``gymnasium.make`` re-raises a ``TypeError`` from an env as ``type(e)(message)``, so a
    single message argument is accepted too."""

    def __init__(self, value: object, choices: Iterable[object] | None = None) -> None:
        if choices is None and isinstance(value, str) and value.startswith("invalid render_mode"):
            StepToolError.__init__(self, value)
            self.field, self.value, self.reason, self.choices = "render_mode", None, "", None
            return
        super().__init__("render_mode", value, choices=choices)


class CatalogueError(UsageError, ValueError):
    """A tool catalogue, tool file or query file does not have the expected shape."""


class TaskError(UsageError, LookupError):
    """A task, split or task id cannot be resolved."""


class ToolError(InfrastructureError):
    """An API implementation failed for a reason that is not the agent's fault."""


class SandboxError(InfrastructureError):
    """A sandbox backend (in-process, HTTP server or container) failed."""


class ProviderError(InfrastructureError):
    """A model provider (a local model or a served endpoint) failed."""


class WorkerError(InfrastructureError):
    """A remote rollout worker (a Ray actor) died, could not start, or its cluster could not
    be reached: an infrastructure failure, never a score."""


class MissingDependencyError(UsageError, ImportError):
    """An optional dependency is missing; the message names the extra that installs it."""

    def __init__(self, module: str, extra: str, command: str | None = None) -> None:
        self.module = module
        self.extra = extra
        how = command or f"pip install 'steptool-env[{extra}]'"
        super().__init__(
            f"this feature needs the optional dependency {module!r}; install it with: {how}"
        )


def check_int(field: str, value: object, minimum: int = 1) -> int:
    """``value`` if it is an integer (not a bool) >= ``minimum``, else a :class:`ConfigError`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(field, value, f"must be an integer >= {minimum}")
    return value


def require(module: str, extra: str) -> ModuleType:
    """Import an optional dependency or raise :class:`MissingDependencyError`."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised by tests with a fake finder
        raise MissingDependencyError(module, extra) from exc
