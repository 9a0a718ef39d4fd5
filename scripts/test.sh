#!/usr/bin/env bash
# Run every test: notebooks clean and in sync with the package, every notebook's tests (nbdev_test), and tests/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
# The real-browser widget test drives Debian's chromium with Playwright (never `playwright install`: no downloads).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing Debian's chromium for the browser test =="
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
    echo "!! chromium could not be installed: the browser test will be skipped"
fi
export MPLBACKEND=Agg PYTHONUNBUFFERED=1
exec python -m pytest -q -rs tests "$@"
