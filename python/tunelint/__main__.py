"""`python -m tunelint ARGS`: the bundled binary with the same arguments, exit code and streams."""

from __future__ import annotations

import os
import subprocess
import sys


def main(argv: list[str] | None = None) -> int:
    from ._binary import BinaryNotFound, find_binary

    args = sys.argv[1:] if argv is None else argv
    try:
        binary = find_binary()
    except BinaryNotFound as e:
        print(f"tunelint: {e}", file=sys.stderr)
        return 2
    if os.name == "posix" and argv is None:
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(binary, [binary, *args])  # the process becomes the binary: signals, stdin, exit code
    return subprocess.call([binary, *args])


if __name__ == "__main__":
    sys.exit(main())
