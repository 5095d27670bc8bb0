#!/usr/bin/env python3
"""Regenerate advisories/releases/*.toml: what PyPI says about each release of the tracked packages.

For every final (and post) release of each package in TRACKED this records its version, its
upload date (the earliest upload time of its files, UTC), whether it is yanked (all its files
are), and the Requires-Dist entries of its metadata that name a tracked package: the whole
PEP 508 string, markers included, with the name normalised as PEP 503 says. To keep the data
small, dev, alpha, beta and rc releases are left out, and so are entries under an extra not
named after a tracked package (transformers[torch] and trl[peft] stay; dev, test, all and
unsloth's cu121-torch240-style matrix go: --all-extras keeps them, ~6 MB instead of ~0.4 MB).

    python3 scripts/release_index.py                       # every tracked package
    python3 scripts/release_index.py --package xformers    # just one (repeatable)
    python3 scripts/release_index.py --cache DIR --out DIR

Standard library only (Python 3.11+). It needs nothing but a package index: the release list
comes from PyPI's JSON API (https://pypi.org/pypi/NAME/json). A release's requirements are
read from the first of these that works, for one chosen wheel (Linux x86_64 first, the usual
fine-tuning target, then a pure-Python wheel, then any):
  1. the wheel's core metadata file (PEP 658, URL + ".metadata") where the index serves it;
  2. the wheel's .dist-info/METADATA, read out of the remote zip with HTTP range requests
     (a few small requests, never the whole wheel);
  3. info.requires_dist of https://pypi.org/pypi/NAME/VERSION/json (switched off for the
     run after its first 404: some mirrors do not serve it);
  4. the sdist (releases without wheels): PKG-INFO when it is PEP 643 static metadata, else
     *.egg-info/requires.txt, else whatever Requires-Dist PKG-INFO lists;
  5. `pip install --dry-run --no-deps --report`, when the release's smallest file is small
     enough to download whole.
If all fail the release gets `requires_known = false`.

Release files on PyPI never change, so what each release's metadata says is cached for good
in the cache directory (default ~/.cache/tunelint-release-index); the per-package release
lists are refetched when older than --index-ttl seconds (yanks change them), so a warm run
makes at most one request per package. Delete DIR/meta/NAME to re-read a package's metadata.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as _dt
import email.parser
import http.client
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from urllib.parse import urljoin

# The packages whose releases are indexed, and whose names are kept in `requires`.
TRACKED = [
    "torch",
    "torchvision",
    "torchaudio",
    "xformers",
    "triton",
    "unsloth",
    "unsloth_zoo",
    "trl",
    "peft",
    "transformers",
    "accelerate",
    "bitsandbytes",
    "datasets",
    "vllm",
    "flash-attn",
]

INDEX_URL = "https://pypi.org/pypi/{name}/json"
VERSION_URL = "https://pypi.org/pypi/{name}/{version}/json"
USER_AGENT = "tunelint-release-index/1 (scripts/release_index.py)"
CACHE_FORMAT = 1  # bump to invalidate the cached per-release metadata
REPO = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = Path.home() / ".cache" / "tunelint-release-index"
DEFAULT_OUT = REPO / "advisories" / "releases"
COMMAND = "python3 scripts/release_index.py"


def normalize(name: str) -> str:
    """PEP 503: lower case, runs of -_. become one -."""
    return re.sub(r"[-_.]+", "-", name).lower()


TRACKED_NORMALIZED = {normalize(n) for n in TRACKED}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- versions

try:  # pip is always there with CPython; its vendored packaging is the real PEP 440
    from pip._vendor.packaging.version import InvalidVersion, Version  # type: ignore
except ImportError:  # pragma: no cover - a Python without pip
    try:
        from packaging.version import InvalidVersion, Version  # type: ignore
    except ImportError:
        Version = None  # type: ignore[assignment,misc]
        InvalidVersion = ValueError  # type: ignore[assignment,misc]

_PEP440 = re.compile(
    r"""^v?(?:(?P<epoch>\d+)!)?(?P<release>\d+(?:\.\d+)*)
    (?P<pre>[-_.]?(?P<pre_l>alpha|beta|preview|pre|a|b|c|rc)[-_.]?(?P<pre_n>\d+)?)?
    (?P<post>-(?P<post_n1>\d+)|[-_.]?(?:post|rev|r)[-_.]?(?P<post_n2>\d+)?)?
    (?P<dev>[-_.]?dev[-_.]?(?P<dev_n>\d+)?)?
    (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?$""",
    re.VERBOSE | re.IGNORECASE,
)


class _MinimalVersion:
    """A PEP 440 sort key for when no `packaging` can be imported (local parts ignored)."""

    def __init__(self, text: str) -> None:
        m = _PEP440.match(text.strip())
        if not m:
            raise InvalidVersion(text)
        release = [int(x) for x in m["release"].split(".")]
        while len(release) > 1 and release[-1] == 0:
            release.pop()
        inf, ninf = (float("inf"),), (float("-inf"),)
        if m["pre"]:
            letter = m["pre_l"].lower()
            rank = {"a": 0, "alpha": 0, "b": 1, "beta": 1}.get(letter, 2)  # c, rc, pre, preview
            pre: tuple = (rank, int(m["pre_n"] or 0))
        elif m["dev"] and not m["post"]:
            pre = ninf  # 1.0.dev0 sorts before 1.0a0
        else:
            pre = inf
        post = (int(m["post_n1"] or m["post_n2"] or 0),) if m["post"] else ninf
        dev = (int(m["dev_n"] or 0),) if m["dev"] else inf
        self.is_prerelease = bool(m["pre"] or m["dev"])
        self._key = (int(m["epoch"] or 0), tuple(release), pre, post, dev)

    def __lt__(self, other: "_MinimalVersion") -> bool:
        return self._key < other._key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _MinimalVersion) and self._key == other._key


def parse_version(text: str):
    return (Version or _MinimalVersion)(text)


# --------------------------------------------------------------------------- HTTP


class NetError(Exception):
    """The network failed (a time-out, a reset, a 5xx): worth another try on the next run."""


class NoRange(Exception):
    """The server ignored a Range request."""


def _open(url: str, headers: dict | None = None, timeout: float = 60):
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})
    return urllib.request.urlopen(req, timeout=timeout)


def http_get(url: str, headers: dict | None = None, timeout: float = 60, tries: int = 4) -> bytes:
    """GET a URL, retrying network errors and 5xx/429. A 4xx other than 429 raises HTTPError."""
    delay = 1.0
    for attempt in range(tries):
        try:
            with _open(url, headers, timeout) as r:
                return r.read()
        except urllib.error.HTTPError as e:
            if e.code < 500 and e.code != 429:
                raise
            err: Exception = e
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as e:
            err = e
        if attempt + 1 < tries:
            time.sleep(delay)
            delay *= 2
    raise NetError(f"{url}: {err}")


def http_range(url: str, start: int, end: int) -> bytes:
    """Bytes [start, end) of a URL, by a Range request; NoRange if the server sends it all."""
    delay = 1.0
    for attempt in range(4):
        try:
            with _open(url, {"Range": f"bytes={start}-{end - 1}"}) as r:
                if r.status != 206:
                    raise NoRange(url)
                data = r.read()
            if len(data) != end - start:
                raise NetError(f"{url}: asked for {end - start} bytes, got {len(data)}")
            return data
        except urllib.error.HTTPError as e:
            if e.code < 500 and e.code != 429:
                raise
            err: Exception = e
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as e:
            err = e
        if attempt < 3:
            time.sleep(delay)
            delay *= 2
    raise NetError(f"{url}: {err}")


class RemoteFile:
    """A read-only, seekable view of a remote file, fetched in blocks by Range requests:
    enough for zipfile to read one member of a wheel without downloading the wheel."""

    BLOCK = 128 * 1024

    def __init__(self, url: str, size: int) -> None:
        self.url, self.size, self.pos = url, size, 0
        self.segments: list[tuple[int, bytes]] = []
        self.requests = 0
        tail = min(size, 256 * 1024)  # the end of central directory, usually all of it
        self._fetch(size - tail, size)

    def _fetch(self, start: int, end: int) -> bytes:
        data = http_range(self.url, start, end)
        self.requests += 1
        self.segments.append((start, data))
        return data

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self.size - self.pos
        start, end = self.pos, min(self.size, self.pos + n)
        if start >= end:
            return b""
        for seg_start, data in self.segments:
            if seg_start <= start and end <= seg_start + len(data):
                out = data[start - seg_start : end - seg_start]
                break
        else:
            fetch_end = min(self.size, max(end, start + self.BLOCK))
            out = self._fetch(start, fetch_end)[: end - start]
        self.pos = end
        return out

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.pos, 2: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def tell(self) -> int:
        return self.pos

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True


# --------------------------------------------------------------------------- metadata


def requires_from_metadata(text: str) -> list[str]:
    msg = email.parser.Parser().parsestr(text, headersonly=True)
    return [r.strip() for r in (msg.get_all("Requires-Dist") or [])]


def metadata_version(text: str) -> tuple[int, ...]:
    msg = email.parser.Parser().parsestr(text, headersonly=True)
    try:
        return tuple(int(x) for x in (msg.get("Metadata-Version") or "0").split("."))
    except ValueError:
        return (0,)


def static_sdist_requires(text: str) -> list[str] | None:
    """PKG-INFO's Requires-Dist when PEP 643 makes them binding (metadata >= 2.2, not Dynamic)."""
    msg = email.parser.Parser().parsestr(text, headersonly=True)
    dynamic = {d.strip().lower() for d in (msg.get_all("Dynamic") or [])}
    if metadata_version(text) >= (2, 2) and "requires-dist" not in dynamic:
        return requires_from_metadata(text)
    return None


def requires_from_requires_txt(text: str) -> list[str]:
    """setuptools' egg-info/requires.txt ([extra], [:marker], [extra:marker] sections) as PEP 508."""
    out: list[str] = []
    extra, marker = "", ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            extra, _, marker = line[1:-1].partition(":")
            extra, marker = extra.strip(), marker.strip()
            continue
        parts = []
        if marker:
            parts.append(f"({marker})" if extra else marker)
        if extra:
            parts.append(f'extra == "{extra}"')
        out.append(f"{line}; {' and '.join(parts)}" if parts else line)
    return out


def pick_wheel(files: list[dict]) -> dict | None:
    wheels = [f for f in files if f["filename"].endswith(".whl")]
    if not wheels:
        return None

    def score(f: dict):
        name = f["filename"]
        linux = "linux" in name and "x86_64" in name
        pure = name.endswith("-none-any.whl")
        py_tag = name[:-4].split("-")[-3]
        return (not linux, not pure, "3" not in py_tag, "cp311" not in py_tag, name)

    return min(wheels, key=score)


def wheel_metadata_by_range(url: str, size: int, dist: str) -> str:
    remote = RemoteFile(url, size)
    with zipfile.ZipFile(remote) as zf:  # type: ignore[arg-type]
        names = [n for n in zf.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
        if not names:
            raise LookupError("no .dist-info/METADATA in the wheel")
        names.sort(key=lambda n: (normalize(n.split("-")[0]) != dist, n))
        return zf.read(names[0]).decode("utf-8", "replace")


def sdist_requires(url: str, filename: str, size: int) -> tuple[list[str] | None, str]:
    """An sdist's requirements, from its PKG-INFO or its setuptools egg-info."""
    pkg_info: str | None = None  # the top-level PKG-INFO
    requires_txt: tuple[int, str] | None = None  # (depth, text) of the shallowest requires.txt
    egg_info = False
    if filename.endswith(".zip"):
        with zipfile.ZipFile(RemoteFile(url, size)) as zf:  # type: ignore[arg-type]
            for n in zf.namelist():
                parts = n.split("/")
                if len(parts) == 2 and parts[1] == "PKG-INFO":
                    pkg_info = zf.read(n).decode("utf-8", "replace")
                elif n.endswith(".egg-info/requires.txt"):
                    if requires_txt is None or len(parts) < requires_txt[0]:
                        requires_txt = (len(parts), zf.read(n).decode("utf-8", "replace"))
                egg_info |= ".egg-info/" in n
    elif re.search(r"\.(tar\.gz|tgz|tar\.bz2|tar\.xz|tar)$", filename):
        # Stream the tarball, and stop as soon as a PEP 643 PKG-INFO answers.
        with _open(url, timeout=120) as r, tarfile.open(fileobj=r, mode="r|*") as tf:
            for m in tf:
                parts = m.name.split("/")
                egg_info |= ".egg-info" in m.name
                if not m.isfile():
                    continue
                if len(parts) == 2 and parts[1] == "PKG-INFO":
                    pkg_info = tf.extractfile(m).read().decode("utf-8", "replace")  # type: ignore[union-attr]
                    static = static_sdist_requires(pkg_info)
                    if static is not None:
                        return static, "sdist PKG-INFO (PEP 643)"
                elif m.name.endswith(".egg-info/requires.txt"):
                    if requires_txt is None or len(parts) < requires_txt[0]:
                        text = tf.extractfile(m).read().decode("utf-8", "replace")  # type: ignore[union-attr]
                        requires_txt = (len(parts), text)
    else:
        return None, f"sdist: unknown format {filename}"

    if pkg_info is not None:
        static = static_sdist_requires(pkg_info)
        if static is not None:
            return static, "sdist PKG-INFO (PEP 643)"
    if requires_txt is not None:
        return requires_from_requires_txt(requires_txt[1]), "sdist egg-info/requires.txt"
    if pkg_info is not None and requires_from_metadata(pkg_info):
        return requires_from_metadata(pkg_info), "sdist PKG-INFO"
    if egg_info:
        # setuptools writes egg-info/requires.txt whenever there is a requirement.
        return [], "sdist egg-info without requires.txt"
    return None, "sdist: no PEP 643 PKG-INFO and no egg-info"


def pip_requires(name: str, version: str, timeout: int) -> tuple[list[str] | None, str]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        cmd = [
            sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--ignore-installed",
            "--quiet", "--report", str(report), f"{name}=={version}",
        ]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=tmp)
        except subprocess.TimeoutExpired:
            return None, f"pip timed out after {timeout}s"
        if p.returncode != 0 or not report.exists():
            last = (p.stderr.strip().splitlines() or ["?"])[-1]
            return None, f"pip failed: {last[:200]}"
        data = json.loads(report.read_text())
        install = data.get("install") or []
        if not install:
            return None, "pip reported nothing to install"
        reqs = install[0].get("metadata", {}).get("requires_dist")
        return list(reqs or []), "pip --dry-run --report"


# --------------------------------------------------------------------------- cache + resolve


class Resolver:
    def __init__(self, cache: Path, pip_max_mb: float, sdist_max_mb: float, pip_timeout: int) -> None:
        self.cache = cache
        self.pip_max = pip_max_mb * 1e6
        self.sdist_max = sdist_max_mb * 1e6
        self.pip_timeout = pip_timeout
        self.version_json_ok = True
        self.lock = threading.Lock()
        self.stats: dict[str, int] = {}

    def count(self, key: str) -> None:
        with self.lock:
            self.stats[key] = self.stats.get(key, 0) + 1

    def _path(self, dist: str, version: str) -> Path:
        return self.cache / "meta" / dist / f"{version}.json"

    def resolve(self, name: str, version: str, files: list[dict], base_url: str) -> dict:
        dist = normalize(name)
        path = self._path(dist, version)
        try:
            cached = json.loads(path.read_text())
            if cached.get("format") == CACHE_FORMAT:
                self.count("cached")
                return cached
        except (OSError, ValueError):
            pass
        result, transient = self._resolve(name, version, files, base_url)
        result["format"] = CACHE_FORMAT
        self.count(result["source"] if result["requires_dist"] is not None else "unknown")
        if not transient:  # a network failure is retried on the next run
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{threading.get_ident()}")
            tmp.write_text(json.dumps(result, indent=1, sort_keys=True))
            os.replace(tmp, path)
        return result

    def _resolve(self, name: str, version: str, files: list[dict], base_url: str) -> tuple[dict, bool]:
        dist = normalize(name)
        notes: list[str] = []
        transient = False

        def done(reqs, source, filename=None):
            return {"requires_dist": reqs, "source": source, "file": filename, "notes": notes}, transient

        wheel = pick_wheel(files)
        if wheel:
            url = urljoin(base_url, wheel["url"])
            if wheel.get("core-metadata") or wheel.get("data-dist-info-metadata"):
                try:
                    text = http_get(url + ".metadata").decode("utf-8", "replace")
                    return done(requires_from_metadata(text), "PEP 658 metadata", wheel["filename"])
                except (urllib.error.HTTPError, NetError) as e:
                    transient |= isinstance(e, NetError)
                    notes.append(f"PEP 658: {e}")
            try:
                text = wheel_metadata_by_range(url, int(wheel["size"]), dist)
                return done(requires_from_metadata(text), "wheel METADATA (range)", wheel["filename"])
            except NetError as e:
                transient = True
                notes.append(f"range: {e}")
            except (NoRange, urllib.error.HTTPError, zipfile.BadZipFile, LookupError, ValueError) as e:
                notes.append(f"range: {type(e).__name__}: {e}")

        if self.version_json_ok:
            try:
                data = json.loads(http_get(VERSION_URL.format(name=name, version=version)))
                reqs = data.get("info", {}).get("requires_dist")
                if reqs is not None:
                    return done(list(reqs), "PyPI version JSON")
                notes.append("version JSON: requires_dist is null")
            except urllib.error.HTTPError as e:
                notes.append(f"version JSON: HTTP {e.code}")
                if e.code == 404 and self.version_json_ok:
                    self.version_json_ok = False
                    log(f"note: {VERSION_URL.format(name=name, version=version)} answers 404; not asking that endpoint again this run")
            except (NetError, ValueError) as e:
                transient |= isinstance(e, NetError)
                notes.append(f"version JSON: {e}")

        sdists = [f for f in files if f.get("packagetype") == "sdist"]
        if sdists:
            sd = min(sdists, key=lambda f: f["filename"])
            if int(sd["size"]) <= self.sdist_max:
                try:
                    reqs, how = sdist_requires(urljoin(base_url, sd["url"]), sd["filename"], int(sd["size"]))
                    if reqs is not None:
                        return done(reqs, how, sd["filename"])
                    notes.append(how)
                except urllib.error.HTTPError as e:
                    notes.append(f"sdist: HTTP {e.code}")
                except (NetError, urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException) as e:
                    transient = True  # a download that broke off: retried on the next run
                    notes.append(f"sdist: {type(e).__name__}: {e}")
                except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile, NoRange) as e:
                    notes.append(f"sdist: {type(e).__name__}: {e}")
            else:
                notes.append(f"sdist larger than {self.sdist_max / 1e6:.0f} MB")

        smallest = min((int(f["size"]) for f in files), default=0)
        if smallest <= self.pip_max:
            reqs, how = pip_requires(name, version, self.pip_timeout)
            if reqs is not None:
                return done(reqs, how)
            notes.append(how)
        else:
            notes.append(f"pip skipped: smallest file is {smallest / 1e6:.0f} MB")
        return done(None, "unknown")


