#!/usr/bin/env bash
# Runs every fuzz target for a while (default 600 s each, two at a time), seeded from the
# corpus and the test fixtures. A crash leaves its input in fuzz/artifacts/<target>/; turn it
# into a regression test in tests/integration/bad_input.rs.
#
#   bash fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET="${1:-600}"
shift || true
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
mkdir -p seeds/{notebook,install_command,dependency_files,output_lines,metadata,advisory}
corpus=../../shared/corpus
if [ -d "$corpus" ]; then
  find "$corpus/notebooks" -name '*.ipynb' -size -200k | head -60 | xargs -I{} cp {} seeds/notebook/ 2>/dev/null || true
  find "$corpus/scripts" -name '*.py' -size -40k | head -20 | xargs -I{} cp {} seeds/install_command/ 2>/dev/null || true
fi
cp ../tests/fixtures/notebooks/*.ipynb ../examples/founding-case/*.ipynb seeds/notebook/
printf '%s\n' '!pip install --no-deps "xformers<0.0.27" "trl<0.9.0" peft accelerate bitsandbytes' > seeds/install_command/founding
printf '%s\n' '%%bash' 'uv pip install --system -U --no-deps "unsloth[amd]" "unsloth_zoo[amd]" \' '  torch --index-url "$X"' > seeds/install_command/bash
cp ../examples/founding-case/pyproject.toml seeds/dependency_files/
printf 'peft==0.12.0 --hash=sha256:abc\n-r base.txt\nunsloth @ git+https://github.com/unslothai/unsloth.git@f20bc23e84 ; python_version >= "3.10"\n' > seeds/dependency_files/requirements
cp ../tests/fixtures/logs/*.log seeds/output_lines/
cp ../examples/founding-case/pip-list.json seeds/metadata/
find ../tests/fixtures/envs -name METADATA -o -name direct_url.json | head -20 | while read -r f; do cp "$f" "seeds/metadata/$(echo "$f" | tr '/' '_')"; done
cp ../advisories/*.md seeds/advisory/
targets=(notebook install_command dependency_files output_lines metadata advisory)
if [ $# -gt 0 ]; then targets=("$@"); fi
cargo +nightly fuzz build
run() {
  if cargo +nightly fuzz run "$1" "seeds/$1" -- -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=4096 -max_len=1048576 > "logs/$1.log" 2>&1; then
    echo "$1: $(grep -E '^Done' "logs/$1.log" | tail -1)"
  else
    echo "$1: FAILED, see fuzz/logs/$1.log and fuzz/artifacts/$1/"
  fi
}
mkdir -p logs
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  if [ $((i + 1)) -lt ${#targets[@]} ]; then
    run "${targets[$i]}" & run "${targets[$((i + 1))]}"; wait
  else
    run "${targets[$i]}"
  fi
done
