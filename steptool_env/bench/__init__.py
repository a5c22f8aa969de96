"""Layer 10: the benchmark runner, episode records with provenance, leaderboards, plots
and comparisons."""

from steptool_env.bench.compare import compare, compare_markdown
from steptool_env.bench.config import AgentSpec, BenchConfig, load_benchmark_file
from steptool_env.bench.leaderboard import budget_curve, leaderboard_table, timing_table
from steptool_env.bench.record import EpisodeRecord, Provenance
from steptool_env.bench.report import write_leaderboard
from steptool_env.bench.runner import BenchRun, load_records, run_bench
from steptool_env.bench.store import EpisodeStore, episode_key

__all__ = [
    "AgentSpec",
    "BenchConfig",
    "BenchRun",
    "EpisodeRecord",
    "EpisodeStore",
    "Provenance",
    "budget_curve",
    "compare",
    "compare_markdown",
    "episode_key",
    "leaderboard_table",
    "load_benchmark_file",
    "load_records",
    "run_bench",
    "timing_table",
    "write_leaderboard",
]
