#!/usr/bin/env bash
# tunelint inside a real IPython kernel (issue 20): `%load_ext tunelint`, output symptoms, the
# restart finding, unload, bad input, tunelint.guard(), `python -m tunelint`; then JupyterLab in
# Debian's Chromium (playwright-core) shows the rendered finding under the cell (screenshot kept).
#
#   bash tests/kernel/run.sh
#
# Environment:
#   TUNELINT_WHEEL            a built wheel (file or directory): installed into the kernel's venv and
#                             used as a user would (the package finds the binary beside it)
#   TUNELINT_BINARY           otherwise: the binary the source package (python/) runs
#                             (default: target/release/tunelint)
#   TUNELINT_KERNEL_PYTHON    the interpreter for the kernel venv (default python3)
#   TUNELINT_KERNEL_PYTHONS   more interpreters for the kernel-free tests (guard, python -m, needles, the environment snapshot);
#                             default: every python3.10-3.13 found (pyenv included)
#   TUNELINT_KERNEL_CACHE     venv cache (default ~/.cache/tunelint-kernel)
#   TUNELINT_KERNEL_ARTIFACTS screenshots and logs (default /tmp/tunelint-kernel-artifacts)
#   TUNELINT_KERNEL_BROWSER=0 skip the JupyterLab + Chromium part
# Exits non-zero on any failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${TUNELINT_KERNEL_CACHE:-$HOME/.cache/tunelint-kernel}
artifacts=${TUNELINT_KERNEL_ARTIFACTS:-/tmp/tunelint-kernel-artifacts}
py=${TUNELINT_KERNEL_PYTHON:-python3}
pins="ipykernel==7.4.0 jupyter_client==8.10.0"
t_start=$SECONDS

log() { echo "kernel-tests: $*" >&2; }
die() { echo "kernel-tests: FAIL: $*" >&2; exit 1; }

rm -rf "$artifacts"; mkdir -p "$artifacts"
work=$(mktemp -d /tmp/tunelint-kernel.XXXXXX)
# shellcheck source=../lib/cleanup.sh
source "$here/../lib/cleanup.sh"

# --- the kernel's venv (cached): ipykernel and jupyter_client from PyPI ----------------------
pyver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
venv=$cache/venv-$pyver
if [[ $(cat "$venv/.tunelint-pins" 2>/dev/null) != "$pins" ]]; then
  log "creating $venv ($pins)"
  rm -rf "$venv"; mkdir -p "$cache"
  "$py" -m venv "$venv" || die "$py -m venv failed (apt-get install python3-venv)"
  # shellcheck disable=SC2086
  "$venv/bin/pip" install -q --disable-pip-version-check $pins >&2 || die "pip install $pins failed"
  echo "$pins" > "$venv/.tunelint-pins"
fi

# --- tunelint: the wheel as a user gets it, or the source package with a binary -------------
export PYTHONNOUSERSITE=1
if [[ -n ${TUNELINT_WHEEL:-} ]]; then
  wheel=$TUNELINT_WHEEL
  [[ -d $wheel ]] && wheel=$(ls -t "$wheel"/tunelint-*.whl | head -1)
  [[ -f $wheel ]] || die "no wheel at $TUNELINT_WHEEL"
  log "installing $wheel"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-index --no-deps --force-reinstall "$wheel" >&2 || die "pip install $wheel failed"
  unset TUNELINT_BINARY
  export TUNELINT_EXPECT_INSTALLED=1
  pkg_path=
else
  "$venv/bin/pip" uninstall -q -y tunelint >/dev/null 2>&1 || true
  export TUNELINT_BINARY=${TUNELINT_BINARY:-$repo/target/release/tunelint}
  [[ -x $TUNELINT_BINARY ]] || die "no tunelint binary at $TUNELINT_BINARY (cargo build --release, or TUNELINT_WHEEL=...)"
  TUNELINT_BINARY=$(cd "$(dirname "$TUNELINT_BINARY")" && pwd)/$(basename "$TUNELINT_BINARY")
  pkg_path=$repo/python
  export PYTHONPATH=$pkg_path${PYTHONPATH:+:$PYTHONPATH}
fi

# --- the kernel tests ------------------------------------------------------------------------
export TUNELINT_KERNEL_WORK=$work/kernel TUNELINT_KERNEL_ARTIFACTS=$artifacts
mkdir -p "$TUNELINT_KERNEL_WORK"
export JUPYTER_CONFIG_DIR=$work/config JUPYTER_DATA_DIR=$work/data JUPYTER_RUNTIME_DIR=$work/runtime \
  IPYTHONDIR=$work/ipython JUPYTER_PLATFORM_DIRS=1
log "kernel tests on Python $pyver"
"$venv/bin/python" "$here/test_kernel.py" | tee "$artifacts/kernel-tests.log"
[[ ${PIPESTATUS[0]} -eq 0 ]] || die "kernel tests failed"

# --- the kernel-free tests on every other Python 3.10-3.13 -----------------------------------
others=${TUNELINT_KERNEL_PYTHONS:-}
if [[ -z $others ]]; then
  for v in 3.10 3.11 3.12 3.13; do
    [[ $v == "$pyver" ]] && continue
    p=$(command -v "python$v" 2>/dev/null || true)
    if [[ -n $p ]] && "$p" -c 'import sys' >/dev/null 2>&1; then others+=" $p"; continue; fi
    for d in "$HOME"/.pyenv/versions/$v.*/bin/python3; do [[ -x $d ]] && { others+=" $d"; break; }; done
  done
