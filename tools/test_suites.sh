#!/usr/bin/env bash
# The whole suite on SQLite and on PostgreSQL, side by side (make test).
#
# The two runs share nothing: SQLite works on per-test copies of a migrated file, the
# PostgreSQL run makes a database of its own next to PG_URL's and drops it at the end. Each
# run's lines go to the terminal as they come, prefixed with its database, and to a log in
# .make/; the summaries are printed again at the end, and a failure of either run fails this
# script. PYTEST_ARGS adds arguments to both runs (e.g. -x, or -n 2 for pytest-xdist).
set -uo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-.venv/bin}
PG_URL=${PG_URL:-postgresql://127.0.0.1:5432/test}
LOGS=${LOGS:-.make}
mkdir -p "$LOGS"
read -r -a extra <<< "${PYTEST_ARGS:-}"

run() {  # run NAME URL: the suite on one database; its exit status in $LOGS/NAME.rc
    local name=$1 url=$2
    DATABASE_URL=$url "$BIN/pytest" -q -p no:cacheprovider "${extra[@]}" 2>&1 \
        | tee "$LOGS/test-$name.log" | sed -u "s/^/[$name] /"
    echo "${PIPESTATUS[0]}" > "$LOGS/test-$name.rc"
}

start=$(date +%s)
run sqlite sqlite:// &
run postgresql "$PG_URL" &
wait

status=0
for name in sqlite postgresql; do
    rc=$(cat "$LOGS/test-$name.rc" 2>/dev/null || echo 1)
    echo "== $name: pytest exit $rc: $(tail -n 1 "$LOGS/test-$name.log")"
    [ "$rc" = 0 ] || status=1
done
echo "== both suites in $(( $(date +%s) - start )) s"
exit $status
