"""tunelint in the Python process: `%load_ext tunelint` in a notebook, `tunelint.guard()` in a
script, `python -m tunelint` for the CLI.

Design (issue 20), and why:

* **The bundled binary, run as a subprocess, does every full check.** The wheel holds this
  package and the `tunelint` binary side by side (maturin's mixed layout with
  `bindings = "bin"`), so they always come from the same build and the knowledge base has one
  implementation: the same checker the CLI, CI and the editors run, with no second copy of the
  matching rules in Python and no native module to build per Python version (one wheel serves
  3.10-3.13, and any later Python). A check costs one process start (about 10 ms) plus the check
  itself, and it runs only when something changed: on load, after a cell that installed
  something (or changed a `sys.path` directory), on `%tunelint`, and when a cell's output holds
  a symptom.
* **Nothing runs per cell otherwise.** Output is scanned in Python for literal *needles* taken
  from the knowledge base's symptom patterns (the literals the binary's own pre-filter uses,
  read once from `tunelint advisories --format json`), and the binary runs only when one is
  there. A cell that
  installed nothing and printed no needle costs a regex over its text, a stat per `sys.path`
  directory and a length check of `sys.modules` (`bench/kernel.py`).
* **The environment is the interpreter's own.** `importlib.metadata.distributions(path=sys.path)`
  lists exactly what this process imports from, with exact versions; it is passed to the
  binary as a `pip list --format=json` snapshot (`--env-file`), so the binary discovers
  nothing. A distribution with broken metadata is skipped and counted, never raised.
* **Restarts are seen, not guessed.** The version of every distribution whose module is
  imported is recorded when the import is first seen; after an install, a different version
  (or a reinstall) on disk is NB001 with live facts: "peft 0.11.1 is imported, 0.12.0 is
  installed: restart the runtime".
* **Never a fix, never the network, never an exception into a cell.** Fixes are shown as text
  to copy; the binary reads only the files it is given; every hook catches everything and says
  at most one short line.

Only the standard library is imported here; IPython is imported only by the extension.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["guard", "check", "TunelintError", "load_ipython_extension", "unload_ipython_extension", "__version__"]

_SEVERITIES = ("error", "warning", "info")


class TunelintError(RuntimeError):
    """Raised by `guard()` when an advisory at or above its level matches this environment."""

    def __init__(self, message: str, report=None):
        super().__init__(message)
        self.report = report


def check(script: str | None = None, *, where: str = "this interpreter"):
    """Checks the live environment (and `script`, when given) and returns the report: a list of
    groups, one per advisory, in `report.groups`."""
    from ._check import Checker
    from ._environment import snapshot

    checker = Checker(where)
    try:
        return checker.check(snapshot(), script=script)
    finally:
        checker.close()


def _main_script() -> str | None:
    import os
    import sys

    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if isinstance(path, str) and path.endswith(".py") and os.path.isfile(path):
        return os.path.abspath(path)
    return None


def guard(action: str = "raise", level: str = "warning", script: str | bool | None = True):
    """Checks the environment this script runs in before anything heavy is imported.

    At the top of `train.py`:

        import tunelint; tunelint.guard()

    `action="raise"` raises `TunelintError` when an advisory at `level` or above matches;
    `action="warn"` issues a `UserWarning` instead. The default level is "warning", as
    `tunelint check`'s default fail level: the founding case (UNS001) is a warning, since the run
    goes on, slower and heavier, and that is the GPU hour a guard is there to save;
    `level="error"` stops only runs that fail or train wrongly. `script=True` also checks the running script's own code (its imports and calls);
    pass a path, or False for the environment alone. tunelint itself failing (no binary, a
    broken environment) is a warning, never an exception: a guard must not stop a run that it
    cannot judge. Returns the report.
    """
    import warnings

    if action not in ("raise", "warn"):
        raise ValueError('guard(action=...) takes "raise" or "warn"')
    if level not in _SEVERITIES:
        raise ValueError(f"guard(level=...) takes one of {', '.join(_SEVERITIES)}")
    path = _main_script() if script is True else (script or None)
    try:
        report = check(path)
    except Exception as e:  # the guard could not judge: say so, let the run go on
        warnings.warn(f"tunelint.guard() could not check this environment: {type(e).__name__}: {e}", UserWarning, stacklevel=2)
        return None
    if report.error:
        warnings.warn(f"tunelint.guard(): {report.error}", UserWarning, stacklevel=2)
        return report
    limit = _SEVERITIES.index(level)
    hits = [g for g in report.groups if g.severity in _SEVERITIES and _SEVERITIES.index(g.severity) <= limit]
    if not hits:
        return report
    from ._render import group_text

    text = "tunelint found known incompatibilities in this environment:\n\n" + "\n\n".join(group_text(g) for g in hits)
    if action == "raise":
        raise TunelintError(text, report)
    warnings.warn(text, UserWarning, stacklevel=2)
    return report


def load_ipython_extension(ipython) -> None:
    """`%load_ext tunelint`."""
    try:
        from ._kernel import load_ipython_extension as load

        load(ipython)
    except Exception as e:  # never an exception into the user's cell
        print(f"tunelint: could not load the extension ({type(e).__name__}: {e})")


def unload_ipython_extension(ipython) -> None:
    """`%unload_ext tunelint`."""
    try:
        from ._kernel import unload_ipython_extension as unload

        unload(ipython)
    except Exception as e:
        print(f"tunelint: could not unload cleanly ({type(e).__name__}: {e})")
