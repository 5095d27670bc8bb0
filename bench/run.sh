#!/usr/bin/env bash
# Whole-process benchmarks of tunelint against `ruff check --no-cache` and against a floor
# program that only reads the same files and parses their JSON; scaling over 1x, 4x and 16x
# copies of the corpus; the language server's edit latency and memory; criterion micro-benchmarks.
#
#   bash bench/run.sh [CORPUS_DIR]        (default ../shared/corpus)
#
# Needs hyperfine (Debian) and ruff (PyPI); installs them when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS="$(realpath "${1:-../shared/corpus}")"
ONLY="${2:-all}"   # `all`, or one section: corpus, startup, scaling, lsp, criterion
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
command -v ruff >/dev/null || python3 -m pip install --quiet ruff
cargo build --release --quiet --bin tunelint --example floor --example lsp_bench
TUNELINT="$PWD/target/release/tunelint"
FLOOR="$PWD/target/release/examples/floor"
OUT="$(mktemp -d)"

echo "== machine"
echo "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
"$TUNELINT" --version; ruff --version; hyperfine --version
echo "corpus: $CORPUS ($(find "$CORPUS" -name '*.ipynb' | wc -l) notebooks, $(find "$CORPUS" -name '*.py' | wc -l) scripts, $(du -sh "$CORPUS" | cut -f1))"

section() { [ "$ONLY" = all ] || [ "$ONLY" = "$1" ]; }
if section corpus; then
echo; echo "== tunelint vs ruff vs floor on the corpus"
hyperfine -w 3 -r 20 -i --export-json "$OUT/corpus.json" \
  -n tunelint "$TUNELINT check --isolated --format concise $CORPUS" \
  -n ruff "ruff check --no-cache --quiet $CORPUS" \
  -n floor "$FLOOR $CORPUS"
python3 - "$OUT/corpus.json" <<'PY'
import json, sys
# Medians as well as means: on a shared machine one slow run moves a mean of ten.
for stat in ("mean", "median"):
    r = {x["command"]: x[stat] for x in json.load(open(sys.argv[1]))["results"]}
    print(f"{stat:>6}: tunelint/ruff = {r['tunelint']/r['ruff']:.2f}  (target <= 0.5), "
          f"tunelint/floor = {r['tunelint']/r['floor']:.2f}  (target <= 2)")
PY

fi
if section startup; then
echo; echo "== startup on one small file"
printf 'import os\n' > "$OUT/small.py"
hyperfine -N -w 5 -r 100 --export-json "$OUT/startup.json" "$TUNELINT check --isolated $OUT/small.py" | grep -E 'Time|Range'
python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print(f\"median {r['median']*1000:.1f} ms (target <= 10 ms)\")" "$OUT/startup.json"

fi
if section scaling; then
echo; echo "== scaling: the corpus copied 1x, 4x, 16x (time and peak memory)"
for n in 1 4 16; do
  dir="$OUT/scaled-$n"; mkdir -p "$dir"
  for i in $(seq 1 "$n"); do cp -r "$CORPUS" "$dir/copy-$i"; done
  mean=$(hyperfine -w 1 -r 3 -i --export-json "$OUT/s$n.json" "$TUNELINT check --isolated --format concise $dir" >/dev/null && python3 -c "import json;print(round(json.load(open('$OUT/s$n.json'))['results'][0]['mean'],3))")
  peak=$( { /usr/bin/time -f '%M' "$TUNELINT" check --isolated --format concise "$dir" >/dev/null || true; } 2>&1 | tail -1)
  echo "${n}x: ${mean} s, peak RSS $((peak / 1024)) MB"
  rm -rf "$dir"
done

fi
if section lsp; then
echo; echo "== language server (side by side with \`ruff server\` when ruff is installed)"
RUFF="$(command -v ruff || true)"
"$PWD/target/release/examples/lsp_bench" "$TUNELINT" "$CORPUS/notebooks" ${RUFF:+"$RUFF"}
# A host under load: another process keeps one core busy, so every thread the edit passes
# through competes for the other (tail latency comes from such waits, not from the work).
echo; echo "== the same with one core kept busy by another process"
yes > /dev/null &
HOG=$!
trap 'kill "$HOG" 2>/dev/null || true' EXIT
"$PWD/target/release/examples/lsp_bench" "$TUNELINT" "$CORPUS/notebooks" ${RUFF:+"$RUFF"}
kill "$HOG"
trap - EXIT

fi
if section criterion; then
echo; echo "== criterion micro-benchmarks (cargo bench -p tunelint --bench core)"
cargo bench -p tunelint --bench core --quiet -- --noplot 2>/dev/null | grep -E '^[a-z].*|time:' | paste - - | sed -E 's/ +/ /g'
fi
