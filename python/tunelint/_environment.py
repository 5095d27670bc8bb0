"""The live environment: what the running interpreter would import, read from its own `sys.path`.

`snapshot()` walks `importlib.metadata.distributions(path=sys.path)` (the interpreter's own
finders, so exactly the directories this process imports from, in its order: the first
distribution of a name wins, as in an import) and reads each one's name and version from the
head of its METADATA (the lines before the description; the email parser reads the whole file
and is ten times slower on a big environment). A distribution whose metadata cannot be read is
skipped and counted, never raised. The result is written for the binary's `--env-file` as
`{"python": "3.11.7", "packages": [...]}` (the packages as `pip list --format=json` writes
them), so advisories with conditions on the interpreter apply too.

`owner_of(module)` says which distribution provides an imported top-level module, for the
restart check: by its name first (`peft` is provided by `peft`, `unsloth_zoo` by
`unsloth-zoo`), then by the distributions' `top_level.txt`, then by their RECORD.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field

_NORMALIZE = re.compile(r"[-_.]+")
_EDITABLE = re.compile(rb'"editable"\s*:\s*true')


def normalize(name: str) -> str:
    return _NORMALIZE.sub("-", name).lower()


@dataclass
class Dist:
    name: str  # as its metadata writes it
    version: str
    path: str  # the .dist-info / .egg-info directory (or file)
    editable: bool = False


@dataclass
class Snapshot:
    dists: dict[str, Dist] = field(default_factory=dict)  # normalized name -> Dist
    broken: list[str] = field(default_factory=list)  # metadata paths that could not be read

    def version(self, name: str) -> str | None:
        d = self.dists.get(normalize(name))
        return d.version if d else None

    def env_file_json(self) -> str:
        items = []
        for d in sorted(self.dists.values(), key=lambda d: normalize(d.name)):
            item = {"name": d.name, "version": d.version}
            if d.editable:
                item["editable_project_location"] = d.path
            items.append(item)
        python = "%d.%d.%d" % sys.version_info[:3]
        return json.dumps({"python": python, "packages": items})


def _head(path: str) -> tuple[str | None, str | None]:
    """Name and Version from the header block of a METADATA / PKG-INFO file."""
    name = version = None
    with open(path, "rb") as f:
        data = f.read(16384)
    end = data.find(b"\n\n")
    if end >= 0:
        data = data[:end]
    for raw in data.split(b"\n"):
        if raw.startswith(b"Name:") and name is None:
            name = raw[5:].strip().decode("utf-8", "replace")
        elif raw.startswith(b"Version:") and version is None:
            version = raw[8:].strip().decode("utf-8", "replace")
        if name is not None and version is not None:
            break
    return name, version


_cache: dict[tuple[str, int], tuple[str, str, bool]] = {}


def _read(dist) -> tuple[str, str, str, bool]:
    base = getattr(dist, "_path", None)
    location = str(base) if base is not None else "?"
    if base is not None:
        try:
            st = os.stat(location)
        except OSError:
            st = None
        if st is not None:
            key = (location, st.st_mtime_ns)
            hit = _cache.get(key)
            if hit is not None:
                return hit[0], hit[1], location, hit[2]
            name = version = None
            editable = False
            if location.endswith(".dist-info"):
                try:
                    name, version = _head(location + "/METADATA")
                except OSError:
                    pass
                try:
                    with open(location + "/direct_url.json", "rb") as f:
                        editable = _EDITABLE.search(f.read(65536)) is not None
                except OSError:
                    pass
            elif os.path.isdir(location):
                try:
                    name, version = _head(os.path.join(location, "PKG-INFO"))
                except OSError:
                    pass
            else:  # a single-file .egg-info
                try:
                    name, version = _head(location)
                except OSError:
                    pass
            if name and version:
                _cache[key] = (name, version, editable)
                return name, version, location, editable
    # anything unusual: ask importlib itself (and let it raise for a broken one)
    meta = dist.metadata
    name = meta["Name"] if meta is not None else None
    version = dist.version
    if not name or not version or not isinstance(name, str) or not isinstance(version, str):
        raise ValueError("no Name or Version")
    return name.strip(), version.strip(), location, False


def snapshot(path: list[str] | None = None) -> Snapshot:
    from importlib.metadata import distributions

    path = list(sys.path if path is None else path)
    snap = Snapshot()
    try:
        for dist in distributions(path=path):
            try:
                name, version, location, editable = _read(dist)
            except Exception:
                snap.broken.append(str(getattr(dist, "_path", "?")))
                continue
            key = normalize(name)
            if key not in snap.dists:
                snap.dists[key] = Dist(name, version, location, editable)
    except Exception as e:  # a finder that fails half-way: keep what was read
        snap.broken.append(f"(discovery stopped: {type(e).__name__}: {e})")
    return snap


def site_dirs(path: list[str] | None = None) -> list[str]:
    """The sys.path directories that exist (their mtimes change when pip adds or removes a
    distribution)."""
    out = []
    for p in sys.path if path is None else path:
        try:
            if p and os.path.isdir(p):
                out.append(p)
        except Exception:
            pass
    return out


def mtimes(dirs: list[str]) -> tuple:
    out = []
    for d in dirs:
        try:
            out.append(os.stat(d).st_mtime_ns)
        except OSError:
            out.append(None)
    return tuple(out)


class Owners:
    """Top-level module name -> normalized distribution name, built on demand."""

    def __init__(self, snap: Snapshot):
        self.snap = snap
        self._top_level: dict[str, str] | None = None
        self._record: dict[str, str] | None = None

    def owner(self, module: str) -> str | None:
        key = normalize(module)
        if key in self.snap.dists:
            return key
        if self._top_level is None:
            self._top_level = {}
            for k, d in self.snap.dists.items():
                try:
                    with open(os.path.join(d.path, "top_level.txt"), encoding="utf-8") as f:
                        for line in f:
                            line = line.strip()
                            if line:
                                self._top_level.setdefault(line, k)
                except (OSError, UnicodeDecodeError):
                    pass
        if module in self._top_level:
            return self._top_level[module]
        if self._record is None:
            self._record = {}
            for k, d in self.snap.dists.items():
                try:
                    with open(os.path.join(d.path, "RECORD"), encoding="utf-8", errors="replace") as f:
                        for line in f:
                            first = line.split(",", 1)[0]
                            top = first.split("/", 1)[0]
                            if top.endswith(".py"):
                                top = top[:-3]
                            if top and not top.endswith((".dist-info", ".data")) and top != "..":
                                self._record.setdefault(top, k)
                except (OSError, UnicodeDecodeError):
                    pass
        return self._record.get(module)
