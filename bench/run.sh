#!/usr/bin/env bash
# minitron4j vs a plain PyTorch eager reference, interleaved A B A B; writes bench/RESULTS.md.
# Usage: bench/run.sh [--device cpu|gpu] [--reps N] [--threads N] [--quick] [--only "calib distill winogrande surgery load sharing stream"]
# Environment: PY (the reference's python, default /usr/bin/python3), JAVA (default java), BENCH_CP (a ready classpath:
# skips the Maven build, e.g. on a GPU machine without Maven). --device gpu writes bench/RESULTS-gpu.md.
# (SURGERY_REPS=N overrides --reps for (d); its 16 GB source checkpoint is cached in bench/out/ckpt-8b-bf16.)
# (g) runs once (about 1.5 hours on 2 cores); STREAM_LAYERS=N gives its checkpoint N of the 32 layers. With --only, the
# summary goes to $OUT/RESULTS.md and bench/RESULTS.md is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DEVICE=cpu REPS=5 THREADS=$(nproc) QUICK=0 ONLY="calib distill winogrande surgery load sharing stream" ALL=1
while [ $# -gt 0 ]; do
  case "$1" in
    --device) DEVICE=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --only) ONLY=$2; ALL=0; shift 2 ;;
    -h|--help) sed -n 2,6p "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
TORCH_DEVICE=cpu; [ "$DEVICE" = gpu ] && TORCH_DEVICE=cuda
PY=${PY:-/usr/bin/python3} JAVA=${JAVA:-java}
RESULTS=bench/RESULTS.md; [ "$DEVICE" = gpu ] && RESULTS=bench/RESULTS-gpu.md

# ---- build (jar + runtime libs + test classes) and the test classpath ----
JAR=library/target/minitron4j.jar
if [ -n "${BENCH_CP:-}" ]; then
  CP=$BENCH_CP
else
if [ ! -f "$JAR" ] || [ ! -d library/target/test-classes/org/minitron4j/bench ] \
   || [ -n "$(find library/src pom.xml library/pom.xml -newer "$JAR" -type f 2>/dev/null | head -1)" ]; then
  echo "building ..." >&2
  mvn -q -B -ntp -DskipTests package
fi
if [ ! -f bench/.classpath ] || [ library/pom.xml -nt bench/.classpath ]; then
  mvn -q -B -ntp dependency:build-classpath -pl library -Dmdep.outputFile="$ROOT/bench/.classpath" >&2
fi
CP="library/target/test-classes:library/target/classes:$(cat bench/.classpath)"
fi

# ---- the Python reference's packages ----
# (only for the default Debian python; a PY given by the caller must bring its own torch and numpy)
has() { [[ " $ONLY " == *" $1 "* ]]; }
if { has calib || has distill || has winogrande || has surgery || has load; } && [ "$PY" = /usr/bin/python3 ] && { ! $PY -c "import torch, numpy" 2>/dev/null || ! ldconfig -p | grep -q libopenblas; }; then
  echo "installing python3-torch and OpenBLAS ..." >&2
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y python3-torch libopenblas0-openmp >&2
fi

# wait (up to 3 minutes) for the 1-minute load average to settle below half the cores: a build or test run just before
# would otherwise still weigh on the load average the results record and be flagged as a loaded machine
for _ in $(seq 36); do
  awk -v n="$(nproc)" '{exit !($1 < n / 2)}' /proc/loadavg && break
  [ "${waited:-0}" = 1 ] || echo "waiting for the load average ($(cut -d' ' -f1 /proc/loadavg)) to settle ..." >&2; waited=1
  sleep 5
done

OUT=bench/out/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
RES=$OUT/results.jsonl
: > "$RES"
echo "{\"meta\":\"start\",\"uptime\":\"$(uptime)\",\"threads\":$THREADS,\"reps\":$REPS,\"device\":\"$DEVICE\",\"quick\":$QUICK}" >> "$RES"