def load_index(name: str, cache: Path, ttl: float) -> tuple[dict, str]:
    url = INDEX_URL.format(name=name)
    path = cache / "index" / f"{normalize(name)}.json"
    if path.exists() and time.time() - path.stat().st_mtime < ttl:
        return json.loads(path.read_text()), url
    try:
        body = http_get(url)
        data = json.loads(body)
    except (NetError, urllib.error.HTTPError, ValueError) as e:
        if path.exists():
            log(f"warning: {name}: {e}; using the cached release list from "
                f"{_dt.datetime.fromtimestamp(path.stat().st_mtime):%Y-%m-%d %H:%M}")
            return json.loads(path.read_text()), url
        raise
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(body)
    os.replace(tmp, path)
    return data, url


def releases_of(name: str, data: dict) -> tuple[list[dict], list[str]]:
    """The final and post releases that have files, oldest first; and what was skipped."""
    out, skipped = [], []
    for version, files in data.get("releases", {}).items():
        try:
            v = parse_version(version)
        except InvalidVersion:
            skipped.append(f"{version} (not PEP 440)")
            continue
        if v.is_prerelease:
            continue
        if not files:
            skipped.append(f"{version} (no files)")
            continue
        times = [f.get("upload_time_iso_8601") or f.get("upload_time") for f in files]
        out.append({
            "version": version,
            "key": v,
            "uploaded": min(t for t in times if t)[:10],
            "yanked": all(f.get("yanked") for f in files),
            "files": files,
        })
    out.sort(key=lambda r: r["key"])
    return out, skipped


