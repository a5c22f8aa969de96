"""An OpenEnv server and client for any StepTool env id (extra ``openenv``: ``openenv-core``).

OpenEnv's contract is an ``Environment`` (``reset``/``step``/``state``) served by its FastAPI
app (``openenv.core.env_server.create_fastapi_app``): a WebSocket session per client, each
with an env of its own, plus ``/health``, ``/schema`` and ``/metadata``. This module gives
the pieces OpenEnv asks of an environment package:

- :class:`StepToolAction`: ``text`` (the action text a model wrote, sent to ``env.step`` as
  is), or ``tool_name`` and ``arguments`` (a structured call, rendered in the env's action
  format), or ``index`` (a candidate of ``StepTool/ToolBenchDiscrete-v0``);
- :class:`StepToolObservation`: the observation ``text`` (or ``vector``), ``reward``,
  ``done``, ``terminated``, ``truncated`` and the env's ``info``; after a reset also the
  opening ``messages`` (system prompt, query) and the offered ``tools`` (OpenAI schemas);
- :class:`StepToolState`: ``episode_id``, ``step_count``, ``env_id``, ``task_id``, ``seed``,
  ``episode_return``;
- :func:`create_app` and :func:`serve` (``steptool serve openenv``), and
  :class:`StepToolEnvClient`, an ``EnvClient`` (async; ``.sync()`` for a blocking one).
  OpenEnv's ``GenericEnvClient`` works too, with plain dicts.

``reset`` takes ``seed`` and ``task_id``; the same seed and the same actions give the same
trajectory as the in-process env built with the same arguments.

    steptool serve openenv --env-id StepTool/ToolBench-v0 --split I1-Inst --port 8000

    from steptool_env.integrations.openenv_adapter import StepToolAction, StepToolEnvClient
    with StepToolEnvClient(base_url="http://127.0.0.1:8000").sync() as env:
        result = env.reset(seed=0)
        result = env.step(StepToolAction(tool_name="Finish",
                                         arguments={"return_type": "give_up_and_restart"}))
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from steptool_env.errors import ConfigError, require
from steptool_env.integrations.asgi import run_asgi
from steptool_env.integrations.episode import EpisodeSession, EpisodeStep

EXTRA = "openenv"

require("openenv.core", EXTRA)

from openenv.core import EnvClient  # noqa: E402
from openenv.core.client_types import StepResult  # noqa: E402
from openenv.core.env_server.interfaces import Environment  # noqa: E402
from openenv.core.env_server.types import (  # noqa: E402
    Action,
    EnvironmentMetadata,
    Observation,
    State,
)
from pydantic import Field, model_validator  # noqa: E402
from pydantic_core import PydanticCustomError  # noqa: E402


class StepToolAction(Action):
    """One action: exactly one of ``text``, ``tool_name`` (with ``arguments``), ``index``."""

    text: str | None = Field(default=None, description="Action text, sent to env.step as is")
    tool_name: str | None = Field(default=None, description="Function to call (or Finish)")
    arguments: dict[str, Any] = Field(default_factory=dict, description="Its arguments")
    index: int | None = Field(default=None, description="Candidate index (discrete env)")

    @model_validator(mode="after")
    def _one_kind(self) -> StepToolAction:
        given = [k for k in ("text", "tool_name", "index") if getattr(self, k) is not None]
        if len(given) != 1:
            # A custom error, not a ValueError: OpenEnv sends validation errors back as JSON,
            # and a ValueError in them cannot be serialised (the session would end).
            raise PydanticCustomError(
                "one_action",
                "give exactly one of text, tool_name, index (got {given})",
                {"given": ", ".join(given) or "none"},
            )
        return self


class StepToolObservation(Observation):
    """What ``reset`` or ``step`` returned (``reward`` is None after a reset)."""

    text: str = Field(default="", description="Observation text (text envs)")
    vector: list[float] | None = Field(default=None, description="Observation (discrete env)")
    terminated: bool = False
    truncated: bool = False
    info: dict[str, Any] = Field(default_factory=dict, description="The env's info dict")
    messages: list[dict[str, Any]] = Field(
        default_factory=list, description="After reset: system prompt and query (chat format)"
    )
    tools: list[dict[str, Any]] = Field(
        default_factory=list, description="After reset: offered functions (OpenAI schemas)"
    )


class StepToolState(State):
    env_id: str = ""
    task_id: str | None = None
    seed: int | None = None
    episode_return: float = 0.0


class StepToolEnvironment(Environment):
    """A StepTool env (``gym.make(env_id, **env_kwargs)``) as an OpenEnv ``Environment``."""

    SUPPORTS_CONCURRENT_SESSIONS = True
    """Every session builds an env of its own (nothing is shared between them)."""

    def __init__(self, env_id: str = "StepTool/ToolBench-v0", **env_kwargs: Any) -> None:
        super().__init__()
        self.session = EpisodeSession(env_id, **env_kwargs)
        self._episode_id: str | None = None

    def reset(
        self,
        seed: int | None = None,
        episode_id: str | None = None,
        task_id: str | None = None,
        **kwargs: Any,
    ) -> StepToolObservation:
        if kwargs:
            raise ConfigError("reset", sorted(kwargs), "unknown argument", ("seed", "task_id"))
        step = self.session.reset(seed=seed, task_id=task_id)
        self._episode_id = episode_id or f"{self.session.task_id}#{self.session.episodes}"
        obs = _observation(step, reward=None)
        if self.session.text:
            obs.messages = self.session.prompt()
            obs.tools = self.session.tool_schemas()
        return obs

    def step(
        self, action: StepToolAction, timeout_s: float | None = None, **kwargs: Any
    ) -> StepToolObservation:
        if action.index is not None:
            step = self.session.act(action.index)
        elif action.tool_name is not None:
            step = self.session.call(action.tool_name, action.arguments)
        else:
            step = self.session.act(action.text or "")
        return _observation(step, reward=step.reward)

    @property
    def state(self) -> StepToolState:
        s = self.session.state()
        return StepToolState(
            episode_id=self._episode_id,
            step_count=s["step"],
            env_id=s["env_id"],
            task_id=s["task_id"],
            seed=s["seed"],
            episode_return=s["episode_return"],
        )

    def get_metadata(self) -> EnvironmentMetadata:
        from steptool_env.version import __version__

        return EnvironmentMetadata(
            name=self.session.env_id,
            description="StepTool tool-use episodes with step-grained rewards (steptool-env)",
            version=__version__,
        )

    def close(self) -> None:
        self.session.close()


def _observation(step: EpisodeStep, reward: float | None) -> StepToolObservation:
    text = step.observation if isinstance(step.observation, str) else ""
    vector = None if isinstance(step.observation, str) else step.observation
    return StepToolObservation(
        text=text,
        vector=vector,
        reward=reward,
        done=step.done,
        terminated=step.terminated,
        truncated=step.truncated,
        info=step.info,
    )


def create_app(
    env_id: str = "StepTool/ToolBench-v0",
    env_kwargs: Mapping[str, Any] | None = None,
    max_sessions: int = 8,
) -> Any:
    """OpenEnv's FastAPI app over ``env_id``: each WebSocket session gets its own env."""
    from openenv.core.env_server.http_server import create_fastapi_app

    kwargs = dict(env_kwargs or {})
    EpisodeSession(env_id, **kwargs).close()  # a bad id or setting fails here, not per session

    def factory() -> StepToolEnvironment:
        return StepToolEnvironment(env_id, **kwargs)

    app = create_fastapi_app(
        factory, StepToolAction, StepToolObservation, max_concurrent_envs=max_sessions
    )
    app.add_middleware(HangUpEndsSession)
    return app


