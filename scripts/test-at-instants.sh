#!/usr/bin/env bash
# Runs the clock-sensitive suites under libfaketime at instants where a test that reads the wall clock
# would break: the suite must pass at any hour and on any date.
#
#   bash scripts/test-at-instants.sh                # every instant, two at a time
#   INSTANTS="2027-03-14 06:59:00" bash scripts/test-at-instants.sh
#   JOBS=1 bash scripts/test-at-instants.sh tests/e2e   # other suites
#
# The wall clock is faked from each instant on (it keeps running; libfaketime shifts the monotonic clock
# with it). scripts/faketime-waits.c, loaded first, mends the timed waits libfaketime 0.9.10 does not
# translate. PostgreSQL and Redis started by the tests run outside faketime (tests/services.py).
# Each run writes its log to $LOG_DIR.
set -uo pipefail
cd "$(dirname "$0")/.."

LIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
if [ -z "$LIB" ]; then
  echo "libfaketime is not installed (make test installs Debian's faketime)" >&2
  exit 1
fi
PY=${PY:-.venv/bin/python}
JOBS=${JOBS:-2}
LOG_DIR=${LOG_DIR:-$(mktemp -d -t billpay-faketime-XXXXXX)}
SHIM="$LOG_DIR/faketime-waits.so"
cc -O2 -shared -fPIC -o "$SHIM" scripts/faketime-waits.c -ldl

# UTC instants, and why each is hard:
DEFAULT_INSTANTS=(
  "2027-01-11 03:30:00"  # Monday early UTC morning: still Sunday evening in New York, a weekend day
  "2027-03-14 06:59:00"  # the minute before clocks go forward in New York (02:00 EST -> 03:00 EDT)
  "2026-12-31 23:50:00"  # New Year's Eve, late UTC: the run crosses into the new year in UTC
  "2027-07-06 13:00:00"  # the business day after a US federal holiday (Independence Day, observed Mon 5 July)
)
if [ -n "${INSTANTS:-}" ]; then
  IFS=';' read -r -a RUN_AT <<< "$INSTANTS"
else
  RUN_AT=("${DEFAULT_INSTANTS[@]}")
fi
if [ $# -gt 0 ]; then
  SUITES=("$@")
else
  # OCR-heavy extraction tests take minutes and fix their reference day themselves; they run once, in the main suite
  SUITES=(tests/unit tests/sandboxes tests/contract tests/e2e tests/api
          --deselect tests/unit/extraction/test_dev_accuracy.py --deselect tests/unit/extraction/test_layers.py
          --ignore tests/api/test_fuzz_findings.py)
fi

run_one() {
  local at="$1" log="$2"
  env LD_PRELOAD="$SHIM $LIB" FAKETIME="@$at" TZ=UTC \
    "$PY" -m pytest -p no:cacheprovider -q "${SUITES[@]}" >"$log" 2>&1
  echo $? >"$log.rc"
}

logs=() names=() status=0
for at in "${RUN_AT[@]}"; do
  log="$LOG_DIR/$(echo "$at" | tr ' :' '_-').log"
  run_one "$at" "$log" &
  logs+=("$log") names+=("$at")
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
done
wait
for i in "${!logs[@]}"; do
  if [ "$(cat "${logs[$i]}.rc" 2>/dev/null)" = 0 ]; then
    echo "faketime ${names[$i]} UTC: $(tail -1 "${logs[$i]}")"
  else
    status=1
    echo "faketime ${names[$i]} UTC FAILED: $(tail -1 "${logs[$i]}") (log: ${logs[$i]})"
    grep -E '^(FAILED|ERROR) ' "${logs[$i]}" | head -20
  fi
done
exit $status
