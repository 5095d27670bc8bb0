"""Cost of `%load_ext tunelint` (issue 20): the time it adds to a cell that installs nothing, and a
full check of a 1,000-distribution environment. Not a timed test: it prints figures.

    TUNELINT_BINARY=target/release/tunelint PYTHONPATH=python \\
        ~/.cache/tunelint-kernel/venv-3.11/bin/python bench/kernel.py

(any Python with IPython; tests/kernel/run.sh creates that venv). Per cell: an in-process
IPython shell runs the same cells with and without the extension, alternating rounds; the
figure is the difference of the medians. Full check: a generated site directory of 1,000
distributions (the founding pair among them) on sys.path, then the extension's own rescan and
check (importlib.metadata over sys.path, the snapshot file, one request to the resident
`tunelint check-service` with the session's cells); median of 15 runs, the first (which starts
the service) reported apart; once with site-packages unchanged for an hour, once with it
changed before every check (as after an install: read again).
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "kernel"))
import fixtures  # noqa: E402


def make_big_site(directory: str, n: int = 1000) -> None:
    versions = dict(fixtures.FOUNDING)
    for i in range(n - len(versions)):
        versions[f"pkg-{i:04d}"] = f"1.{i % 50}.{i % 7}"
    fixtures.make_site(directory, versions)


def per_cell(shell, cells: list[str], rounds: int = 7, reps: int = 200) -> list[float]:
    out = []
    for _ in range(rounds):
        shell.history_manager.reset(new_session=False)  # IPython's own cost grows with its history
        t0 = time.perf_counter()
        for _ in range(reps):
            for c in cells:
                shell.run_cell(c, store_history=True)
        out.append((time.perf_counter() - t0) / (reps * len(cells)))
    return out


def main() -> int:
    from IPython.core.interactiveshell import InteractiveShell

    work = tempfile.mkdtemp(prefix="tunelint-bench-")
    site = os.path.join(work, "site")
    make_big_site(site)
    sys.path.insert(0, site)

    shell = InteractiveShell.instance()
    import tunelint._kernel as k

    # the full check of 1,000 distributions, first, in a session of a notebook's size (the
    # per-cell rounds below run thousands of cells, which a real session does not hold)
    for c in ["import os", "from unsloth import FastLanguageModel"] + [f"step_{i} = {i}" for i in range(40)]:
        shell.run_cell(c, store_history=True)
    ext = k.Extension(shell)

    def full_checks(before_each) -> tuple[list[float], float]:
        times = []
        for i in range(16):
            before_each(i)
            t0 = time.perf_counter()
            ext._rescan()
            report = ext._full_check(with_notebook=False)
            times.append(time.perf_counter() - t0)
        assert report.error is None and report.distributions >= 1000, (report.error, report.distributions)
        before_each(16)
        t0 = time.perf_counter()
        ext._rescan()
        return times, time.perf_counter() - t0, report

    # `%tunelint`, or a cell that ran pip without changing anything: site-packages unchanged
    # for a while (an hour ago)
    hour_ago = time.time() - 3600
    unchanged, scan, report = full_checks(lambda i: os.utime(site, (hour_ago, hour_ago)))
    # right after an install: the directory changed (a different mtime each time), read again
    changed, scan_changed, _ = full_checks(lambda i: os.utime(site, (hour_ago + i + 1, hour_ago + i + 1)))
    print(f"full check, {report.distributions} distributions: first {unchanged[0] * 1000:.0f} ms (starts the "
          f"binary), then median {statistics.median(unchanged[1:]) * 1000:.0f} ms (min "
          f"{min(unchanged[1:]) * 1000:.0f} ms; of which reading the environment {scan * 1000:.1f} ms); "
          f"findings: {', '.join(g.code for g in report.groups) or 'none'}")
    print(f"full check right after an install (site-packages changed): median "
          f"{statistics.median(changed[1:]) * 1000:.0f} ms (min {min(changed[1:]) * 1000:.0f} ms; of which "
          f"reading the environment {scan_changed * 1000:.1f} ms) (target for both: ≤ 50 ms)")
    ext.checker.close()

    # quiet: the shell's stdout goes to a buffer the benchmark throws away
    real_stdout = sys.stdout
    cells = ["x = 1", "y = [i * i for i in range(100)]", "print('step', 1, 'loss', 0.25)"]

    base, loaded = [], []
    sys.stdout = io.StringIO()
    try:
        per_cell(shell, cells, rounds=1, reps=20)  # warm up
        for _ in range(5):
            base += per_cell(shell, cells, rounds=1)
            k.load_ipython_extension(shell)
            loaded += per_cell(shell, cells, rounds=1)
            k.unload_ipython_extension(shell)
            sys.stdout = io.StringIO()
    finally:
        sys.stdout = real_stdout
    b, l = statistics.median(base) * 1e6, statistics.median(loaded) * 1e6
    print(f"per cell, no install line: {b:.1f} µs without the extension, {l:.1f} µs with it: +{l - b:.1f} µs "
          f"(target ≤ 1000 µs)")

    # a cell that prints 1 MB of training-log lines (no symptom)
    line = "{'loss': 1.2345, 'grad_norm': 0.5, 'learning_rate': 0.0002, 'epoch': 0.01}\n"
    from tunelint._check import Checker
    from tunelint._needles import needles_from_export

    tap = k._Tap(tuple(needles_from_export(Checker().advisories()["__raw__"]) or ()))
    text = line * (1_000_000 // len(line))
    t0 = time.perf_counter()
    for i in range(0, len(text), 4096):
        tap.see(text[i:i + 4096])
    print(f"output scan: {(time.perf_counter() - t0) * 1000:.1f} ms per MB printed ({len(tap.needles)} needles)")

    return 0


if __name__ == "__main__":
    sys.exit(main())