class HangUpEndsSession:
    """ASGI middleware: a WebSocket session that ends because the client hung up is not an
    error. OpenEnv's session endpoint (openenv-core 0.3) closes its side of the socket after
    the client's ``close`` message, when the client may already have gone; Starlette then
    raises ``WebSocketDisconnect`` out of the app and uvicorn logs a traceback for every
    normal end of session. That exception, on a WebSocket scope, is dropped here; anything
    else goes through."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        from starlette.websockets import WebSocketDisconnect

        with contextlib.suppress(WebSocketDisconnect):
            await self.app(scope, receive, send)


def serve(
    env_id: str = "StepTool/ToolBench-v0",
    env_kwargs: Mapping[str, Any] | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    max_sessions: int = 8,
) -> None:
    """Serve :func:`create_app` on loopback until interrupted (``port=0``: a free port)."""
    app = create_app(env_id, env_kwargs, max_sessions)
    run_asgi(app, host, port, f"OpenEnv server for {env_id}", "", EXTRA)


class StepToolEnvClient(EnvClient[StepToolAction, StepToolObservation, StepToolState]):
    """OpenEnv client of a StepTool server (async; ``.sync()`` gives a blocking one)."""

    def _step_payload(self, action: StepToolAction) -> dict[str, Any]:
        return action.model_dump(exclude={"metadata"}, exclude_none=True)

    def _parse_result(self, payload: dict[str, Any]) -> StepResult[StepToolObservation]:
        obs = StepToolObservation(
            **payload.get("observation", {}),
            reward=payload.get("reward"),
            done=payload.get("done", False),
        )
        return StepResult(observation=obs, reward=obs.reward, done=obs.done)

    def _parse_state(self, payload: dict[str, Any]) -> StepToolState:
        return StepToolState(**payload)
