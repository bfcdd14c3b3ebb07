#!/usr/bin/env bash
# Create (or refresh) the one repo virtual environment: the runtime, the toolkit and every connector, editable.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $($PY --version)"
  if ! "$PY" -m venv .venv; then
    # Debian's python3 ships without ensurepip: install python3-venv when we may, then retry once.
    rm -rf .venv
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "==> installing python3-venv"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      "$PY" -m venv .venv
    else
      echo "error: '$PY -m venv' failed; install your distribution's python3-venv package" >&2
      exit 1
    fi
  fi
fi
args=(-e "runtime[tests]" -e "tools[tests]")
for dir in connectors/*/; do
  [ -f "$dir/pyproject.toml" ] && args+=(-e "${dir%/}[tests]")
done
echo "==> installing runtime, tools and $(ls -d connectors/*/ 2>/dev/null | wc -l) connector(s) into .venv"
.venv/bin/pip install --quiet --disable-pip-version-check -c constraints.txt --config-settings editable_mode=compat "${args[@]}" \
  ruff mypy types-PyYAML types-requests types-psycopg2 types-jsonschema
touch .venv/.installed
