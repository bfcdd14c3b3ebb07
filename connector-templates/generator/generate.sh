#!/usr/bin/env bash
# Scaffold a new connector from a template: prompts in a terminal, or takes flags (--help lists them).
# Needs only Python 3.11+ (the repo .venv when it exists, else python3): no Node, no Docker.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="$root/.venv/bin/python"
[ -x "$python" ] || python="${PYTHON:-python3}"
export PYTHONPATH="$root/tools${PYTHONPATH:+:$PYTHONPATH}"
exec "$python" -m dockyard_tools.generate "$@"
