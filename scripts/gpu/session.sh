#!/usr/bin/env bash
# GPU work, one phase per device call. Usage: bash scripts/gpu/session.sh PHASE [STEPS] [extra reproduce flags...]
#   pack   (here, on the CPU)             what `paper` carries: data/gpu/{train128,val128}.npz, data/gpu/hed.xz, .whl/ (and
#                                         .whlb/, the widget wheels only `bench` carries);
#                                         HED rounded to int8 (HED_ROUND=bf16: 8 MiB more), N_EVAL val faces, then as many train faces as fit in what is
#                                         left of the 64 MiB the device takes with the checkout (N_TRAIN: at most that many).
#                                         Needs data/celeba_{train,val}128: cali-sketch prepare ../shared/data/celeba/train
#                                         data/celeba_train128 (and val; about 8 minutes on 2 cores)
#   paper  (carry .whl data/gpu)          ONE call of at most 9 minutes (issue 13): HED weights and data unpacked, strokes
#                                         re-traced, the paper-size full model trained for $MINUTES (bf16 + channels_last),
#                                         evaluated on 200 val faces at three severities and on the real freehand sketches;
#                                         brings back 8 files (scripts/gpu/report.py). tests/test_gpu_phase.py runs this
#                                         same phase on the CPU with tiny settings, so the call cannot fail on a typo.
#   bench  (carry .whl .whlb)             the second, short call of issue 13, if 5 device minutes are left after `paper`:
#                                         joint-stage throughput benchmark (with an IEEE fp32 row) and widget latency. Earlier
#                                         sessions ran it first, then these two (issues 4, 5 and 6):
#   train  (carry .whl data/gpu/*128.npz) prepared CelebA 128 unpacked; every variant trained, 4 processes sharing the GPU
#   eval   (carry .whl)                   runs cut short are finished (resumed), all variants evaluated; notebooks' GPU cells
# tests/test_gpu_phase.py dry-runs `paper` and `bench` on the CPU with what the image lacks hidden (scripts/gpu/device_sim),
# so a typo or a missing import fails here, not in the device call.
# Results go to $OUT. Settings by environment: MINUTES, MODEL, BS, DEVICE, PRECISION, WORKERS, N_EVAL, GPU_DATA (data
# folder, default data), GPU_RUNS (default runs/gpu-paper), N_TRAIN (pack: at most this many train faces), BENCH_ARGS,
# LAT_SIZES, LAT_REPEATS (bench), GPU_SITE (where the carried wheels are installed, default /tmp/site). paper's
# WORKERS defaults to -1, auto: min(8, cores - 1) loader processes with CUDA, as its one training process has the 16
# cores to itself (a human-like sketch takes 4-9 ms of one core, so 3 workers could starve a paper-size step at 128 px).
set -uo pipefail
cd "$(dirname "$0")/../.."
phase=${1:?phase: pack, paper, bench, train or eval}; steps=${2:-4000}; shift $(( $# < 2 ? $# : 2 ))
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg
t0=$(date +%s); el() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
SITE=${GPU_SITE:-/tmp/site}; need="import fastcore"; [ "$phase" = bench ] && need="$need, ipywidgets"  # what the image lacks (scripts/gpu/device_image.txt)
if [ "$phase" != pack ] && ! python3 -c "$need" 2>/dev/null; then  # not there: install the carried wheels (scripts/gpu/wheels-*.txt)
  whl=$(ls .whl/*/*.whl .whlb/*/*.whl 2>/dev/null)
  [ -n "$whl" ] || { echo "phase $phase needs the wheels the image lacks: carry .whl$( [ "$phase" = bench ] && echo ' and .whlb'), made by session.sh pack"; exit 1; }
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" $whl || exit 1
  export PYTHONPATH=$SITE:$PWD${PYTHONPATH:+:$PYTHONPATH} PATH=$SITE/bin:$PATH
  python3 -c "$need" || { echo "the carried wheels lack what phase $phase imports: carry .whl$( [ "$phase" = bench ] && echo ' and .whlb'), made by session.sh pack"; exit 1; }
else export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}; fi
HED=$(python3 -c "from cali_sketch.hed import cache_dir; print(cache_dir()/'hed_bsds500.pth')") || exit 1  # where hed_state_dict looks, whatever the cache variables say
D=${GPU_DATA:-data}
common=(--data data/celeba_train128 --eval-data data/celeba_val128 --steps "$steps" --model ${MODEL:-paper} --backbone hed-vgg16
        --batch-size ${BS:-16} --device ${DEVICE:-cuda} --precision bf16 --channels-last --workers 3 --sample-every $(( steps / 8 ))
        --out runs/celeba128 "$@")
case $phase in
pack)
  for s in train val; do [ -f "$D/celeba_${s}128/prepared.json" ] || {
    echo "no $D/celeba_${s}128: first cali-sketch prepare ../shared/data/celeba/$s $D/celeba_${s}128 (real HED; minutes)"; exit 1; }; done
  rm -rf .whl/py .whlb/py; mkdir -p "$D/gpu" .whl/py .whlb/py  # one version of each wheel
  for w in paper:.whl bench:.whlb; do  # the versions the tests ran with here, as wheels for the image's Python 3.12
    pins=$(python3 -c "import sys, importlib.metadata as m; print(' '.join(f'{n}=={m.version(n)}' for n in (l.split('#')[0].strip() for l in open(sys.argv[1])) if n))" \
           "scripts/gpu/wheels-${w%%:*}.txt") || exit 1
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 -d "${w#*:}/py" $pins || exit 1
  done
  python3 -c "from cali_sketch.hed import hed_state_dict; import torch; torch.save(hed_state_dict(), '/tmp/hed_export.pth')" || exit 1
  python3 scripts/gpu/transport.py pack-hed /tmp/hed_export.pth "$D/gpu/hed.xz" --round ${HED_ROUND:-int8} || exit 1  # 10.8 MiB; bf16 18.6
  python3 scripts/gpu/transport.py pack-data "$D/celeba_val128" "$D/gpu/val128.npz" --n ${N_EVAL:-200} --quality 90 || exit 1
  rm -f "$D/gpu/train128.npz"  # the train faces get what is left of the 64 MiB, less 1 MiB to spare
  tree=$( { git ls-files -z; git ls-files -z -o --exclude-standard; } | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)  # what the device copies
  carry=$(du -cb "$D/gpu" .whl | tail -1 | cut -f1)
  left=$(python3 -c "print(round((64 * 2**20 - $tree - $carry) / 2**20 - 1, 2))")
  python3 scripts/gpu/transport.py pack-data "$D/celeba_train128" "$D/gpu/train128.npz" ${N_TRAIN:+--n $N_TRAIN} --max-mib "$left" || exit 1
  carry=$(du -cb "$D/gpu" .whl | tail -1 | cut -f1)
  echo "checkout $(( tree / 1048576 )) MiB + carry $(( carry / 1048576 )) MiB = $(( (tree + carry) / 1048576 )) MiB of 64"
  [ $(( tree + carry )) -le $(( 64 * 1048576 )) ] || { echo "too big for the device"; exit 1; } ;;
