#!/usr/bin/env bash
# Run every test: notebooks clean and in sync with the package, every notebook's tests (nbdev_test), and tests/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
export MPLBACKEND=Agg PYTHONUNBUFFERED=1
exec python -m pytest -q tests "$@"
