"""One full check through the bundled binary, and its findings grouped for a person.

`Checker.check()` writes the live environment (`_environment.snapshot()`) as a
`pip list --format=json` file in a private temporary directory, and runs

    tunelint check --format json --env-file ENV ENV [NOTEBOOK] - --stdin-filename kernel-session.ipynb

(in a kernel, as a request to the `tunelint check-service` it keeps running: `_binary.Service`)
with the cells this kernel ran (`In`, in execution order, as a notebook on stdin; the output a
cell printed is attached to that cell only when the output scan asked for the check). Nothing
but these files is read, and nothing is discovered: the environment is exactly the kernel's.

The findings come back per place; a person wants one entry per problem, so `Report.groups`
gathers them per advisory code: the title, the versions in play and where each comes from (a
version from the snapshot is shown with the distribution's own `.dist-info` path), the places
(`In [3]`, `notebook.ipynb cell 5`, `this kernel's environment`), and the fixes as commands to
copy. No fix is ever run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field

from . import _binary
from ._environment import Snapshot, normalize

SESSION_NAME = "kernel-session.ipynb"
ENV_NAME = "kernel-environment.json"
_SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


@dataclass
class Fix:
    title: str
    command: str | None = None  # text to copy into a cell
    note: str | None = None


@dataclass
class Group:
    code: str
    severity: str
    title: str
    message: str
    places: list[str] = field(default_factory=list)
    versions: list[tuple[str, str, str]] = field(default_factory=list)  # package, version, source
    fixes: list[Fix] = field(default_factory=list)
    reference: str | None = None
    cells: set = field(default_factory=set)  # session cells (In numbers) it was found in
    output_cells: set = field(default_factory=set)  # session cells whose output is its evidence

    def key(self) -> tuple:
        return (self.code, tuple(sorted((p, v) for p, v, _ in self.versions)))


@dataclass
class Report:
    groups: list[Group] = field(default_factory=list)
    distributions: int = 0
    broken: list[str] = field(default_factory=list)
    notebook: str | None = None
    error: str | None = None  # tunelint could not do its job: one sentence

    def worst(self) -> str | None:
        if not self.groups:
            return None
        return min((g.severity for g in self.groups), key=lambda s: _SEVERITY_RANK.get(s, 3))


def session_notebook(cells: list[str], outputs: dict[int, str] | None = None) -> str:
    """The cells run so far as nbformat 4 JSON; cell i (1-based) is In [i]."""
    nb_cells = []
    for i, source in enumerate(cells, start=1):
        out = []
        if outputs and i in outputs and outputs[i]:
            out.append({"output_type": "stream", "name": "stdout", "text": outputs[i]})
        nb_cells.append({
            "cell_type": "code", "execution_count": i, "id": f"in-{i}", "metadata": {},
            "source": source, "outputs": out,
        })
    return json.dumps({
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
                     "language_info": {"name": "python"}},
        "cells": nb_cells,
    })


class Checker:
    """Runs the binary; holds the temporary directory and what the knowledge base says about
    each advisory (asked once)."""

    def __init__(self, where: str = "this kernel", resident: bool = False):
        self.where = where
        # a kernel checks again after every install: it keeps one binary running (`Service`);
        # a script's guard() checks once and runs the binary once
        self._service = _binary.Service() if resident else None
        self._tmp: str | None = None
        self._env_text: str | None = None
        self._advisories: dict | None = None
        self._rule_fixes: dict[str, list[Fix]] = {}

    # --- files ------------------------------------------------------------------------------
    def _dir(self) -> str:
        if self._tmp is None or not os.path.isdir(self._tmp):
            self._tmp = tempfile.mkdtemp(prefix="tunelint-")
            self._env_text = None
        return self._tmp

    def env_file(self, snap: Snapshot) -> str:
        path = os.path.join(self._dir(), ENV_NAME)
        text = snap.env_file_json()
        if text != self._env_text or not os.path.exists(path):
            tmp = path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
            self._env_text = text
        return path

    def close(self) -> None:
        if self._service is not None:
            self._service.close()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    # --- the knowledge base -----------------------------------------------------------------
    def advisories(self) -> dict:
        if self._advisories is None:
            self._advisories = {}
            try:
                out = _binary.run(["advisories", "--format", "json"], timeout=30)
                data = json.loads(out.stdout)
                self._advisories = {a["id"]: a for a in data.get("advisories", [])}
                self._advisories["__raw__"] = data  # type: ignore[assignment]
            except Exception:
                pass
        return self._advisories

    def rule_fixes(self, code: str) -> list[Fix]:
        """The numbered `## Fixes` of `tunelint rule CODE`, for findings that carry no fix of
        their own (an environment's findings)."""
        if code not in self._rule_fixes:
            fixes: list[Fix] = []
            try:
                page = _binary.run(["rule", code], timeout=30).stdout
                m = re.search(r"^## Fixes\n(.*?)(?=^## |\Z)", page, re.S | re.M)
                if m:
                    for item in re.split(r"^\d+\. ", m.group(1), flags=re.M)[1:]:
                        text = " ".join(item.split())
                        commands = [c for c in re.findall(r"`([^`]+)`", text)
                                    if re.match(r"(pip|uv|conda|python) ", c)]
                        if not commands:
                            m2 = re.search(r"\bpin `([A-Za-z0-9][A-Za-z0-9._-]*\s*[<>=!~][^`]*)`", text, re.I)
                            if m2:
                                commands = [f'pip install "{m2.group(1)}"']
                        fixes.append(Fix(title=text, command="\n".join(commands) or None))
            except Exception:
                pass
            self._rule_fixes[code] = fixes
        return self._rule_fixes[code]

    # --- the check --------------------------------------------------------------------------
    def check(self, snap: Snapshot, cells: list[str] | None = None, outputs: dict[int, str] | None = None,
              notebook: str | None = None, script: str | None = None, cwd: str | None = None,
              extend_select: str | None = None, timeout: float = 120.0) -> Report:
        report = Report(distributions=len(snap.dists), broken=list(snap.broken), notebook=notebook)
        env = self.env_file(snap)
        args = ["check", "--format", "json", "--exit-zero", "--env-file", env, env]
        if extend_select:
            args += ["--extend-select", extend_select]
        if notebook:
            args.append(notebook)
        if script:
            args.append(script)
        stdin = None
        if cells:
            args += ["-", "--stdin-filename", SESSION_NAME]
            stdin = session_notebook(cells, outputs)
        runner = self._service.run if self._service is not None else _binary.run
        out = runner(args, stdin=stdin, cwd=cwd, timeout=timeout)
        if out.returncode not in (0, 1):
            first = (out.stderr.strip().splitlines() or ["no output"])[0]
            report.error = f"tunelint check failed (exit {out.returncode}): {first}"
            return report
        data = json.loads(out.stdout)
        report.groups = self.group(data.get("findings", []), snap, env, notebook)
        return report

    def _clean(self, text: str, env: str) -> str:
        for form in (env, os.path.basename(env)):
            text = text.replace(f"installed, {form} line", "installed, line")
            text = text.replace(form, self.where)
        text = re.sub(re.escape(SESSION_NAME) + r" cell (\d+) output", r"In [\1]'s output", text)
        text = re.sub(re.escape(SESSION_NAME) + r" cell (\d+)", r"In [\1]", text)
        text = re.sub(r"^saved output `", "output `", text)
        return text.replace("in this file", "in the cells run so far")

    def _place(self, f: dict, env: str, notebook: str | None) -> str:
        path = f.get("path") or ""
        cell = f.get("cell")
        if os.path.basename(path) == ENV_NAME:
            return f"{self.where}'s environment"
        if path == SESSION_NAME or path.endswith("/" + SESSION_NAME):
            return f"In [{cell}]" if cell else "this session"
        name = os.path.basename(path)
        line = (f.get("start") or {}).get("line")
        if cell:
            return f"{name} cell {cell}" + (f" line {line}" if line else "")
        return f"{name}" + (f":{line}" if line else "")

    def group(self, findings: list[dict], snap: Snapshot, env: str, notebook: str | None) -> list[Group]:
        kb = self.advisories()
        groups: dict[str, Group] = {}
        for f in findings:
            code = f.get("code") or "?"
            g = groups.get(code)
            if g is None:
                adv = kb.get(code) or {}
                refs = adv.get("references") or []
                g = groups[code] = Group(
                    code=code,
                    severity=f.get("severity") or adv.get("severity") or "warning",
                    title=adv.get("title") or code,
                    message=self._clean(f.get("message") or "", env),
                    reference=refs[0] if refs else None,
                )
            elif _SEVERITY_RANK.get(f.get("severity"), 3) < _SEVERITY_RANK.get(g.severity, 3):
                g.severity = f["severity"]
            place = self._place(f, env, notebook)
            if place not in g.places:
                g.places.append(place)
            if (f.get("path") or "").endswith(SESSION_NAME) and f.get("cell"):
                g.cells.add(f["cell"])
            for e in f.get("evidence") or []:
                pkg, ver = e.get("package") or "?", e.get("version") or "unknown"
                source = e.get("source") or ""
                m = re.match(re.escape(SESSION_NAME) + r" cell (\d+) output$", source)
                if m and e.get("kind") == "last-run":
                    g.output_cells.add(int(m.group(1)))
                if os.path.basename(source) == ENV_NAME or source == env:
                    d = snap.dists.get(normalize(pkg))
                    source = f"installed, {d.path}" if d else f"installed, {self.where}"
                else:
                    source = f"{e.get('kind') or ''}, {self._clean(source, env)}".strip(", ")
                if not any(p == pkg and v == ver for p, v, _ in g.versions):
                    g.versions.append((pkg, ver, source))
            for fix in f.get("fixes") or []:
                self._add_fix(g, fix)
        out = sorted(groups.values(), key=lambda g: (_SEVERITY_RANK.get(g.severity, 3), g.code))
        for g in out:
            if not g.fixes:
                g.fixes = list(self.rule_fixes(g.code))
        return out

    @staticmethod
    def _add_fix(g: Group, fix: dict) -> None:
        title = fix.get("title") or ""
        action = fix.get("action") or {}
        command = note = None
        if action.get("kind") == "insert-cell":
            title = re.sub(r": insert a cell before .*$", "", title)
            command = action.get("source")
            note = "in a new cell, then restart the runtime"
        elif action.get("kind") == "run-command":
            command = action.get("command")
            note = "then restart the runtime"
        elif action.get("kind") == "restart-runtime":
            note = "Colab: Runtime ▸ Restart session; Kaggle: Run ▸ Restart & clear cell outputs; Jupyter: Kernel ▸ Restart"
        else:
            m = re.match(r"Pin (\S+) to (\S+)", title)
            edits = fix.get("edits") or []
            if m:
                title = f"Pin {m.group(1)} to {m.group(2)}"
                command = f'pip install "{m.group(1)}{m.group(2)}"'
                note = "then restart the runtime"
            elif edits and len(edits) == 1 and edits[0].get("content") is not None and edits[0].get("cell"):
                title = re.sub(r" in cell \d+$", "", title)
        if any(x.title == title for x in g.fixes):
            return
        g.fixes.append(Fix(title=title, command=command, note=note))
