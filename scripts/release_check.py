#!/usr/bin/env python3
"""Checks of release artefacts that need no machine of their platform (scripts/cross-build.sh).

  release_check.py extract WHEEL DEST        the binary out of a wheel's .data/scripts
  release_check.py wheel WHEEL VSCODE_TARGET  tags, METADATA and RECORD of a wheel
  release_check.py binary FILE VSCODE_TARGET  the executable format and CPU of a binary
  release_check.py vsix VSIX VSCODE_TARGET|universal [BINARY]
                                              the manifest's target and the bundled binary
Each prints one line on success and exits 1 with the reason otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {t["vscode"]: t for t in json.loads((ROOT / "scripts" / "release-targets.json").read_text())["targets"]}


def fail(msg: str) -> None:
    print(f"release_check: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def exe_name(vscode: str) -> str:
    return "tunelint.exe" if vscode.startswith("win32-") else "tunelint"


def version() -> str:
    m = re.search(r'^version = "([^"]+)"', (ROOT / "server" / "Cargo.toml").read_text(), re.M)
    assert m
    return m.group(1)


def wheel_binary_member(zf: zipfile.ZipFile, vscode: str) -> str:
    name = exe_name(vscode)
    found = [n for n in zf.namelist() if re.fullmatch(rf"tunelint-[^/]+\.data/scripts/{re.escape(name)}", n)]
    if len(found) != 1:
        fail(f"{zf.filename}: expected one .data/scripts/{name}, found {found}")
    return found[0]


def cmd_extract(wheel: str, dest: str) -> None:
    vscode = next((v for v, t in TARGETS.items() if t["wheel"] in os.path.basename(wheel)), None)
    if vscode is None:
        fail(f"{wheel}: no known platform tag in its name")
    with zipfile.ZipFile(wheel) as zf:
        data = zf.read(wheel_binary_member(zf, vscode))
    Path(dest).parent.mkdir(parents=True, exist_ok=True)
    Path(dest).write_bytes(data)
    os.chmod(dest, 0o755)
    print(f"extracted {dest} ({len(data) / 1e6:.1f} MB) from {os.path.basename(wheel)}")


def cmd_wheel(wheel: str, vscode: str) -> None:
    want = TARGETS[vscode]["wheel"]
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        info = next(n for n in names if n.endswith(".dist-info/WHEEL"))
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        record_name = next(n for n in names if n.endswith(".dist-info/RECORD"))
        whl = Parser().parsestr(zf.read(info).decode())
        meta = Parser().parsestr(zf.read(meta_name).decode())
        record = zf.read(record_name).decode()
        binary = wheel_binary_member(zf, vscode)
    tags = whl.get_all("Tag") or []
    # A Linux wheel may carry the legacy alias as well (manylinux2014_x86_64 = manylinux_2_17_x86_64).
    legacy = want.replace("manylinux_2_17_", "manylinux2014_")
    if f"py3-none-{want}" not in tags or not set(tags) <= {f"py3-none-{want}", f"py3-none-{legacy}"}:
        fail(f"{wheel}: WHEEL tags {tags}, want py3-none-{want}")
    if whl["Root-Is-Purelib"] != "false":
        fail(f"{wheel}: Root-Is-Purelib {whl['Root-Is-Purelib']}")
    platforms = os.path.basename(wheel)[: -len(".whl")].split("-py3-none-")[-1].split(".")
    if want not in platforms:
        fail(f"{wheel}: file name's platform tags {platforms} lack {want}")
    if meta["Name"] != "tunelint" or meta["Version"] != version():
        fail(f"{wheel}: METADATA names {meta['Name']} {meta['Version']}")
    for field in ("License-Expression", "Requires-Python", "Summary"):
        if not meta[field]:
            fail(f"{wheel}: METADATA has no {field}")
    urls = meta.get_all("Project-URL") or []
    classifiers = meta.get_all("Classifier") or []
    if not urls or not any(c.startswith("Operating System") for c in classifiers):
        fail(f"{wheel}: METADATA lacks project URLs or OS classifiers")
    for needed in (binary, "tunelint/__init__.py", "tunelint/_binary.py"):
        if needed not in record:
            fail(f"{wheel}: RECORD does not list {needed}")
    print(f"wheel ok: {os.path.basename(wheel)}: Tags {', '.join(tags)}, {meta['Name']} {meta['Version']}, "
          f"{len(classifiers)} classifiers, {len(urls)} project URLs, binary {binary}")


# ELF e_machine, Mach-O cputype, PE Machine
ELF_MACHINE = {62: "x86_64", 183: "aarch64"}
MACHO_CPU = {0x01000007: "x86_64", 0x0100000C: "arm64"}
PE_MACHINE = {0x8664: "x86_64", 0xAA64: "arm64"}
WANT = {
    "linux-x64": ("ELF", "x86_64"),
    "linux-arm64": ("ELF", "aarch64"),
    "darwin-x64": ("Mach-O", "x86_64"),
    "darwin-arm64": ("Mach-O", "arm64"),
    "win32-x64": ("PE", "x86_64"),
}


def binary_format(data: bytes) -> tuple[str, str]:
    if data[:4] == b"\x7fELF":
        return "ELF", ELF_MACHINE.get(struct.unpack_from("<H", data, 18)[0], "?")
    if data[:4] == b"\xcf\xfa\xed\xfe":  # MH_MAGIC_64, little-endian
        return "Mach-O", MACHO_CPU.get(struct.unpack_from("<I", data, 4)[0], "?")
    if data[:2] == b"MZ":
        pe = struct.unpack_from("<I", data, 0x3C)[0]
        if data[pe : pe + 4] == b"PE\0\0":
            return "PE", PE_MACHINE.get(struct.unpack_from("<H", data, pe + 4)[0], "?")
    return "?", "?"


def macho_facts(data: bytes) -> tuple[list[str], str, bool]:
    """The dylibs a 64-bit Mach-O loads, its minimum macOS, and whether it carries a signature."""
    ncmds = struct.unpack_from("<I", data, 16)[0]
    off, dylibs, minos, signed = 32, [], "?", False
    for _ in range(ncmds):
        cmd, size = struct.unpack_from("<II", data, off)
        if cmd in (0xC, 0x80000018):  # LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB
            name = struct.unpack_from("<I", data, off + 8)[0]
            dylibs.append(data[off + name : off + size].split(b"\0", 1)[0].decode())
        elif cmd == 0x32:  # LC_BUILD_VERSION
            v = struct.unpack_from("<I", data, off + 12)[0]
            minos = f"{v >> 16}.{(v >> 8) & 0xFF}"
        elif cmd == 0x24:  # LC_VERSION_MIN_MACOSX
            v = struct.unpack_from("<I", data, off + 8)[0]
            minos = f"{v >> 16}.{(v >> 8) & 0xFF}"
        elif cmd == 0x1D:  # LC_CODE_SIGNATURE
            signed = True
        off += size
    return dylibs, minos, signed


def cmd_binary(path: str, vscode: str) -> None:
    data = Path(path).read_bytes()
    got = binary_format(data)
    if got != WANT[vscode]:
        fail(f"{path}: {got[0]} {got[1]}, want {WANT[vscode][0]} {WANT[vscode][1]} for {vscode}")
    extra = ""
    if got[0] == "ELF":
        # The manylinux2014 promise: no glibc symbol version newer than 2.17.
        glibc = sorted({tuple(map(int, m.split(b"."))) for m in re.findall(rb"GLIBC_(2\.\d+)", data)})
        if not glibc or glibc[-1] > (2, 17):
            fail(f"{path}: needs glibc {'.'.join(map(str, glibc[-1])) if glibc else '?'}, more than manylinux2014's 2.17")
        extra = f", glibc symbols <= {'.'.join(map(str, glibc[-1]))}"
    if got[0] == "Mach-O":
        dylibs, minos, signed = macho_facts(data)
        # What a Mac loads it with: libSystem only (no framework, nothing outside /usr/lib);
        # Apple silicon kills an unsigned arm64 binary, so the linker's ad-hoc signature must be there.
        if not dylibs or any(not d.startswith("/usr/lib/") for d in dylibs):
            fail(f"{path}: links {dylibs}")
        if got[1] == "arm64" and not signed:
            fail(f"{path}: no code signature (Apple silicon refuses to run it)")
        extra = f", macOS >= {minos}, links {' '.join(dylibs)}, {'signed (ad hoc)' if signed else 'unsigned'}"
    if got[0] == "PE":
        dlls = sorted({m.decode().lower() for m in re.findall(rb"[A-Za-z0-9_.-]+\.dll(?=\0)", data, re.I)})
        foreign = [d for d in dlls if d.startswith(("libgcc", "libwinpthread", "libstdc++", "vcruntime", "msvcp"))]
        if foreign:
            fail(f"{path}: needs DLLs that Windows does not have: {foreign}")
        extra = f", imports {' '.join(dlls)}"
    marker = f"tunelint {version()}".encode()
    note = "version string found" if marker in data or version().encode() in data else "no version string"
    print(f"binary ok: {path}: {got[0]} {got[1]} ({len(data) / 1e6:.1f} MB, {note}{extra})")


def cmd_vsix(vsix: str, vscode: str, binary: str | None = None) -> None:
    with zipfile.ZipFile(vsix) as zf:
        manifest = zf.read("extension.vsixmanifest").decode()
        names = zf.namelist()
        bins = [n for n in names if n.startswith("extension/extension/bin/")]
        identity = re.search(r"<Identity\b[^>]*>", manifest)
        if not identity:
            fail(f"{vsix}: no <Identity> in extension.vsixmanifest")
        target = re.search(r'TargetPlatform="([^"]*)"', identity.group(0))
        # vsce stores the readme and the changelog as readme.md and changelog.md, the licence as LICENSE.txt.
        lower = {n.lower() for n in names}
        for needed in ("extension/package.json", "extension/extension/dist/extension.js", "extension/changelog.md",
                       "extension/readme.md", "extension/license.txt", "extension/extension/media/icon.png"):
            if needed.lower() not in lower:
                fail(f"{vsix}: {needed} missing")
        for needed in ("<Icon>extension/extension/media/icon.png</Icon>", "<Categories>Linters,",
                       'Id="Microsoft.VisualStudio.Services.Branding.Color"', 'Id="Microsoft.VisualStudio.Services.Links.Support"'):
            if needed not in manifest:
                fail(f"{vsix}: extension.vsixmanifest lacks {needed}")
        if vscode == "universal":
            if target:
                fail(f"{vsix}: universal package names TargetPlatform={target.group(1)}")
            if bins:
                fail(f"{vsix}: universal package bundles {bins}")
            print(f"vsix ok: {os.path.basename(vsix)}: universal (no TargetPlatform, no binary)")
            return
        if not target or target.group(1) != vscode:
            fail(f"{vsix}: TargetPlatform {target and target.group(1)}, want {vscode}")
        want = f"extension/extension/bin/{vscode}/{exe_name(vscode)}"
        if bins != [want]:
            fail(f"{vsix}: bundles {bins}, want [{want}]")
        inside = zf.read(want)
    same = ""
    if binary:
        if hashlib.sha256(inside).digest() != hashlib.sha256(Path(binary).read_bytes()).digest():
            fail(f"{vsix}: bundled binary differs from {binary}")
        same = f", identical to {binary}"
    print(f"vsix ok: {os.path.basename(vsix)}: TargetPlatform={vscode}, bundles {want}{same}")


def main() -> None:
    cmds = {"extract": cmd_extract, "wheel": cmd_wheel, "binary": cmd_binary, "vsix": cmd_vsix}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    cmds[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    main()
