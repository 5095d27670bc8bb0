#!/usr/bin/env bash
# JupyterLab end-to-end test: JupyterLab + jupyterlab-lsp + jupyter-lsp (from PyPI) with tunelint as
# a language server, driven by playwright-core (the repo's node_modules) and Debian's chromium.
# jupyterlab-lsp sends the notebook as ONE virtual Python document (cells joined with padding
# lines, magics rewritten); check.mjs asserts that UNS001 lands on the real lines of the right cells.
#
#   bash tests/editors/jupyterlab/run.sh
#
# Environment:
#   TUNELINT                  tunelint binary (default: cargo build --release into $TUNELINT_JLAB_TARGET)
#   TUNELINT_JLAB_TARGET      CARGO_TARGET_DIR for that build (default /tmp/jlab-target)
#   TUNELINT_JLAB_CACHE       venv cache (default ~/.cache/tunelint-jupyterlab)
#   TUNELINT_JLAB_ARTIFACTS   screenshots, LSP traffic, logs (default /tmp/tunelint-jlab-artifacts)
# Exit 0 on success (or "skipping:" when chromium cannot be installed outside CI), non-zero on failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cache=${TUNELINT_JLAB_CACHE:-$HOME/.cache/tunelint-jupyterlab}
artifacts=${TUNELINT_JLAB_ARTIFACTS:-/tmp/tunelint-jlab-artifacts}
pins="jupyterlab==4.6.6 jupyterlab-lsp==5.3.0 jupyter-lsp==2.3.1"
t_start=$SECONDS

log() { echo "jupyterlab-e2e: $*" >&2; }
die() { echo "jupyterlab-e2e: FAIL: $*" >&2; exit 1; }

# --- chromium -------------------------------------------------------------------------------
chromium=$(command -v chromium || true)
if [[ -z $chromium ]]; then
  log "installing Debian's chromium"
  sudo=(); [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null && sudo=(sudo -n)
  if { "${sudo[@]}" apt-get update -q && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q chromium; } >&2; then
    chromium=$(command -v chromium || true)
  fi
  if [[ -z $chromium ]]; then
    [[ -n ${CI:-} ]] && die "CI must have chromium (apt-get install chromium failed)"
    echo "skipping: chromium is not installed and could not be installed (apt-get install chromium)"
    exit 0
  fi
fi

# --- playwright-core ------------------------------------------------------------------------
if [[ ! -f $repo/node_modules/playwright-core/package.json ]]; then
  log "npm ci (playwright-core)"
  (cd "$repo" && npm ci --no-audit --no-fund) >&2 || die "npm ci failed"
fi

# --- JupyterLab venv (cached) ---------------------------------------------------------------
venv=$cache/venv
if [[ $(cat "$venv/.tunelint-pins" 2>/dev/null) != "$pins" ]]; then
  log "creating $venv ($pins)"
  rm -rf "$venv"
  mkdir -p "$cache"
  python3 -m venv "$venv" || die "python3 -m venv failed (apt-get install python3-venv)"
  # shellcheck disable=SC2086
  "$venv/bin/pip" install -q --disable-pip-version-check $pins >&2 || die "pip install $pins failed"
  echo "$pins" > "$venv/.tunelint-pins"
fi

# --- tunelint -------------------------------------------------------------------------------
if [[ -z ${TUNELINT:-} ]]; then
  target=${TUNELINT_JLAB_TARGET:-/tmp/jlab-target}
  log "building tunelint (CARGO_TARGET_DIR=$target)"
  (cd "$repo" && CARGO_TARGET_DIR=$target nice -n 19 cargo build --release --quiet) >&2 || die "cargo build failed"
  TUNELINT=$target/release/tunelint
fi
[[ -x $TUNELINT ]] || die "no tunelint binary at $TUNELINT"
TUNELINT=$(cd "$(dirname "$TUNELINT")" && pwd)/$(basename "$TUNELINT")

# --- workspace and isolated Jupyter configuration -------------------------------------------
rm -rf "$artifacts"; mkdir -p "$artifacts"
work=$(mktemp -d /tmp/tunelint-jlab.XXXXXX)
# shellcheck source=../../lib/cleanup.sh
source "$here/../../lib/cleanup.sh"
ws=$work/ws
mkdir -p "$ws" "$work"/{config,data,runtime,settings,ipython}
cp -a "$repo/tests/fixtures/envs/founding/." "$ws/"
rm -f "$ws/train.py"
mkdir "$ws/.git"   # a repository root: discovery does not walk above the workspace

# The notebook, shaped like the real Unsloth ones: markdown cells 1, 2, 4 and 6; cell 3 the
# install magics, cell 5 the import, cell 7 the call on its 2nd line.
"$venv/bin/python" - "$ws/founding.ipynb" <<'EOF'
import json, sys
def code(src): return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": src}
nb = {
    "nbformat": 4, "nbformat_minor": 5,
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    },
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "# Fine-tune with Unsloth"},
        {"cell_type": "markdown", "metadata": {}, "source": "### Installation"},
        code("%%capture\n!pip install --no-deps peft trl"),
        {"cell_type": "markdown", "metadata": {}, "source": "## Load the model"},
        code("from unsloth import FastLanguageModel"),
        {"cell_type": "markdown", "metadata": {}, "source": "We now add LoRA adapters."},
        code("x = 1\nmodel = FastLanguageModel.get_peft_model(None, r=16)"),
    ],
}
for i, c in enumerate(nb["cells"]): c["id"] = f"cell-{i + 1}"
json.dump(nb, open(sys.argv[1], "w"), indent=1)
EOF