paper)
  W=$(mktemp -d); R=${GPU_RUNS:-runs/gpu-paper}; M=${MINUTES:-5}; dev=${DEVICE:-cuda}
  el "HED weights"
  if [ -f "$D/gpu/hed.xz" ]; then python3 scripts/gpu/transport.py unpack-hed "$D/gpu/hed.xz" "$HED" || exit 1; fi
  python3 -c "from cali_sketch.hed import hed_state_dict; hed_state_dict()" || { echo "no HED weights: carry $D/gpu/hed.xz (session.sh pack)"; exit 3; }
  el "data: unpack, re-trace the strokes"
  for s in train val; do
    [ -f "$D/celeba_${s}128/prepared.json" ] || python3 scripts/gpu/transport.py unpack-data "$D/gpu/${s}128.npz" "$D/celeba_${s}128" || exit 1
    python3 scripts/gpu/transport.py strokes "$D/celeba_${s}128" || exit 1
  done
  el "train: the ${MODEL:-paper}-size full model for $M minutes on $dev"
  timeout -k 20 $(( ${M%.*} * 60 + 180 )) python3 -m cali_sketch.cli reproduce --data "$D/celeba_train128" --variants full --minutes "$M" \
      --model ${MODEL:-paper} --backbone hed-vgg16 --batch-size ${BS:-16} --device "$dev" --precision ${PRECISION:-bf16} --channels-last \
      --workers ${WORKERS:--1} --train-only --quiet --out "$R" > "$W/train.log" 2>&1; rc=$?
  tail -n 3 "$W/train.log"
  el "export: the generators come back first, even if training was cut short or a later step fails"
  python3 scripts/gpu/report.py export "$R/full" "$W" "$OUT" || { tail -n 40 "$W/train.log"; exit 1; }
  [ $rc -eq 0 ] || { echo "training ended with exit code $rc; the generators it reached are in $OUT/paper.part*"; tail -n 40 "$W/train.log"; exit 1; }
  el "evaluate: ${N_EVAL:-200} val faces at severities 0.25 0.5 0.75"
  python3 -m cali_sketch.cli eval "$R/full" --data "$D/celeba_val128" --split all --n ${N_EVAL:-200} --device "$dev" --out "$W/eval.json" --quiet || exit 1
  el "the real freehand sketches"
  python3 scripts/real_sketch_results.py --run paper="$R/full" --out "$W/real" || exit 1
  el "report"
  python3 scripts/gpu/report.py "$R/full" "$W" "$OUT" $( [ -f "$D/gpu/hed.xz" ] && echo "$D/gpu/hed.xz" ) || exit 1
  el done ;;
