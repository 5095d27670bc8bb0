#!/usr/bin/env bash
# Cross-builds tunelint's release artefacts on one Linux x86_64 machine (issue 21): for each
# platform of scripts/release-targets.json, the pip wheel, the binary (taken out of the wheel, so
# one compile gives both) and the platform-specific VS Code package bundling that binary; then the
# universal VS Code package (no binary). Each artefact is checked as far as this machine can:
#
#   - every wheel: its WHEEL tags, METADATA and RECORD (scripts/release_check.py) and `twine check`;
#   - every binary: its executable format and CPU; then it runs `tunelint check examples/` where a
#     runner exists — natively (linux-x64), under Debian's qemu-user (linux-arm64), under Debian's
#     wine (win32-x64) — and its findings must equal the native build's; macOS binaries cannot run
#     on Linux and are only checked for format and CPU;
#   - every .vsix: its manifest's TargetPlatform and the one binary it bundles (the same bytes).
#
# How: rustup's standard libraries for each target, and zig from PyPI (`ziglang`) as the C
# compiler and linker through `maturin build --zig`: zig cross-compiles the C in the dependency
# tree (tree-sitter, tree-sitter-python, mimalloc) and links Linux against glibc 2.17 (manylinux2014
# wheels), macOS against its own libSystem stubs (no SDK needed: tunelint links no framework),
# and Windows against MinGW (target x86_64-pc-windows-gnu; the release workflow builds MSVC
# natively).
#
#   bash scripts/cross-build.sh                       # every target, then the universal .vsix
#   bash scripts/cross-build.sh linux-arm64 win32-x64 # only those (no universal)
#   bash scripts/cross-build.sh --debug linux-arm64   # a debug build (CI's quick cross-build check)
#
# Environment:
#   TUNELINT_CROSS_OUT     artefacts (default dist/): wheels/, bin/<target>/, *.vsix
#   CARGO_TARGET_DIR       build directory (default /tmp/tunelint-cross-target); builds run under
#                          `nice -n 19`
#   TUNELINT_CROSS_RUN=0   build and check files, run nothing under qemu or wine
#   TUNELINT_CROSS_SETUP=0 install nothing (rustup targets, pip and apt packages must be there)
#   TUNELINT_CROSS_REFERENCE a native tunelint whose findings on examples/ the others must print
#                          (default: the linux-x64 build of this run, when it builds one)
# Takes about 8-12 minutes per target on 2 cores from a cold build directory. Exits non-zero on
# any failure; the last lines summarise what was verified how.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
out=$(mkdir -p "${TUNELINT_CROSS_OUT:-dist}" && cd "${TUNELINT_CROSS_OUT:-dist}" && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/tunelint-cross-target}
run_foreign=${TUNELINT_CROSS_RUN:-1}
setup=${TUNELINT_CROSS_SETUP:-1}
profile=release
t0=$SECONDS

log() { echo "cross-build: $*" >&2; }
die() { echo "cross-build: FAIL: $*" >&2; exit 1; }

args=()
for a in "$@"; do
  case $a in
    --debug) profile=debug ;;
    -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
    *) args+=("$a") ;;
  esac
done

