#!/usr/bin/env bash
# `make run`: the embedded server (API, scheduler, monitor, local worker) on SQLite in
# $LEGATO_HOME (default ./.legato) with the example flows deployed; Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${BIN:-.venv/bin}"
export LEGATO_HOME="${LEGATO_HOME:-$PWD/.legato}"
port="${LEGATO_SERVER_PORT:-4200}"
api="http://127.0.0.1:$port/api/v1"
mkdir -p "$LEGATO_HOME"
"$bin/legato" db upgrade

"$bin/legato" server --port "$port" &
server=$!
trap 'kill -TERM "$server" 2>/dev/null || true' INT TERM
healthy() {
  "$bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
    "$api/health" 2>/dev/null
}
for _ in $(seq 150); do
  healthy && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.2
done
failed=0
if ! healthy; then
  echo "legato server did not answer at $api; stopping it." >&2
  failed=1
elif ! "$bin/legato" deploy --file examples/legato.yaml --api-url "$api"; then
  failed=1
else
  echo "Legato is running at http://127.0.0.1:$port (API docs at $api/docs); Ctrl-C stops it."
fi
[ "$failed" = 0 ] || kill -TERM "$server" 2>/dev/null || true
# A trapped signal interrupts `wait`; wait until the server has really exited.
while kill -0 "$server" 2>/dev/null; do wait "$server" || true; done
status=0
wait "$server" || status=$?
[ "$failed" = 0 ] || exit 1
exit "$status"
