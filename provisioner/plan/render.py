"""Render a plan document (the serialized dict, never internal objects) as text, Markdown
or JSON. Text reads like Terraform's plan; Markdown is a PR comment that stays under
GitHub's 65,536-character limit by summarising when the details would not fit.
"""

from __future__ import annotations

import json

import jinja2

MARKDOWN_LIMIT = 65_000

SYMBOLS = {"create": "+", "update": "~", "replace": "-/+", "deactivate": "-", "reactivate": "+",
           "delete": "-", "move": "->", "no-op": " "}
VERBS = {"create": "will be created", "update": "will be updated in place", "replace": "will be replaced",
         "deactivate": "will be deactivated", "reactivate": "will be reactivated", "delete": "will be deleted", "move": "will move"}
COLOURS = {"create": "32", "update": "33", "replace": "35", "deactivate": "31", "reactivate": "32",
           "delete": "31", "move": "36"}
PLURAL = {"create": "to create", "update": "to update", "replace": "to replace", "deactivate": "to deactivate",
          "reactivate": "to reactivate", "delete": "to delete", "move": "to move"}

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("provisioner", "templates"), autoescape=False,
                          trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                          undefined=jinja2.StrictUndefined)


# Text from the config shown in a pull-request comment (names, findings): an HTML comment
# opened in a name (`<!--`) would hide everything after it, `@org/team` would notify a team,
# and `*`, `_`, backticks or brackets would restyle or link. `md_text` writes such text as
# itself; `md_safe` keeps a message's own `code` but still neutralises HTML and mentions.
_MD_SAFE = str.maketrans({"<": "&lt;", ">": "&gt;", "@": "&#64;", "&": "&amp;"})
_MD_TEXT = str.maketrans({**{c: "\\" + c for c in "\\`*_[]{}()#+!|~"}, "<": "&lt;", ">": "&gt;", "@": "&#64;",
                          "&": "&amp;", **{c: " " for c in "\r\n\u2028\u2029"}})  # a name is one line


def md_text(value) -> str:
    return str(value).translate(_MD_TEXT)


def md_safe(value) -> str:
    return str(value).translate(_MD_SAFE)


_ENV.filters["md_text"] = md_text
_ENV.filters["md_safe"] = md_safe

_STRING = json.encoder.encode_basestring  # what json.dumps(str, ensure_ascii=False) returns
_SORTED = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode  # json.dumps(v, ..., sort_keys=True)


def value(v) -> str:
    """`json.dumps(v, ensure_ascii=False, sort_keys=True)`, spelled out for the common shapes."""
    kind = type(v)
    if kind is str:
        return _STRING(v)
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if kind is int:
        return int.__repr__(v)
    if kind is list and all(type(x) is str for x in v):  # offices, permissions
        return "[" + ", ".join(map(_STRING, v)) + "]"
    return _SORTED(v)


def _lines(change: dict) -> list[tuple[str, str]]:
    """(symbol, text) attribute lines of one change."""
    if change["diff"]:
        out = []
        for d in change["diff"]:
            if d["before"] is None:
                out.append(("+", f"{d['path']} = {value(d['after'])}"))
            elif d["after"] is None and change["kind"] == "invitation":
                out.append(("~", f"{d['path']}: {value(d['before'])} -> (known after apply)"))
            elif d["after"] is None:
                out.append(("-", f"{d['path']} = {value(d['before'])}"))
            else:
                out.append(("~", f"{d['path']}: {value(d['before'])} -> {value(d['after'])}"))
        return out
    if change["after"] and change["action"] in ("create", "replace"):
        attrs = {"status": change["after"]["status"], **change["after"]["attributes"]}
        if change["kind"] == "invitation":
            return [("+", f"{k} = {value(v) if v is not None else '(known after apply)'}") for k, v in attrs.items()]
        # Like Terraform, a new resource lists what it sets: unset (null or empty) fields are left out.
        return [("+", f"{k} = {value(v)}") for k, v in attrs.items() if v not in (None, [], {})]
    if change["before"] and change["action"] == "delete":
        return [("-", f"{k} = {value(v)}") for k, v in change["before"]["attributes"].items()]
    return []


def _env_for(colour: bool) -> jinja2.Environment:
    env = _ENV.overlay()

    def paint(text: str, action: str) -> str:
        return f"\033[{COLOURS.get(action, '0')}m{text}\033[0m" if colour else text

    env.filters["paint"] = paint
    env.filters["bold"] = (lambda t: f"\033[1m{t}\033[0m") if colour else (lambda t: t)
    return env


