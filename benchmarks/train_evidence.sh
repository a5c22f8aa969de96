#!/usr/bin/env bash
# Evidence of learning (a benchmark, not a test): SFT, then step-grained PPO and, with the
# same seeds and budget, outcome-only PPO; then `steptool bench` on the held-out test
# subsets with fixed seeds, and the learning curves.
#   bash benchmarks/train_evidence.sh [RUNS_FOLDER]      (default runs/evidence)
# Set DEVICE=cuda to run it on a GPU (the recipes' device is "auto" otherwise).
set -euo pipefail
RUNS=${1:-runs/evidence}
LIMIT=${LIMIT:-20}            # tasks per test subset in the final evaluation
DEVICE=${DEVICE:-auto}
mkdir -p "$RUNS"
steptool train sft --config agents/sft-small.toml --out "$RUNS/sft" --set "device=\"$DEVICE\"" --no-progress
for reward in steptool outcome; do
  steptool train ppo --config agents/ppo-small.toml --out "$RUNS/ppo-$reward" \
    --model "$RUNS/sft/final" --set "reward=\"$reward\"" --set "device=\"$DEVICE\"" --no-progress
done
steptool train plot "$RUNS/ppo-steptool" "$RUNS/ppo-outcome" --labels step-grained,outcome-only \
  --out "$RUNS/ppo_curves.png"
steptool train plot "$RUNS/sft" --out "$RUNS/sft_curves.png"
steptool bench --agents "hf:$RUNS/sft/final,hf:$RUNS/ppo-steptool/final,hf:$RUNS/ppo-outcome/final" \
  --subsets test --seeds 0 --limit "$LIMIT" --out "$RUNS/bench" --no-progress