# --------------------------------------------------------------------------- TOML


def toml_str(s: str) -> str:
    if '"' in s and "'" not in s and not re.search(r"[\x00-\x1f\x7f]", s):
        return f"'{s}'"  # literal string: markers' double quotes stay readable
    return json.dumps(s)  # a JSON string is a valid TOML basic string


def toml_array(items: list[str]) -> str:
    one_line = "[" + ", ".join(toml_str(i) for i in items) + "]"
    if len(one_line) <= 88:
        return one_line
    return "[\n" + "".join(f"    {toml_str(i)},\n" for i in items) + "]"


_EXTRA = re.compile(r"""\bextra\s*==\s*(?:"([^"]*)"|'([^']*)')""")


def tracked_requires(reqs: list[str], all_extras: bool = False) -> list[str]:
    """The entries naming a tracked package, name normalised, the rest verbatim, in metadata
    order. Unless all_extras, an entry under an extra (`; extra == "x"`) is kept only when the
    extra is itself named after a tracked package (transformers[torch], trl[peft], ...): the
    others (dev, test, all, docs, unsloth's cu121-torch240 matrix, ...) would make the data
    twenty times larger for little use."""
    out: list[str] = []
    for r in reqs:
        m = re.match(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)", r)
        if not m or normalize(m.group(1)) not in TRACKED_NORMALIZED:
            continue
        extras = [normalize(a or b) for a, b in _EXTRA.findall(r.partition(";")[2])]
        if extras and not all_extras and not any(e in TRACKED_NORMALIZED for e in extras):
            continue
        s = normalize(m.group(1)) + r[m.end():].rstrip()
        if s not in out:
            out.append(s)
    return out