# The server's argv goes through a wrapper that records the LSP traffic.
cat > "$work/tunelint-lsp" <<EOF
#!/usr/bin/env bash
tee -a '$artifacts/lsp-in.log' | '$TUNELINT' server 2>>'$artifacts/server-stderr.log' | tee -a '$artifacts/lsp-out.log'
EOF
chmod +x "$work/tunelint-lsp"

port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$venv/bin/python" - "$work/config/jupyter_server_config.json" "$ws" "$port" "$work/tunelint-lsp" <<'EOF'
import json, sys
path, root, port, argv0 = sys.argv[1:]
json.dump({
    "ServerApp": {"root_dir": root, "open_browser": False, "ip": "127.0.0.1", "port": int(port),
                  "port_retries": 0, "password": "", "allow_root": True},
    "IdentityProvider": {"token": ""},
    "LanguageServerManager": {
        "autodetect": False,
        "language_servers": {
            "tunelint": {
                "version": 2,
                "argv": [argv0, "server"],
                "languages": ["python"],
                "mime_types": ["text/python", "text/x-ipython"],
                "display_name": "tunelint",
            }
        },
    },
}, open(path, "w"), indent=2)
EOF
# (the wrapper ignores its "server" argument; it is there so the config reads as for the real binary)

export JUPYTER_CONFIG_DIR=$work/config JUPYTER_DATA_DIR=$work/data JUPYTER_RUNTIME_DIR=$work/runtime \
  JUPYTERLAB_SETTINGS_DIR=$work/settings JUPYTERLAB_WORKSPACES_DIR=$work/settings/workspaces \
  IPYTHONDIR=$work/ipython JUPYTER_PLATFORM_DIRS=1 PYTHONNOUSERSITE=1


log "starting JupyterLab on 127.0.0.1:$port"
(cd "$ws" && exec setsid "$venv/bin/jupyter" lab > "$artifacts/jupyterlab.log" 2>&1 < /dev/null) &
jlab_pid=$!
for _ in $(seq 120); do
  curl -sf "http://127.0.0.1:$port/lsp/status" > "$artifacts/lsp-status.json" 2>/dev/null && break
  kill -0 "$jlab_pid" 2>/dev/null || { cat "$artifacts/jupyterlab.log" >&2; die "jupyter lab exited"; }
  sleep 0.5
done
grep -q '"tunelint"' "$artifacts/lsp-status.json" 2>/dev/null \
  || { cat "$artifacts/jupyterlab.log" >&2; die "jupyter-lsp does not list tunelint (/lsp/status)"; }

JLAB_URL=http://127.0.0.1:$port JLAB_NOTEBOOK=founding.ipynb JLAB_ARTIFACTS=$artifacts CHROMIUM=$chromium \
  node "$here/check.mjs" || die "check.mjs failed (artifacts: $artifacts)"
log "ok"
