"""The ``steptool`` command line. ``main(argv) -> int`` is testable in-process.

steptool bench --agents random,heuristic,oracle --seeds 0,1,2 --out runs/baselines
steptool suite            # what the suite holds, and its hash
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from steptool_env.errors import StepToolError


def _csv(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",") if p.strip())


def _ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in _csv(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None


def _bench(args: argparse.Namespace) -> int:
    from steptool_env.bench import BenchConfig, run_bench, write_leaderboard
    from steptool_env.world.suite import TEST_SUBSETS

    subsets = TEST_SUBSETS if args.subsets in ("all", "test") else _csv(args.subsets)
    cfg = BenchConfig(
        out=Path(args.out),
        agents=_csv(args.agents),
        env_id=args.env_id,
        subsets=subsets,
        seeds=args.seeds,
        num_envs=args.num_envs,
        max_steps=args.max_steps,
        parser=args.parser,
        limit=args.limit,
        progress=not args.no_progress,
    )
    records = run_bench(cfg)
    command = "steptool " + " ".join(shlex.quote(a) for a in args.argv)
    md = write_leaderboard(records, cfg.out, command=command)
    print(md.read_text(encoding="utf-8"))
    print(
        f"episodes: {cfg.out / 'episodes.jsonl'}\nleaderboard: {md} and "
        f"{cfg.out / 'leaderboard.csv'}"
    )
    return 0


def _suite(args: argparse.Namespace) -> int:
    from steptool_env.world.suite import load_suite

    suite = load_suite(args.name)
    cat = suite.catalogue
    print(f"suite {suite.name} v{suite.config.version}  hash {suite.hash}")
    print(f"catalogue: {len(cat.categories)} categories, {len(cat.tools)} tools, {len(cat)} APIs")
    for name, tasks in suite.splits.items():
        groups = {g: sum(1 for t in tasks if t.group == g) for g in ("G1", "G2", "G3")}
        print(
            f"  {name:8s} {len(tasks):6d} tasks  "
            + "  ".join(f"{g}={n}" for g, n in groups.items() if n)
        )
    print(
        "held out: categories "
        + ", ".join(suite.config.heldout_categories)
        + "; tools "
        + ", ".join(suite.config.heldout_tools)
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    from steptool_env.version import __version__

    p = argparse.ArgumentParser(prog="steptool", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"steptool-env {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("bench", help="rank agents on the test subsets (leaderboard)")
    b.add_argument(
        "--agents",
        default="random,heuristic,oracle",
        help="comma-separated agents (random, heuristic, oracle)",
    )
    b.add_argument("--env-id", default="StepTool/ToolBench-v0", help="registered env id")
    b.add_argument(
        "--subsets",
        default="all",
        help="comma-separated subsets, or 'all' for the six test subsets",
    )
    b.add_argument("--seeds", type=_ints, default=(0, 1, 2), help="comma-separated seeds")
    b.add_argument("--num-envs", type=int, default=16, help="episodes in flight at once")
    b.add_argument("--max-steps", type=int, default=12, help="step budget per episode")
    b.add_argument("--parser", default="react", help="action format: react, json, hermes")
    b.add_argument("--limit", type=int, default=None, help="first N tasks of each subset")
    b.add_argument("--out", default="runs/bench", help="output folder")
    b.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    b.set_defaults(func=_bench)

    s = sub.add_parser("suite", help="describe a suite: sizes, splits, hash")
    s.add_argument("--name", default="toolbench", help="suite content folder name")
    s.set_defaults(func=_suite)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return int(exc.code or 0)
    args.argv = argv
    try:
        return int(args.func(args))
    except StepToolError as exc:
        print(f"steptool: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`steptool suite | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