def render(dist: str, releases: list[dict], date: str, all_extras: bool = False) -> str:
    lines = [
        f"# Generated by scripts/release_index.py from PyPI's metadata on {date}. Do not edit by hand.",
        f"# Regenerate: {COMMAND} --package {dist}   (or without --package for every package)",
        "# Final and post releases only (dev, alpha, beta and rc releases are left out).",
        "# uploaded: the earliest upload of the release's files (UTC). yanked: all its files are.",
        "# requires: its Requires-Dist entries that name a tracked package, as PEP 508 strings with",
        "# names PEP 503-normalised. " + (
            "All extras are kept." if all_extras else
            "Entries under an extra are kept only for an extra named after a"
        ),
        *([] if all_extras else ["# tracked package (transformers[torch], trl[peft]); dev, test, all, cu121-torch240, ... are not."]),
        "# requires_known = false: the release's metadata could not be read.",
        f'package = "{dist}"',
        f'generated = "{date}"',
    ]
    for r in releases:
        lines += ["", "[[release]]", f"version = {toml_str(r['version'])}", f'uploaded = "{r["uploaded"]}"']
        if r["yanked"]:
            lines.append("yanked = true")
        if r["requires"] is None:
            lines.append("requires_known = false")
        else:
            lines.append(f"requires = {toml_array(r['requires'])}")
    return "\n".join(lines) + "\n"


