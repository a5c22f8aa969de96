"""Helpers for testing agents and environments, shipped so users can test theirs the same way.

- :class:`ScriptedAgent` replays fixed action texts;
- :class:`FlakyBackend` wraps a backend and raises :class:`SandboxError` on chosen calls,
  to test how infrastructure failures are recorded;
- :func:`transcript` records everything an episode emits, to compare backends (parity);
- :func:`hostile_actions` writes seeded streams of the nastiest text a model can produce
  (huge numbers, deep nesting, megabyte strings, lone surrogates, NUL bytes...), to check
  that an env, a wrapper or an agent turns all of it into observations;
- :func:`local_ray_head` starts a one-machine Ray cluster on loopback (Ray executor tests).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from steptool_env.agents.base import TurnView
from steptool_env.errors import SandboxError
from steptool_env.sandbox.backend import Backend, ToolResult


class ScriptedAgent:
    """Returns ``script(view)`` for each view, or the ``step``-th text of a fixed list."""

    name = "scripted"

    def __init__(self, script: Sequence[str] | Callable[[TurnView], str]) -> None:
        self.script = script

    def config(self) -> dict[str, Any]:
        return {"agent": self.name}

    def act(self, views: Sequence[TurnView]) -> list[str]:
        out = []
        for v in views:
            if callable(self.script):
                out.append(self.script(v))
            else:
                out.append(self.script[min(v.step, len(self.script) - 1)])
        return out


class FlakyBackend:
    """A backend that raises :class:`SandboxError` on the calls where ``fail(n)`` is true
    (``n`` counts calls from 1 over the backend's life)."""

    def __init__(self, inner: Backend, fail: Callable[[int], bool]) -> None:
        self.inner = inner
        self.fail = fail
        self.name = f"flaky-{inner.name}"
        self.calls = 0

    def reset(self) -> None:
        self.inner.reset()

    def call(
        self, tool: str, api: str, arguments: Mapping[str, Any], *, delay_s: float = 0.0
    ) -> ToolResult:
        self.calls += 1
        if self.fail(self.calls):
            raise SandboxError(f"injected infrastructure failure on call {self.calls}")
        return self.inner.call(tool, api, arguments, delay_s=delay_s)

    def records(self) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        return self.inner.records()

    def close(self) -> None:
        self.inner.close()


def transcript(
    env: Any, agent: Any, seed: int, options: Mapping[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """Everything one episode emits: ``(obs, info)`` of the reset, then
    ``(obs, reward, terminated, truncated, info)`` per step, with ``agent`` acting.

    Two backends are at parity when they give equal transcripts for the same seeds.
    """
    base = env.unwrapped
    obs, info = env.reset(seed=seed, options=options)
    out: list[tuple[Any, ...]] = [(obs, info)]
    done, step = False, 0
    while not done:
        view = TurnView(0, base, obs, step, seed, info)
        action = agent.act([view])[0]
        obs, reward, terminated, truncated, info = env.step(action)
        out.append((obs, float(reward), terminated, truncated, info))
        done, step = terminated or truncated, step + 1
    return out


_DIGITS = "1234567890" * 600
"""6,000 digits: its prefixes are integer literals of any size up to that."""


def _nasty_value(rng: random.Random) -> str:
    """The JSON text of one hostile argument value (some are not valid JSON on purpose)."""
    kind = rng.randrange(12)
    if kind == 0:  # integers around Python's 4,300-digit conversion limit, and beyond
        return rng.choice(("", "-")) + _DIGITS[: rng.choice((16, 17, 309, 401, 4300, 4301, 6000))]
    if kind == 1:  # overflowing, non-finite and denormal numbers (Python's JSON reads them)
        return rng.choice(
            ("1e400", "-1e400", "NaN", "Infinity", "-Infinity", "1e-400", "1E+99999", "-0.0")
        )
    if kind == 2:  # arrays nested around the bound, then far past the recursion limit
        d = rng.choice((31, 32, 33, 100, 999, 1_001, 5_000))
        return "[" * d + "1" + "]" * d
    if kind == 3:
        d = rng.choice((31, 32, 33, 500, 1_001, 5_000))
        return '{"a": ' * d + "null" + "}" * d
    if kind == 4:  # lone surrogates, NUL and terminal escapes, as JSON escapes
        return (
            '"' + rng.choice((r"\ud800", r"\udc00x", r"\u0000", r"a\u0000b", r"\u001b[31m")) + '"'
        )
    if kind == 5:  # the same characters raw (a lone surrogate cannot be encoded as UTF-8)
        return '"' + rng.choice(("\ud800", "\udfff\ud800", "\x00", "\x1b[2J")) + '"'
    if kind == 6:  # invalid escapes
        return '"' + rng.choice((r"\x00", r"\q", r"\u12", "\\")) + '"'
    if kind == 7:  # long strings (the action may then exceed the env's limit)
        n = rng.choice((100, 4_000, 8_000, 20_000))
        return '"' + rng.choice(("x", "\u00e9", r"\u00e9")) * n + '"'
    if kind == 8:
        return rng.choice(("true", "false", "null", "[]", "{}", '""', "0", "-1", "1.5"))
    if kind == 9:  # wide arrays and objects
        if rng.random() < 0.5:
            return "[" + ", ".join(["1"] * rng.choice((10, 1_000, 3_000))) + "]"
        return "{" + ", ".join(f'"k{i}": {i}' for i in range(rng.choice((10, 500)))) + "}"
    if kind == 10:  # not JSON at all
        return rng.choice(("\x00", "{'a': 1}", "[1,", "undefined", "0x10", "1_000"))
    return repr(rng.uniform(-1e20, 1e20))


def _render_call(parser: str, name: str, args: str, rng: random.Random) -> str:
    """One call as ``parser`` expects it, with ``args`` (JSON text, valid or not) pasted in."""
    if parser == "react":
        thought = rng.choice(("", "hm", "\x00"))
        return f"Thought: {thought}\nAction: {name}\nAction Input: {args}"
    call = f'{{"name": {json.dumps(name)}, "arguments": {args}}}'
    return call if parser == "json" else f"<tool_call>\n{call}\n</tool_call>"


def hostile_actions(
    functions: Mapping[str, Sequence[str]], parser: str, n: int, seed: int = 0
) -> Iterator[str]:
    """``n`` seeded hostile actions in the ``parser`` format (``react``, ``json`` or
    ``hermes``) that call ``functions`` (function name -> its parameter names) or ``Finish``.

    Everything a model could write to break a parser, a validator, an API, the reward code
    or a transcript: integers past 4,300 digits, ``1e400``, ``NaN``, arrays and objects
    nested 30 to 5,000 deep, 1-5 MB strings, lone surrogates, NUL bytes, many ``Action:``
    lines, several calls, names that are not names, invalid escapes and garbage, mixed with
    well-formed calls carrying hostile values. An env passes when every one of them gives an
    observation in its space, a finite reward and no exception.
    """
    rng = random.Random(seed)
    names = sorted(functions)
    finish = ("return_type", "final_answer")
    for _ in range(n):
        kind = rng.randrange(10)
        name = rng.choice(names) if names and rng.random() < 0.8 else "Finish"
        params = list(functions.get(name, finish))
        if kind <= 4:  # a well-formed call with hostile values
            values = {p: _nasty_value(rng) for p in rng.sample(params, min(len(params), 2))}
            if name == "Finish" and rng.random() < 0.5:
                values["return_type"] = '"give_answer"'
            args = "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in values.items()) + "}"
            yield _render_call(parser, name, args, rng)
        elif kind == 5:  # megabytes of text, alone or in a call
            size = rng.randint(1, 5) * 1_000_000  # bytes of UTF-8: snowmen take three each
            blob = "\u2603" * (size // 3) if rng.random() < 0.5 else "x" * size
            yield rng.choice((blob, _render_call(parser, name, json.dumps({"q": blob}), rng)))
        elif kind == 6:  # several calls, many Action lines
            k = rng.choice((2, 3, 50, 2_000))
            yield "\n".join(_render_call(parser, name, "{}", rng) for _ in range(k))
        elif kind == 7:  # names that are not names
            bad = rng.choice(("", " ", "a b", "x" * 10_000, "\ud800", "\u00e9" * 200, "\x00"))
            yield _render_call(parser, bad, "{}", rng)
        elif kind == 8:  # garbage: brackets, quotes, control characters, lone surrogates
            alphabet = '{}[]":,\\\x00\n\ud800\udfffAction Input<tool_call>'
            yield "".join(rng.choice(alphabet) for _ in range(rng.choice((1, 100, 8_000))))
        else:  # arguments that are not an object
            yield _render_call(parser, name, _nasty_value(rng), rng)


LOOPBACK_RAY = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_AUTH_MODE": "disabled",
}
"""Environment that keeps Ray on 127.0.0.1: Ray's single-node mode (which never swaps the
loopback address for the machine's network address), no usage statistics, and no token
authentication (nothing outside the machine can reach a loopback cluster; without this
setting Ray turns token authentication on for a head when ``~/.ray/auth_token`` exists, and
a driver that does not set ``RAY_AUTH_MODE=token`` cannot connect)."""


@contextlib.contextmanager
def local_ray_head(num_cpus: int = 4, timeout_s: float = 120.0) -> Iterator[str]:
    """Start ``ray start --head`` on 127.0.0.1 with ``num_cpus`` CPUs; yield its address.

    Every Ray process listens and talks on loopback only. This process's environment gets
    :data:`LOOPBACK_RAY` too: Ray reads it when first imported, so enter this before
    ``import ray``. On exit the head and everything it started are stopped.
    """
    constants = sys.modules.get("ray._private.ray_constants")
    if constants is not None and getattr(constants, "ENABLE_RAY_CLUSTER", False):
        raise RuntimeError(
            "ray was imported before local_ray_head(): it would replace 127.0.0.1 by the "
            "machine's network address and never reach this head; set "
            "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 before importing ray (or enter this first)"
        )
    os.environ.update(LOOPBACK_RAY)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # Ray's socket paths must be short
    cmd = [
        sys.executable, "-c", "from ray.scripts.scripts import main; main()", "start",
        "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}",
        f"--num-cpus={num_cpus}", "--num-gpus=0", "--include-dashboard=false",
        "--disable-usage-stats", "--object-store-memory=200000000", f"--temp-dir={temp}",
    ]  # fmt: skip
    head = subprocess.Popen(
        cmd,
        env={**os.environ, **LOOPBACK_RAY},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    address = f"127.0.0.1:{port}"
    try:
        end = time.monotonic() + timeout_s
        while True:
            if head.poll() is not None:
                err = head.stderr.read().decode(errors="replace") if head.stderr else ""
                raise RuntimeError(f"ray start --head exited ({head.returncode}): {err[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > end:
                raise RuntimeError(f"no Ray head on {address} after {timeout_s:g} s")
            time.sleep(0.2)
        yield address
    finally:
        if "ray" in sys.modules:
            sys.modules["ray"].shutdown()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=3)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(head.pid, signal.SIGKILL)
            head.wait()
        _kill_session(temp)
        shutil.rmtree(temp, ignore_errors=True)


def _kill_session(temp: str) -> None:
    """Kill what is left of the Ray processes of the session under ``temp``."""
    mine: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                if temp.encode() in fh.read():
                    mine.append(int(entry))
        except OSError:
            continue
    for pid in mine:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
