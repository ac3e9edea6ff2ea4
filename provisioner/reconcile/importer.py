"""An org folder written from the accounts a system holds: one Person per account that
no configured person claims, the Offices they name, and the findings a person must
decide (disputed accounts, duplicates, id collisions, what cannot be imported). Pure and
deterministic: the same accounts give byte-identical files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

import yaml

from ..targets import scimjson as sj
from .match import DISPUTED, MATCHED, UNMATCHED, Matching, emails_of, normal_email

SITUATIONS = ("linked", "matched", "disputed", "unmatched", "duplicate", "profile", "missing")
ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# extension attribute → Person field (docs/targets.md, Mapping)
PERSON_FIELDS = (("accountType", "account_type"), ("offices", "offices"), ("adminAuthorizations", "admin"),
                 ("adminOffices", "admin_offices"), ("callCenter", "call_center"),
                 ("workQueueChat", "work_queue_chat"), ("frontOfficeRole", "front_office"), ("npi", "npi"),
                 ("specialty", "specialty"))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).casefold()).strip("-")[:80].strip("-")


def stable_id(user: dict) -> str:
    """An id for the person holding `user`: its externalId when that is a valid id (it was
    ours, or the system's stable key), else from the e-mail's local part, else its name."""
    ext = str(user.get("externalId") or "")
    if ID.match(ext) and len(ext) <= 80:
        return ext
    email = normal_email(user.get("userName"))
    base = slug(email.split("@", 1)[0]) if "@" in email else ""
    return base or slug(display_name(user)) or "account-" + slug(str(user.get("id")))[:12]


def display_name(user: dict) -> str:
    name = user.get("name") or {}
    return (user.get("displayName") or name.get("formatted")
            or " ".join(p for p in (name.get("givenName"), name.get("familyName")) if p)
            or str(user.get("userName") or "").split("@", 1)[0])


def login_of(user: dict) -> str:
    login = str(user.get("userName") or "").strip()
    if "@" in login:
        return login
    for e in user.get("emails") or ():
        if isinstance(e, dict) and "@" in str(e.get("value") or ""):
            return str(e["value"]).strip()
    return login


@dataclass
class Imported:
    target: str
    people: list[dict] = field(default_factory=list)
    offices: list[dict] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)   # what a person must decide
    notes: list[str] = field(default_factory=list)      # what was decided, visibly (id collisions)
    counts: dict[str, int] = field(default_factory=dict)


def person_of(user: dict, pid: str, account_type: str | None = None, member_of: Iterable[str] = ()) -> dict:
    ext = user.get(sj.EXTENSION) or {}
    doc = {"kind": "Person", "id": pid, "name": display_name(user), "email": login_of(user),
           "status": "active" if user.get("active", True) else "inactive"}
    for scim, ours in PERSON_FIELDS:
        value = ext.get(scim)
        if value not in (None, "", []):
            doc[ours] = sorted(value) if isinstance(value, list) else value
    offices = sorted(set(doc.get("offices", ())) | set(member_of))  # an office group's members work there
    if offices:
        doc["offices"] = offices
    if account_type and "account_type" not in doc:
        doc["account_type"] = account_type
    return doc


def build(target: str, users: list[dict], groups: list[dict], matching: Matching, *,
          taken_ids: Iterable[str], offices: Iterable[str], account_type: str | None = None) -> Imported:
    """The people and offices to write for the accounts `matching` found unmatched; ids
    are chosen against `taken_ids` (the configured people) and collisions made visible."""
    out = Imported(target)
    by_id = {str(u.get("id")): u for u in users}
    out.counts = {k: len(matching.of(k)) for k in ("linked", MATCHED, DISPUTED, UNMATCHED)}
    out.counts["missing"] = len(matching.missing)
    out.counts["duplicate"] = out.counts["profile"] = 0
    for s in matching.of(DISPUTED):
        out.findings.append(f"account {s.remote_id} ({s.login}) is disputed: {s.why}; not imported")
    for key in matching.missing:
        out.findings.append(f"{key} is configured but has no account at {target} (missing: apply creates it)")
    # one account per e-mail: a case variant or a second account of the same address is a
    # duplicate; the active one (then the one whose login is that address) is imported
    unmatched = sorted((by_id[s.remote_id] for s in matching.of(UNMATCHED)),
                       key=lambda u: (not u.get("active", True), normal_email(login_of(u)), str(u.get("id"))))
    seen: dict[str, dict] = {}
    kept = []
    profiles = [u for u in unmatched if (u.get(sj.EXTENSION) or {}).get("userType")]
    for u in profiles:  # an EMR profile belongs to a person (profiles: […]): a person decides whose
        out.counts["profile"] = out.counts.get("profile", 0) + 1
        out.findings.append(f"account {u.get('id')} ({login_of(u)}) is an EMR profile (userType "
                            f"{(u.get(sj.EXTENSION) or {}).get('userType')}): not imported as a person; add it "
                            "to its person's `profiles`")
    unmatched = [u for u in unmatched if u not in profiles]
    for u in unmatched:
        mine = emails_of(u) | {normal_email(login_of(u))}
        first = next((seen[e] for e in sorted(mine) if e in seen), None)
        if first is not None:
            out.counts["duplicate"] = out.counts.get("duplicate", 0) + 1
            out.findings.append(f"account {u.get('id')} ({login_of(u)}) shares an e-mail with account "
                                f"{first.get('id')} ({login_of(first)}): only the latter is imported; retire the "
                                "other at the target or tell them apart")
            continue
        for e in mine:
            seen[e] = u
        kept.append(u)
    kept.sort(key=lambda u: (normal_email(login_of(u)), str(u.get("id"))))
    member_of: dict[str, list[str]] = {}
    for g in groups:
        ext = str(g.get("externalId") or "")
        if ext.startswith("office."):
            for m in sj.member_ids(g):
                member_of.setdefault(m, []).append(ext.split(".", 1)[1])
    taken = set(taken_ids)
    for u in kept:
        base = stable_id(u)
        pid, n = base, 1
        while pid in taken:
            n += 1
            pid = f"{base[:76]}-{n}"
        if pid != base:
            out.notes.append(f"id {base} is taken: account {u.get('id')} ({login_of(u)}) became {pid}")
        taken.add(pid)
        out.people.append(person_of(u, pid, account_type, member_of.get(str(u.get("id")), ())))
    known = set(offices)
    named = {}
    for g in groups:
        ext = str(g.get("externalId") or "")
        if ext.startswith("office."):
            named[ext.split(".", 1)[1]] = g.get("displayName") or ext.split(".", 1)[1]
        else:
            out.findings.append(f"group {g.get('id')} ({g.get('displayName')}) is not imported: a referral group "
                                "needs its office, specialty and role; describe it by hand")
    wanted = sorted({o for p in out.people for o in p.get("offices", ())} | set(named))
    for oid in wanted:
        if oid in known:
            continue
        if not ID.match(oid):
            out.findings.append(f"office {oid!r} (named by imported accounts) is not a valid id; rename it")
            continue
        out.offices.append({"kind": "Office", "id": oid, "name": named.get(oid, oid)})
    return out


def render_yaml(imported: Imported, source: str) -> str:
    head = (f"# Imported from {source} by `provisioner import`: one Person per account no configured\n"
            "# person claims, and the offices they name. Importing again rewrites this file; move a\n"
            "# document out of it to make it yours. Findings to decide are in the import report.\n")
    docs = imported.offices + imported.people
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when present: 10,000 people in a second
    body = "".join("---\n" + yaml.dump(d, Dumper=dumper, sort_keys=False, allow_unicode=True, width=1000)
                   for d in docs)
    return head + (body or "# (no account to import)\n")


def render_report(imported: Imported, source: str, validation: list[str]) -> str:
    c = imported.counts
    lines = [f"# Import of {imported.target}", "", f"Source: {source}", "",
             "| situation | accounts |", "|---|---|",
             *[f"| {k} | {c.get(k, 0)} |" for k in SITUATIONS], "",
             f"Written: {len(imported.people)} people, {len(imported.offices)} offices.", ""]
    if imported.notes:
        lines += ["## Ids chosen", "", *[f"- {n}" for n in imported.notes], ""]
    decide = imported.findings + validation
    lines += ["## To decide", ""] + ([f"- {f}" for f in decide] if decide else ["Nothing: the folder validates."])
    return "\n".join(lines) + "\n"