export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS
# the Java side runs with the JVM options of every minitron4j JVM (the launcher's, the notebook kernel's)
JOPTS="@$ROOT/library/jvm.options -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=$THREADS -Dai.djl.pytorch.num_interop_threads=1"
java_bench() { local heap=$1; shift; $JAVA -Xmx$heap -XX:MaxDirectMemorySize=${DIRECT:-16g} $JOPTS -cp "$CP" org.minitron4j.bench.Bench "$@" device=$DEVICE 2>>"$OUT/java.log" | tail -1 | tee -a "$RES"; }
py_bench() { $PY bench/reference.py "$@" device=$TORCH_DEVICE threads=$THREADS 2>>"$OUT/python.log" | tail -1 | tee -a "$RES"; }

if [ $QUICK = 1 ]; then CAL="samples=32"; DST="steps=2 warmup=1"; SHAPES="teacher"; else CAL="samples=128"; DST="steps=6 warmup=2"; SHAPES="teacher large"; fi

for shape in $SHAPES; do
  if has winogrande; then   # once per shape and shot count: the token-id requests, weights and log-likelihoods for PyTorch
    for shots in 0 5; do
      $JAVA -Xmx4g $JOPTS -cp "$CP" org.minitron4j.bench.Bench winogrande shape=$shape shots=$shots device=$DEVICE \
        dump=$OUT/winogrande-$shape-$shots.json 2>>"$OUT/java.log" > /dev/null
    done
  fi
  for r in $(seq "$REPS"); do                       # A B A B: one fresh process per measurement
    if has calib; then java_bench 4g calib shape=$shape $CAL; py_bench calib shape=$shape $CAL; fi
    if has distill; then java_bench 4g distill shape=$shape $DST; py_bench distill shape=$shape $DST; fi
    if has winogrande; then
      for shots in 0 5; do
        java_bench 4g winogrande shape=$shape shots=$shots
        py_bench winogrande shape=$shape shots=$shots requests=$OUT/winogrande-$shape-$shots.json
      done
    fi
  done
done

if has surgery; then   # (d) checkpoint to checkpoint: a Llama-3.1-8B-shaped bf16 checkpoint, written once and cached
  if [ $QUICK = 1 ]; then CK8=bench/out/ckpt-8b-bf16-2layers L8=2; else CK8=bench/out/ckpt-8b-bf16 L8=32; fi
  if [ ! -f $CK8/config.json ]; then java_bench 3g write-8b dir=$CK8 layers=$L8; fi
  for r in $(seq "${SURGERY_REPS:-$REPS}"); do   # A B A B, fresh processes; the pruned outputs are deleted after each pair
    DIRECT=1g java_bench 1g surgery dir=$CK8 out=$OUT/pruned-java indices=$OUT/surgery-indices.json
    py_bench surgery dir=$CK8 out=$OUT/pruned-pytorch indices=$OUT/surgery-indices.json compare=$OUT/pruned-java
    rm -rf "$OUT/pruned-java" "$OUT/pruned-pytorch"
  done
fi

if has load; then
  CK=bench/out/ckpt-2.5g
  if [ ! -f $CK/model.safetensors ]; then java_bench 2g write-ckpt dir=$CK; fi
  for r in $(seq "$REPS"); do DIRECT=6g java_bench 2g load dir=$CK; py_bench load dir=$CK; done
fi

