"""Errors by kind: every error class sits under exactly one of ModelMistake, UsageError and
InfrastructureError, and each kind is handled as documented."""

from __future__ import annotations

import pickle

import pytest

from steptool_env import errors
from steptool_env.errors import InfrastructureError, ModelMistake, StepToolError, UsageError
from steptool_env.rollout.batch import Failure
from steptool_env.tools.validation import InvalidArguments
from steptool_env.world.helpers import ApiInputError

KINDS = (ModelMistake, UsageError, InfrastructureError)


def _classes() -> list[type[StepToolError]]:
    found = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, StepToolError) and c not in KINDS
    ]
    return [c for c in found if c is not StepToolError] + [InvalidArguments, ApiInputError]


@pytest.mark.parametrize("cls", _classes(), ids=lambda c: c.__name__)
def test_every_error_has_exactly_one_kind(cls: type[StepToolError]) -> None:
    assert sum(issubclass(cls, k) for k in KINDS) == 1


def test_the_kinds_of_the_main_errors() -> None:
    assert issubclass(errors.ConfigError, UsageError)
    assert issubclass(errors.MissingDependencyError, UsageError)
    assert issubclass(errors.TaskError, UsageError)
    for cls in (errors.ToolError, errors.SandboxError, errors.ProviderError, errors.WorkerError):
        assert issubclass(cls, InfrastructureError)
    assert issubclass(InvalidArguments, ModelMistake)
    assert issubclass(ApiInputError, ModelMistake)


def test_a_config_error_stops_a_run_and_infrastructure_is_recorded() -> None:
    with pytest.raises(errors.ConfigError):
        Failure.of(errors.ConfigError("x", 1))
    failure = Failure.of(errors.SandboxError("the server went away"))
    assert "SandboxError" in failure.error and "the server went away" in failure.traceback


@pytest.mark.parametrize(
    "exc",
    [errors.ConfigError("alpha", -1, "must be >= 0", choices=(0, 1)), errors.WorkerError("lost")],
)
def test_errors_survive_pickling_with_their_kind(exc: StepToolError) -> None:
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is type(exc) and str(back) == str(exc)
