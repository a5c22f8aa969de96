#!/usr/bin/env bash
# Evidence of learning with a real pretrained model (a benchmark, not a test):
# SmolLM2-135M-Instruct (hf:smollm2-135m-instruct, offline) as it comes ("base"), after SFT on
# oracle demonstrations, and after step-grained PPO, outcome-only PPO and GRPO from the same
# SFT model with the same seeds and budget; each ranked by `steptool bench` on the six test
# subsets (the first $LIMIT tasks of each, seed 0, greedy, compact prompt, $MAX_STEPS steps).
#   bash benchmarks/lm_evidence.sh [RUNS_FOLDER] [STAGE...]   (default runs/lm-evidence, all)
# Stages: base sft ppo-step ppo-outcome grpo bench board (board: one leaderboard of every
# arm benched so far, paired comparisons (SFT vs base, each RL arm vs SFT) and the RL arms'
# training curves, in $RUNS/board). Every stage resumes where it stopped (the trainer from
# its latest checkpoint, the bench from its episodes), so rerun the same command after an
# interruption. Set DEVICE=cuda on a GPU.
# SCALE=gpu runs the full-scale recipe instead: Qwen2.5-1.5B-Instruct (a hub id: downloaded,
# so HF_HUB_OFFLINE is not set) with agents/{sft,ppo,grpo}-qwen-gpu.toml on CUDA, benched on
# the first 50 tasks of each test subset with 12 steps (LIMIT and MAX_STEPS still override).
set -euo pipefail
RUNS=${1:-runs/lm-evidence}
shift || true
STAGES=${*:-base sft ppo-step ppo-outcome grpo bench board}
SCALE=${SCALE:-cpu}
if [ "$SCALE" = gpu ]; then
  MODEL=Qwen/Qwen2.5-1.5B-Instruct RECIPE=qwen-gpu
  LIMIT=${LIMIT:-50} MAX_STEPS=${MAX_STEPS:-12} DEVICE=${DEVICE:-cuda}
else
  MODEL=smollm2-135m-instruct RECIPE=smollm2
  LIMIT=${LIMIT:-8} MAX_STEPS=${MAX_STEPS:-8} DEVICE=${DEVICE:-auto}
  export HF_HUB_OFFLINE=1
fi
# CPU budget runs: SFT_UPDATES=N overrides the SFT recipe's updates; RL_UPDATES=N and
# RL_EPISODES=N the updates and episodes per update of all three RL arms (same for each).
RL_BUDGET=(${RL_UPDATES:+--set "updates=$RL_UPDATES"} ${RL_EPISODES:+--set "episodes_per_update=$RL_EPISODES"})
mkdir -p "$RUNS"

train() {  # train ALGO OUT RECIPE [--set ...]: start, or resume from the latest checkpoint
  local algo=$1 out=$2 recipe=$3
  shift 3
  if [ -d "$out/final" ]; then return; fi
  local resume=()
  if [ -d "$out/checkpoints" ] && ls "$out/checkpoints" | grep -q update-; then resume=(--resume); fi
  steptool train "$algo" --config "$recipe" --out "$out" --set "device=\"$DEVICE\"" "$@" \
    --no-progress "${resume[@]}"
}

bench() {  # bench NAME AGENT
  steptool bench --agents "$2" --subsets test --seeds 0 --limit "$LIMIT" --max-steps "$MAX_STEPS" \
    --prompt-style compact --num-envs 16 --out "$RUNS/bench-$1" --no-progress
}

for stage in $STAGES; do
  case $stage in
    base) bench base "hf:$MODEL" ;;
    sft) train sft "$RUNS/sft" agents/sft-$RECIPE.toml --model "$MODEL" \
      ${SFT_UPDATES:+--set "updates=$SFT_UPDATES"} ;;
    ppo-step) train ppo "$RUNS/ppo-step" agents/ppo-$RECIPE.toml --model "$RUNS/sft/final" \
      "${RL_BUDGET[@]}" ;;
    ppo-outcome) train ppo "$RUNS/ppo-outcome" agents/ppo-$RECIPE.toml --model "$RUNS/sft/final" \
      --set 'reward="outcome"' "${RL_BUDGET[@]}" ;;
    grpo) train grpo "$RUNS/grpo" agents/grpo-$RECIPE.toml --model "$RUNS/sft/final" \
      "${RL_BUDGET[@]}" ;;
    bench)
      for arm in sft ppo-step ppo-outcome grpo; do
        if [ -d "$RUNS/$arm/final" ]; then bench "$arm" "hf:$RUNS/$arm/final"; fi
      done ;;
    board)
      mkdir -p "$RUNS/board"
      cat "$RUNS"/bench-*/episodes.jsonl > "$RUNS/board/episodes.jsonl"
      steptool leaderboard "$RUNS/board"
      # paired comparisons (task-clustered bootstrap): SFT against the base model, and each
      # RL arm against SFT, on the pass rate and on SuccCalling
      for pair in base:sft sft:ppo-step sft:ppo-outcome sft:grpo; do
        a=${pair%%:*} b=${pair##*:}
        if [ -f "$RUNS/bench-$a/episodes.jsonl" ] && [ -f "$RUNS/bench-$b/episodes.jsonl" ]; then
          for metric in pass_rate succ_calling; do
            steptool compare "$RUNS/bench-$a" "$RUNS/bench-$b" --metric $metric \
              --out "$RUNS/board/compare-$a-vs-$b-$metric" > /dev/null
          done
        fi
      done
      arms=() labels=()
      for arm in ppo-step ppo-outcome grpo; do
        if [ -f "$RUNS/$arm/metrics.jsonl" ]; then arms+=("$RUNS/$arm"); labels+=("$arm"); fi
      done
      if [ ${#arms[@]} -gt 0 ]; then
        steptool train plot "${arms[@]}" --labels "$(IFS=,; echo "${labels[*]}")" \
          --out "$RUNS/board/rl_curves.png"
      fi ;;
    *) echo "unknown stage: $stage" >&2; exit 2 ;;
  esac
done
