"""Rollouts on Ray: env workers spread over a cluster (the optional ``ray`` extra).

A :class:`WorkerPool` starts ``workers`` Ray actors (:class:`EnvWorker`), each hosting
``envs_per_worker`` envs of one registered id, made with ``gymnasium.make`` on whatever
node Ray places it (any backend, Docker included: the container starts on the worker's
node). Two ways to use a pool, both through the single rollout loop:

- :meth:`WorkerPool.envs` gives a :class:`RayEnvs`, an
  :class:`~steptool_env.rollout.batch.EnvBatch` the loop steps like local envs while the
  agent stays in this process (a learner on its GPU). Each turn sends every worker one
  request with the steps of its envs and waits for all: at most one step per env in
  flight. Agents read a mirror of each env (messages, tool schemas, the task, function
  names) that the workers keep up to date with each reply.
- :meth:`WorkerPool.run_episodes` runs whole episodes in the workers, agent included (the
  bench's ``--executor ray``): episodes go out in chunks, at most ``max_in_flight`` chunks
  queued per worker, and come back as trajectories.

Same seeds, same trajectories: an episode is a function of its spec (task id, env seed),
never of the worker, node or batch it ran on; the tests compare trajectory digests with
the local executor.

A worker that dies (its process is killed, its node lost) is restarted by Ray (up to
``max_restarts`` times). With :class:`RayEnvs`, the episodes it was running end with an
infrastructure error (``infra_error``), never a score. With :meth:`WorkerPool.run_episodes`,
a chunk comes back whole or not at all, so a lost chunk is sent again (up to
``max_attempts`` times, then its episodes are returned as infrastructure errors): every
episode is returned exactly once.

Ray is imported only when a pool starts; without it, :func:`connect` raises
:class:`~steptool_env.errors.MissingDependencyError` naming the extra to install.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import socket
import time
import uuid
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from steptool_env.errors import ConfigError, StepToolError, WorkerError, check_int, require
from steptool_env.rollout.batch import EnvBatch, Failure, LocalEnvs, ResetOut, StepOut
from steptool_env.rollout.records import EpisodeSpec, Trajectory

__all__ = [
    "EnvWorker",
    "RayConfig",
    "RayEnvs",
    "RemoteEnv",
    "WorkerPool",
    "connect",
]


@dataclass(frozen=True)
class RayConfig:
    """Where and how many Ray env workers run."""

    address: str | None = None
    """Address of a running Ray cluster (``"10.0.0.5:6379"``, ``"auto"``); ``None`` joins the
    cluster this process is already connected to, or starts a local one (``ray.init()``)."""
    workers: int = 2
    """Env worker actors to start."""
    envs_per_worker: int = 8
    """Envs (episodes in flight) hosted by each worker."""
    cpus_per_worker: float = 1.0
    """CPUs Ray reserves for each worker."""
    gpus_per_worker: float = 0.0
    """GPUs Ray reserves for each worker (for agents that run a model inside the worker)."""
    chunk_size: int = 0
    """Episodes per request with :meth:`WorkerPool.run_episodes` (0: four per env)."""
    max_in_flight: int = 2
    """Chunks sent to each worker at once: one runs, the next waits in the worker's queue
    so it never idles between chunks; the driver holds back the rest (back-pressure)."""
    max_attempts: int = 3
    """Times a chunk is sent before its episodes are returned as infrastructure errors."""
    max_restarts: int = 4
    """Times Ray restarts a worker whose process died (-1: without limit)."""
    start_timeout_s: float = 300.0
    """Seconds to wait for every worker to start, or to come back after Ray restarts it (a
    cluster without the resources asked for would otherwise wait forever)."""
    request_timeout_s: float | None = 600.0
    """Seconds a batch of env resets or steps may take (:class:`RayEnvs`) before its worker
    counts as hung: it is restarted and its episodes end as infrastructure errors."""
    chunk_timeout_s: float | None = None
    """Seconds a chunk of whole episodes may take before its worker counts as hung (and the
    chunk is sent again); ``None``: no limit (episodes of slow models take long)."""
    env_vars: Mapping[str, str] = field(default_factory=dict)
    """Environment variables for the worker processes, on top of this process's
    ``STEPTOOL_*`` variables, which are always passed on (e.g. where the StableToolBench
    files are: the path must exist on every node)."""

    def __post_init__(self) -> None:
        if self.address is not None and (not isinstance(self.address, str) or not self.address):
            raise ConfigError("ray_address", self.address, "an address such as 10.0.0.5:6379")
        for name in ("workers", "envs_per_worker", "max_in_flight", "max_attempts"):
            check_int(name, getattr(self, name), 1)
        check_int("chunk_size", self.chunk_size, 0)
        check_int("max_restarts", self.max_restarts, -1)
        for name in ("cpus_per_worker", "gpus_per_worker"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ConfigError(name, value, "must be a number >= 0")
        for name in ("start_timeout_s", "request_timeout_s", "chunk_timeout_s"):
            value = getattr(self, name)
            if value is None and name != "start_timeout_s":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigError(name, value, "must be a number of seconds > 0")
        if not isinstance(self.env_vars, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.env_vars.items()
        ):
            raise ConfigError("env_vars", self.env_vars, "a table of strings")
        object.__setattr__(self, "env_vars", dict(self.env_vars))

    @property
    def chunk(self) -> int:
        return self.chunk_size or 4 * self.envs_per_worker


def connect(address: str | None = None) -> Any:
    """The ``ray`` module, connected to the cluster at ``address`` (see :class:`RayConfig`).

    A process already connected keeps its connection. When this call starts a local
    instance, Ray's usage statistics are off unless ``RAY_USAGE_STATS_ENABLED`` says
    otherwise (a library does not report to third parties on its user's behalf).
    """
    ray = require("ray", "ray")
    if ray.is_initialized():
        return ray
    if address is not None:
        _check_reachable(address)
        _check_reachable(_as_ray_dials(ray, address), given=address)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        ray.init(address=address, include_dashboard=False, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
        where = address or "a new local instance"
        raise WorkerError(f"could not connect to the Ray cluster at {where}: {exc}") from None
    return ray


def _check_reachable(address: str, given: str | None = None) -> None:
    """Fail fast on a ``host:port`` nothing listens on (Ray itself waits without end)."""
    host, _, port = address.rpartition(":")
    if "://" in address or not host or not port.isdigit():
        return  # "auto", "local" or a Ray Client address: Ray resolves those itself
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except OSError as exc:
        if given is not None and given != address:
            raise WorkerError(
                f"Ray would dial {address} for {given} (it replaces a loopback address by "
                f"this machine's network address) and nothing answers there ({exc}); a head "
                "started with RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 listens on loopback only: "
                "set that variable in this process too, before ray is imported"
            ) from None
        raise WorkerError(
            f"no Ray cluster answers at {address} ({exc}); start one with "
            "`ray start --head` and pass the address it prints"
        ) from None


def _as_ray_dials(ray: Any, address: str) -> str:
    """The address Ray will actually connect to for ``address`` (its loopback rewrite)."""
    host, _, port = address.rpartition(":")
    try:
        from ray._private.services import resolve_ip_for_localhost

        return f"{resolve_ip_for_localhost(host)}:{port}" if host else address
    except Exception:  # Ray's internals moved: nothing to check
        return address


# ---------------------------------------------------------------------- the worker actor
@dataclass(frozen=True, slots=True)
class _Header:
    """What a mirror learns when its env resets."""

    task: Any
    tool_schemas: list[dict[str, Any]]
    messages: tuple[dict[str, Any], ...]
    functions: dict[tuple[str, str], str]
    parser_name: str
    incarnation: str


CONTROL = "control"
"""The actor's concurrency group for ``hello``: answered while a long request runs."""


class EnvWorker:
    """A Ray actor hosting envs of one id (and the agents of whole-episode requests).

    The class is plain Python: :class:`WorkerPool` wraps it with ``ray.remote``. Its
    methods never raise for an env's infrastructure failure (it becomes a
    :class:`~steptool_env.rollout.batch.Failure`); any other steptool error (a bad
    setting, an unknown task id, a missing extra on this node) is returned as the exception
    itself and raised again by the driver.
    """

    def __init__(self, env_id: str, env_kwargs: Mapping[str, Any], n_envs: int) -> None:
        self.incarnation = uuid.uuid4().hex
        """Changes when Ray restarts the actor: episodes of an earlier one are lost."""
        self.error: StepToolError | None = None
        self.batch: LocalEnvs | None = None
        self._sent = [0] * n_envs
        self._agents: dict[str, Any] = {}
        try:
            import gymnasium as gym

            import steptool_env  # noqa: F401  (registers the env ids in this process)

            self.batch = LocalEnvs([gym.make(env_id, **env_kwargs) for _ in range(n_envs)])
        except StepToolError as exc:
            self.error = exc
        except Exception as exc:  # e.g. a keyword the env does not take
            self.error = ConfigError("env_kwargs", dict(env_kwargs), f"{env_id}: {exc!r}")

    def hello(self) -> tuple[int, str, StepToolError | None]:
        """``(pid, incarnation, construction error)``."""
        return os.getpid(), self.incarnation, self.error

    def _mirror(self, j: int) -> _Header:
        assert self.batch is not None
        env = self.batch.env(j)
        task = env.task
        assert task is not None  # mirrored only after a reset
        keys = {a.key for a in env.offered_apis.values()}
        keys.update(task.relevant_apis)
        keys.update((g.tool, g.api) for g in task.gold)
        messages = env.messages
        self._sent[j] = len(messages)
        return _Header(
            task,
            env.tool_schemas,
            messages,
            {k: env.function_of(*k) for k in sorted(keys)},
            env.parser_name,
            self.incarnation,
        )

    def reset(self, items: Sequence[tuple[int, EpisodeSpec]]) -> Any:
        if self.error is not None or self.batch is None:
            return self.error
        try:
            outs = self.batch.reset(items)
            return [
                out if isinstance(out, Failure) else (*out, self._mirror(j))
                for (j, _), out in zip(items, outs)
            ]
        except StepToolError as exc:
            return exc

    def step(self, items: Sequence[tuple[int, str, str]]) -> Any:
        """Steps ``(env, action, incarnation)``; an incarnation of an earlier actor fails."""
        if self.error is not None or self.batch is None:
            return self.error
        live = [(j, a) for j, a, inc in items if inc == self.incarnation]
        try:
            outs = iter(self.batch.step(live))
            result: list[Any] = []
            for j, _, inc in items:
                if inc != self.incarnation:
                    result.append(Failure(_LOST.format(what="its process was restarted")))
                    continue
                out = next(outs)
                if isinstance(out, Failure):
                    result.append(out)
                    continue
                messages = self.batch.env(j).messages
                result.append((*out, messages[self._sent[j] :]))
                self._sent[j] = len(messages)
            return result
        except StepToolError as exc:
            return exc

    def run(
        self, agent_kind: str, agent_options: Mapping[str, Any], specs: Sequence[EpisodeSpec]
    ) -> Any:
        """Whole episodes with an agent built here; trajectories in the order of ``specs``
        (without the agent's training payloads)."""
        if self.error is not None or self.batch is None:
            return self.error
        from steptool_env.agents import make_agent
        from steptool_env.rollout.loop import collect

        key = json.dumps([agent_kind, agent_options], sort_keys=True, default=str)
        try:
            agent = self._agents.get(key)
            if agent is None:
                agent = self._agents[key] = make_agent(agent_kind, **dict(agent_options))
            trajs = collect(self.batch, agent, specs)
        except StepToolError as exc:
            return exc
        for t in trajs:
            if any(s.sample is not None for s in t.steps):
                t.steps = [dataclasses.replace(s, sample=None) for s in t.steps]
        return trajs

    def close(self) -> None:
        for agent in self._agents.values():
            close = getattr(agent, "close", None)
            if callable(close):
                close()
        if self.batch is not None:
            self.batch.close()


_LOST = "Ray env worker lost ({what}); the episode's state is gone"


# ---------------------------------------------------------------------- the driver side
class RemoteEnv:
    """A read-only mirror of an env living in a worker: what agents read between turns."""

    def __init__(self) -> None:
        self.parser_name = ""
        self.task: Any = None
        self.tool_schemas: list[dict[str, Any]] = []
        self._messages: list[dict[str, Any]] = []
        self._functions: dict[tuple[str, str], str] = {}
        self.incarnation = ""

    @property
    def messages(self) -> tuple[dict[str, Any], ...]:
        return tuple(self._messages)

    def function_of(self, tool: str, api: str) -> str:
        """The function name of an API offered, relevant or called in the gold solution of
        the current task (the local env also names any other API of its catalogue)."""
        try:
            return self._functions[(tool, api)]
        except KeyError:
            raise ConfigError("api", (tool, api), "not offered for this task") from None

    def _load(self, header: _Header) -> None:
        self.task = header.task
        self.tool_schemas = header.tool_schemas
        self._messages = list(header.messages)
        self._functions = header.functions
        self.parser_name = header.parser_name
        self.incarnation = header.incarnation


class WorkerPool:
    """Ray actors hosting envs of ``env_id`` (see the module doc). Close it when done."""

    def __init__(
        self,
        env_id: str,
        env_kwargs: Mapping[str, Any] | None = None,
        config: RayConfig | None = None,
    ) -> None:
        self.config = config if config is not None else RayConfig()
        self.env_id = env_id
        self.env_kwargs = dict(env_kwargs or {})
        self.ray = connect(self.config.address)
        ray, cfg = self.ray, self.config
        self.lost = 0
        """Requests that failed because their worker died (each was resent or recorded)."""
        self.dead: set[int] = set()
        """Workers gone for good (Ray will not restart them)."""
        self._closed = False
        self._started: list[Any] = []
        self._suite: Any = None
        self._killed: dict[int, str] = {}
        """Incarnation of each worker last ended for hanging."""
        self.actors: list[Any] = []
        env_vars = {k: v for k, v in os.environ.items() if k.startswith("STEPTOOL_")}
        env_vars.update(cfg.env_vars)
        options: dict[str, Any] = dict(
            num_cpus=cfg.cpus_per_worker,
            num_gpus=cfg.gpus_per_worker,
            max_restarts=cfg.max_restarts,
            max_task_retries=0,  # a lost request is the driver's to resend or record
            concurrency_groups={CONTROL: 1},
        )
        if env_vars:
            options["runtime_env"] = {"env_vars": env_vars}
        try:
            actor = ray.remote(**options)(EnvWorker)
            for _ in range(cfg.workers):
                self.actors.append(actor.remote(env_id, self.env_kwargs, cfg.envs_per_worker))
            self.pids = self._hello()
        except BaseException:
            self.close()
            raise

    def _hello(self) -> list[int]:
        ray, cfg = self.ray, self.config
        refs = [_control(a.hello).remote() for a in self.actors]
        ready, _ = ray.wait(refs, num_returns=len(refs), timeout=cfg.start_timeout_s)
        self._started = [a for a, r in zip(self.actors, refs) if r in ready]
        if len(ready) < len(refs):
            raise WorkerError(
                f"only {len(ready)} of {len(refs)} Ray env workers started within "
                f"{cfg.start_timeout_s:g} s; each asks for {cfg.cpus_per_worker:g} CPU and "
                f"{cfg.gpus_per_worker:g} GPU and the cluster has "
                f"{ray.cluster_resources()} (use fewer workers or smaller ones)"
            )
        pids = []
        for ref in refs:
            try:
                pid, _, error = ray.get(ref)
            except ray.exceptions.RayError as exc:
                raise WorkerError(f"a Ray env worker failed to start: {exc}") from None
            if error is not None:
                raise error
            pids.append(pid)
        return pids

    def envs(self, n: int | None = None) -> RayEnvs:
        """The pool's first ``n`` envs (all by default) as an
        :class:`~steptool_env.rollout.batch.EnvBatch`."""
        return RayEnvs(self, n)

    # ------------------------------------------------------------------ failures
    def _lost_errors(self) -> tuple[type[BaseException], ...]:
        """Errors that mean a worker (or the result it held) is gone."""
        e = self.ray.exceptions
        return (e.RayActorError, e.WorkerCrashedError, e.ObjectLostError, e.GetTimeoutError)

    def _result(self, out: Any) -> Any:
        """A worker's answer: raise the steptool error it returned, else return it."""
        if isinstance(out, BaseException):
            raise out
        return out

    def _unwrap(self, exc: BaseException) -> BaseException:
        """A task error of our own code in a worker, as the driver should see it."""
        cause = getattr(exc, "cause", None)
        if isinstance(cause, StepToolError):
            return cause
        return WorkerError(f"a Ray env worker failed: {exc}")

    def _alive(self, w: int) -> bool:
        """Whether worker ``w`` answers again (Ray restarted it, and it rebuilt its envs)
        or is gone for good; a worker found gone is added to :attr:`dead`."""
        if w in self.dead:
            return False
        ray = self.ray
        end = time.monotonic() + self.config.start_timeout_s
        while True:
            try:
                left = max(1.0, end - time.monotonic())
                _, inc, error = ray.get(_control(self.actors[w].hello).remote(), timeout=left)
                if inc == self._killed.get(w):  # the process being ended: not back yet
                    if time.monotonic() > end:
                        break
                    time.sleep(0.1)
                    continue
                if error is None:
                    return True
                break  # restarted, but its envs cannot be built any more
            except ray.exceptions.ActorUnavailableError:  # restarting: ask again
                if time.monotonic() > end:
                    break
                time.sleep(0.1)
            except Exception:
                break
        self.dead.add(w)
        return False

    def _hung(self, w: int) -> None:
        """Worker ``w`` did not answer in time: end its process (Ray restarts it). The kill
        lands later, so :meth:`_alive` waits for another incarnation than this one."""
        with contextlib.suppress(Exception):
            hello = _control(self.actors[w].hello).remote()
            self._killed[w] = self.ray.get(hello, timeout=5)[1]
        with contextlib.suppress(Exception):
            self.ray.kill(self.actors[w], no_restart=False)

    def task_meta(self, task_id: str) -> tuple[str, str]:
        """``(split, group)`` of a task, from the suite in this process."""
        if self._suite is None:
            name = self.env_kwargs.get("suite")
            if isinstance(name, str):
                from steptool_env.world.suite import load_suite

                self._suite = load_suite(name)
            else:
                from steptool_env.envs.registration import load_env_suite

                self._suite = load_env_suite(self.env_id)
        task = self._suite.task(task_id)
        return task.split, task.group

    # ------------------------------------------------------------------ whole episodes
    def run_episodes(
        self, agent_kind: str, agent_options: Mapping[str, Any], specs: Sequence[EpisodeSpec]
    ) -> Iterator[Trajectory]:
        """Whole episodes in the workers; each spec comes back exactly once, as soon as its
        chunk is done (see the module doc). Raises :class:`WorkerError` when no worker is
        left; a chunk that outlives ``chunk_timeout_s`` counts as lost with its worker."""
        ray, cfg = self.ray, self.config
        lost_errors = self._lost_errors()
        size = cfg.chunk
        queue: deque[tuple[list[EpisodeSpec], int]] = deque(
            (list(specs[k : k + size]), 0) for k in range(0, len(specs), size)
        )
        pending: dict[Any, tuple[int, list[EpisodeSpec], int, float]] = {}
        load = [0] * len(self.actors)
        options = dict(agent_options)
        try:
            while queue or pending:
                for w, actor in enumerate(self.actors):
                    while queue and w not in self.dead and load[w] < cfg.max_in_flight:
                        chunk, attempts = queue.popleft()
                        ref = actor.run.remote(agent_kind, options, chunk)
                        pending[ref] = (w, chunk, attempts, time.monotonic())
                        load[w] += 1
                if not pending:
                    raise WorkerError(
                        f"every Ray env worker is gone ({len(self.dead)} died for good); "
                        f"{sum(len(c) for c, _ in queue)} episodes were not run (resume the "
                        "run to run them)"
                    )
                done, _ = ray.wait(list(pending), num_returns=1, timeout=_WAIT_S)
                if not done:
                    self._expire(pending)
                    continue
                ref = done[0]
                w, chunk, attempts, _ = pending.pop(ref)
                load[w] -= 1
                try:
                    out = ray.get(ref)
                except lost_errors as exc:
                    self.lost += 1
                    self._alive(w)
                    yield from self._retry(queue, chunk, attempts, exc)
                    continue
                except ray.exceptions.RayError as exc:
                    raise self._unwrap(exc) from None
                yield from self._result(out)
        finally:
            for ref in pending:  # a consumer that stops early leaves nothing queued
                with contextlib.suppress(Exception):
                    ray.cancel(ref)

    def _expire(self, pending: dict) -> None:
        """Chunks past ``chunk_timeout_s``: their worker is hung; end it (Ray restarts it)
        and its requests fail as lost, to be sent again."""
        limit = self.config.chunk_timeout_s
        if limit is None:
            return
        now = time.monotonic()
        hung = {w for w, _, _, t0 in pending.values() if now - t0 > limit}
        for w in hung:
            self._hung(w)
        for ref, (w, chunk, attempts, _) in list(pending.items()):
            if w in hung:  # not again before its requests come back failed
                pending[ref] = (w, chunk, attempts, now)

    def _retry(
        self, queue: deque, chunk: list[EpisodeSpec], attempts: int, exc: BaseException
    ) -> Iterator[Trajectory]:
        """Queue a lost chunk again, or return its episodes as infrastructure errors."""
        if attempts + 1 < self.config.max_attempts:
            queue.appendleft((chunk, attempts + 1))
            return
        error = _LOST.format(what=f"{attempts + 1} times: {type(exc).__name__}")
        for spec in chunk:
            yield Trajectory(spec, *self.task_meta(spec.task_id), infra_error=error)

    def close(self) -> None:
        """Close every env and agent in the workers, then end the actors."""
        if self._closed:
            return
        self._closed = True
        ray = self.ray
        refs = [a.close.remote() for a in self._started]  # an actor never placed: just kill
        if refs:
            ray.wait(refs, num_returns=len(refs), timeout=60)
        for a in self.actors:
            with contextlib.suppress(Exception):  # already gone
                ray.kill(a, no_restart=True)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_WAIT_S = 5.0
"""How often the driver looks for chunks past their timeout while it waits."""


def _control(method: Any) -> Any:
    """``method`` in the actor's control group (answered while a request runs)."""
    return method.options(concurrency_group=CONTROL)


class RayEnvs(EnvBatch):
    """The envs of a :class:`WorkerPool`, stepped by the rollout loop (agent stays here).

    Env ``i`` lives in worker ``i // envs_per_worker``. The envs of a worker gone for good
    are no longer used; the loop raises :class:`WorkerError` when none is left.
    """

    def __init__(self, pool: WorkerPool, n: int | None = None) -> None:
        self.pool = pool
        self.per = pool.config.envs_per_worker
        total = len(pool.actors) * self.per
        n = total if n is None else n
        if not 1 <= n <= total:
            raise ConfigError("n", n, f"the pool has {total} envs")
        self.mirrors = [RemoteEnv() for _ in range(n)]

    def __len__(self) -> int:
        return len(self.mirrors)

    def env(self, i: int) -> RemoteEnv:
        return self.mirrors[i]

    def usable(self, i: int) -> bool:
        return i // self.per not in self.pool.dead

    def _call(self, method: str, items: Sequence[tuple[int, tuple[Any, ...]]]) -> list:
        """``method`` for each ``(env, arguments)``, one request per worker, outcomes in
        the order of ``items``. A lost or hung worker fails each of its items; a reset
        (nothing started yet, so nothing to lose) waits for Ray to restart the worker and
        runs again."""
        by_worker: dict[int, list[tuple[int, Any]]] = {}
        for k, (i, args) in enumerate(items):
            by_worker.setdefault(i // self.per, []).append((k, (i % self.per, *args)))
        pool, ray = self.pool, self.pool.ray
        lost_errors = pool._lost_errors()
        timeout = pool.config.request_timeout_s
        refs = {
            w: getattr(pool.actors[w], method).remote([item for _, item in items])
            for w, items in by_worker.items()
        }
        out: list[Any] = [None] * len(items)
        for w, ref in refs.items():
            items = [item for _, item in by_worker[w]]
            for attempt in range(2):
                try:
                    results = ray.get(ref, timeout=timeout)
                    break
                except lost_errors as exc:
                    pool.lost += 1
                    if isinstance(exc, ray.exceptions.GetTimeoutError):
                        pool._hung(w)
                    results = [Failure(_LOST.format(what=type(exc).__name__))] * len(items)
                    alive = pool._alive(w)  # waits for the restart; marks it dead if none
                    if method != "reset" or attempt or not alive:
                        break
                    ref = pool.actors[w].reset.remote(items)
                except ray.exceptions.RayError as exc:
                    raise pool._unwrap(exc) from None
            for (k, _), res in zip(by_worker[w], pool._result(results)):
                out[k] = res
        return out

    def reset(self, items: Sequence[tuple[int, EpisodeSpec]]) -> list[ResetOut | Failure]:
        outs = self._call("reset", [(i, (spec,)) for i, spec in items])
        result: list[ResetOut | Failure] = []
        for (i, _), out in zip(items, outs):
            if isinstance(out, Failure):
                result.append(out)
                continue
            obs, info, header = out
            self.mirrors[i]._load(header)
            result.append((obs, info))
        return result

    def step(self, items: Sequence[tuple[int, str]]) -> list[StepOut | Failure]:
        outs = self._call("step", [(i, (a, self.mirrors[i].incarnation)) for i, a in items])
        result: list[StepOut | Failure] = []
        for (i, _), out in zip(items, outs):
            if isinstance(out, Failure):
                result.append(out)
                continue
            *step, new_messages = out
            self.mirrors[i]._messages.extend(new_messages)
            result.append(tuple(step))  # type: ignore[arg-type]
        return result

    def task_meta(self, i: int, task_id: str) -> tuple[str, str]:
        return self.pool.task_meta(task_id)

    def close(self) -> None:
        self.pool.close()
