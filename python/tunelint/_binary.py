"""Finding and running the `tunelint` binary this package was installed with.

Order: `$TUNELINT_BINARY` (tests, development); the file our own distribution's RECORD lists
(`pip install tunelint` puts the binary in the interpreter's scripts directory, and the RECORD
says exactly where, also for `--user`, `--prefix` and `--target` installs); the scripts directory
of the running interpreter (`sysconfig.get_path("scripts")`) and of its user scheme; then a
`tunelint` on `PATH`, used only when its `--version` is this package's version.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig

from . import __version__

_NAME = "tunelint.exe" if os.name == "nt" else "tunelint"
_cached: str | None = None


class BinaryNotFound(RuntimeError):
    pass


def _executable(path: str | None) -> bool:
    return bool(path) and os.path.isfile(path) and os.access(path, os.X_OK)  # type: ignore[arg-type]


def _from_record() -> str | None:
    try:
        from importlib.metadata import distribution

        dist = distribution("tunelint")
        for f in dist.files or ():
            if f.name == _NAME and (f.parent.name in ("bin", "Scripts") or ".data" in str(f)):
                path = os.path.abspath(str(dist.locate_file(f)))
                if _executable(path):
                    return path
    except Exception:
        return None
    return None


def _from_scripts() -> str | None:
    candidates = []
    try:
        candidates.append(sysconfig.get_path("scripts"))
    except Exception:
        pass
    try:
        scheme = f"{os.name}_user"
        if scheme in sysconfig.get_scheme_names():
            candidates.append(sysconfig.get_path("scripts", scheme))
    except Exception:
        pass
    candidates.append(os.path.dirname(sys.executable))
    for directory in candidates:
        if directory:
            path = os.path.join(directory, _NAME)
            if _executable(path):
                return path
    return None


def _from_path() -> str | None:
    path = shutil.which(_NAME)
    if not path:
        return None
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
    except Exception:
        return None
    return path if out.stdout.strip() == f"tunelint {__version__}" else None


def find_binary() -> str:
    """The binary's path, or BinaryNotFound with a sentence that says what to do."""
    global _cached
    override = os.environ.get("TUNELINT_BINARY")
    if override:
        if _executable(override):
            return override
        raise BinaryNotFound(f"TUNELINT_BINARY={override} is not an executable file")
    if _cached and _executable(_cached):
        return _cached
    for finder in (_from_record, _from_scripts, _from_path):
        path = finder()
        if path:
            _cached = path
            return path
    raise BinaryNotFound(
        "the tunelint binary is not installed beside this package "
        f"(looked in {sysconfig.get_path('scripts')}); reinstall with `pip install --force-reinstall tunelint`"
    )


def run(args: list[str], stdin: str | None = None, cwd: str | None = None, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """Runs the binary with `args`; never through a shell, never with the network."""
    return subprocess.run(
        [find_binary(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        cwd=cwd,
        timeout=timeout,
    )
