#!/usr/bin/env bash
# Executes the notebooks headlessly with the Kotlin Jupyter kernel and checks that their plots render.
#
#   notebooks/run-notebooks.sh [options] [notebook.ipynb ...]    (default: every notebooks/*.ipynb)
#
# On a fresh Debian 12 machine (run as root, or with sudo available) it installs what is missing, skipping what is
# already there:
#   1. the Jupyter client (jupyter-nbconvert, python3-nbclient, jupyter-client, python3-ipykernel, from Debian);
#   2. the Kotlin kernel 0.11.0-398 from Maven Central (notebooks/kernel/pom.xml, JNA pinned to 5.17.0 for DJL),
#      with kernels/kotlin/kernel.json and a WARN logback.xml, under $MINITRON4J_KERNEL_HOME;
#   3. the library jar (library/target/minitron4j.jar + library/target/lib/*.jar), rebuilt when sources changed, and
#      the descriptors that make `%use minitron4j` (and `%use minitron4j-spark`, with Apache Spark) load it
#      ($MINITRON4J_LIBRARIES_DIR/minitron4j.json, minitron4j-spark.json);
# then executes each notebook (any cell error fails the script), exports it to HTML, and opens the HTML in headless
# Chromium (installed on demand): a notebook with figures fails the check unless plotly drew every one of them.
#
# Options:
#   --in-place          write executed notebooks over the committed ones (for committing full-size outputs), each
#                       figure with a still picture for viewers that run no scripts (notebooks/static_figures.py);
#                       HTML exports and browser checks still go to the output dir
#   --setup-only        install and build, execute nothing: afterwards `%use minitron4j` works in any Kotlin notebook
#   --no-browser-check  skip Chromium
#   -h, --help          this text
#
# Environment:
#   OUT                           output dir (default /tmp/minitron4j-notebooks), outside the repository
#   MINITRON4J_NOTEBOOK_BUDGET    "small" shrinks model sizes, steps and data in every notebook (CI); default "full"
#   MINITRON4J_KERNEL_HOME        where the kernel lives (default ~/.cache/minitron4j/jupyter); JUPYTER_PATH points here
#   MINITRON4J_KERNEL_XMX         the kernel JVM's -Xmx, written into kernel.json (default 8g)
#   MINITRON4J_CELL_TIMEOUT       seconds per cell (default 900)
#   MINITRON4J_LIBRARIES_DIR      the Kotlin kernel's local library descriptors (default ~/.jupyter_kotlin/libraries)
# Notebooks start with `%use minitron4j`; they find the data next to the library's jar (or MINITRON4J_HOME).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="${OUT:-/tmp/minitron4j-notebooks}"
KERNEL_HOME="${MINITRON4J_KERNEL_HOME:-$HOME/.cache/minitron4j/jupyter}"
KERNEL_DIR="$KERNEL_HOME/kernels/kotlin"
KERNEL_XMX="${MINITRON4J_KERNEL_XMX:-8g}"
LIBRARIES_DIR="${MINITRON4J_LIBRARIES_DIR:-$HOME/.jupyter_kotlin/libraries}"
CELL_TIMEOUT="${MINITRON4J_CELL_TIMEOUT:-900}"
export MINITRON4J_NOTEBOOK_BUDGET="${MINITRON4J_NOTEBOOK_BUDGET:-full}"
export MINITRON4J_HOME="$ROOT"
export PYDEVD_DISABLE_FILE_VALIDATION=1

IN_PLACE=0
SETUP_ONLY=0
BROWSER_CHECK=1
NOTEBOOKS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --in-place) IN_PLACE=1 ;;
    --setup-only) SETUP_ONLY=1 ;;
    --no-browser-check) BROWSER_CHECK=0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run-notebooks: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) NOTEBOOKS+=("$(cd "$(dirname "$1")" && pwd)/$(basename "$1")") ;;
  esac
  shift
