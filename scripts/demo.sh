#!/usr/bin/env bash
# The main job on its embedded default: synthetic faces, CPU, a few minutes. Extra arguments go to `cali-sketch demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
export MPLBACKEND=Agg PYTHONUNBUFFERED=1
exec cali-sketch demo "$@"