def target_lines(document: dict) -> list[str]:
    """One line per target: what it will receive ("riverside-okta (scim): 3 users to create,
    1 user to deactivate"), and the settings the config changes. Plans made before targets
    existed have none."""
    out = []
    for tid, t in sorted((document.get("targets") or {}).items()):
        ops = t["operations"]
        what = ", ".join(f"{o['count']} {o['object']}{'s' if o['count'] != 1 else ''} to {o['action']}"
                         for o in ops) or "nothing"
        out.append(f"{tid} ({t['type']}): {what}")
        if t.get("cannot_hold"):
            out.append(f"{tid} cannot hold (no extension schema there): {', '.join(t['cannot_hold'])}")
        out += _settings_of(tid, t)
    return out


def settings_lines(document: dict) -> list[str]:
    """The target settings the config changes since each was last reached (url, token_env):
    shown even when nothing else changes, since the token goes where the url says."""
    return [line for tid, t in sorted((document.get("targets") or {}).items()) for line in _settings_of(tid, t)]


def _settings_of(tid: str, t: dict) -> list[str]:
    return [f"{tid}: {key} changes from {v.get('was')} to {v.get('now')} since it was last reached (review it: the "
            "next apply, sync or drift sends the token there)" for key, v in sorted((t.get("settings_changed") or
                                                                                     {}).items())]


def _context(document: dict, **extra) -> dict:
    """What the templates are rendered with: derived from the whole plan once (a Markdown
    plan is rendered several times, `extra` choosing what each render shows)."""
    from .meaning import people_lines, split_findings

    mine, others = split_findings(document)
    return {"people": people_lines(document), "findings_touched": mine, "findings_other": others, "doc": document,
            "changes": document["changes"], "summary": document["summary"],
            "symbols": SYMBOLS, "verbs": VERBS, "plural": PLURAL, "lines": _lines,
            "diagnostics": document.get("diagnostics", []), "targets": target_lines(document),
            "settings": settings_lines(document), **extra}


def render_text_template(document: dict, colour: bool = False) -> str:
    """The text plan through the one Jinja2 template: the reference `render_text` must equal
    byte for byte (tests compare them); too slow for tens of thousands of changes."""
    return _env_for(colour).get_template("plan.txt.j2").render(**_context(document))


_LINE_ACTION = {"+": "create", "-": "delete", "~": "update"}


def _painters(colour: bool):
    if not colour:
        return (lambda text, action: text), (lambda text: text)
    return ((lambda text, action: f"\033[{COLOURS.get(action, '0')}m{text}\033[0m"),
            (lambda text: f"\033[1m{text}\033[0m"))


def iter_text(document: dict, colour: bool = False):
    """The text plan in pieces, one per change (what plan.txt.j2 renders, streamed): a plan
    of 47,000 changes is never one template loop."""
    paint, bold = _painters(colour)
    changes, summary, org = document["changes"], document["summary"], document["org"]
    if not changes:
        yield f"No changes. The state of {org} matches the configuration ({summary['no-op']} unchanged).\n"
        settings = settings_lines(document)
        if settings:
            yield "\nTargets changed in the config:\n" + "".join(f"  {line}\n" for line in settings)
    else:
        yield (f"Provisioner will perform the following actions on {org} "
               f"(state serial {document['state']['serial']}):\n\n")
        for c in changes:
            action, address = c["action"], c["address"]
            reason = f": {c['reason']}" if c["reason"] else ""
            if colour:
                parts = [f"  # {address} {VERBS[action]}{reason}\n",
                         f"  {bold(paint(f'{SYMBOLS[action]} {address}', action))}\n"]
                for sym, text in _lines(c):
                    parts.append(f"      {paint(f'{sym} {text}', _LINE_ACTION[sym])}\n")
            else:  # the same text without a call per line to paint nothing
                parts = [f"  # {address} {VERBS[action]}{reason}\n  {SYMBOLS[action]} {address}\n"]
                parts += [f"      {sym} {text}\n" for sym, text in _lines(c)]
            parts.append("\n")
            yield "".join(parts)
        counts = ", ".join(f"{summary.get(action, 0)} {label}" for action, label in PLURAL.items()
                           if action != "move" or summary.get("move", 0))
        yield f"Plan: {counts} ({summary['no-op']} unchanged).\n"
        targets = target_lines(document)
        if targets:
            yield "\nTargets will receive:\n" + "".join(f"  {line}\n" for line in targets)
    diagnostics = document.get("diagnostics", [])
    if diagnostics:
        yield "\n"
        for d in diagnostics:
            where = (d["file"] or "<org>") + (f":{d['line']}" if d["line"] else "") + (f":{d['column']}" if d["column"] else "")
            label = "waived" if d["waived"] else d["severity"]
            subject = f" [{d['subject']}]" if d["subject"] else ""
            waived = f" (waived: {d['waiver']})" if d["waived"] else ""
            yield f"{where}: {label} {d['code']}: {d['message']}{subject}{waived}\n"