bench)
  [ -f data/gpu/hed.xz ] && python3 scripts/gpu/transport.py unpack-hed data/gpu/hed.xz "$HED"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
  python3 -c "import torch, sys; print('torch', torch.__version__, 'python', sys.version.split()[0])" | tee -a "$OUT/gpu.txt"
  rc=0  # each benchmark runs even if the other failed; the phase fails if either did
  el "widget latency (first: seconds, where the throughput benchmark's compile warm-up may outlast the call)"
  python3 bench/widget_latency.py --device ${DEVICE:-cuda} --sizes ${LAT_SIZES:-128 256} --repeats ${LAT_REPEATS:-20} 2>&1 | tee "$OUT/latency.txt" || rc=1
  el "throughput benchmark"
  python3 bench/train_throughput.py ${BENCH_ARGS:---compile --strict-fp32 --steps 10 --warmup 3 --stages joint} --json "$OUT/bench256.json" 2>&1 | tee "$OUT/bench256.txt" || rc=1
  el done; exit $rc ;;
train)
  [ -f "$HED" ] || { echo "no HED weights at $HED: run the bench phase first (this machine was given back in between)"; exit 3; }
  for s in train val; do
    [ -f data/celeba_${s}128/prepared.json ] || python3 scripts/gpu/transport.py unpack-data data/gpu/${s}128.npz data/celeba_${s}128 || exit 1
  done
  el "training: 4 processes"
  (sleep 150; nvidia-smi) > "$OUT/smi.txt" 2>&1 &
  for g in "full no-perc-style" no-cal no-scn baseline; do
    timeout -k 20 "${TRAIN_LIMIT:-540}" python3 -m cali_sketch.cli reproduce "${common[@]}" --variants $g --train-only --quiet \
      > "$OUT/train-${g%% *}.log" 2>&1 &
  done
  wait
  el "training ended"
  python3 - <<'PY' | tee "$OUT/progress.txt"
import torch, pathlib
for f in sorted(pathlib.Path('runs/celeba128').glob('*/*/last.pt')):
    ck = torch.load(f, map_location='cpu', weights_only=True); print(f.parent, 'step', ck['step'], 'of', ck['config']['steps'])
PY
  tail -n 3 "$OUT"/train-*.log ;;
eval)
  el "finish runs and evaluate"
  timeout -k 20 "${EVAL_LIMIT:-420}" python3 -m cali_sketch.cli reproduce "${common[@]}" --quiet 2>&1 | tee "$OUT/eval.log"
  el "exports and figures"
  python3 - <<'PY'
import torch, pathlib, shutil
from cali_sketch.pipeline import load_generators
from cali_sketch.learner import export_weights, plot_losses
from cali_sketch.figures import fig_to_png
r = pathlib.Path('runs/celeba128'); o = r/'report'; o.mkdir(exist_ok=True)
ck = torch.load(r/'full/joint/last.pt', map_location='cpu', weights_only=True)
g1, g2, info = load_generators(r/'full/joint')
export_weights({'G1': g1, 'G2': g2}, ck['config'], o/'full.safetensors')
for f in r.glob('*/*/losses.csv'):
    (o/f"losses_{f.parent.parent.name}_{f.parent.name}.png").write_bytes(fig_to_png(plot_losses(f)))
    shutil.copy(f, o/f"losses_{f.parent.parent.name}_{f.parent.name}.csv")
    s = sorted((f.parent/'samples').glob('*.png'))
    if s: shutil.copy(s[-1], o/f"samples_{f.parent.parent.name}_{f.parent.name}_{s[-1].stem}.png")
for v in r.glob('*/variant.json'): shutil.copy(v, o/f"variant_{v.parent.name}.json")
PY
  python3 scripts/gpu/transport.py pack-export runs/celeba128/report/full.safetensors "$OUT/full"
  tar czf "$OUT/results.tgz" runs/celeba128/results.json runs/celeba128/table.md runs/celeba128/*.png \
      $(ls runs/celeba128/report/* | grep -v safetensors) "$OUT"/*.log 2>/dev/null
  el "notebooks with their GPU cells (nbdev_test --flags cuda)"
  for nb in 21_scn 22_isn 23_joint; do
    timeout 300 nbdev_test --flags cuda --path nbs/$nb.ipynb 2>&1 | tail -n 30 | tee -a "$OUT/nbdev_cuda.log"
  done
  timeout "${NB_LIMIT:-240}" nbdev_test --flags cuda --n_workers 8 --skip_file_re '^([_.]|2[123]_)' 2>&1 | tail -n 60 | tee -a "$OUT/nbdev_cuda.log"
  el done ;;
*) echo "unknown phase $phase"; exit 2 ;;
esac
