#!/usr/bin/env python3
"""What a user sees by default on real notebooks, and what `--extend-select ALL` adds.

Checks the `nb__*` and `original_template__*` notebooks of a corpus (default
`../shared/corpus/notebooks`) with `tunelint check --isolated --format json`, once with the
default set and once widened, and prints the findings per notebook split by severity, then every
finding shown by default (code, file, line, message) for review.

    python3 bench/default_set.py [--tunelint target/release/tunelint] [--corpus DIR]
"""
import argparse
import collections
import json
import pathlib
import subprocess
import sys


def check(tunelint, files, widen):
    args = [tunelint, "check", "--isolated", "--exit-zero", "--format", "json"]
    if widen:
        args += ["--extend-select", "ALL"]
    out = subprocess.run(args + [str(f) for f in files], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["findings"]


def main():
    here = pathlib.Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tunelint", default=str(here / "target/release/tunelint"))
    parser.add_argument("--corpus", default=str(here.parent / "shared/corpus/notebooks"))
    args = parser.parse_args()
    corpus = pathlib.Path(args.corpus)
    files = sorted(corpus.glob("nb__*.ipynb")) + sorted(corpus.glob("original_template__*.ipynb"))
    if not files:
        sys.exit(f"no nb__* or original_template__* notebooks in {corpus}")
    print(f"{len(files)} notebooks in {corpus}")
    print(f"{'set':<10} {'per notebook':>12} {'errors':>7} {'warnings':>9} {'infos':>6}")
    default = []
    for name, widen in (("default", False), ("widened", True)):
        findings = [f for f in check(args.tunelint, files, widen) if f["path"].endswith(".ipynb")]
        by = collections.Counter(f["severity"] for f in findings)
        print(
            f"{name:<10} {len(findings) / len(files):>12.2f} {by['error']:>7} {by['warning']:>9} {by['info']:>6}"
        )
        if not widen:
            default = findings
    print("\nShown by default:")
    for f in default:
        where = f"{pathlib.Path(f['path']).name}:{f.get('cell') or ''}:{f['start']['line']}"
        print(f"  {f['code']} [{f['severity']}] {where}: {f['message'][:160]}")


if __name__ == "__main__":
    main()
