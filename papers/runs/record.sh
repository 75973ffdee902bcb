#!/usr/bin/env bash
# Writes the run records in papers/runs/ (each folder: record.json + tables/), from the repository root:
#   bash papers/runs/record.sh            # records every run below that has no folder yet
# Replay one:   ./minitron4j replay papers/runs/<name>        (exit 0 identical, 3 differs)
# Replay all:   bash papers/runs/replay.sh [--tolerance REL]
# Every input is in the repository (the bundled teacher and the TinyWorld files), so a record replays on any
# machine from the repository root; outputs go to a scratch folder.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
T=datasets/tinyworld-teacher
D=datasets/tinyworld
OUT="${TMPDIR:-/tmp}/minitron4j-run-outputs"
record() { # record <name> <command line...>
  local name="$1"; shift
  if [ -f "papers/runs/$name/record.json" ]; then echo "papers/runs/$name: already recorded" >&2; return 0; fi
  rm -rf "$OUT/$name"
  ./minitron4j "$@" --record "papers/runs/$name" >/dev/null
}
record eval-teacher-lm-loss eval --model $T --task lm-loss --data $D/validation.txt --seq-len 256
record eval-teacher-winogrande eval --model $T --task winogrande --data $D/winogrande_dev.jsonl
record importance-teacher importance --model $T --data $D/calibration.txt --samples 256 --seq-len 128 \
  --out "$OUT/importance-teacher"
record prune-width-half prune --model $T --hidden 144 --ffn 320 --data $D/calibration.txt --samples 256 --seq-len 128 \
  --out "$OUT/prune-width-half"
record clm-from-scratch distill --student $T --random-init --data $D/calibration.txt --validation $D/validation.txt \
  --tokens 65536 --batch-size 8 --seq-len 128 --lr 1e-3 --eval-tokens 16384 --out "$OUT/clm-from-scratch"
record kd-from-teacher distill --teacher $T --student $T --random-init --data $D/calibration.txt \
  --validation $D/validation.txt --tokens 65536 --batch-size 8 --seq-len 128 --lr 1e-3 --eval-tokens 16384 \
  --out "$OUT/kd-from-teacher"