def write_if_changed(path: Path, text: str) -> bool:
    """Write unless only the date differs, so a rerun with nothing new leaves no diff."""
    undated = lambda t: re.sub(r'^(# Generated .*? on |generated = ")\d{4}-\d{2}-\d{2}', r"\1", t, flags=re.M)
    if path.exists() and undated(path.read_text()) == undated(text):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return True


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package", action="append", metavar="NAME",
                    help="regenerate this package only (repeatable; default: every tracked package)")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help=f"cache directory (default {DEFAULT_CACHE})")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default advisories/releases)")
    ap.add_argument("--all-extras", action="store_true",
                    help="keep entries under every extra, not only extras named after a tracked package "
                         "(about 6 MB instead of 0.4 MB, nearly all of it unsloth's)")
    ap.add_argument("--workers", type=int, default=12, help="parallel downloads (default 12)")
    ap.add_argument("--index-ttl", type=float, default=3600,
                    help="seconds a cached release list stays fresh (default 3600; 0 refetches)")
    ap.add_argument("--sdist-max-mb", type=float, default=50, help="largest sdist to stream (default 50)")
    ap.add_argument("--pip-max-mb", type=float, default=100,
                    help="skip the pip fallback when a release's smallest file is larger (default 100)")
    ap.add_argument("--pip-timeout", type=int, default=600, help="seconds per pip fallback (default 600)")
    args = ap.parse_args(argv)

    names = args.package or TRACKED
    for n in names:
        if normalize(n) not in TRACKED_NORMALIZED:
            log(f"note: {n} is not in TRACKED; its requirements are still filtered to TRACKED")
    started = time.monotonic()
    date = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d")
    resolver = Resolver(args.cache, args.pip_max_mb, args.sdist_max_mb, args.pip_timeout)

    indexes: dict[str, tuple[list[dict], str, list[str]]] = {}
    with concurrent.futures.ThreadPoolExecutor(max(1, min(args.workers, 16))) as pool:
        futures = {pool.submit(load_index, n, args.cache, args.index_ttl): n for n in names}
        for fut in concurrent.futures.as_completed(futures):
            n = futures[fut]
            data, url = fut.result()
            rels, skipped = releases_of(n, data)
            indexes[n] = (rels, url, skipped)

        jobs = {}
        for n in names:
            rels, url, _ = indexes[n]
            for r in rels:
                jobs[pool.submit(resolver.resolve, n, r["version"], r["files"], url)] = (n, r)
        total, finished = len(jobs), 0
        for fut in concurrent.futures.as_completed(jobs):
            n, r = jobs[fut]
            try:
                meta = fut.result()
            except Exception as e:  # noqa: BLE001 - one bad release must not stop the run
                log(f"error: {n} {r['version']}: {type(e).__name__}: {e}")
                meta = {"requires_dist": None, "source": "unknown", "notes": [f"{type(e).__name__}: {e}"]}
            r["meta"] = meta
            finished += 1
            if finished % 100 == 0 or finished == total:
                log(f"  {finished}/{total} releases ({time.monotonic() - started:.0f}s)")

    unknown: list[str] = []
    summary = []
    for n in names:
        rels, _, skipped = indexes[n]
        dist = normalize(n)
        for r in rels:
            reqs = r["meta"].get("requires_dist")
            r["requires"] = None if reqs is None else tracked_requires(reqs, args.all_extras)
            if reqs is None:
                unknown.append(f"{dist} {r['version']}: " + "; ".join(r["meta"].get("notes", []))[:300])
        path = args.out / f"{dist}.toml"
        changed = write_if_changed(path, render(dist, rels, date, args.all_extras))
        summary.append((dist, len(rels), path.stat().st_size, changed, skipped))

    log("")
    log(f"{'package':<14} {'releases':>8} {'bytes':>8}  written")
    for dist, count, size, changed, skipped in summary:
        log(f"{dist:<14} {count:>8} {size:>8}  {'yes' if changed else 'unchanged'}"
            + (f"  (skipped: {', '.join(skipped)})" if skipped else ""))
    log(f"{'total':<14} {sum(s[1] for s in summary):>8} {sum(s[2] for s in summary):>8}")
    log("metadata sources: " + ", ".join(f"{k} {v}" for k, v in sorted(resolver.stats.items())))
    if unknown:
        log(f"{len(unknown)} release(s) with requires_known = false:")
        for u in unknown:
            log(f"  {u}")
    log(f"done in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
