"""Literal needles for the per-cell output pre-filter.

A symptom pattern of the knowledge base (`[[symptoms]] pattern = '...'` in `advisories/*.md`)
can only match a line that contains one of its *needles*: literal text that every match of the
pattern contains. The kernel extension scans what a cell prints for these needles in Python
(a substring search, no process) and runs the binary only when one is there, which keeps the
cost of a cell that printed nothing interesting far below a millisecond.

The needles come from the binary the package was installed with: `tunelint advisories
--format json` lists each advisory's `symptoms` with their `literals`, the very literals its
own Aho-Corasick pre-filter uses (`kb/symptom_index.rs`), so custom `--advisories` count too
and nothing here can go stale. A symptom exported without literals (none today; a test keeps
it so) falls back to `extract`, which reads Rust-regex syntax through Python's own regex
parser.

This module is pure standard library.
"""

from __future__ import annotations

import json
import re
import sys

try:  # Python 3.11+
    import re._parser as _sre_parse  # type: ignore[import-not-found]
    import re._constants as _sre_c  # type: ignore[import-not-found]
except ImportError:  # Python 3.8-3.10
    import sre_parse as _sre_parse  # type: ignore[no-redef]
    import sre_constants as _sre_c  # type: ignore[no-redef]

MIN_NEEDLE = 3

_LITERAL = _sre_c.LITERAL
_SUBPATTERN = _sre_c.SUBPATTERN
_BRANCH = _sre_c.BRANCH
_MAX_REPEAT = _sre_c.MAX_REPEAT
_MIN_REPEAT = _sre_c.MIN_REPEAT
_AT = _sre_c.AT
_IGNORECASE = _sre_c.SRE_FLAG_IGNORECASE


def _best(items) -> list[str] | None:
    """The best needle set of a sequence of parsed items: the longest run of literals, or the
    needles of a group or alternation inside it; None when nothing of MIN_NEEDLE is certain."""
    candidates: list[list[str]] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= MIN_NEEDLE:
            candidates.append(["".join(run)])
        run.clear()

    for op, av in items:
        if op is _LITERAL:
            run.append(chr(av))
            continue
        if op is _AT:  # ^, $, \b: zero-width, the run goes on across it
            continue
        if op is _SUBPATTERN:
            inner = av[-1]
            if len(av) == 4 and av[1] & _IGNORECASE:  # (?i:...): no case-exact literal inside
                flush()
                continue
            # A group of pure literals continues the run (`(?:Accelerator\.)` is optional, so
            # only when it is not repeated, which is the case here: repeats are MAX_REPEAT).
            if all(o is _LITERAL for o, _ in inner):
                run.extend(chr(a) for _, a in inner)
                continue
            flush()
            sub = _best(list(inner))
            if sub:
                candidates.append(sub)
            continue
        if op is _BRANCH:
            flush()
            alternatives = []
            for branch in av[1]:
                sub = _best(list(branch))
                if not sub:
                    alternatives = None
                    break
                alternatives.extend(sub)
            if alternatives:
                candidates.append(alternatives)
            continue
        if op in (_MAX_REPEAT, _MIN_REPEAT):
            lo, _hi, inner = av
            flush()
            if lo >= 1:
                sub = _best(list(inner))
                if sub:
                    candidates.append(sub)
            continue
        flush()
    flush()
    if not candidates:
        return None
    # The set whose shortest needle is longest (fewest false hits), then the smallest set.
    return max(candidates, key=lambda c: (min(len(n) for n in c), -len(c)))


def extract(pattern: str) -> list[str] | None:
    """Needles for one pattern (any one of them is in every line the pattern matches), or None
    when the pattern has none that Python can establish."""
    flags = 0
    text = pattern
    if text.startswith("(?i)"):
        return None  # case-insensitive: a literal needle would miss other cases
    try:
        parsed = _sre_parse.parse(text, flags)
    except Exception:  # a Rust-only construct: no needle (the generator reports it)
        return None
    return _best(list(parsed))


def needles_from_export(advisories_json: dict) -> list[str] | None:
    """Needles from `tunelint advisories --format json` when it exports symptom literals
    (`advisories[].symptoms[].literals`); None when it does not (today's binary)."""
    out: set[str] = set()
    seen_symptoms = False
    for advisory in advisories_json.get("advisories", []):
        symptoms = advisory.get("symptoms")
        if symptoms is None:
            continue
        seen_symptoms = True
        for symptom in symptoms:
            literals = symptom.get("literals")
            if literals:
                out.update(lit for lit in literals if isinstance(lit, str) and lit)
            else:
                found = extract(symptom.get("pattern", ""))
                if found:
                    out.update(found)
    return sorted(out) if seen_symptoms else None
