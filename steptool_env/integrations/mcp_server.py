"""An episode's offered tools as MCP tools, over stdio or streamable HTTP (extra ``mcp``).

``steptool serve mcp --env-id StepTool/ToolBench-v0 --split I1-Inst`` starts one episode and
serves it with the official MCP Python SDK (``mcp`` 2.x, its low-level ``Server``):

- **tools**: the functions the episode offers, with their OpenAI parameter schemas as input
  schemas, ``Finish`` included, and :data:`RESET_TOOL` (``{"seed"?, "task_id"?}``), which
  starts a new episode and lists its tools, query and prompt;
- **a tool call** is one ``env.step``: the call becomes the action text the env's parser reads
  (:meth:`~steptool_env.integrations.episode.EpisodeSession.call`), the result's text is the
  observation and its structured content carries ``reward``, ``terminated``, ``truncated``,
  ``done``, ``status``, ``step``, ``episode_return``, ``task_id`` and the env's whole ``info``;
  a call after the episode ended is an error result (reset first);
- **resources**: ``steptool://episode/state`` (where the episode stands, JSON) and
  ``steptool://episode/prompt`` (the system prompt and the query of the current episode).

One env per server process: every client of an HTTP server acts in the same episode, one
call at a time. HTTP is served on loopback only. Determinism: the same ``--seed`` (and
``--task-id``) and the same calls give the same observations and rewards as ``env.step`` on
an env built with the same arguments.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from steptool_env.errors import ConfigError, StepToolError, require
from steptool_env.integrations.asgi import check_loopback, run_asgi
from steptool_env.integrations.episode import EpisodeSession, EpisodeStep

EXTRA = "mcp"
RESET_TOOL = "steptool_reset"
"""The tool that starts a new episode (arguments ``seed`` and ``task_id``, both optional)."""
STATE_URI = "steptool://episode/state"
PROMPT_URI = "steptool://episode/prompt"
TRANSPORTS = ("stdio", "http")

_RESET_SCHEMA = {
    "type": "object",
    "properties": {
        "seed": {"type": "integer", "description": "Seed of the env's task choice."},
        "task_id": {"type": "string", "description": "Run this task instead (any split)."},
    },
}
_INSTRUCTIONS = (
    "A StepTool tool-use episode. Read the task in the resource {prompt} (or the result of "
    "{reset}), solve it by calling the offered tools, one call at a time, and end with Finish "
    "(return_type give_answer with a final_answer, or give_up_and_restart). Each result's "
    "structured content holds the step reward and whether the episode is over; {reset} "
    "starts a new episode."
)


def build_server(session: EpisodeSession) -> Any:
    """A low-level ``mcp.server.Server`` answering from ``session`` (reset it first)."""
    require("mcp", EXTRA)
    import mcp_types as types
    from mcp.server import Server

    from steptool_env.version import __version__

    if not session.text:
        raise ConfigError("env_id", session.env_id, "MCP tools need a text env")

    async def list_tools(ctx: Any, params: Any) -> Any:
        tools = [
            types.Tool(
                name=s["name"],
                description=s.get("description", ""),
                input_schema=_input_schema(s.get("parameters")),
            )
            for s in session.tool_schemas()
        ]
        tools.append(
            types.Tool(
                name=RESET_TOOL,
                description="Start a new episode (optionally with a seed or a task id); "
                "returns its query and the names of its tools.",
                input_schema=_RESET_SCHEMA,
            )
        )
        return types.ListToolsResult(tools=tools)

    async def call_tool(ctx: Any, params: Any) -> Any:
        args = dict(params.arguments or {})
        try:
            if params.name == RESET_TOOL:
                step = session.reset(seed=_seed(args.get("seed")), task_id=args.get("task_id"))
                body = _reset_content(session, step)
                return types.CallToolResult(
                    content=[types.TextContent(type="text", text=body["query"])],
                    structured_content=body,
                )
            step = session.call(params.name, args)
        except StepToolError as exc:
            return types.CallToolResult(
                content=[types.TextContent(type="text", text=str(exc))], is_error=True
            )
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=str(step.observation))],
            structured_content=step_content(session, step),
        )

    async def list_resources(ctx: Any, params: Any) -> Any:
        return types.ListResourcesResult(
            resources=[
                types.Resource(
                    name="episode-state",
                    uri=STATE_URI,
                    description="Where the current episode stands (JSON).",
                    mime_type="application/json",
                ),
                types.Resource(
                    name="episode-prompt",
                    uri=PROMPT_URI,
                    description="System prompt and query of the current episode (JSON).",
                    mime_type="application/json",
                ),
            ]
        )

    async def read_resource(ctx: Any, params: Any) -> Any:
        uri = str(params.uri)
        if uri == STATE_URI:
            body: Any = session.state()
        elif uri == PROMPT_URI:
            body = session.prompt()
        else:
            raise ConfigError("uri", uri, choices=(STATE_URI, PROMPT_URI))
        return types.ReadResourceResult(
            contents=[
                types.TextResourceContents(
                    uri=uri, mime_type="application/json", text=json.dumps(body)
                )
            ]
        )

    return Server(
        "steptool-env",
        version=__version__,
        instructions=_INSTRUCTIONS.format(prompt=PROMPT_URI, reset=RESET_TOOL),
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
    )


def step_content(session: EpisodeSession, step: EpisodeStep) -> dict[str, Any]:
    """The structured content of a tool result: reward, episode end, status and info."""
    return {
        "reward": step.reward,
        "terminated": step.terminated,
        "truncated": step.truncated,
        "done": step.done,
        "status": step.info.get("status"),
        "step": session.steps,
        "episode_return": session.episode_return,
        "task_id": session.task_id,
        "info": step.info,
    }


def _reset_content(session: EpisodeSession, step: EpisodeStep) -> dict[str, Any]:
    return {
        "task_id": session.task_id,
        "seed": session.seed,
        "episode": session.episodes,
        "query": step.info.get("query", ""),
        "tools": [s["name"] for s in session.tool_schemas()],
        "prompt": session.prompt(),
        "info": step.info,
    }


def _input_schema(parameters: Any) -> dict[str, Any]:
    schema = dict(parameters) if isinstance(parameters, Mapping) else {}
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    return schema


def _seed(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError("seed", value, "must be an integer >= 0")
    return value


def serve(
    session: EpisodeSession,
    transport: str = "stdio",
    host: str = "127.0.0.1",
    port: int = 8766,
) -> None:
    """Serve ``session`` until interrupted (stdio: until the client closes stdin). For HTTP,
    ``port=0`` picks a free port; the URL is printed on stderr when the server listens."""
    if transport not in TRANSPORTS:
        raise ConfigError("transport", transport, choices=TRANSPORTS)
    server = build_server(session)
    anyio = require("anyio", EXTRA)
    if transport == "stdio":
        from mcp.server.stdio import stdio_server

        async def run_stdio() -> None:
            async with stdio_server() as (read, write):
                await server.run(read, write, server.create_initialization_options())

        anyio.run(run_stdio)
        return
    app = server.streamable_http_app(host=check_loopback(host))
    run_asgi(app, host, port, f"MCP server for {session.env_id}", "/mcp", EXTRA)
