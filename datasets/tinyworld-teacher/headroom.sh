#!/usr/bin/env bash
# The headroom check of the bundled teacher, with the CLI only (issue 14, point 3): Winogrande-format dev accuracy
# (0-shot, chance 0.5) of the teacher, of two students at <= 55% of its parameters before retraining (depth: the 3 of 6
# layers with the lowest block importance dropped; width: the demo's plan, hidden 144 and ffn 320), and of each after
# the demo's distillation budget (400 steps of 16 x 128 tokens, lr 5e-4, cosine to 5e-5 after 10% warmup, logit KD).
# Also the story-ending multiple choice (acc, acc_norm; chance 0.25) of each.
#
#   bash datasets/tinyworld-teacher/headroom.sh            # prints the JSON and writes it into scores.json ("headroom")
#   HEADROOM_KEEP=DIR bash datasets/tinyworld-teacher/headroom.sh   # keep the models in DIR
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
T=datasets/tinyworld-teacher
D=datasets/tinyworld
W="${HEADROOM_KEEP:-$(mktemp -d)}"
mkdir -p "$W"
M=./minitron4j
[ -f "$D/train.txt" ] || $M tinyworld --out "$D" >&2

wg() { $M eval --model "$1" --task winogrande --data "$D/winogrande_dev.jsonl" --json; }
mc() { $M eval --model "$1" --task multiple-choice --data "$D/story_endings_dev.jsonl" --json; }
kd() { # student folder, output folder
  $M distill --teacher "$T" --student "$1" --data "$D/train.txt" --tokens 819200 --batch-size 16 --seq-len 128 \
    --lr 5e-4 --seed 1 --out "$2" --json
}

$M importance --model "$T" --data "$D/calibration.txt" --samples 256 --seq-len 128 --seed 1 --out "$W/scores" \
  --json >"$W/importance.json"
$M prune --model "$T" --scores "$W/scores" --layers 3 --out "$W/depth" --json >"$W/depth.json"
$M prune --model "$T" --scores "$W/scores" --hidden 144 --ffn 320 --out "$W/width" --json >"$W/width.json"
for m in teacher depth width; do
  dir="$W/$m"; [ "$m" = teacher ] && dir="$T"
  wg "$dir" >"$W/$m.wg.json"
  mc "$dir" >"$W/$m.mc.json"
  $M info --model "$dir" --json >"$W/$m.info.json"
done
for m in depth width; do
  kd "$W/$m" "$W/$m-kd" >"$W/$m-kd.distill.json"
  wg "$W/$m-kd" >"$W/$m-kd.wg.json"
  mc "$W/$m-kd" >"$W/$m-kd.mc.json"
done

/usr/bin/env python3 - "$W" "$T/scores.json" <<'EOF'
import json, sys
w, scores_file = sys.argv[1], sys.argv[2]
load = lambda name: json.load(open(f"{w}/{name}"))
def entry(model, info):
    wg, mc = load(f"{model}.wg.json"), load(f"{model}.mc.json")
    return {"winogrande": wg["acc"], "winogrande_stderr": wg["acc_stderr"], "story_endings_acc": mc["acc"],
            "story_endings_acc_norm": mc["acc_norm"], "parameters": load(f"{info}.info.json")["parameters"]}
t = entry("teacher", "teacher")
out = {"teacher": t, "dev_items": load("teacher.wg.json")["n"], "commands": "datasets/tinyworld-teacher/headroom.sh"}
for m in ["depth", "width"]:
    pruned, distilled = entry(m, m), entry(f"{m}-kd", m)
    drop = t["winogrande"] - pruned["winogrande"]
    out[m] = {"plan": {"depth": "prune --layers 3", "width": "prune --hidden 144 --ffn 320"}[m],
              "parameter_share": pruned["parameters"] / t["parameters"], "pruned": pruned, "distilled": distilled,
              "drop": drop, "recovered_share_of_drop": (distilled["winogrande"] - pruned["winogrande"]) / drop
              if drop > 0 else None}
scores = json.load(open(scores_file))
scores["headroom"] = out
with open(scores_file, "w") as f:
    json.dump(scores, f, indent=2)
    f.write("\n")
print(json.dumps(out, indent=2))
EOF
