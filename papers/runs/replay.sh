#!/usr/bin/env bash
# Replays every run record in papers/runs/ from the repository root and prints one summary line each.
#   bash papers/runs/replay.sh                  # bit for bit: exit 3 if any record differs
#   bash papers/runs/replay.sh --tolerance 1e-4 # numbers within a relative tolerance
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
worst=0
for run in papers/runs/*/; do
  run="${run%/}"
  [ -f "$run/record.json" ] || continue
  summary="$(./minitron4j replay "$run" --json "$@" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"])' 2>/dev/null)"
  rc=$?
  code="${PIPESTATUS[0]:-0}"
  [ -n "$summary" ] || summary="(replay failed; run ./minitron4j replay $run to see why)"
  printf '%-40s %s\n' "$run" "$summary"
  case "$summary" in identical*|within*) ;; *) worst=3 ;; esac
done
exit "$worst"