fi
for p in $others; do
  [[ -n $pkg_path ]] || break   # with a wheel the package is in the venv only
  log "guard / python -m / needles / snapshot on $("$p" --version 2>&1)"
  "$p" "$here/test_kernel.py" guard python_m every_symptom environment_is_read | tee -a "$artifacts/kernel-tests.log"
  [[ ${PIPESTATUS[0]} -eq 0 ]] || die "tests failed on $p"
done

# --- JupyterLab in Chromium: the rendered finding under the cell ------------------------------
if [[ ${TUNELINT_KERNEL_BROWSER:-1} == 0 ]]; then log "ok (browser part skipped)"; exit 0; fi
chromium=$(command -v chromium || true)
if [[ -z $chromium ]]; then
  log "installing Debian's chromium"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } >&2 || true
  chromium=$(command -v chromium || true)
  [[ -n $chromium ]] || { [[ -n ${CI:-} ]] && die "CI must have chromium"; log "skipping the browser part: no chromium"; exit 0; }
fi
if [[ ! -f $repo/node_modules/playwright-core/package.json ]]; then
  (cd "$repo" && npm ci --no-audit --no-fund) >&2 || die "npm ci failed"
fi
jcache=${TUNELINT_JLAB_CACHE:-$HOME/.cache/tunelint-jupyterlab}
jvenv=$jcache/venv
jpins="jupyterlab==4.6.6 jupyterlab-lsp==5.3.0 jupyter-lsp==2.3.1"   # shared with tests/editors/jupyterlab
if [[ $(cat "$jvenv/.tunelint-pins" 2>/dev/null) != "$jpins" ]]; then
  log "creating $jvenv ($jpins)"
  rm -rf "$jvenv"; mkdir -p "$jcache"
  python3 -m venv "$jvenv" || die "python3 -m venv failed"
  # shellcheck disable=SC2086
  "$jvenv/bin/pip" install -q --disable-pip-version-check $jpins >&2 || die "pip install $jpins failed"
  echo "$jpins" > "$jvenv/.tunelint-pins"
fi

ws=$work/ws; site=$work/site
mkdir -p "$ws" "$work/data/kernels/tunelint-test" "$work/settings" "$work/config"
"$venv/bin/python" - "$here" "$site" "$ws/founding.ipynb" "$work/data/kernels/tunelint-test/kernel.json" "$venv/bin/python" "$pkg_path" "${TUNELINT_BINARY:-}" <<'EOF'
import json, sys
here, site, nb_path, spec_path, kernel_python, pkg_path, binary = sys.argv[1:]
sys.path.insert(0, here)
import fixtures
fixtures.make_site(site, fixtures.FOUNDING)
env = {"PYTHONPATH": ":".join(p for p in (site, pkg_path) if p), "PYTHONNOUSERSITE": "1"}
if binary:
    env["TUNELINT_BINARY"] = binary
json.dump({"argv": [kernel_python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
           "display_name": "Python 3 (tunelint test)", "language": "python", "env": env}, open(spec_path, "w"))
def code(i, src): return {"cell_type": "code", "id": f"c{i}", "execution_count": None, "metadata": {}, "outputs": [], "source": src}
nb = {"nbformat": 4, "nbformat_minor": 5,
      "metadata": {"kernelspec": {"name": "tunelint-test", "display_name": "Python 3 (tunelint test)", "language": "python"},
                   "language_info": {"name": "python"}},
      "cells": [code(1, "%load_ext tunelint"),
                code(2, "from unsloth import FastLanguageModel\nmodel, tokenizer = FastLanguageModel.from_pretrained(\"unsloth/gemma-2-9b-bnb-4bit\")\nmodel = FastLanguageModel.get_peft_model(model, r=16, lora_dropout=0, bias=\"none\",\n    target_modules=[\"q_proj\", \"k_proj\", \"v_proj\", \"o_proj\", \"gate_proj\", \"up_proj\", \"down_proj\"])")]}
json.dump(nb, open(nb_path, "w"), indent=1)
EOF

port=$("$jvenv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$jvenv/bin/python" - "$work/config/jupyter_server_config.json" "$ws" "$port" <<'EOF'
import json, sys
path, root, port = sys.argv[1:]
json.dump({"ServerApp": {"root_dir": root, "open_browser": False, "ip": "127.0.0.1", "port": int(port),
                         "port_retries": 0, "password": "", "allow_root": True},
           "IdentityProvider": {"token": ""},
           "LanguageServerManager": {"autodetect": False, "language_servers": {}}}, open(path, "w"))
EOF
export JUPYTERLAB_SETTINGS_DIR=$work/settings JUPYTERLAB_WORKSPACES_DIR=$work/settings/workspaces
log "starting JupyterLab on 127.0.0.1:$port"
(cd "$ws" && exec setsid "$jvenv/bin/jupyter" lab > "$artifacts/jupyterlab.log" 2>&1 < /dev/null) &
jlab_pid=$!
for _ in $(seq 120); do
  curl -sf "http://127.0.0.1:$port/api/kernelspecs" > "$artifacts/kernelspecs.json" 2>/dev/null && break
  kill -0 "$jlab_pid" 2>/dev/null || { cat "$artifacts/jupyterlab.log" >&2; die "jupyter lab exited"; }
  sleep 0.5
done
grep -q tunelint-test "$artifacts/kernelspecs.json" || die "JupyterLab does not list the test kernel"
JLAB_URL=http://127.0.0.1:$port JLAB_NOTEBOOK=founding.ipynb JLAB_ARTIFACTS=$artifacts CHROMIUM=$chromium \
  node "$here/jupyterlab.mjs" || die "jupyterlab.mjs failed (artifacts: $artifacts)"
log "ok"
