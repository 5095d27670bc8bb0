"""`%load_ext tunelint`: tunelint inside a running IPython kernel (Colab, Kaggle, Jupyter).

On load it checks the kernel's own environment, the cells run so far and the notebook file
when the kernel can find it, and shows the findings under the `%load_ext` cell. Then, per cell:

* `pre_run_cell`: a regex over the cell's text says whether it installs anything (`pip`, `uv`,
  `conda`, `mamba` install/uninstall lines, `python -m pip`); the output buffer is reset.
* while the cell runs, `sys.stdout.write` / `sys.stderr.write` pass every chunk to `_Tap`,
  which looks for the knowledge base's symptom needles (substring tests, no process; at most
  SCAN_BUDGET bytes a cell, then only the last TAIL_BYTES are kept and scanned at the end) and
  keeps the lines that hold one (at most HIT_BYTES). Nothing outlives the cell.
* `post_run_cell`: if the cell installed anything or a `sys.path` directory's mtime changed,
  the environment is read again, the full check runs again, and every distribution whose
  module was imported before is compared with what is on disk now: "peft 0.11.1 is imported,
  0.12.0 is installed: restart the runtime" (NB001 with live facts). Otherwise, if the output
  held a needle (or the cell raised), the check runs with the cell's kept lines as its output,
  and the findings on that cell are shown under it. Otherwise nothing runs: the cost of such a
  cell is a few dictionary and stat calls (bench/kernel.py).

Every hook catches everything: an internal failure becomes one short line under the cell (once
per kind), never an exception in the user's cell. `%unload_ext tunelint` unregisters the hooks,
restores the streams' `write` and removes the magic and the temporary directory.
"""

from __future__ import annotations

import os
import re
import sys
import time
import traceback

from . import _binary, _environment, _render
from ._check import Checker, Fix, Group, Report

SCAN_BUDGET = 8 * 1024 * 1024  # bytes of a cell's output scanned as it is written
TAIL_BYTES = 64 * 1024  # the end of a cell's output, kept until the cell ends
HIT_BYTES = 64 * 1024  # lines that hold a needle, kept until the cell ends

_INSTALL = re.compile(
    r"(?:^|[\s;&|(!%\"'])(?:pip3?(?:\.\d+)?|uv(?:\s+pip)?|conda|mamba|micromamba)\s+"
    r"(?:install|uninstall|remove|sync|add|update|upgrade)\b"
    r"|-m\s+pip\s+(?:install|uninstall)\b"
    r"|[\"']pip[\"']\s*,\s*[\"'](?:install|uninstall)[\"']",
    re.M,
)

_extension = None  # the loaded Extension, if any