def render_text(document: dict, colour: bool = False) -> str:
    return "".join(iter_text(document, colour))


def render_markdown_template(document: dict, limit: int = MARKDOWN_LIMIT) -> str:
    """The Markdown plan by rendering the whole template, then ever shorter summaries until
    one fits: the reference `render_markdown` must equal (tests compare them)."""
    template = _env_for(False).get_template("plan.md.j2")
    base = _context(document)
    full = template.render(**base, details=True, shown=document["changes"], hidden=0, people_max=10**9)
    if len(full) <= limit:
        return full
    shown = list(document["changes"])
    while True:  # summarised: addresses only, as many as fit
        text = template.render(**base, details=False, shown=shown, people_max=len(shown),
                               hidden=len(document["changes"]) - len(shown))
        if len(text) <= limit:
            return text
        if not shown:  # even the summary is too long (thousands of findings): cut it
            return _cut(text, limit)
        shown = shown[: max(0, len(shown) * 3 // 4 - 1)]


def _cut(text: str, limit: int) -> str:
    note = "\n\n… truncated to fit one comment; run `provisioner show PLAN` for everything.\n"
    return text[: limit - len(note)] + note


def _hidden_line(hidden: int) -> int:
    return len(f"- … and {hidden} more change{'s' if hidden != 1 else ''}\n") if hidden else 0


def _more_people_line(more: int) -> int:
    return len(f"- … and {more} more {'person' if more == 1 else 'people'}\n") if more > 0 else 0


def render_markdown(document: dict, limit: int = MARKDOWN_LIMIT) -> str:
    """What `render_markdown_template` gives, rendering at most three times: the details
    only when a lower bound of their length fits, then the summary of the first length
    (in the same sequence) whose predicted size fits. The summary of n changes also names
    the first n people ("Who changes"), so the prediction counts their lines too. A
    prediction that the render does not confirm falls back to the reference."""
    changes = document["changes"]
    template = _env_for(False).get_template("plan.md.j2")
    base = _context(document)
    heads = sum(len(f"<details><summary><code>{SYMBOLS[c['action']]} {c['address']}</code> {VERBS[c['action']]}"
                    "</summary>") for c in changes)
    if heads <= limit:
        full = template.render(**base, details=True, shown=changes, hidden=0, people_max=10**9)
        if len(full) <= limit:
            return full
    total = len(changes)
    people = base["people"]
    named = [0]  # named[k]: the length of the first k people's lines
    for p in people:
        named.append(named[-1] + len(f"- **{md_text(p['name'])}** (`{p['id']}`): {md_safe('; '.join(p['what']))}\n"))

    def people_part(n: int) -> int:
        return named[min(n, len(people))] + _more_people_line(len(people) - n)

    def summary(n: int) -> str:
        return template.render(**base, details=False, shown=changes[:n], hidden=total - n, people_max=n)

    none = summary(0)
    prefix = [0]
    for c in changes:
        prefix.append(prefix[-1] + len(f"- `{SYMBOLS[c['action']]} {c['address']}` {VERBS[c['action']]}\n"))
    fixed = len(none) - _hidden_line(total) - people_part(0)

    def predicted(n: int) -> int:
        return fixed + prefix[n] + _hidden_line(total - n) + people_part(n)

    n = total
    while n and predicted(n) > limit:
        n = max(0, n * 3 // 4 - 1)
    if total and len(summary(1)) != predicted(1):
        return render_markdown_template(document, limit)
    if n == 0:
        return none if len(none) <= limit else _cut(none, limit)
    text = summary(n)
    if len(text) != predicted(n):
        return render_markdown_template(document, limit)
    return text


def render_json(document: dict, **_) -> str:
    return "".join(iter_json(document))


def iter_json(document: dict):
    """`json.dumps(document, indent=2, ensure_ascii=False) + "\\n"` in pieces, one per
    change: the changes may be a sequence walked once (a saved plan shown, savedplan.py).
    Each value is dumped on its own and indented to its depth; JSON text holds no newline
    but those the indenting puts in, so the bytes are those of the whole dump."""
    if not document:
        yield "{}\n"
        return
    for n, (key, value) in enumerate(document.items()):
        yield ("," if n else "{") + "\n  " + json.dumps(key, ensure_ascii=False) + ": "
        if key == "changes" and len(value):
            for i, change in enumerate(value):
                yield ("," if i else "[") + "\n    " + _INDENTED(change).replace("\n", "\n    ")
            yield "\n  ]"
        else:
            yield _INDENTED(value).replace("\n", "\n  ")
    yield "\n}\n"


_INDENTED = json.JSONEncoder(ensure_ascii=False, indent=2).encode  # json.dumps(v, indent=2, ensure_ascii=False)


def has_changes(document: dict) -> bool:
    return bool(document["changes"])


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}
