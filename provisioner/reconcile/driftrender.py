"""The drift report in four views of one document (check.as_document): text for a
terminal, JSON for tools, Markdown for an issue or PR, GitHub workflow annotations."""

from __future__ import annotations

import json

from .check import counts, summary_of


def render_text(doc: dict) -> str:
    lines = []
    for t in doc["targets"]:
        if t["error"]:
            lines.append(f"{t['target']}: error: {t['error']}")
            continue
        lines.append(f"{t['target']}: {summary_of(counts(t['findings']))} "
                     f"({t['checked']} owned objects compared, {t['pages']} pages read"
                     + (f", {t['owed_skipped']} not compared: still owed" if t["owed_skipped"] else "") + ")")
        lines += [f"  {f['kind']:12} {f['message']}" for f in t["findings"]]
    lines.append({0: "No drift: every target holds what the state says it was given.",
                  2: "Drift found: `provisioner plan --refresh` shows the changes that bring the targets back.",
                  1: "Error: some targets could not be read (named above)."}[doc["exit_code"]])
    return "\n".join(lines) + "\n"


def render_json(doc: dict) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _cell(text) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def render_markdown(doc: dict) -> str:
    out = ["## Drift", ""]
    for t in doc["targets"]:
        if t["error"]:
            out += [f"### {t['target']}", "", f"**Error:** {_cell(t['error'])}", ""]
            continue
        out += [f"### {t['target']}: {summary_of(counts(t['findings']))}", ""]
        if t["findings"]:
            out += ["| kind | object | account | attributes | last modified |", "|---|---|---|---|---|"]
            out += [f"| {f['kind']} | {_cell(f['key'] or f['object'])} | {_cell(f['login'] or f['remote_id'])} | "
                    f"{_cell(', '.join(f['attributes']))} | {_cell(f['last_modified'])} |" for f in t["findings"]]
            out.append("")
    return "\n".join(out) + "\n"


def _annotation(text: str) -> str:
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def render_github(doc: dict) -> str:
    """Workflow commands (`::error`/`::warning`): each shows as an annotation on the run."""
    out = []
    for t in doc["targets"]:
        if t["error"]:
            out.append(f"::error title=drift {t['target']}::{_annotation(t['error'])}")
        for f in t["findings"]:
            out.append(f"::warning title=drift {t['target']} {f['kind']}::{_annotation(f['message'])}")
    out.append(f"drift: exit {doc['exit_code']}")
    return "\n".join(out) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown, "github": render_github}
