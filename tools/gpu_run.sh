#!/usr/bin/env bash
# The GPU grid in one command (tools/gpu_README.md: how to call it, what it writes, the time estimate).
#   GPU machine: OUT=results_folder bash tools/gpu_run.sh          (.gpu_data/ from tools/gpu_prepare.sh beside it)
#   CPU dry run: GPU_RUN_SIZE=tiny OUT=dry/out PYTHON=.venv/bin/python GPU_DATA=path/to/data bash tools/gpu_run.sh
# Phases: install (wheels + the project, offline) -> data (archives decoded into the array cache) -> timing (full-data
# CIFAR-10, ResNet-9, bf16/channels-last/GPU-resident) -> plan (grid epochs from the measured rate and the time left) ->
# grid (CIFAR-10 and Tiny-ImageNet-32: the library's preset gpu-fast at E epochs) -> figures (`drop-nb figures`) -> report.
# Writes under $OUT (<= 8 files): log.txt timing.json results.jsonl summary.md provenance.json figures.tgz runs.tgz
set -uo pipefail
SIZE=${GPU_RUN_SIZE:-full}
: "${OUT:?set OUT to the folder for the results}"
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd); cd "$REPO"
CARRY=${GPU_DATA:-$REPO/.gpu_data}                 # holds cifar10.tgz, tinyimagenet32.tgz, whl/, commit.txt
WORK=${GPU_WORK:-/tmp/drop_gpu_$SIZE}               # scratch: data, cache, results (not returned)
PY=${PYTHON:-python3}; case $PY in */*) PY=$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY");; esac   # absolute: some steps cd /
if [ "$SIZE" = tiny ]; then BUDGET=${GPU_RUN_BUDGET_S:-600}; PAR=${GPU_RUN_PARALLEL:-0}
else BUDGET=${GPU_RUN_BUDGET_S:-400}; PAR=${GPU_RUN_PARALLEL:-1}; fi   # seconds the whole script may take
RESERVE=${GPU_RUN_RESERVE_S:-45}                    # kept back for figures + report after the grid deadline
T0=$(date +%s)
mkdir -p "$OUT" "$WORK"; rm -f "$WORK/phases.tsv" "$WORK/grid_all.log"
exec > >(tee -a "$OUT/log.txt") 2>&1
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg DROP_NB_CACHE=$WORK/cache DROP_NB_DATA=$WORK/data
now() { date +%s.%N; }
PH=$(now); PHN=start
phase() { local t; t=$(now); awk -v a="$t" -v b="$PH" -v n="$PHN" 'BEGIN{printf "%s\t%.2f\n", n, a-b}' >> "$WORK/phases.tsv"; PH=$t; PHN=$1
          echo "=== [$(date +%T), +$(( $(date +%s) - T0 )) s] $1"; }
left() { echo $(( T0 + BUDGET - $(date +%s) )); }
echo "gpu_run.sh size=$SIZE budget=${BUDGET}s repo=$REPO carry=$CARRY work=$WORK python=$PY"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

COMMIT=$WORK/commit.txt   # a copy of the tree without .git: gpu_prepare.sh wrote the commit into .gpu_data
if git rev-parse HEAD > "$COMMIT" 2>/dev/null; then git status --porcelain --untracked-files=no | grep -q . && echo "(uncommitted changes in the tree)" >> "$COMMIT"
else cp "$CARRY/commit.txt" "$COMMIT" 2>/dev/null || echo unknown > "$COMMIT"; fi
phase install   # fastai & co. may be missing on the GPU machine: wheels in .gpu_data/whl (no package index needed)
if ! $PY -c 'import fastai' 2>/dev/null; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$WORK/site" "$CARRY"/whl/*.whl || exit 3
  export PYTHONPATH=$WORK/site${PYTHONPATH:+:$PYTHONPATH}
fi
# (checked from / : from the repo root `import drop_nb` would find the source folder, but tools/*.py run with tools/ on sys.path)
if [ "$(cd / && $PY -c 'import drop_nb, os; print(os.path.dirname(os.path.dirname(os.path.realpath(drop_nb.__file__))))' 2>/dev/null)" != "$REPO" ]; then
  $PY -m pip install -q --no-index --no-deps --no-build-isolation --no-cache-dir -e . \
    || { echo 'pip install -e . failed: using PYTHONPATH'; export PYTHONPATH=$REPO${PYTHONPATH:+:$PYTHONPATH}; }
fi
BIN=$($PY -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
if [ -x "$BIN/drop-nb" ]; then DROPNB=("$BIN/drop-nb"); else DROPNB=("$PY" -c 'import sys; from drop_nb.cli import main; sys.exit(main())'); fi
(cd / && $PY -c 'import torch, fastai, drop_nb; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), "fastai", fastai.__version__, "drop_nb", drop_nb.__file__)') || exit 3

phase data      # the loaders read the .tgz archives in one pass and cache decoded uint8 arrays (faster than untarring 170k files)
mkdir -p "$WORK/data"
if [ "$SIZE" = tiny ]; then $PY tools/gpu_tasks.py tiny-data "$CARRY" "$WORK/data" || exit 4
else for f in cifar10.tgz tinyimagenet32.tgz; do ln -sf "$(realpath "$CARRY/$f")" "$WORK/data/$f"; done; fi
ls -laL "$WORK/data"
$PY tools/gpu_tasks.py decode tinyimagenet > "$WORK/decode_tin.log" 2>&1 & P2=$!   # ~110k JPEGs: overlaps the timing phase
$PY tools/gpu_tasks.py decode cifar10 || exit 4

phase timing    # full-data CIFAR-10 to >= 93% in <= 20 s (ResNet-9, one-cycle, bf16, channels-last, data on the GPU)
$PY tools/gpu_tasks.py timing "$WORK/timing.json" || echo "timing phase FAILED (the grid still runs, with GPU_GRID_EPOCHS or 3 epochs)"
[ -f "$WORK/timing.json" ] && cp "$WORK/timing.json" "$OUT/timing.json"

phase tin-decode-wait
wait $P2 || { cat "$WORK/decode_tin.log"; exit 4; }; cat "$WORK/decode_tin.log"

phase plan      # grid epochs E: the largest that fits the time left at the timing run's images/s
# The grid is the library's preset gpu-fast (gpu-tiny for the dry run): drop_nb.protocol.PRESETS; only E is set here.
GRID_BUDGET=$(( $(left) - RESERVE ))
if [ "$SIZE" = tiny ]; then E=1; elif [ -n "${GPU_GRID_EPOCHS:-}" ] || [ ! -f "$WORK/timing.json" ]; then E=${GPU_GRID_EPOCHS:-3}
else E=$($PY tools/gpu_tasks.py plan "$WORK/timing.json" "$GRID_BUDGET" 1.0) || E=3; fi
export GPU_GRID_EPOCHS_USED=$E
echo "grid epochs E=$E for a grid budget of ${GRID_BUDGET}s"

phase grid
RES=$WORK/results; DEADLINE=$(( T0 + BUDGET - RESERVE )); HARD=$(( DEADLINE - $(date +%s) + 60 ))   # a run in flight at the deadline may finish
[ $HARD -lt 30 ] && HARD=30
g() { timeout -k 10 $HARD $PY tools/gpu_tasks.py grid "$@" --out "$RES" 2>&1 | tee -a "$WORK/grid_all.log"; }
if [ "$PAR" = 1 ]; then   # one process per CIFAR-10 seed plus one for Tiny-ImageNet, sharing the GPU
  g cifar10 $E $DEADLINE --shard 0/2 > "$WORK/grid_c0.log" 2>&1 & Q1=$!
  g cifar10 $E $DEADLINE --shard 1/2 > "$WORK/grid_c1.log" 2>&1 & Q2=$!
  g tinyimagenet $E $DEADLINE > "$WORK/grid_t.log" 2>&1 & Q3=$!
  wait $Q1; wait $Q2; wait $Q3
  for f in "$WORK"/grid_c0.log "$WORK"/grid_c1.log "$WORK"/grid_t.log; do echo "--- $f"; grep -v -i 'warn' "$f" | tail -n 8; done
else
  g cifar10 $E $DEADLINE
  g tinyimagenet $E $DEADLINE
fi

phase figures
"${DROPNB[@]}" figures --results "$RES" --out "$RES/figures" --quiet; echo "figures rc=$?"
tar -czf "$OUT/figures.tgz" -C "$RES" figures
tar -czf "$OUT/runs.tgz" -C "$RES" runs

phase report
$PY tools/gpu_tasks.py report "$RES" "$OUT" "$WORK/phases.tsv" "$WORK/timing.json" "$COMMIT" "$WORK/grid_all.log"
phase end
$PY tools/gpu_tasks.py report "$RES" "$OUT" "$WORK/phases.tsv" "$WORK/timing.json" "$COMMIT" "$WORK/grid_all.log" > /dev/null  # with the report phase's time
echo "done in $(( $(date +%s) - T0 )) s; files in $OUT:"; ls -la "$OUT"
sleep 1