class _Tap:
    """What a cell wrote, bounded: the lines that hold a needle and the last TAIL_BYTES."""

    def __init__(self, needles: tuple[str, ...]):
        self.needles = needles
        self.carry_len = max((len(n) for n in needles), default=1)
        self.reset()

    def reset(self) -> None:
        self.budget = SCAN_BUDGET
        self.carry = ""
        self.tail: list[str] = []
        self.tail_len = 0
        self.hits: list[str] = []
        self.hits_len = 0
        self.total = 0

    def see(self, s) -> None:
        if not isinstance(s, str) or not s:
            return
        n = len(s)
        self.total += n
        if self.budget > 0:
            self.budget -= n
            chunk = self.carry + s
            self._scan(chunk)
            self.carry = chunk[-self.carry_len:]
        # the tail: chunks are dropped from the front once twice the limit is kept
        self.tail.append(s)
        self.tail_len += n
        if self.tail_len > 2 * TAIL_BYTES:
            joined = "".join(self.tail)[-TAIL_BYTES:]
            self.tail = [joined]
            self.tail_len = len(joined)

    def _scan(self, chunk: str) -> None:
        for needle in self.needles:
            if needle in chunk:
                self._keep(chunk, needle)

    def _keep(self, chunk: str, needle: str) -> None:
        if self.hits_len >= HIT_BYTES:
            return
        pos = chunk.find(needle)
        start = max(chunk.rfind("\n", 0, pos), chunk.rfind("\r", 0, pos)) + 1
        # the line before it too (some symptoms read the previous line)
        prev = max(chunk.rfind("\n", 0, max(start - 1, 0)), chunk.rfind("\r", 0, max(start - 1, 0))) + 1
        ends = [e for e in (chunk.find("\n", pos), chunk.find("\r", pos)) if e >= 0]
        end = min(ends) if ends else len(chunk)
        # the line before it (its end only) and the line itself (its start only)
        text = chunk[max(prev, start - 1 - 1024):start] + chunk[start:end][:8192]
        if text and text not in self.hits:
            self.hits.append(text)
            self.hits_len += len(text)

    def finish(self, extra: str | None = None) -> str | None:
        """The text to check for this cell (hit lines, and the tail when the scan ran out), or
        None when nothing in the output can match a symptom."""
        if extra:
            self._scan(extra)
        if self.budget <= 0 and self.tail:
            self._scan("".join(self.tail))
        if not self.hits:
            return None
        text = "\n".join(self.hits)
        if self.tail and self.budget > 0:
            # context for benign explanations printed near the line (bounded)
            text = "\n".join(self.hits) + "\n" + "".join(self.tail)[-TAIL_BYTES:]
        return text + "\n"


class _StreamHook:
    """Wraps `write` of sys.stdout / sys.stderr for the duration of one cell, and restores
    exactly what it replaced. Installed at `pre_run_cell` and removed at `post_run_cell`:
    IPython 9 itself swaps `write` for each cell (its output history tee) and puts back what it
    found, so a wrapper set outside a cell would be dropped or would call a stale tee."""

    def __init__(self, tap_fn):
        self.tap_fn = tap_fn
        self.patched: list[tuple] = []

    def install(self) -> None:
        if self.patched:
            self.restore()
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name, None)
            if stream is None:
                continue
            original = stream.write
            tap = self.tap_fn

            def write(s, *args, _original=original, _tap=tap, **kwargs):
                try:
                    _tap(s)
                except Exception:
                    pass
                return _original(s, *args, **kwargs)

            write._tunelint = True  # type: ignore[attr-defined]
            try:
                had = "write" in getattr(stream, "__dict__", {})
                # on the instance: loggers and libraries that kept a reference to the stream
                # (ipykernel's OutStream) are seen too
                stream.write = write
                self.patched.append(("attr", stream, write, original if had else None))
            except (AttributeError, TypeError):
                proxy = _Proxy(stream, write)
                setattr(sys, name, proxy)
                self.patched.append(("proxy", name, stream, proxy))

    def restore(self) -> None:
        for item in reversed(self.patched):
            try:
                if item[0] == "attr":
                    _, stream, ours, previous = item
                    if stream.__dict__.get("write") is ours:
                        if previous is None:
                            del stream.__dict__["write"]
                        else:
                            stream.write = previous
                else:
                    _, name, stream, proxy = item
                    if getattr(sys, name, None) is proxy:
                        setattr(sys, name, stream)
            except Exception:
                pass
        self.patched = []


class _Proxy:
    def __init__(self, stream, write):
        object.__setattr__(self, "_stream", stream)
        object.__setattr__(self, "write", write)

    def __getattr__(self, name):
        return getattr(self._stream, name)

    def __setattr__(self, name, value):
        setattr(self._stream, name, value)


def _process_start() -> float | None:
    """When this process started (Linux), to tell an install made before it from one after."""
    try:
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = int(fields[19])
        with open("/proc/stat") as f:
            btime = next(int(line.split()[1]) for line in f if line.startswith("btime"))
        return btime + ticks / os.sysconf("SC_CLK_TCK")
    except Exception:
        return None


