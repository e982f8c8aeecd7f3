#!/usr/bin/env bash
# Run the side-by-side gateway benchmark from the repository root (arguments pass through).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec .venv/bin/python -m bench.router "$@"