done
if [ "${#NOTEBOOKS[@]}" -eq 0 ]; then
  NOTEBOOKS=("$ROOT"/notebooks/*.ipynb)
fi

START=$SECONDS
STEP=""
STEP_START=$SECONDS
log() { printf '%s\n' "$*" >&2; }
step() {
  end_step
  STEP="$1"
  STEP_START=$SECONDS
  log "---- [notebooks] $STEP"
}
end_step() {
  if [ -n "$STEP" ]; then log "---- [notebooks] $STEP: $((SECONDS - STEP_START)) s"; STEP=""; fi
}
fail() { log "[notebooks] FAILED: $*"; exit 1; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi
APT_UPDATED=0
apt_install() { # installs the packages that are not installed yet
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$APT_UPDATED" -eq 0 ]; then
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -o DPkg::Lock::Timeout=900 >&2
    APT_UPDATED=1
  fi
  log "[notebooks] apt-get install ${missing[*]}"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=900 "${missing[@]}" >&2
}

# ---------------------------------------------------------------------------------------------------------------
step "jupyter client (Debian packages)"
apt_install jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel
JUPYTER=/usr/bin/jupyter
"$JUPYTER" nbconvert --version >&2

# ---------------------------------------------------------------------------------------------------------------
step "kotlin kernel 0.11.0-398 in $KERNEL_DIR"
KERNEL_POM="$ROOT/notebooks/kernel/pom.xml"
# The kernel JVM starts with every minitron4j JVM's options (library/jvm.options, read from this checkout at each
# start) and the module openings Spark needs on Java 17 (library/spark-jvm.options), so that a notebook can run a sweep
# on Spark after `%use minitron4j-spark`; they change nothing else.
SPARK_OPTS="$(sed 's/.*/"&",/' "$ROOT/library/spark-jvm.options" | tr '\n' ' ')"
STAMP="$(sha256sum "$KERNEL_POM" | cut -c1-16)-xmx$KERNEL_XMX-passive-jvmopts-$(sha256sum "$ROOT/library/spark-jvm.options" | cut -c1-8)"
if [ -f "$KERNEL_DIR/kernel.json" ] && [ "$(cat "$KERNEL_DIR/.stamp" 2>/dev/null)" = "$STAMP" ]; then
  log "already installed"
else
  rm -rf "$KERNEL_DIR"
  mkdir -p "$KERNEL_DIR"
  mvn -q -B -ntp -f "$KERNEL_POM" package -Dkernel.jars="$KERNEL_DIR/jars" >&2
  # The script classpath: the jars that cell code is compiled against (kernel API, Kotlin runtime, serialization).
  cp_entries=()
  for pattern in kotlin-jupyter-lib kotlin-jupyter-api kotlin-stdlib kotlin-reflect kotlin-script-runtime \
                 kotlinx-serialization-json kotlinx-serialization-core annotations; do
    for jar in "$KERNEL_DIR"/jars/"$pattern"-[0-9]*.jar "$KERNEL_DIR"/jars/"$pattern"-jdk*.jar \
               "$KERNEL_DIR"/jars/"$pattern"-common-*.jar "$KERNEL_DIR"/jars/"$pattern"-jvm-*.jar; do
      [ -f "$jar" ] && cp_entries+=("$jar")
    done
  done
  [ "${#cp_entries[@]}" -ge 8 ] || fail "kernel jars incomplete: ${cp_entries[*]}"
  script_cp="$(IFS=:; echo "${cp_entries[*]}")"
  ls "$KERNEL_DIR"/jars/jna-5.17.0.jar >/dev/null || fail "JNA 5.17.0 missing from the kernel jars (DJL needs it)"
  cat >"$KERNEL_DIR/kernel.json" <<JSON
{
  "display_name": "Kotlin (minitron4j)",
  "language": "kotlin",
  "interrupt_mode": "message",
  "env": {"GOMP_SPINCOUNT": "5000"},
  "argv": [
    "java", "@$ROOT/library/jvm.options", "-Xmx$KERNEL_XMX", "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_interop_threads=1", $SPARK_OPTS
    "-Dlogback.configurationFile={resource_dir}/logback.xml",
    "-cp", "{resource_dir}/jars/*",
    "org.jetbrains.kotlinx.jupyter.IkotlinKt",
    "-classpath=$script_cp",
    "{connection_file}",
    "-home={resource_dir}"
  ]
}
JSON
  # WARN: at INFO the kernel logs its parent processes' command lines and environment to stdout (into the cells).
  cat >"$KERNEL_DIR/logback.xml" <<'XML'
<configuration>
  <appender name="STDERR" class="ch.qos.logback.core.ConsoleAppender">
    <target>System.err</target>
    <encoder><pattern>%-5level %logger{36} - %msg%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="STDERR"/></root>
</configuration>
XML
  echo "$STAMP" >"$KERNEL_DIR/.stamp"
  log "$(ls "$KERNEL_DIR/jars" | wc -l) jars, $(du -sh "$KERNEL_DIR/jars" | cut -f1)"
fi
export JUPYTER_PATH="$KERNEL_HOME${JUPYTER_PATH:+:$JUPYTER_PATH}"

# ---------------------------------------------------------------------------------------------------------------
step "library jar"
JAR="$ROOT/library/target/minitron4j.jar"
if [ -f "$JAR" ] && [ -d "$ROOT/library/target/lib" ] && [ -d "$ROOT/library/target/spark" ] && \
   [ -z "$(find "$ROOT/library/src/main" "$ROOT/library/pom.xml" "$ROOT/pom.xml" -newer "$JAR" -print -quit)" ]; then
  log "up to date"
else
  (cd "$ROOT" && mvn -q -B -ntp -DskipTests package) >&2
fi

# ---------------------------------------------------------------------------------------------------------------
# `%use minitron4j` in a notebook reads this descriptor (the kernel's local library folder): the library jar and its
# runtime jars from this checkout; slf4j jars are left out (the kernel has its own logging). The jar's integration
# (META-INF/kotlin-jupyter-libraries) then adds the imports, PyTorch threads and the default progress line.
step "%use minitron4j descriptor in $LIBRARIES_DIR"
mkdir -p "$LIBRARIES_DIR"
# `%use minitron4j-spark` is the same plus Apache Spark (library/target/spark), for `SweepExecutor.spark(...)`.
python3 - "$ROOT" "$LIBRARIES_DIR" <<'PY'
import glob, json, os, sys
root, out_dir = sys.argv[1], sys.argv[2]
def jars(folder):
    return sorted(j for j in glob.glob(os.path.join(root, "library/target", folder, "*.jar"))
                  if not os.path.basename(j).startswith("slf4j-"))
core = [os.path.join(root, "library/target/minitron4j.jar")] + jars("lib")
for name, deps, what in [("minitron4j", core, ""), ("minitron4j-spark", core + jars("spark"), ", with Apache Spark")]:
    out = os.path.join(out_dir, name + ".json")
    descriptor = {"description": "minitron4j: Minitron pruning and distillation" + what + " (" + root + ")",
                  "dependencies": deps}
    with open(out + ".tmp", "w") as f:
        json.dump(descriptor, f, indent=1)
    os.replace(out + ".tmp", out)
    print(f"{name}: {len(deps)} jars", file=sys.stderr)
PY

if [ "$SETUP_ONLY" -eq 1 ]; then
  end_step
  log "[notebooks] setup done in $((SECONDS - START)) s"
  exit 0
fi

# ---------------------------------------------------------------------------------------------------------------
mkdir -p "$OUT_DIR"
EXECUTED=()
for nb in "${NOTEBOOKS[@]}"; do
  [ -f "$nb" ] || fail "no notebook $nb"
  name="$(basename "$nb" .ipynb)"
  step "execute $name (budget $MINITRON4J_NOTEBOOK_BUDGET)"
  args=(nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=kotlin
        --ExecutePreprocessor.timeout="$CELL_TIMEOUT")
  if [ "$IN_PLACE" -eq 1 ]; then
    "$JUPYTER" "${args[@]}" --inplace "$nb" || fail "$name: a cell failed (see above)"
    EXECUTED+=("$nb")
  else
    "$JUPYTER" "${args[@]}" --output-dir "$OUT_DIR" "$nb" || fail "$name: a cell failed (see above)"
    EXECUTED+=("$OUT_DIR/$name.ipynb")
  fi
done

for executed in "${EXECUTED[@]}"; do
  name="$(basename "$executed" .ipynb)"
  step "export $name to HTML"
  "$JUPYTER" nbconvert --to html --output-dir "$OUT_DIR" "$executed"
  html="$OUT_DIR/$name.html"
  # Figures rendered by org.minitron4j.plot.Html sit in <div class="m4j-figure" ...>.
  figures="$(grep -o 'class=\\\?"m4j-figure' "$html" | wc -l || true)"
  if [ "$BROWSER_CHECK" -eq 0 ] || [ "$figures" -eq 0 ]; then
    log "$figures figures; browser check skipped"
    continue
  fi

  step "browser check $name ($figures figures)"
  apt_install chromium
  profile="$(mktemp -d)"
  chrome=(chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
          --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$profile"
          --window-size=1280,2000)
  timeout 180 "${chrome[@]}" --virtual-time-budget=20000 --screenshot="$OUT_DIR/$name.png" "file://$html" \
    >/dev/null 2>&1 || true
  timeout 180 "${chrome[@]}" --virtual-time-budget=20000 --dump-dom "file://$html" >"$OUT_DIR/$name.dom.html" \
    2>/dev/null || true
  rm -rf "$profile"
  # plotly wraps every plot it drew in <div class="plot-container plotly">; an undrawn figure stays an empty div.
  drawn="$(grep -o 'class="plot-container plotly"' "$OUT_DIR/$name.dom.html" | wc -l || true)"
  log "plotly drew $drawn of $figures figures (DOM after scripts: $OUT_DIR/$name.dom.html, picture: $OUT_DIR/$name.png)"
  [ "$drawn" -ge "$figures" ] || fail "$name: plotly drew $drawn of $figures figures in headless Chromium"
  [ -s "$OUT_DIR/$name.png" ] || fail "$name: no screenshot"

  if [ "$IN_PLACE" -eq 1 ]; then
    # Committed notebooks carry a still picture of each figure for viewers that run no scripts (static_figures.py).
    step "still pictures of $name's figures"
    python3 "$ROOT/notebooks/static_figures.py" --prepare "$html" "$OUT_DIR/$name.grab.html"
    timeout 180 "${chrome[@]}" --virtual-time-budget=30000 --dump-dom "file://$OUT_DIR/$name.grab.html" \
      >"$OUT_DIR/$name.grab.dom.html" 2>/dev/null || true  # Chromium makes the profile folder again
    rm -rf "$profile"
    python3 "$ROOT/notebooks/static_figures.py" "$executed" "$OUT_DIR/$name.grab.dom.html" \
      || fail "$name: no still pictures of its figures"
  fi
done
end_step
log "[notebooks] OK: ${#EXECUTED[@]} notebooks in $((SECONDS - START)) s; outputs in $OUT_DIR"