def _same_version(a: str, b: str) -> bool:
    norm = lambda v: re.sub(r"[-_.]?(post|dev|rc|a|b)[-_.]?", r".\1", v.strip().lower().lstrip("v"))
    return a == b or norm(a) == norm(b)


class Extension:
    def __init__(self, shell):
        self.shell = shell
        self.checker = Checker("this kernel", resident=True)
        self.tap = _Tap(())
        self.streams = _StreamHook(self.tap.see)
        self.snap: _environment.Snapshot | None = None
        self.owners: _environment.Owners | None = None
        self.dirs: list[str] = []
        self.path_copy: list[str] = []
        self.stamp: tuple = ()
        self.nmods = 0
        self.seen_modules: set[str] = set()
        self.pending: dict[str, int] = {}  # top-level module -> the cell it was first seen after
        self.imported: dict[str, tuple] = {}  # dist key -> (version, module, cell, dist mtime)
        self.restart_reported: set[tuple] = set()
        self.shown: set[tuple] = set()
        self.install_cell = False
        self.failures: set[str] = set()
        self.stdlib = set(getattr(sys, "stdlib_module_names", ())) | set(sys.builtin_module_names)
        self.registered = False

    # --- lifecycle --------------------------------------------------------------------------
    def load(self) -> None:
        self.shell.events.register("pre_run_cell", self.pre_run_cell)
        self.shell.events.register("post_run_cell", self.post_run_cell)
        self.registered = True
        self._register_magic()
        self._guarded("load", self._initial_check)

    def unload(self) -> None:
        if self.registered:
            for name, fn in (("pre_run_cell", self.pre_run_cell), ("post_run_cell", self.post_run_cell)):
                try:
                    self.shell.events.unregister(name, fn)
                except ValueError:
                    pass
            self.registered = False
        self.streams.restore()
        try:
            self.shell.magics_manager.magics["line"].pop("tunelint", None)
        except Exception:
            pass
        self.checker.close()

    def _register_magic(self) -> None:
        ext = self

        def tunelint(line=""):
            """%tunelint: check now (environment, cells run so far, notebook file).
            %tunelint env: the environment table."""
            ext._guarded("magic", lambda: ext.magic(line))

        self.shell.register_magic_function(tunelint, "line", "tunelint")

    # --- failures never reach the user's cell -----------------------------------------------
    def _guarded(self, what: str, fn) -> None:
        try:
            fn()
        except _binary.BinaryNotFound as e:
            self._note_once("binary", f"tunelint: {e}")
        except Exception as e:
            if os.environ.get("TUNELINT_DEBUG"):
                traceback.print_exc()
            self._note_once(what + type(e).__name__, f"tunelint: internal error in {what} ({type(e).__name__}: {str(e)[:200]}); this cell is unaffected")

    def _note_once(self, key: str, text: str) -> None:
        if key in self.failures:
            return
        self.failures.add(key)
        self._display(_render.message_bundle(text))

    def _display(self, bundle: dict) -> None:
        try:
            from IPython.display import display

            display(bundle, raw=True)
        except Exception:
            pass

    # --- facts ------------------------------------------------------------------------------
    def _cells(self) -> list[str]:
        try:
            raw = self.shell.history_manager.input_hist_raw
            return [c if isinstance(c, str) else "" for c in raw[1:]]
        except Exception:
            return []

    def _notebook(self) -> str | None:
        candidates = []
        ns = getattr(self.shell, "user_ns", {}) or {}
        for key in ("__vsc_ipynb_file__", "__session__"):
            v = ns.get(key)
            if isinstance(v, str):
                candidates.append(v)
        v = os.environ.get("JPY_SESSION_NAME")
        if v:
            candidates.append(v)
        for c in candidates:
            if not c.endswith(".ipynb"):
                continue
            for path in (c, os.path.join(os.getcwd(), c), os.path.join(os.getcwd(), os.path.basename(c))):
                try:
                    if os.path.isfile(path):
                        return os.path.abspath(path)
                except Exception:
                    pass
        return None

    def _rescan(self) -> None:
        self.snap = _environment.snapshot()
        self.owners = None
        self.path_copy = list(sys.path)
        # the directories that hold distributions (where an install lands), and the current
        # directory: a stat each per cell
        holders = {os.path.dirname(d.path) for d in self.snap.dists.values()}
        self.dirs = [p for p in _environment.site_dirs() if p in holders or os.path.abspath(p) in holders]
        self.stamp = _environment.mtimes(self.dirs)

    def _owner(self, module: str) -> str | None:
        if self.snap is None:
            return None
        key = _environment.normalize(module)
        if key in self.snap.dists:
            return key
        if self.owners is None or self.owners.snap is not self.snap:
            self.owners = _environment.Owners(self.snap)
        return self.owners.owner(module)

    def _new_modules(self, cell: int) -> None:
        mods = sys.modules
        if len(mods) == self.nmods:
            return
        self.nmods = len(mods)
        for name in list(mods):
            top = name.partition(".")[0]
            if top in self.seen_modules:
                continue
            self.seen_modules.add(top)
            if top in self.stdlib or top.startswith("_") or top in ("IPython", "ipykernel", "tunelint"):
                continue
            m = mods.get(top)
            if m is None or getattr(m, "__file__", None) is None and not hasattr(m, "__path__"):
                continue
            self.pending[top] = cell

    def _resolve_pending(self, against: _environment.Snapshot, changed_cell: int | None) -> None:
        """Pins the version each newly imported module was loaded at: the distribution's
        version in `against` (the snapshot from before any change), or, for a module first seen
        in the cell that changed the environment, its `__version__` when it has one."""
        if not self.pending or against is None:
            return
        saved = self.snap
        self.snap = against
        try:
            for top, cell in list(self.pending.items()):
                key = self._owner(top)
                del self.pending[top]
                if key is None or key in self.imported:
                    continue
                d = against.dists.get(key)
                if d is None:
                    continue
                version = d.version
                if changed_cell is not None and cell == changed_cell:
                    mv = getattr(sys.modules.get(top), "__version__", None)
                    if not isinstance(mv, str):
                        continue  # imported in the same cell as the install: cannot tell which
                    version = mv
                self.imported[key] = (version, top, cell, _mtime(d.path))
        finally:
            self.snap = saved

    # --- the checks -------------------------------------------------------------------------
    def _initial_check(self) -> None:
        t0 = time.perf_counter()
        self._rescan()
        cell = len(self._cells())
        self.nmods = 0
        self._new_modules(cell)
        # modules imported before the load: their version on disk, unless __version__ says
        # the disk changed after this process started (then the import is stale already)
        started = _process_start()
        stale: list[Group] = []
        for top in list(self.pending):
            key = self._owner(top)
            self.pending.pop(top, None)
            if key is None or key in self.imported or self.snap is None:
                continue
            d = self.snap.dists[key]
            version = d.version
            mv = getattr(sys.modules.get(top), "__version__", None)
            mt = _mtime(d.path)
            if isinstance(mv, str) and not _same_version(mv, d.version) and started and mt and mt / 1e9 > started:
                version = mv
                stale.append(self._restart_group(d, mv, top, None, reinstalled=False))
                self.restart_reported.add((key, d.version, mt))
            self.imported[key] = (version, top, cell, mt)
        report = self._full_check()
        groups = stale + report.groups
        self._show(report, groups, "loaded", all_groups=True)
        self._needles_from_binary()
        self.last_check_ms = (time.perf_counter() - t0) * 1000

    def _needles_from_binary(self) -> None:
        """The binary's own symptom literals (`advisories --format json`): until they are read,
        on load, no output is scanned."""
        from ._needles import needles_from_export

        raw = self.checker.advisories().get("__raw__")
        exported = needles_from_export(raw) if isinstance(raw, dict) else None
        if exported:
            self.tap.needles = tuple(exported)
            self.tap.carry_len = max(len(n) for n in exported)

    def _full_check(self, outputs: dict[int, str] | None = None, with_notebook: bool = True,
                    extend_select: str | None = None) -> Report:
        assert self.snap is not None
        notebook = self._notebook() if with_notebook else None
        return self.checker.check(self.snap, cells=self._cells(), outputs=outputs, notebook=notebook,
                                  cwd=os.getcwd(), extend_select=extend_select)

    def _show(self, report: Report, groups: list[Group], what: str, all_groups: bool = False,
              heading: str | None = None, quiet_when_clean: bool = False) -> None:
        if report.error:
            self._note_once("check-error", f"tunelint: {report.error}")
            return
        fresh = []
        for g in groups:
            k = g.key()
            if all_groups or k not in self.shown:
                fresh.append(g)
            self.shown.add(k)
        if not fresh and quiet_when_clean:
            return
        summary = _render.summary_line(report, what) if (all_groups or fresh) else None
        self._display(_render.bundle(fresh, summary if all_groups else None, heading))

    def magic(self, line: str) -> None:
        args = line.split()
        if args and args[0] == "env":
            self._rescan()
            env = self.checker.env_file(self.snap)
            out = _binary.run(["env", "--format", "json", "--env-file", env], timeout=60)
            import json

            data = json.loads(out.stdout)
            for p in data.get("packages", []):
                d = self.snap.dists.get(_environment.normalize(p.get("package", "")))
                if d is not None and os.path.basename(p.get("source", "")) == os.path.basename(env):
                    p["source"] = d.path
            data["name"] = f"this kernel ({sys.executable}, Python {sys.version.split()[0]})"
            data["origin"] = "importlib.metadata over sys.path"
            data["packages"] = sorted(data.get("packages", []), key=lambda p: (not p.get("advisories"), p.get("package", "")))
            self._display(_render.environment_bundle(data))
            return
        if args and args[0] not in ("check",):
            self._display(_render.message_bundle("usage: %tunelint (check now) · %tunelint env (the environment table)"))
            return
        self._rescan()
        report = self._full_check()
        self._show(report, report.groups, "checked", all_groups=True)

    def pre_run_cell(self, info=None) -> None:
        try:
            raw = getattr(info, "raw_cell", None) or ""
            self.install_cell = bool(raw) and _INSTALL.search(raw) is not None
            self.tap.reset()
            self.streams.install()
        except Exception:
            self.install_cell = False

    def post_run_cell(self, result=None) -> None:
        self.streams.restore()
        self._guarded("post_run_cell", lambda: self._post(result))
        try:
            self.tap.reset()  # nothing is kept after the cell
        except Exception:
            pass

    def _cell_number(self) -> int:
        try:
            return len(self.shell.history_manager.input_hist_raw) - 1
        except Exception:
            return 0

    def _post(self, result) -> None:
        cell = self._cell_number()
        self._new_modules(cell)
        changed = False
        if self.install_cell or sys.path != self.path_copy:
            changed = True
        elif self.dirs and _environment.mtimes(self.dirs) != self.stamp:
            changed = True
        error = getattr(result, "error_in_exec", None) if result is not None else None
        extra = None
        if error is not None:
            extra = "\n".join(f"{type(e).__name__}: {e}" for e in _chain(error))
        if changed:
            self._after_install(cell, self.tap.finish(extra))
            return
        text = self.tap.finish(extra)
        if text is None:
            return
        report = self._full_check(outputs={cell: text}, with_notebook=False, extend_select="ALL")
        # this cell's findings; advice only when it rests on what the cell printed
        mine = [g for g in report.groups if cell in g.cells and (g.severity != "info" or cell in g.output_cells)]
        if report.error:
            self._show(report, [], "output")
            return
        if mine:
            first = next((h for h in self.tap.hits if h.strip()), "").strip().splitlines()[-1:]
            heading = f"In [{cell}] printed: {first[0][:200]}" if first else None
            for g in mine:
                self.shown.add(g.key())
            self._display(_render.bundle(mine, None, heading))

    def _after_install(self, cell: int, text: str | None) -> None:
        before = self.snap
        self._resolve_pending(before, changed_cell=cell)
        self._rescan()
        restart = []
        for key, (version, module, first_cell, mt) in sorted(self.imported.items()):
            d = self.snap.dists.get(key) if self.snap else None
            now_version = d.version if d else None
            now_mt = _mtime(d.path) if d else None
            mark = (key, now_version, now_mt)
            if mark in self.restart_reported:
                continue
            if now_version is None:
                self.restart_reported.add(mark)
                restart.append(self._restart_group(None, version, module, cell, name=key))
            elif not _same_version(now_version, version):
                self.restart_reported.add(mark)
                restart.append(self._restart_group(d, version, module, cell))
            elif mt and now_mt and now_mt != mt and before is not None and (before.dists.get(key) is None or before.dists[key].path != d.path or _mtime(before.dists[key].path) != now_mt):
                self.restart_reported.add(mark)
                restart.append(self._restart_group(d, version, module, cell, reinstalled=True))
        report = self._full_check(outputs={cell: text} if text else None)
        if report.error:
            self._show(report, [], "installed")
            return
        previous = set(self.shown)
        now_keys = {g.key() for g in report.groups}
        gone = sorted({k[0] for k in previous if k[0] != "NB001"} - {k[0] for k in now_keys})
        self._show(report, restart + report.groups, "after the install")
        if gone:
            self.shown = {k for k in self.shown if k[0] not in gone}
            self._display(_render.message_bundle(f"tunelint: no longer found with the versions now installed: {', '.join(gone)}"))

    def _restart_group(self, d, imported: str, module: str, cell: int | None, name: str | None = None,
                       reinstalled: bool = False) -> Group:
        kb = self.checker.advisories().get("NB001") or {}
        pkg = d.name if d is not None else name or module
        if d is None:
            message = f"{pkg} {imported} is imported, and it is no longer installed: restart the runtime"
        elif reinstalled:
            message = f"{pkg} {imported} is imported, and {d.version} was reinstalled since: restart the runtime to load the new files"
        else:
            message = f"{pkg} {imported} is imported, {d.version} is installed: restart the runtime"
        versions = [(pkg, imported, f"imported in this kernel (`import {module}`)")]
        if d is not None:
            versions.append((pkg, d.version, f"installed, {d.path}"))
        refs = kb.get("references") or []
        g = Group(
            code="NB001", severity=kb.get("severity") or "warning",
            title=kb.get("title") or "A package installed after it was imported is not loaded until the runtime restarts",
            message=message, versions=versions,
            places=[f"In [{cell}]"] if cell else ["before tunelint was loaded"],
            fixes=[Fix("Restart the runtime, then run the cells again from the top (skip the install cells that already ran)",
                       note="Colab: Runtime ▸ Restart session; Kaggle: Run ▸ Restart & clear cell outputs; Jupyter: Kernel ▸ Restart")],
            reference=refs[0] if refs else None,
        )
        if cell:
            g.cells.add(cell)
        return g


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except Exception:
        return None


def _chain(error):
    seen = 0
    while error is not None and seen < 5:
        yield error
        seen += 1
        error = error.__cause__ or error.__context__


def load_ipython_extension(shell) -> None:
    global _extension
    if _extension is not None:
        _extension.unload()
    _extension = Extension(shell)
    _extension.load()


def unload_ipython_extension(shell) -> None:
    global _extension
    if _extension is not None:
        _extension.unload()
        _extension = None
