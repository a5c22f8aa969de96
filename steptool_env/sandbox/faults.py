"""Seeded fault injection: API failures at chosen rates, identical on every backend.

Real APIs time out, rate-limit and fail; an agent trained only on a perfect sandbox never
learns to cope. ``faults=`` on the env turns on injected failures with ToolBench's status
codes (the env flags them with ``info["api_failure"]`` and names them in
``info["fault"]``). Which call fails is drawn from a generator seeded by the fault seed
and the episode (its reset seed, the number of resets since, and the task), never from
the clock or the backend, so the same seed gives the same faults on ``inprocess``,
``http`` and ``docker``.

An injected failure never reaches the backend (the call does not run, so no state
changes) and answers at once -- training does not wait for simulated timeouts. A slow
response does run, ``slow_s`` late; on every backend a delay that reaches the backend's
``call_timeout_s`` becomes a real wait of ``call_timeout_s`` and a status 5 answer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

from steptool_env.errors import ConfigError
from steptool_env.sandbox.backend import timeout_result
from steptool_env.seeding import StableRng, derive_seed
from steptool_env.tools.status import Status

FAULT_KINDS = ("timeout", "rate_limit", "server_error", "slow")


class Fault(NamedTuple):
    """One injected fault: its kind, and the status and message the agent sees."""

    kind: str
    status: Status
    message: str
    delay_s: float = 0.0


@dataclass(frozen=True)
class FaultConfig:
    """Rates of injected API faults (each a probability per API call; they sum to <= 1)."""

    timeout: float = 0.0
    """Rate of calls that time out: status 5 (TIMEOUT), the call does not run."""
    rate_limit: float = 0.0
    """Rate of calls refused by a rate limit: status 6 (HTTP 429), the call does not run."""
    server_error: float = 0.0
    """Rate of calls failing server-side: status 10 (HTTP 5xx), the call does not run."""
    slow: float = 0.0
    """Rate of slow responses: the call runs and answers ``slow_s`` seconds late."""
    slow_s: float = 0.05
    """Delay of a slow response, in seconds."""
    seed: int = 0
    """Seed of the fault draws (combined with each episode's own seed)."""

    def __post_init__(self) -> None:
        for name in FAULT_KINDS:
            rate = getattr(self, name)
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
                raise ConfigError(f"faults.{name}", rate, "must be a rate between 0 and 1")
        total = sum(getattr(self, name) for name in FAULT_KINDS)
        if total > 1 + 1e-9:
            raise ConfigError("faults", total, "the fault rates must sum to at most 1")
        if (
            isinstance(self.slow_s, bool)
            or not isinstance(self.slow_s, int | float)
            or not (0 <= self.slow_s < 3600 and math.isfinite(self.slow_s))
        ):
            raise ConfigError("faults.slow_s", self.slow_s, "must be seconds in [0, 3600)")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ConfigError("faults.seed", self.seed, "must be an integer")

    @classmethod
    def coerce(cls, value: FaultConfig | Mapping[str, Any] | None) -> FaultConfig | None:
        """``None``, a :class:`FaultConfig`, or a mapping of its fields (e.g. from TOML)."""
        if value is None or isinstance(value, FaultConfig):
            return value
        if not isinstance(value, Mapping):
            raise ConfigError("faults", value, "must be a FaultConfig, a mapping or None")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ConfigError("faults", unknown, "unknown fault fields", choices=sorted(known))
        return cls(**value)

    @property
    def active(self) -> bool:
        return any(getattr(self, name) > 0 for name in FAULT_KINDS)


class FaultInjector:
    """Draws the fault (or none) for each API call of an episode."""

    def __init__(self, config: FaultConfig, call_timeout_s: float) -> None:
        self.config = config
        self.call_timeout_s = call_timeout_s
        self._thresholds: list[tuple[float, str]] = []
        acc = 0.0
        for name in FAULT_KINDS:
            acc += getattr(config, name)
            self._thresholds.append((acc, name))
        self._rng = StableRng(config.seed)

    def start_episode(self, *key: object) -> None:
        """Reseed for one episode; ``key`` identifies it (reset seed, count, task id)."""
        self._rng = StableRng(derive_seed("faults", self.config.seed, *key))

    def draw(self) -> Fault | None:
        u = self._rng.random()
        for threshold, kind in self._thresholds:
            if u < threshold:
                return self._fault(kind)
        return None

    def _fault(self, kind: str) -> Fault:
        if kind == "timeout":
            return Fault(kind, Status.TIMEOUT, timeout_result(self.call_timeout_s).error)
        if kind == "rate_limit":
            return Fault(
                kind,
                Status.RATE_LIMITED,
                "429 Too Many Requests: the API's rate limit is exceeded; retry later.",
            )
        if kind == "server_error":
            return Fault(
                kind,
                Status.SERVER_ERROR,
                "500 Internal Server Error: the API failed while handling the request.",
            )
        return Fault(kind, Status.OK, "", self.config.slow_s)
