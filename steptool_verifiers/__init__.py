"""The name verifiers loads steptool-env by: ``vf-eval steptool-verifiers`` (extra ``verifiers``).

verifiers finds a taskset, its harness and its env by the top-level package named by the id
(``--env.taskset.id``), through the classes that package exports in ``__all__``. This one
exports those of :mod:`steptool_env.integrations.verifiers_env`, where they live.
"""

from steptool_env.integrations.verifiers_env import (
    StepToolEnv,
    StepToolHarness,
    StepToolTaskset,
    load_environment,
)

__all__ = ["StepToolEnv", "StepToolHarness", "StepToolTaskset", "load_environment"]
