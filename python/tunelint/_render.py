"""Findings as rich output under a cell: HTML (inline styles, no JavaScript, so it renders in
Colab, Kaggle, JupyterLab, VS Code and a saved notebook alike) and a text/plain fallback that
says the same."""

from __future__ import annotations

import html
import re

from ._check import Group, Report

_COLORS = {"error": "#c62828", "warning": "#b26a00", "info": "#1565c0"}
_BOX = ("font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:13px;line-height:1.45;"
        "border-left:4px solid {c};background:rgba(127,127,127,0.06);padding:8px 12px;margin:6px 0;")
_PRE = ("font-family:ui-monospace,'SFMono-Regular',Menlo,monospace;font-size:12px;"
        "background:rgba(127,127,127,0.12);padding:6px 8px;margin:4px 0 6px 0;white-space:pre-wrap;"
        "user-select:all;")
_TD = "padding:1px 10px 1px 0;vertical-align:top;text-align:left;"


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def notebook_command(command: str) -> str:
    """A shell command as a notebook line: `pip ...` becomes `!pip ...` (already-prefixed lines
    and Python lines are kept)."""
    return "\n".join("!" + line if re.match(r"(pip|pip3|uv|conda|mamba|git) ", line) else line
                     for line in command.splitlines())


def group_html(g: Group, heading: str | None = None) -> str:
    color = _COLORS.get(g.severity, "#555")
    parts = [f'<div class="tunelint-finding" data-code="{_e(g.code)}" style="{_BOX.format(c=color)}">']
    if heading:
        parts.append(f'<div style="opacity:0.75;font-size:12px">{_e(heading)}</div>')
    parts.append(
        f'<div><b style="color:{color}">{_e(g.severity)}[{_e(g.code)}]</b> <b>{_e(g.title)}</b></div>'
        f'<div style="margin:2px 0 4px 0">{_e(g.message)}</div>'
    )
    if g.versions:
        rows = "".join(
            f'<tr><td style="{_TD}"><code>{_e(p)}</code></td><td style="{_TD}"><b>{_e(v)}</b></td>'
            f'<td style="{_TD}opacity:0.8">{_e(s)}</td></tr>'
            for p, v, s in g.versions
        )
        parts.append(f'<table style="border-collapse:collapse;margin:2px 0 4px 0">{rows}</table>')
    if g.places:
        parts.append(f'<div style="opacity:0.8">Seen in: {_e(", ".join(g.places))}</div>')
    if g.fixes:
        parts.append('<div style="margin-top:4px"><b>Fix</b> (tunelint runs nothing; copy what you choose):</div><ol style="margin:2px 0 0 18px;padding:0">')
        for fix in g.fixes:
            item = f"<li>{_e(fix.title)}"
            if fix.note:
                item += f' <span style="opacity:0.75">({_e(fix.note)})</span>'
            if fix.command:
                item += f'<pre style="{_PRE}">{_e(notebook_command(fix.command))}</pre>'
            parts.append(item + "</li>")
        parts.append("</ol>")
    more = f"<code>tunelint rule {_e(g.code)}</code>"
    if g.reference:
        more += f' · <a href="{_e(g.reference)}" target="_blank" rel="noopener">{_e(g.reference)}</a>'
    parts.append(f'<div style="opacity:0.7;font-size:12px;margin-top:4px">More: {more}</div></div>')
    return "".join(parts)


def group_text(g: Group, heading: str | None = None, notebook: bool = False) -> str:
    lines = []
    if heading:
        lines.append(heading)
    lines.append(f"{g.severity}[{g.code}]: {g.title}")
    lines.append(f"  {g.message}")
    for p, v, s in g.versions:
        lines.append(f"  {p} {v}  ({s})")
    if g.places:
        lines.append(f"  seen in: {', '.join(g.places)}")
    for i, fix in enumerate(g.fixes, start=1):
        lines.append(f"  fix {i}: {fix.title}" + (f" ({fix.note})" if fix.note else ""))
        if fix.command:
            command = notebook_command(fix.command) if notebook else fix.command
            lines += ["      " + c for c in command.splitlines()]
    lines.append(f"  more: tunelint rule {g.code}" + (f" · {g.reference}" if g.reference else ""))
    return "\n".join(lines)


def summary_line(report: Report, what: str) -> str:
    n = report.distributions
    s = f"tunelint: {what}: {n} distribution{'s' if n != 1 else ''}"
    if report.notebook:
        s += f", {report.notebook}"
    counts = {}
    for g in report.groups:
        counts[g.severity] = counts.get(g.severity, 0) + 1
    if report.groups:
        s += " — " + ", ".join(f"{c} {k}{'s' if c != 1 else ''}" for k, c in sorted(counts.items()))
    else:
        s += " — no known incompatibility"
    if report.broken:
        s += f" ({len(report.broken)} unreadable distribution metadata skipped: {report.broken[0]}{' …' if len(report.broken) > 1 else ''})"
    return s


def bundle(groups: list[Group], summary: str | None = None, heading: str | None = None) -> dict:
    """A MIME bundle for IPython.display.display(..., raw=True)."""
    text_parts, html_parts = [], []
    if summary:
        text_parts.append(summary)
        html_parts.append(f'<div class="tunelint-summary" style="font-family:system-ui,sans-serif;font-size:12px;opacity:0.75">{_e(summary)}</div>')
    for g in groups:
        text_parts.append(group_text(g, heading, notebook=True))
        html_parts.append(group_html(g, heading))
    return {"text/plain": "\n\n".join(text_parts), "text/html": "".join(html_parts)}


def message_bundle(text: str) -> dict:
    return {
        "text/plain": text,
        "text/html": f'<div class="tunelint-note" style="font-family:system-ui,sans-serif;font-size:12px;opacity:0.8">{_e(text)}</div>',
    }


def environment_bundle(data: dict) -> dict:
    """`tunelint env --format json` as a table."""
    env = data.get("environment", data)
    rows = env.get("packages") or []
    head = f"{env.get('name') or ''} · {env.get('origin') or ''}".strip(" ·")
    text = [f"Environment: {head}"]
    html_rows = []
    for r in rows:
        adv = ", ".join(r.get("advisories") or [])
        text.append(f"{r.get('package', ''):<28} {r.get('version') or 'unknown':<18} {r.get('kind', ''):<10} {r.get('source', '')}" + (f"  {adv}" if adv else ""))
        html_rows.append(
            f'<tr><td style="{_TD}"><code>{_e(r.get("package", ""))}</code></td><td style="{_TD}">{_e(r.get("version") or "unknown")}</td>'
            f'<td style="{_TD}">{_e(r.get("kind", ""))}</td><td style="{_TD}opacity:0.8">{_e(r.get("source", ""))}</td>'
            f'<td style="{_TD}"><b>{_e(adv)}</b></td></tr>'
        )
    table = ('<table style="border-collapse:collapse;font-family:system-ui,sans-serif;font-size:12px">'
             f'<tr><th style="{_TD}">package</th><th style="{_TD}">version</th><th style="{_TD}">kind</th>'
             f'<th style="{_TD}">source</th><th style="{_TD}">advisories</th></tr>' + "".join(html_rows) + "</table>")
    return {"text/plain": "\n".join(text), "text/html": f"<div><b>Environment</b>: {_e(head)}</div>{table}"}