if has sharing; then   # (f) one distillation run alone, then two identical runs started together, for each way of waiting
  F=$OUT/sharing; mkdir -p "$F"
  $JAVA $JOPTS -jar $JAR prune --model datasets/tinyworld-teacher --ranking magnitude --ffn 256 --out "$F/student" > /dev/null 2>> "$OUT/java.log"
  SPIN=$(sed -n 's/.*GOMP_SPINCOUNT:-\([0-9]*\).*/\1/p' minitron4j)   # the launcher's own setting
  distill_run() {   # waiting (short: the launcher's GOMP_SPINCOUNT; PASSIVE; default: OpenMP's own), output name
    local policy=(env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT)
    [ "$1" = PASSIVE ] && policy=(env -u GOMP_SPINCOUNT OMP_WAIT_POLICY=PASSIVE)
    [ "$1" = short ] && policy=(env -u OMP_WAIT_POLICY GOMP_SPINCOUNT="$SPIN")
    "${policy[@]}" $JAVA $JOPTS -jar $JAR distill --teacher datasets/tinyworld-teacher --student "$F/student" \
      --data datasets/tinyworld/calibration.txt --tokens 49152 --batch-size 16 --seq-len 128 --lr 5e-4 --seed 1 \
      --out "$F/$2" --overwrite --json 2>> "$OUT/java.log" | tail -1 > "$F/$2.json"
  }
  row() { echo "{\"bench\":\"sharing\",\"side\":\"minitron4j\",\"wait\":\"$1\",\"situation\":\"$2\",\"seconds\":$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['seconds'])" "$F/$3.json"),\"load_avg\":$(cut -d' ' -f1 /proc/loadavg)}" | tee -a "$RES"; }
  for r in $(seq "$REPS"); do
    for policy in short PASSIVE default; do
      distill_run $policy alone; row $policy alone alone
      distill_run $policy a & distill_run $policy b & wait
      row $policy together a; row $policy together b
    done
  done
fi

if has stream; then   # (g) the Minitron width recipe on an 8B-shaped bf16 checkpoint, every step streamed, once
  SL=${STREAM_LAYERS:-32}; [ $QUICK = 1 ] && SL=2
  G=bench/out/stream-8b-$SL; mkdir -p "$G"
  # random token ids (uint16, below the vocabulary's 128,256): 70,000 to calibrate on, 16,385 to score (16,384 predicted)
  $PY - "$G" <<'PYEOF'
import random, struct, sys
random.seed(1)
for name, n in (("tokens.bin", 70000), ("eval.bin", 16385)):
    open(sys.argv[1] + "/" + name, "wb").write(struct.pack("<%dH" % n, *[random.randrange(65536) for _ in range(n)]))
PYEOF
  sed "s/\"num_hidden_layers\": 32/\"num_hidden_layers\": $SL/" bench/llama-3.1-8b-config.json > "$G/config.json"
  step() {   # name, then the command line: wall seconds and peak RSS (GNU time) as one JSON line
    local name=$1; shift
    /usr/bin/time -f "%e %M" -o "$G/$name.time" "$@" > "$G/$name.out" 2> "$G/$name.err" || { cat "$G/$name.err" >&2; exit 1; }
    read -r secs kb < "$G/$name.time"
    echo "{\"bench\":\"stream8b\",\"side\":\"minitron4j\",\"step\":\"$name\",\"seconds\":$secs,\"peak_rss_kb\":$kb,\"layers\":$SL,\"load_avg\":$(cut -d' ' -f1 /proc/loadavg)}" | tee -a "$RES"
  }
  M4J="$JAVA $JOPTS -jar $JAR"
  step init $M4J init --config "$G/config.json" --dtype bf16 --seed 1 --out "$G/base" --overwrite --json
  step importance $M4J importance --model "$G/base" --data "$G/tokens.bin" --samples 64 --seq-len 256 --batch-size 8 --stream \
    --memory 8GB --out "$G/scores" --overwrite --json
  step prune $M4J prune --model "$G/base" --scores "$G/scores" --hidden 3072 --ffn 9216 --out "$G/4b" --overwrite --json
  step eval $M4J eval --model "$G/4b" --task lm-loss --data "$G/eval.bin" --seq-len 256 --batch-size 8 --stream --json
  rm -rf "$G/base" "$G/4b"
fi

echo "{\"meta\":\"end\",\"uptime\":\"$(uptime)\"}" >> "$RES"
[ $ALL = 1 ] || RESULTS=$OUT/RESULTS.md
PY=$PY JAVA=$JAVA $PY bench/summarize.py "$RES" > $RESULTS
echo "results: $RES -> $RESULTS" >&2
