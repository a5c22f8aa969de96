"""``steptool serve mcp|openenv``: the arguments and the handler of the command.

Nothing heavy is imported here (the command line builds its parser on every call); the
adapters are imported when a server starts.

    steptool serve mcp --env-id StepTool/ToolBench-v0 --split I1-Inst --seed 0
    steptool serve mcp --split I1-Inst --transport http --port 8766
    steptool serve openenv --env-id StepTool/ToolBench-v0 --split I1-Inst --port 8000
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from steptool_env.errors import ConfigError

PROTOCOLS = ("mcp", "openenv")


def _env_arg(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return key.strip(), value


def add_serve_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of ``steptool serve``."""
    p.add_argument("protocol", choices=PROTOCOLS, help="mcp (tools) or openenv (reset/step)")
    p.add_argument("--env-id", default="StepTool/ToolBench-v0", help="StepTool env id")
    p.add_argument("--split", help="split or test subset (default: the env's, train)")
    p.add_argument("--task-id", help="mcp: the first episode's task (else drawn by the seed)")
    p.add_argument("--seed", type=int, help="mcp: seed of the first episode")
    p.add_argument(
        "--env-arg",
        action="append",
        type=_env_arg,
        default=[],
        metavar="KEY=VALUE",
        help="another gym.make argument (JSON value), e.g. reward_mode=outcome; repeatable",
    )
    p.add_argument(
        "--transport", default="stdio", help="mcp: stdio (default) or http (streamable HTTP)"
    )
    p.add_argument("--host", default="127.0.0.1", help="loopback address for HTTP")
    p.add_argument("--port", type=int, help="TCP port (0: a free one; mcp 8766, openenv 8000)")
    p.add_argument(
        "--max-sessions", type=int, default=8, help="openenv: concurrent sessions (envs)"
    )


def env_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    kwargs = dict(args.env_arg)
    if args.split is not None:
        kwargs["split"] = args.split
    return kwargs


def serve_command(args: argparse.Namespace) -> int:
    """Run the server ``args`` describe until it is stopped."""
    from steptool_env.integrations.asgi import check_loopback

    kwargs = env_kwargs(args)
    if args.protocol == "mcp":
        from steptool_env.integrations.episode import EpisodeSession
        from steptool_env.integrations.mcp_server import TRANSPORTS, serve

        if args.transport not in TRANSPORTS:
            raise ConfigError("transport", args.transport, choices=TRANSPORTS)
        if args.transport == "http":
            check_loopback(args.host)

        session = EpisodeSession(args.env_id, **kwargs)
        try:
            session.reset(seed=args.seed, task_id=args.task_id)
            port = 8766 if args.port is None else args.port
            serve(session, args.transport, args.host, port)
        finally:
            session.close()
        return 0
    if args.seed is not None or args.task_id is not None:
        raise ConfigError("seed/task_id", None, "OpenEnv clients choose them at reset")
    check_loopback(args.host)
    from steptool_env.integrations.openenv_adapter import serve as serve_openenv

    port = 8000 if args.port is None else args.port
    serve_openenv(args.env_id, kwargs, args.host, port, max_sessions=args.max_sessions)
    return 0
