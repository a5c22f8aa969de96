"""Layer 10: the benchmark runner, episode records with provenance, and leaderboards."""

from steptool_env.bench.config import BenchConfig
from steptool_env.bench.leaderboard import leaderboard_table, write_leaderboard
from steptool_env.bench.runner import load_records, run_bench

__all__ = ["BenchConfig", "leaderboard_table", "load_records", "run_bench", "write_leaderboard"]
