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


class Service:
    """One `tunelint check-service` process, kept for the life of a kernel.

    A fresh process per check pays the binary's start and the knowledge base's load each time:
    about half of a check of a 1,000-distribution environment. The service answers `check`
    command lines one after another (the protocol is in the binary's `cli/service.rs`), reading
    the files and the environment again for each. When it cannot start, answer or keep the
    time, it is stopped and `run` does what the one-shot `run()` does; after two failures the
    session keeps to one-shot runs. Not on Windows, whose pipes cannot wait with a timeout.
    """

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._stderr = None
        self.failures = 0
        self._registered = False
        import threading

        # one request at a time: the protocol is a single conversation
        self._lock = threading.Lock()

    def run(self, args: list[str], stdin: str | None = None, cwd: str | None = None,
            timeout: float = 60.0) -> subprocess.CompletedProcess:
        if args[:1] == ["check"] and os.name != "nt" and self.failures < 2:
            with self._lock:
                try:
                    return self._ask(args, stdin, cwd, timeout)
                except Exception:
                    self.failures += 1
                    self.close()
        return run(args, stdin=stdin, cwd=cwd, timeout=timeout)

    def _start(self) -> subprocess.Popen:
        if self._proc is None or self._proc.poll() is not None:
            self.close()
            import tempfile

            # its stderr (a panic's message) goes to a file nobody has to drain
            self._stderr = tempfile.TemporaryFile()
            self._proc = subprocess.Popen(
                [find_binary(), "check-service"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, bufsize=0,
            )
            if not self._registered:
                import atexit

                atexit.register(self.close)
                self._registered = True
        return self._proc

    def _ask(self, args: list[str], stdin: str | None, cwd: str | None, timeout: float) -> subprocess.CompletedProcess:
        import json
        import selectors
        import time

        proc = self._start()
        body = (stdin or "").encode("utf-8")
        head = {"args": args, "cwd": os.path.abspath(cwd or os.getcwd()), "stdin_bytes": len(body)}
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(head).encode("utf-8") + b"\n" + body)
        proc.stdin.flush()
        deadline = time.monotonic() + timeout
        fd = proc.stdout.fileno()
        buf = bytearray()
        want: int | None = None
        answer: dict = {}
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while want is None or len(buf) < want:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise TimeoutError(f"tunelint check-service gave no answer within {timeout:.0f} s")
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise EOFError("tunelint check-service ended")
                buf += chunk
                if want is None:
                    end = buf.find(b"\n")
                    if end >= 0:
                        answer = json.loads(bytes(buf[:end]))
                        del buf[:end + 1]
                        want = int(answer["report_bytes"])
        if len(buf) != want:
            raise ValueError("tunelint check-service sent more than it announced")
        error = answer.get("error")
        return subprocess.CompletedProcess(
            [find_binary(), *args], int(answer["code"]),
            stdout=buf.decode("utf-8", "replace"),
            stderr=f"tunelint: error: {error}\n" if error else "",
        )

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                if proc.stdin:
                    proc.stdin.close()
                proc.wait(timeout=2)
            except Exception:
                proc.kill()
                try:
                    proc.wait(timeout=2)
                except Exception:
                    pass
            if proc.stdout:
                proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
