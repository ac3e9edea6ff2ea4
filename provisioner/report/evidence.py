"""Evidence for a sample of people: per person the chain request → approval → plan →
apply → delivery → review → removal, with commits, plan digests and the audit rows with
their hashes; and the bundle around it (the whole audit chain, its anchor, a manifest of
file digests). Pure: builds the documents; the CLI writes them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from ..model import Org
from ..state.backend import AuditRow, Resource
from ..targets.operations import Operation
from .auditlog import addresses_of, row_dict
from .provenance import Sources, grants_dict, person_dict
from .rights import person_rights
from .terminations import departures

FORMAT_VERSION = "1"
CHAIN_FILE = "audit-chain.jsonl"
MANIFEST = "manifest.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chain_lines(rows: list[AuditRow]) -> str:
    return "".join(json.dumps(row_dict(r), sort_keys=True, ensure_ascii=False) + "\n" for r in rows)


def _commits(org: Org, pid: str, src: Sources) -> list[dict]:
    person = org.persons[pid]
    if src.blame is None or not src.blame.enabled:
        return []
    seen: dict[str, dict] = {}
    for line in src.locator.lines_of(person.origin.file, person.origin.document):
        c = src.blame.commit(person.origin.file, line)
        if c is not None:
            seen.setdefault(c.sha, c.to_dict())
    return sorted(seen.values(), key=lambda c: (c["date"], c["commit"]))


def _located(src: Sources, origin) -> dict:
    file, line = src.locator.position(origin)
    out = {"file": file, "line": line}
    if src.blame is not None and src.blame.enabled:
        c = src.blame.commit(file, line)
        out["commit"] = c.to_dict() if c else None
    return out


def person_evidence(org: Org, pid: str, src: Sources, rows: list[AuditRow], resources: dict[str, Resource],
                    operations: list[Operation], as_of: dt.datetime) -> dict:
    person = org.persons[pid]
    mine = addresses_of(rows, [pid])
    own_rows = [r for r in rows if r.address in mine]
    plans: dict[str, dict] = {}
    for r in own_rows:
        if r.action.startswith("deliver:"):
            continue
        p = plans.setdefault(r.plan_digest, {"plan_digest": r.plan_digest, "at": r.at, "actor": r.actor, "rows": []})
        p["rows"].append({"seq": r.seq, "address": r.address, "action": r.action, "hash": r.hash})
    deliveries = [{"seq": r.seq, "at": r.at, "actor": r.actor, "address": r.address, "status": r.action.split(":", 1)[1],
                   "target": (r.after or {}).get("target"), "operation": (r.after or {}).get("operation"),
                   "hash": r.hash} for r in own_rows if r.action.startswith("deliver:")]
    keys = {a for a in mine if a.split(".", 1)[0] in ("person", "profile")}
    ops = [{"id": o.id, "target": o.target, "key": o.key, "action": o.action, "status": o.status,
            "created_at": o.created_at, "updated_at": o.updated_at} for o in operations if o.key in keys]
    commits = _commits(org, pid, src)
    removal = [d.to_dict() for d in departures(org, resources, rows, operations, as_of) if d.person == pid]
    access = person_dict(person, person_rights(person), src)
    return {
        "person": pid, "name": person.name, "status": person.status,
        "request": commits[0] if commits else None, "commits": commits,
        "approval": {**(grants_dict(person) or {}), **_located(src, person.origin.at("grants", "approved_by"))},
        "review": {"reviewed_on": grants_dict(person)["reviewed_on"] if person.grants else None,
                   **_located(src, person.origin.at("grants", "reviewed_on"))},
        "access": access["rights"],
        "plans": list(plans.values()),
        "deliveries": deliveries,
        "operations": ops,
        "removal": removal[0] if removal else None,
        "audit_rows": [{"seq": r.seq, "hash": r.hash} for r in own_rows],
    }


def person_markdown(e: dict) -> str:
    def commit(c):
        return f"{c['commit'][:12]} {c['date']} {c['author']}: {c['subject']}" if c else "—"

    a, rv = e["approval"], e["review"]
    out = [f"# Evidence: {e['person']} ({e['name']}), {e['status']}", "",
           f"1. **Request**: {commit(e['request'])}"
           + (f" (and {len(e['commits']) - 1} later commit(s) to the person's lines)" if len(e["commits"]) > 1 else ""),
           f"2. **Approval**: approved by {a.get('approved_by') or '—'}; justification: "
           f"{a.get('justification') or '—'} (`{a['file']}:{a['line']}`; {commit(a.get('commit'))})",
           f"3. **Plans and applies**: {len(e['plans'])} plan(s)"]
    for p in e["plans"]:
        acts = ", ".join(f"{r['action']} {r['address']} (row {r['seq']})" for r in p["rows"])
        out.append(f"   - `{p['plan_digest']}` applied {p['at']} by {p['actor']}: {acts}")
    out.append(f"4. **Delivery**: {len(e['deliveries'])} result(s)")
    out += [f"   - {d['at']} {d['target']} {d['status']} op {d['operation']} (row {d['seq']})" for d in e["deliveries"]]
    out += [f"   - {o['target']}: {o['action']} {o['key']} {o['status']} (op {o['id']}, {o['updated_at']})"
            for o in e["operations"] if o["status"] != "delivered"]
    out.append(f"5. **Review**: last reviewed {rv.get('reviewed_on') or 'never'} (`{rv['file']}:{rv['line']}`; "
               f"{commit(rv.get('commit'))})")
    r = e["removal"]
    if r:
        out.append(f"6. **Removal**: clock from {r['clock_start']} ({r['clock_from']}), deadline {r['deadline']}"
                   f"{', LATE' if r['late'] else ''}")
        out += [f"   - {s['system']}: {s['status']} {s['at'] or ''} ({s['hours']} h)" for s in r["steps"]]
    else:
        out.append("6. **Removal**: none (access in force)")
    out += ["", f"Audit rows: {', '.join(str(x['seq']) for x in e['audit_rows'])}; each is in `{CHAIN_FILE}` "
            "with its hash. `provisioner evidence verify DIR` checks them offline.", ""]
    return "\n".join(out)


def manifest(org: Org, people: list[str], files: dict[str, bytes], anchor: dict, state: dict | None,
             created_at: str) -> dict:
    return {"format_version": FORMAT_VERSION, "org": org.id, "created_at": created_at, "state": state,
            "anchor": anchor, "people": people, "files": {name: sha256(data) for name, data in sorted(files.items())}}
