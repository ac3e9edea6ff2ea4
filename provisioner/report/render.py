"""Text and Markdown views of the access document (`provenance.access_document`); JSON
is the document itself. Renderers read only the document, never the model.
"""

from __future__ import annotations

import json


def _offices(r: dict) -> str:
    return "all offices" if r["offices"] == "all" else (", ".join(r["offices"]) or "no office")


_SAME = ("system", "profile", "offices", "source", "file", "line", "commit", "applied", "targets")


def grouped(rights: list[dict]) -> list[tuple[dict, list[str]]]:
    """Consecutive rights that differ only by name, as (first right, names): one front-office
    role or one profile's permission list reads as one line."""
    out: list[tuple[dict, list[str]]] = []
    for r in rights:
        if out and all(out[-1][0].get(k) == r.get(k) for k in _SAME):
            out[-1][1].append(r["name"])
        else:
            out.append((r, [r["name"]]))
    return out


def _names(r: dict, names: list[str]) -> str:
    on = f"{r['profile']}: " if r["profile"] else ""
    return f"{on}{', '.join(names)} @ {_offices(r)}"


def _where(r: dict) -> str:
    return f"{r['file']}:{r['line']}" if r["line"] else r["file"]


def _commit(r: dict) -> str | None:
    if "commit" not in r:
        return None
    c = r["commit"]
    return f"{c['commit'][:10]} {c['date'][:10]} {c['author']}: {c['subject']}" if c else "not committed"


def _applied(r: dict) -> str | None:
    if "applied" not in r:
        return None
    a = r["applied"]
    return (f"{a['at']} by {a['actor']} (audit row {a['seq']}, {a['action']}, plan {a['plan_digest'][:19]})"
            if a else "not applied yet")


def _targets(r: dict) -> str | None:
    if "targets" not in r:
        return None
    parts = [f"{t['target']} {t['status']}" + (f" {t['at']}" if t["at"] else "") for t in r["targets"]]
    return "; ".join(parts) or "no target receives it"


def _grants(p: dict) -> str:
    g = p["grants"]
    if not g:
        return "no grants recorded (approver, justification, review)"
    return (f"approved by {g['approved_by'] or '—'}; justification: {g['justification'] or '—'}; "
            f"last reviewed {g['reviewed_on'] or 'never'}")


def _header(p: dict) -> str:
    extra = f", template {p['template']}" if p["template"] else ""
    return f"{p['id']} — {p['name']} ({p['status']}; offices {', '.join(p['offices']) or 'none'}{extra})"


def text(doc: dict) -> str:
    out: list[str] = []
    for p in doc["people"]:
        out.append(_header(p))
        out.append(f"  {_grants(p)}")
        if not p["rights"]:
            out.append("  no access (inactive)" if p["status"] != "active" else "  no access")
        for r, names in grouped(p["rights"]):
            out.append(f"  {r['system']:<15} {_names(r, names)}")
            out.append(f"      why     {r['source']} — {_where(r)}")
            for label, value in (("commit", _commit(r)), ("applied", _applied(r)), ("targets", _targets(r))):
                if value is not None:
                    out.append(f"      {label:<7} {value}")
        out.append("")
    return "\n".join(out)


def _cell(value: str | None) -> str:
    return (value or "").replace("|", "\\|").replace("\n", " ")


def markdown(doc: dict) -> str:
    out = [f"# Access with provenance: {doc['org']}", ""]
    for p in doc["people"]:
        out += [f"## {_cell(_header(p))}", "", _cell(_grants(p)), ""]
        if not p["rights"]:
            out += ["No access.", ""]
            continue
        cols = ["system", "right", "granted by", "where"]
        extra = [c for c in ("commit", "applied", "targets") if c in p["rights"][0]]
        out.append("| " + " | ".join(cols + extra) + " |")
        out.append("|" + "---|" * (len(cols) + len(extra)))
        fns = {"commit": _commit, "applied": _applied, "targets": _targets}
        for r, names in grouped(p["rights"]):
            row = [r["system"], _names(r, names), r["source"], f"`{_where(r)}`"] + [fns[c](r) for c in extra]
            out.append("| " + " | ".join(_cell(v) for v in row) + " |")
        out.append("")
    return "\n".join(out)


def as_json(doc: dict) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False)


RENDERERS = {"text": text, "markdown": markdown, "json": as_json}
