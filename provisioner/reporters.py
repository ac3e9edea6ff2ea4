"""Render a list of located diagnostics as text, JSON or GitHub workflow annotations.

Reporters take plain diagnostics (and source lines for context) and return strings;
they never decide what is wrong.
"""

from __future__ import annotations

import json
from typing import Callable, Sequence

from .diagnostics import Diagnostic, Severity, summarize
from .limits import MAX_ECHO_WIDTH, MAX_ECHOES_PER_LINE

FORMAT_VERSION = "1"

_COLOURS = {Severity.ERROR: "\033[1;31m", Severity.WARNING: "\033[1;33m", Severity.INFO: "\033[1;36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def _where(d: Diagnostic) -> str:
    parts = [d.file or "<org>"]
    if d.line is not None:
        parts.append(str(d.line))
        if d.column is not None:
            parts.append(str(d.column))
    return ":".join(parts)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _window(text: str, column: int | None, width: int = MAX_ECHO_WIDTH) -> tuple[str, int | None]:
    """At most `width` characters of a source line around `column`, and the column within them."""
    if len(text) <= width:
        return text, column
    start = max(0, min((column or 1) - 1 - width // 2, len(text) - width))
    shown = ("…" if start else "") + text[start:start + width] + ("…" if start + width < len(text) else "")
    return shown, None if column is None else column - start + (1 if start else 0)


def render_text(diagnostics: Sequence[Diagnostic], lines: dict[str, list[str]] | None = None,
                colour: bool = False, quiet: bool = False) -> str:
    """`file:line:col: severity CODE: message [subject]` plus the source line and a caret."""
    lines = lines or {}
    out: list[str] = []
    echoed: dict[tuple, int] = {}
    for d in diagnostics:
        if quiet and d.severity is not Severity.ERROR:
            continue
        sev = "waived" if d.waived_by else str(d.severity)
        label = f"{_COLOURS[d.severity]}{sev}{_RESET}" if colour and not d.waived_by else sev
        where = f"{_BOLD}{_where(d)}{_RESET}" if colour else _where(d)
        subject = f" [{d.subject}]" if d.subject else ""
        message = d.message if len(d.message) <= 4 * MAX_ECHO_WIDTH else d.message[:4 * MAX_ECHO_WIDTH] + "…"
        out.append(f"{where}: {label} {d.code}: {message}{subject}")
        if d.waived_by:
            out.append(f"    waived: {d.waived_by}")
        source = lines.get(d.file or "", [])
        shown = echoed[(d.file, d.line)] = echoed.get((d.file, d.line), 0) + 1
        if shown == MAX_ECHOES_PER_LINE + 1:
            out.append(f"    (more findings on line {d.line}; the line is not shown again)")
        if d.line and 0 < d.line <= len(source) and shown <= MAX_ECHOES_PER_LINE:
            text, column = _window(source[d.line - 1], d.column)
            gutter = f"{d.line:>5} | "
            out.append(f"{_DIM}{gutter}{_RESET}{text}" if colour else f"{gutter}{text}")
            if column:
                out.append(" " * (len(gutter) - 2) + "| " + " " * (column - 1) + "^")
    s = summarize(diagnostics)
    tail = f"{_plural(s.errors, 'error')}, {_plural(s.warnings, 'warning')}"
    if s.infos:
        tail += f", {s.infos} info"
    if s.waived:
        tail += f", {s.waived} waived"
    out.append(tail)
    return "\n".join(out) + "\n"


def diagnostic_dict(d: Diagnostic) -> dict:
    return {
        "severity": str(d.severity), "code": d.code, "message": d.message,
        "file": d.file, "line": d.line, "column": d.column, "subject": d.subject,
        "waived": d.waived_by is not None, "waiver": d.waived_by,
    }


def render_json(diagnostics: Sequence[Diagnostic], **_) -> str:
    s = summarize(diagnostics)
    doc = {
        "format_version": FORMAT_VERSION,
        "valid": s.valid,
        "error_count": s.errors,
        "warning_count": s.warnings,
        "info_count": s.infos,
        "waived_count": s.waived,
        "diagnostics": [diagnostic_dict(d) for d in diagnostics],
    }
    return json.dumps(doc, indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(diagnostics: Sequence[Diagnostic], **_) -> str:
    """GitHub Actions workflow commands: one `::error file=…,line=…::…` line per finding; a
    waived finding is a notice whose title and text say it is waived, and by what."""
    out = []
    for d in diagnostics:
        level = {"error": "error", "warning": "warning", "info": "notice"}[str(d.severity)]
        if d.waived_by:
            level = "notice"
        props = []
        if d.file:
            props.append(f"file={_escape_property(d.file)}")
        if d.line:
            props.append(f"line={d.line}")
        if d.column:
            props.append(f"col={d.column}")
        title = f"{d.code} (waived)" if d.waived_by else d.code
        props.append(f"title={_escape_property(title)}")
        subject = f" [{d.subject}]" if d.subject else ""
        waived = f" (waived: {d.waived_by})" if d.waived_by else ""
        out.append(f"::{level} {','.join(props)}::{_escape_data(d.code + ': ' + d.message + subject + waived)}")
    return "\n".join(out) + ("\n" if out else "")


REPORTERS: dict[str, Callable[..., str]] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
}
