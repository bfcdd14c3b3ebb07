#!/usr/bin/env bash
# Create (or refresh) the one repo virtual environment: the runtime, the toolkit and every connector, editable.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
args=(-e "runtime[tests]" -e "tools[tests]")
for dir in connectors/*/; do
  [ -f "$dir/pyproject.toml" ] && args+=(-e "${dir%/}[tests]")
done
echo "==> installing runtime, tools and $(ls -d connectors/*/ 2>/dev/null | wc -l) connector(s) into .venv"
.venv/bin/pip install --quiet --disable-pip-version-check -c constraints.txt --config-settings editable_mode=compat "${args[@]}" \
  ruff mypy types-PyYAML types-requests types-psycopg2 types-jsonschema
touch .venv/.installed