mapfile -t all < <(python3 -c 'import json,sys; [print(t["vscode"]) for t in json.load(open(sys.argv[1]))["targets"]]' scripts/release-targets.json)
field() { python3 -c 'import json,sys; print(next(t[sys.argv[3]] for t in json.load(open(sys.argv[1]))["targets"] if t["vscode"]==sys.argv[2]))' scripts/release-targets.json "$1" "$2"; }
if [ ${#args[@]} -eq 0 ]; then targets=("${all[@]}"); universal=1; else targets=("${args[@]}"); universal=0; fi
for t in "${targets[@]}"; do
  printf '%s\n' "${all[@]}" | grep -qx -- "$t" || die "unknown target $t (scripts/release-targets.json: ${all[*]})"
done
version=$(sed -n 's/^version = "\(.*\)"/\1/p' server/Cargo.toml | head -1)

# --- tools ---------------------------------------------------------------------------------
if [ "$setup" = 1 ]; then
  want_rust=()
  for t in "${targets[@]}"; do want_rust+=("$(field "$t" cross)"); done
  installed=$(rustup target list --installed)
  for r in "${want_rust[@]}"; do
    grep -qx "$r" <<<"$installed" || { log "rustup target add $r"; rustup target add "$r" >&2; }
  done
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    "maturin>=1.9,<2" "ziglang>=0.13" twine >&2
  pkgs=()
  if [ "$run_foreign" = 1 ]; then
    for t in "${targets[@]}"; do
      case $t in
        linux-arm64) command -v qemu-aarch64 >/dev/null || pkgs+=(qemu-user)
                     [ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || pkgs+=(libc6-arm64-cross) ;;
        win32-x64) command -v wine >/dev/null || pkgs+=(wine wine64) ;;
      esac
    done
  fi
  if [ ${#pkgs[@]} -gt 0 ]; then
    log "apt-get install ${pkgs[*]}"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
  fi
fi
[ -x node_modules/@vscode/vsce/vsce ] || npm ci --no-audit --no-fund >&2

# --- the host binary: its findings on the example are what every other build must print -------
# Normalised: Windows prints paths with backslashes.
normalise() { tr '\\' '/' | tr -d '\r' | sed 's/[[:space:]]*$//'; }
expect_check() { # $1 label, $2... the command that runs a binary; prints the findings (stdout)
  local label=$1; shift
  local rc=0 outp errf
  errf=$(mktemp)
  outp=$("$@" check examples/ --format concise 2>"$errf") || rc=$?
  [ "$rc" = 1 ] || die "$label: check examples/ exited $rc, want 1 (the founding case's warning):"$'\n'"$outp"$'\n'"$(cat "$errf")"
  rm -f "$errf"
  grep -q 'UNS001' <<<"$outp" || die "$label: no UNS001 in:"$'\n'"$outp"
  if [ -n "${reference:-}" ] && [ "$(normalise <<<"$outp")" != "$(normalise <<<"$reference")" ]; then
    diff <(normalise <<<"$reference") <(normalise <<<"$outp") >&2 || true
    die "$label: findings differ from the native build's"
  fi
  printf '%s' "$outp"
}
host_target=linux-x64
verified=()
# Without a linux-x64 build in this run, TUNELINT_CROSS_REFERENCE (a native tunelint, e.g.
# target/release/tunelint) gives the findings the others must print.
if [ -n "${TUNELINT_CROSS_REFERENCE:-}" ]; then
  reference=$(expect_check "reference $TUNELINT_CROSS_REFERENCE" "$TUNELINT_CROSS_REFERENCE")
fi

# --- each target ------------------------------------------------------------------------------
mkdir -p "$out/wheels"
for t in "${targets[@]}"; do
  rust=$(field "$t" cross)
  tag=$(field "$t" wheel)
  exe=tunelint; [[ $t == win32-* ]] && exe=tunelint.exe
  log "== $t ($rust, $profile) =="
  s=$SECONDS
  rm -f "$out"/wheels/tunelint-"$version"-py3-none-*"$tag"*.whl
  flags=(--release)
  # The quick check: a dev build without debug info (enough to prove the toolchain).
  [ "$profile" = debug ] && { flags=(--profile dev); export CARGO_PROFILE_DEV_DEBUG=0; }
  [[ $t == linux-* ]] && flags+=(--compatibility manylinux2014)   # glibc 2.17, through zig
  # zig's clang makes __DATE__/__TIME__ an error (-Werror=date-time); mimalloc's Windows build
  # prints them in its banner.
  [[ $t == win32-* ]] && export "CFLAGS_${rust//-/_}=-Wno-error=date-time"
  nice -n 19 python3 -m maturin build "${flags[@]}" --locked --zig --target "$rust" -o "$out/wheels" >&2 \
    || die "$t: maturin build failed"
  whl=$(ls "$out"/wheels/tunelint-"$version"-py3-none-*"$tag"*.whl 2>/dev/null | head -1)
  [ -n "$whl" ] || die "$t: no wheel tagged $tag in $out/wheels: $(ls "$out/wheels")"
  log "$t: built in $((SECONDS - s)) s"

  python3 scripts/release_check.py wheel "$whl" "$t"
  twine check --strict "$whl" >&2 || die "$t: twine check failed"
  bin=$out/bin/$t/$exe
  python3 scripts/release_check.py extract "$whl" "$bin"
  python3 scripts/release_check.py binary "$bin" "$t"

  ran="not run: no runner on Linux (Mach-O, CPU, minimum macOS, libraries and signature checked)"
  case $t in
    "$host_target")
      "$bin" --version
      reference=$(expect_check "$t" "$bin"); ran="ran natively: check examples/ = UNS001, exit 1" ;;
    linux-arm64)
      if [ "$run_foreign" = 1 ]; then
        q=(qemu-aarch64 -L /usr/aarch64-linux-gnu)
        "${q[@]}" "$bin" --version
        expect_check "$t" "${q[@]}" "$bin" >/dev/null
        ran="ran under qemu-aarch64: check examples/ = UNS001, exit 1${reference:+, same findings as the native build}"
      fi ;;
    win32-x64)
      if [ "$run_foreign" = 1 ]; then
        # A prefix of its own; no Mono or Gecko (their install prompts need a display).
        export WINEPREFIX=${WINEPREFIX:-/tmp/tunelint-wine} WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
        w=/usr/lib/wine/wine64; [ -x "$w" ] || w=$(command -v wine64 || command -v wine)
        [ -f "$WINEPREFIX/system.reg" ] || "$w" wineboot --init >/dev/null 2>&1 || true
        # Rust's standard library takes random bytes from ProcessPrng (bcryptprimitives.dll, in
        # every Windows 10 and 11); Debian 12's wine 8.0 lacks that DLL (wine 9 has it). The test
        # prefix gets a stand-in built with zig that asks wine's RtlGenRandom; nothing shipped uses it.
        sys32=$WINEPREFIX/drive_c/windows/system32
        if [ ! -f "$sys32/bcryptprimitives.dll" ]; then
          shim=$(mktemp -d)
          printf '%s\n' '#include <windows.h>' \
            'BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);' \
            '__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {' \
            '  while (len > 0) { ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;' \
            '    if (!SystemFunction036(data, n)) return FALSE; data += n; len -= n; }' \
            '  return TRUE; }' > "$shim/bcryptprimitives.c"
          python3 -m ziglang cc -target x86_64-windows-gnu -shared -O2 -o "$shim/bcryptprimitives.dll" \
            "$shim/bcryptprimitives.c" -ladvapi32
          cp "$shim/bcryptprimitives.dll" "$sys32/"
          rm -rf "$shim"
          log "wine: added a ProcessPrng stand-in (bcryptprimitives.dll) to $WINEPREFIX"
        fi
        "$w" "$bin" --version
        expect_check "$t" "$w" "$bin" >/dev/null
        ran="ran under wine 8 (with a ProcessPrng stand-in): check examples/ = UNS001, exit 1${reference:+, same findings as the native build}"
      fi ;;
  esac

  vsix=$out/tunelint-$t-$version.vsix
  TUNELINT_BINARY=$bin TUNELINT_VSIX_OUT=$vsix node extension/scripts/package.mjs --target "$t" >&2 \
    || die "$t: packaging the .vsix failed"
  python3 scripts/release_check.py vsix "$vsix" "$t" "$bin"
  verified+=("$t: $(basename "$whl") (tags, METADATA, twine), $exe ($ran), $(basename "$vsix") (TargetPlatform)")
done

if [ "$universal" = 1 ]; then
  vsix=$out/tunelint-universal-$version.vsix
  TUNELINT_VSIX_OUT=$vsix node extension/scripts/package.mjs --universal >&2 || die "universal .vsix failed"
  python3 scripts/release_check.py vsix "$vsix" universal
  verified+=("universal: $(basename "$vsix") (no TargetPlatform, no binary)")
fi
rm -rf extension/bin

log "done in $((SECONDS - t0)) s; artefacts in $out"
for v in "${verified[@]}"; do echo "verified $v"; done
