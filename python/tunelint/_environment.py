"""The live environment: what the running interpreter would import, read from its own `sys.path`.

`snapshot()` walks `importlib.metadata.distributions(path=sys.path)` (the interpreter's own
finders, so exactly the directories this process imports from, in its order: the first
distribution of a name wins, as in an import; a directory whose mtime has not changed since it
was read is not read again) and reads each one's name and version from the head of its METADATA (the lines before the description; the email parser reads the whole file
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
import stat
import sys
import time
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
        # the same distributions (a rescan of unchanged directories keeps their objects) give
        # the same text
        global _last_json
        dists = tuple(self.dists.values())
        if _last_json is not None and len(_last_json[0]) == len(dists) and all(
                a is b for a, b in zip(_last_json[0], dists)):
            return _last_json[1]
        items = []
        for d in sorted(self.dists.values(), key=lambda d: normalize(d.name)):
            item = {"name": d.name, "version": d.version}
            if d.editable:
                item["editable_project_location"] = d.path
            items.append(item)
        python = "%d.%d.%d" % sys.version_info[:3]
        text = json.dumps({"python": python, "packages": items})
        _last_json = (dists, text)
        return text


_last_json: tuple[tuple[Dist, ...], str] | None = None


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
    return _read_at(str(base) if base is not None else None, dist)


def _read_at(location: str | None, dist=None) -> tuple[str, str, str, bool]:
    """Name, version, location and editability of the distribution whose metadata is at
    `location`, from the head of its METADATA (kept per location and mtime); anything unusual
    is asked of importlib itself, which raises for a broken one."""
    if location is not None:
        try:
            st = os.stat(location)
        except OSError:
            st = None
        if st is not None:
            key = (os.path.abspath(location), st.st_mtime_ns)
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
    if dist is None:
        import pathlib
        from importlib.metadata import PathDistribution

        dist = PathDistribution(pathlib.Path(location or "?"))
    meta = dist.metadata
    name = meta["Name"] if meta is not None else None
    version = dist.version
    if not name or not version or not isinstance(name, str) or not isinstance(version, str):
        raise ValueError("no Name or Version")
    return name.strip(), version.strip(), location or "?", False


# A sys.path directory (absolute, and as written) -> (its mtime, its distributions in
# importlib's order, the metadata paths it could not read). Installing, upgrading or removing a
# distribution creates or deletes a `.dist-info` entry, which changes the directory's mtime; an
# unchanged directory is not read again (1,000 distributions: 13 ms -> 1 ms).
_dirs: dict[tuple[str, str], tuple[int, list[tuple[str, Dist]], list[str]]] = {}
# A directory changed this recently may change again within the same tick of a coarse clock
# (FAT, some network file systems): it is read again next time ("racy git").
_RACY_NS = 2_000_000_000


def _read_all(dists) -> tuple[list[tuple[str, Dist]], list[str]]:
    """Each distribution with its normalized name, and the metadata paths that could not be read."""
    found, broken = [], []
    for dist in dists:
        try:
            name, version, location, editable = _read(dist)
        except Exception:
            broken.append(str(getattr(dist, "_path", "?")))
            continue
        found.append((normalize(name), Dist(name, version, location, editable)))
    return found, broken


def _list_directory(entry: str, where: str) -> tuple[list[tuple[str, Dist]], list[str]]:
    """What importlib's path finder finds in a plain directory (its `.dist-info` and `.egg-info`
    children, in listing order), read without it: building importlib's paths costs more than
    the reading (1,000 distributions: 15 ms against 5 ms, most of it a stat each). A
    distribution read before, at the same place and mtime, is the same object as before."""
    found, broken = [], []
    for child in os.listdir(where):
        if not child.lower().endswith((".dist-info", ".egg-info")):
            continue
        location = os.path.join(entry, child) if entry else child
        # kept by absolute path (`""` on sys.path is whatever directory is current) and by the
        # location as written (the same directory may be on sys.path as `""` and by name)
        key = (os.path.join(where, child), location)
        try:
            st = os.stat(key[0])
        except OSError:
            continue  # gone since the listing
        known = _known.get(key)
        if known is not None and known[0] == st.st_mtime_ns:
            found.append(known[1])
            continue
        try:
            name, version, location, editable = _read_at(location)
        except Exception:
            broken.append(location)
            continue
        item = (normalize(name), Dist(name, version, location, editable))
        _known[key] = (st.st_mtime_ns, item)
        found.append(item)
    return found, broken


# (A metadata directory's absolute path, its location as written) -> (its mtime, its
# distribution), for `_list_directory`.
_known: dict[tuple[str, str], tuple[int, tuple[str, Dist]]] = {}


def _directory(entry: str) -> tuple[list[tuple[str, Dist]], list[str]]:
    """The distributions of one sys.path entry, as importlib's path finder finds them."""
    from importlib.metadata import DistributionFinder, MetadataPathFinder

    def read() -> tuple[list[tuple[str, Dist]], list[str]]:
        return _read_all(MetadataPathFinder.find_distributions(DistributionFinder.Context(path=[entry])))

    where = os.path.abspath(entry or ".")
    try:
        st = os.stat(where)
    except OSError:
        return read()
    if not stat.S_ISDIR(st.st_mode):  # a zip file: importlib reads it
        return read()
    key = (where, entry)  # the locations read are written as the entry is
    hit = _dirs.get(key)
    if hit is not None and hit[0] == st.st_mtime_ns:
        return hit[1], hit[2]
    if where.lower().endswith(".egg"):  # an egg's EGG-INFO: importlib reads it
        found, broken = read()
    else:
        try:
            found, broken = _list_directory(entry, where)
        except OSError:
            found, broken = read()
    if time.time_ns() - st.st_mtime_ns > _RACY_NS:
        _dirs[key] = (st.st_mtime_ns, found, broken)
    else:
        _dirs.pop(key, None)
    return found, broken


def snapshot(path: list[str] | None = None) -> Snapshot:
    """What `importlib.metadata.distributions(path=...)` finds, in its order: every finder on
    `sys.meta_path` asked in turn, the path finder's part read per directory (and kept while
    the directory is unchanged)."""
    import importlib.machinery
    from importlib.metadata import DistributionFinder

    path = list(sys.path if path is None else path)
    snap = Snapshot()

    def add(found: list[tuple[str, Dist]], broken: list[str]) -> None:
        snap.broken.extend(broken)
        for key, d in found:
            if key not in snap.dists:
                snap.dists[key] = d

    try:
        for finder in list(sys.meta_path):
            if finder is importlib.machinery.PathFinder:
                for entry in path:
                    if isinstance(entry, str):
                        add(*_directory(entry))
                continue
            find = getattr(finder, "find_distributions", None)
            if find is not None:
                add(*_read_all(find(DistributionFinder.Context(path=path))))
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
